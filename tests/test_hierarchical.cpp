// agglomerative_clustering: hand-computed average-linkage cuts (distinct from single and complete
// linkage), the chain algorithm and the naive option against a brute force that recomputes
// every average from the points, thresholds 0 and +inf, the memory bound, bad inputs.
#include <acquire/select/hierarchical.hpp>
#include <acquire/synthetic.hpp>

#include <catch2/catch.hpp>

#include <limits>
#ifdef _OPENMP
#include <omp.h>
#endif

using acquire::Index;
using Catch::Contains;

namespace {

// Greedy average linkage from scratch: every step recomputes each cluster pair's mean distance.
template <class M>
std::vector<Index> brute_average_linkage(const M& X, double threshold) {
    const Index n = X.rows();
    std::vector<std::vector<Index>> clusters;
    for (Index i = 0; i < n; ++i) clusters.push_back({i});
    for (;;) {
        double best = std::numeric_limits<double>::infinity();
        std::size_t ba = 0, bb = 0;
        for (std::size_t a = 0; a < clusters.size(); ++a)
            for (std::size_t b = a + 1; b < clusters.size(); ++b) {
                double sum = 0;
                for (Index i : clusters[a])
                    for (Index j : clusters[b]) sum += (X.row(i).template cast<double>() - X.row(j).template cast<double>()).norm();
                const double avg = sum / double(clusters[a].size() * clusters[b].size());
                if (avg < best) best = avg, ba = a, bb = b;
            }
        if (!(best < threshold)) break;
        clusters[ba].insert(clusters[ba].end(), clusters[bb].begin(), clusters[bb].end());
        clusters.erase(clusters.begin() + std::ptrdiff_t(bb));
    }
    // Number clusters in order of their lowest row, as agglomerative_clustering does.
    std::vector<Index> owner(static_cast<std::size_t>(n), 0), out(static_cast<std::size_t>(n), -1), id(clusters.size(), -1);
    for (std::size_t c = 0; c < clusters.size(); ++c)
        for (Index i : clusters[c]) owner[std::size_t(i)] = Index(c);
    Index next = 0;
    for (Index i = 0; i < n; ++i) {
        auto& c = id[std::size_t(owner[std::size_t(i)])];
        if (c < 0) c = next++;
        out[std::size_t(i)] = c;
    }
    return out;
}

}  // namespace

TEMPLATE_TEST_CASE("agglomerative_clustering: hand-computed average-linkage cuts", "[hierarchical]", float, double) {
    using T = TestType;
    acquire::Matrix<T> X(5, 1);
    X << 0, 1, 10, 11, 30;
    // Merges: {0,1} and {10,11} at 1; those two at (10 + 11 + 9 + 10) / 4 = 10 (single linkage
    // would say 9, complete 11); then 30 at (30 + 29 + 20 + 19) / 4 = 24.5.
    using V = std::vector<Index>;
    for (bool naive : {false, true}) {
        acquire::AgglomerativeOptions o;
        o.naive = naive;
        INFO("naive " << naive);
        CHECK(acquire::agglomerative_clustering(X, 0.5, o).assignment == V{0, 1, 2, 3, 4});
        CHECK(acquire::agglomerative_clustering(X, 1.5, o).assignment == V{0, 0, 1, 1, 2});
        CHECK(acquire::agglomerative_clustering(X, 9.5, o).assignment == V{0, 0, 1, 1, 2});
        CHECK(acquire::agglomerative_clustering(X, 10.0, o).assignment == V{0, 0, 1, 1, 2});
        CHECK(acquire::agglomerative_clustering(X, 10.5, o).assignment == V{0, 0, 0, 0, 1});
        CHECK(acquire::agglomerative_clustering(X, 24.0, o).clusters == 2);
        CHECK(acquire::agglomerative_clustering(X, 25.0, o).assignment == V{0, 0, 0, 0, 0});
        CHECK(acquire::agglomerative_clustering(X, 0.0, o).clusters == 5);
        CHECK(acquire::agglomerative_clustering(X, std::numeric_limits<double>::infinity(), o).clusters == 1);
    }
    INFO("a single row");
    CHECK(acquire::agglomerative_clustering(acquire::Matrix<T>::Zero(1, 3), 1.0).assignment == V{0});
}

TEMPLATE_TEST_CASE("agglomerative_clustering matches brute force", "[hierarchical]", float, double) {
    using T = TestType;
    acquire::synthetic::EmbeddingOptions eo;
    eo.clusters = 6;
    eo.spread = 0.4;
    for (std::uint64_t seed : {1, 2, 3}) {
        eo.seed = seed;
        const auto X = acquire::synthetic::embeddings<T, Eigen::ColMajor>(45, 3, eo);
        acquire::AgglomerativeOptions o;
        o.tile_bytes = 4096;  // several tiles of the distance matrix
        for (double threshold : {0.2, 0.6, 1.2, 2.5, 5.0}) {
            const auto want = brute_average_linkage(X, threshold);
            INFO("seed " << seed << " threshold " << threshold);
            o.naive = false;
            const auto chain = acquire::agglomerative_clustering(X, threshold, o);
            CHECK(chain.assignment == want);
            CHECK(chain.clusters == *std::max_element(want.begin(), want.end()) + 1);
            o.naive = true;
            CHECK(acquire::agglomerative_clustering(X, threshold, o).assignment == want);
        }
    }
}

TEST_CASE("agglomerative_clustering: memory bound and bad input", "[hierarchical]") {
    Eigen::MatrixXd X = Eigen::MatrixXd::Random(100, 3);
    acquire::AgglomerativeOptions o;
    o.memory_bytes = 100 * 99 / 2 * 8;
    CHECK(acquire::agglomerative_clustering(X, 0.5, o).assignment.size() == 100);
    o.memory_bytes -= 1;
    REQUIRE_THROWS_WITH(acquire::agglomerative_clustering(X, 0.5, o),
                        Contains("acquire::agglomerative_clustering: X has 100 rows, whose distance matrix needs 39600 bytes, over options memory_bytes (39599): cluster with kmeans() instead"));
    o = {};
    REQUIRE_THROWS_WITH(acquire::agglomerative_clustering(X, -1.0, o), Contains("threshold must be >= 0 (or +inf), got -1"));
    REQUIRE_THROWS_WITH(acquire::agglomerative_clustering(X, std::nan(""), o), Contains("threshold must be >= 0"));
    o.tile_bytes = 8;
    REQUIRE_THROWS_WITH(acquire::agglomerative_clustering(X, 1.0, o), Contains("options tile_bytes must be >= 4096, got 8"));
    o.tile_bytes = 4096;
    X(7, 2) = std::numeric_limits<double>::infinity();
    REQUIRE_THROWS_WITH(acquire::agglomerative_clustering(X, 1.0, o), Contains("X row 7 column 2 is inf"));
    REQUIRE_THROWS_WITH(acquire::agglomerative_clustering(Eigen::MatrixXd(0, 3), 1.0, o), Contains("X must have at least one row"));
}

TEST_CASE("agglomerative_clustering: the same on 1 and 3 threads", "[hierarchical]") {
    const auto X = acquire::synthetic::embeddings<float>(1200, 6);
    acquire::AgglomerativeOptions o;
    o.tile_bytes = 4096;
    const auto c = acquire::agglomerative_clustering(X, 1.5, o);
#ifdef _OPENMP
    const int threads = omp_get_max_threads();
    for (int k : {1, 3}) {
        omp_set_num_threads(k);
        CHECK(acquire::agglomerative_clustering(X, 1.5, o).assignment == c.assignment);
    }
    omp_set_num_threads(threads);
#endif
    CHECK(c.clusters > 1);
    CHECK(c.clusters < 1200);
}
