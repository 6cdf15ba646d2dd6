// probcover: hand-computed picks, brute-force greedy on small pools (several distance tiles),
// labeled coverage, the memory bound; probcover_delta: hand values, purity at and just above the
// returned delta by brute force; bad inputs.
#include <acquire/select/probcover.hpp>
#include <acquire/synthetic.hpp>

#include <catch2/catch.hpp>

#include <set>
#ifdef _OPENMP
#include <omp.h>
#endif

using acquire::Index;
using Catch::Contains;

namespace {

// Plain greedy max coverage on balls from double distances.
template <class M>
acquire::Selection brute_probcover(const M& X, double delta, Index b, const std::vector<Index>& labeled) {
    const Index n = X.rows();
    std::vector<std::vector<char>> in(std::size_t(n), std::vector<char>(std::size_t(n), 0));
    for (Index i = 0; i < n; ++i)
        for (Index j = 0; j < n; ++j)
            in[std::size_t(i)][std::size_t(j)] = i == j || (X.row(i).template cast<double>() - X.row(j).template cast<double>()).norm() < delta;
    std::vector<char> covered(std::size_t(n), 0), taken(std::size_t(n), 0);
    for (Index l : labeled) {
        taken[std::size_t(l)] = 1;
        for (Index j = 0; j < n; ++j) covered[std::size_t(j)] |= in[std::size_t(l)][std::size_t(j)];
    }
    acquire::Selection out;
    for (Index step = 0; step < b; ++step) {
        Index best = -1, best_gain = -1;
        for (Index i = 0; i < n; ++i) {
            if (taken[std::size_t(i)]) continue;
            Index g = 0;
            for (Index j = 0; j < n; ++j) g += in[std::size_t(i)][std::size_t(j)] && !covered[std::size_t(j)];
            if (g > best_gain) best = i, best_gain = g;
        }
        if (best < 0) break;  // every row taken (b is checked against the pool: never reached)
        taken[std::size_t(best)] = 1;
        for (Index j = 0; j < n; ++j) covered[std::size_t(j)] |= in[std::size_t(best)][std::size_t(j)];
        out.indices.push_back(best);
        Index c = 0;
        for (char v : covered) c += v;
        out.objective.push_back(double(c));
    }
    return out;
}

template <class M>
double purity(const M& X, const std::vector<Index>& labels, double delta) {
    const Index n = X.rows();
    Index pure = 0;
    for (Index i = 0; i < n; ++i) {
        bool ok = true;
        for (Index j = 0; j < n; ++j)
            if (labels[std::size_t(j)] != labels[std::size_t(i)] &&
                (X.row(i).template cast<double>() - X.row(j).template cast<double>()).norm() < delta)
                ok = false;
        pure += ok;
    }
    return double(pure) / double(n);
}

}  // namespace

TEMPLATE_TEST_CASE("probcover: hand-computed picks", "[probcover]", float, double) {
    using T = TestType;
    acquire::Matrix<T> X(6, 1);
    X << 0, 1, 2, 10, 11, 20;
    // delta 1.5: balls {0,1}, {0,1,2}, {1,2}, {3,4}, {3,4}, {5}.
    auto sel = acquire::probcover(X, 1.5, 3);
    CHECK(sel.indices == std::vector<Index>{1, 3, 5});
    CHECK(sel.objective == std::vector<double>{3, 5, 6});
    acquire::ProbCoverOptions o;
    o.labeled = {4};
    INFO("labeled 4 covers {3, 4}; once all is covered the lowest unlabeled index follows");
    sel = acquire::probcover(X, 1.5, 3, o);
    CHECK(sel.indices == std::vector<Index>{1, 5, 0});
    CHECK(sel.objective == std::vector<double>{5, 6, 6});
    INFO("strict balls: at delta 1 every ball is the point alone");
    sel = acquire::probcover(X, 1.0, 2);
    CHECK(sel.indices == std::vector<Index>{0, 1});
    CHECK(acquire::probcover(X, 0.0, 6).indices == std::vector<Index>{0, 1, 2, 3, 4, 5});
    CHECK(acquire::probcover(X, 1.5, 0).indices.empty());
}

TEMPLATE_TEST_CASE("probcover matches brute-force greedy", "[probcover]", float, double) {
    using T = TestType;
    acquire::synthetic::EmbeddingOptions eo;
    eo.clusters = 5;
    eo.spread = 0.4;
    for (std::uint64_t seed : {1, 2, 3}) {
        eo.seed = seed;
        const auto X = acquire::synthetic::embeddings<T, Eigen::ColMajor>(90, 3, eo);
        for (double delta : {0.3, 0.7, 1.5}) {
            acquire::ProbCoverOptions o;
            o.labeled = {5, 17};
            o.tile_bytes = 4096;  // many reference tiles
            const auto sel = acquire::probcover(X, delta, 12, o);
            const auto want = brute_probcover(X, delta, 12, o.labeled);
            INFO("seed " << seed << " delta " << delta);
            CHECK(sel.indices == want.indices);
            CHECK(sel.objective == want.objective);
            o.tile_bytes = std::size_t(1) << 20;
            CHECK(acquire::probcover(X, delta, 12, o).indices == sel.indices);
            INFO("a row-major copy gives the same picks");
            const acquire::RowMatrix<T> R = X;
            CHECK(acquire::probcover(R, delta, 12, o).indices == sel.indices);
        }
    }
}

TEST_CASE("probcover: the graph memory bound", "[probcover]") {
    const auto X = acquire::synthetic::embeddings<double>(200, 2);
    acquire::ProbCoverOptions o;
    o.memory_bytes = 200 * 8 + 201 * 8;  // self loops and offsets only
    CHECK(acquire::probcover(X, 0.0, 5, o).size() == 5);
    REQUIRE_THROWS_WITH(acquire::probcover(X, 1.0, 5, o),
                        Contains("acquire::probcover: the delta-ball graph for delta 1 needs more than options memory_bytes (3208 bytes"));
    o.memory_bytes = std::size_t(200) * 200 * 8 + 201 * 8;  // the full graph fits
    CHECK(acquire::probcover(X, 100.0, 5, o).objective[0] == 200);
}

TEMPLATE_TEST_CASE("probcover_delta: hand values and purity by brute force", "[probcover]", float, double) {
    using T = TestType;
    acquire::Matrix<T> X(5, 1);
    X << 0, 1, 2, 5, 6;
    const std::vector<Index> labels = {7, 7, 7, 3, 3};
    // r = 5, 4, 3, 3, 4 (distance to the nearest other label).
    acquire::ProbCoverDeltaOptions o;
    o.alpha = 1.0;
    CHECK(acquire::probcover_delta(X, labels, o) == Approx(3.0));
    o.alpha = 0.6;
    CHECK(acquire::probcover_delta(X, labels, o) == Approx(4.0));
    o.alpha = 0.2;
    CHECK(acquire::probcover_delta(X, labels, o) == Approx(5.0));
    CHECK(std::isinf(acquire::probcover_delta(X, std::vector<Index>(5, 1), o)));

    acquire::synthetic::EmbeddingOptions eo;
    eo.clusters = 4;
    eo.spread = 0.5;
    const auto Y = acquire::synthetic::embeddings<T, Eigen::RowMajor>(150, 4, eo);
    acquire::ProbCoverDeltaOptions po;
    po.tile_bytes = 4096;
    const auto km = acquire::kmeans(Y, 4, po.kmeans);
    const double delta = acquire::probcover_delta(Y, km.assignment, po);
    INFO("delta " << delta << ": purity >= 0.95 there and < 0.95 just above");
    CHECK(purity(Y, km.assignment, delta * (1 - 1e-5)) >= 0.95);
    CHECK(purity(Y, km.assignment, delta * (1 + 1e-4)) < 0.95);
    CHECK(acquire::probcover_delta(Y, Index(4), po) == delta);
}

TEST_CASE("probcover and probcover_delta: bad input", "[probcover]") {
    Eigen::MatrixXd X = Eigen::MatrixXd::Random(10, 2);
    acquire::ProbCoverOptions o;
    REQUIRE_THROWS_WITH(acquire::probcover(X, -0.5, 1, o), Contains("acquire::probcover: delta must be finite and >= 0, got -0.5"));
    REQUIRE_THROWS_WITH(acquire::probcover(X, std::numeric_limits<double>::infinity(), 1, o), Contains("delta must be finite"));
    REQUIRE_THROWS_WITH(acquire::probcover(X, 0.5, 11, o), Contains("b is 11 but only 10 candidates"));
    o.labeled = {10};
    REQUIRE_THROWS_WITH(acquire::probcover(X, 0.5, 1, o), Contains("options labeled entry 0 is 10, out of range [0, 10)"));
    o.labeled = {};
    o.tile_bytes = 10;
    REQUIRE_THROWS_WITH(acquire::probcover(X, 0.5, 1, o), Contains("options tile_bytes must be >= 4096, got 10"));
    o.tile_bytes = 4096;
    X(2, 0) = std::nan("");
    REQUIRE_THROWS_WITH(acquire::probcover(X, 0.5, 1, o), Contains("X row 2 column 0 is nan"));
    REQUIRE_THROWS_WITH(acquire::probcover_delta(X, Index(2)), Contains("acquire::probcover_delta: X row 2 column 0 is nan"));
    X(2, 0) = 0;
    acquire::ProbCoverDeltaOptions po;
    REQUIRE_THROWS_WITH(acquire::probcover_delta(X, std::vector<Index>(3, 0), po), Contains("labels has 3 entries but X has 10 rows"));
    REQUIRE_THROWS_WITH(acquire::probcover_delta(X, Index(11), po), Contains("clusters must be in [1, 10], got 11"));
    po.alpha = 0;
    REQUIRE_THROWS_WITH(acquire::probcover_delta(X, Index(2), po), Contains("options alpha must be in (0, 1], got 0"));
    po.alpha = 1.5;
    REQUIRE_THROWS_WITH(acquire::probcover_delta(X, std::vector<Index>(10, 0), po), Contains("options alpha must be in (0, 1], got 1.5"));
}

TEST_CASE("probcover and probcover_delta: the same on 1 and 3 threads", "[probcover]") {
    const auto X = acquire::synthetic::embeddings<float>(1500, 6);
    acquire::ProbCoverDeltaOptions po;
    po.tile_bytes = 4096;
    const double delta = acquire::probcover_delta(X, Index(8), po);
    acquire::ProbCoverOptions o;
    o.tile_bytes = 4096;
    o.labeled = {3, 1000};
    const auto sel = acquire::probcover(X, delta, 20, o);
#ifdef _OPENMP
    const int threads = omp_get_max_threads();
    for (int k : {1, 3}) {
        omp_set_num_threads(k);
        CHECK(acquire::probcover_delta(X, Index(8), po) == delta);
        const auto again = acquire::probcover(X, delta, 20, o);
        CHECK(again.indices == sel.indices);
        CHECK(again.objective == sel.objective);
    }
    omp_set_num_threads(threads);
#endif
    CHECK(sel.size() == 20);
}
