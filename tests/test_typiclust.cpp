// typicality against brute force; typiclust on a hand-computed clustering, the cluster order
// (fewest labeled, largest, small clusters last), picks against brute force on kmeans clusters,
// determinism, bad inputs.
#include <acquire/select/typiclust.hpp>
#include <acquire/synthetic.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#ifdef _OPENMP
#include <omp.h>
#endif

using acquire::Index;
using Catch::Contains;

namespace {

// 1 / mean distance to the k nearest other rows, by sorting all distances.
template <class M>
std::vector<double> brute_typicality(const M& X, Index k) {
    const Index n = X.rows();
    std::vector<double> out(std::size_t(n), 0.0);
    k = std::min(k, n / 2);
    if (n < 2 || k < 1) return out;
    for (Index i = 0; i < n; ++i) {
        std::vector<double> d;
        for (Index j = 0; j < n; ++j)
            if (j != i) d.push_back((X.row(i).template cast<double>() - X.row(j).template cast<double>()).norm());
        std::sort(d.begin(), d.end());
        double sum = 0;
        for (Index j = 0; j < k; ++j) sum += d[std::size_t(j)];
        out[std::size_t(i)] = double(k) / sum;
    }
    return out;
}

}  // namespace

TEMPLATE_TEST_CASE("typicality matches brute force", "[typiclust]", float, double) {
    using T = TestType;
    acquire::synthetic::EmbeddingOptions eo;
    eo.clusters = 3;
    for (Index n : {1, 2, 7, 60}) {
        const auto X = acquire::synthetic::embeddings<T, Eigen::ColMajor>(n, 4, eo);
        for (Index k : {1, 5, 20}) {
            // A 4 KB tile bound forces several reference tiles on the larger set.
            const auto t = acquire::typicality(X, k, 4096);
            const auto want = brute_typicality(X, k);
            INFO("n " << n << " k " << k);
            REQUIRE(t.size() == n);
            for (Index i = 0; i < n; ++i) CHECK(t[i] == Approx(want[std::size_t(i)]).epsilon(1e-3));
        }
    }
    INFO("exact duplicates are infinitely typical");
    acquire::Matrix<T> D(4, 2);
    D << 0, 0, 0, 0, 5, 5, 1, 0;
    const auto t = acquire::typicality(D, 1);
    CHECK(std::isinf(t[0]));
    CHECK(std::isinf(t[1]));
    CHECK(t[3] == Approx(1.0));
}

TEMPLATE_TEST_CASE("typiclust on a given clustering: hand-computed picks", "[typiclust]", float, double) {
    using T = TestType;
    // 1-D: cluster 0 = {0, 1, 3}, cluster 1 = {10, 10.5}, cluster 2 = {20, 21, 22, 25}.
    acquire::Matrix<T> X(9, 1);
    X << 0, 1, 3, 10, 10.5, 20, 21, 22, 25;
    const std::vector<Index> assignment = {0, 0, 0, 1, 1, 2, 2, 2, 2};
    acquire::TypiClustOptions o;
    o.neighbors = 1;
    o.min_cluster_size = 0;
    o.labeled = {6};
    // Typicality with one neighbour: cluster 0: 1, 1, 0.5; cluster 1: 2, 2; cluster 2: 1, 1, 1, 1/3.
    // Clusters 0 and 1 have no label: the larger (0) first, then 1; then all three have one
    // label and the largest (2) goes; then cluster 0 again (one label, larger than 1).
    auto sel = acquire::typiclust(X, assignment, 4, o);
    CHECK(sel.indices == std::vector<Index>{0, 3, 5, 1});
    REQUIRE(sel.objective.size() == 4);
    CHECK(sel.objective[0] == Approx(1.0));
    CHECK(sel.objective[1] == Approx(2.0));
    CHECK(sel.objective[2] == Approx(1.0));
    CHECK(sel.objective[3] == Approx(1.0));
    INFO("a cluster of at most min_cluster_size points waits until the larger ones run out");
    o.min_cluster_size = 2;
    sel = acquire::typiclust(X, assignment, 4, o);
    CHECK(sel.indices == std::vector<Index>{0, 5, 1, 7});
    sel = acquire::typiclust(X, assignment, 8, o);
    CHECK(sel.indices == std::vector<Index>{0, 5, 1, 7, 2, 8, 3, 4});
    INFO("cluster ids need not be contiguous");
    const std::vector<Index> sparse_ids = {8, 8, 8, 2, 2, 5, 5, 5, 5};
    o.min_cluster_size = 0;
    sel = acquire::typiclust(X, sparse_ids, 4, o);
    CHECK(sel.indices == std::vector<Index>{0, 3, 5, 1});
    CHECK(acquire::typiclust(X, sparse_ids, 0, o).indices.empty());
}

TEMPLATE_TEST_CASE("typiclust: one pick per k-means cluster, the most typical", "[typiclust]", float, double) {
    using T = TestType;
    acquire::synthetic::EmbeddingOptions eo;
    eo.clusters = 6;
    eo.spread = 0.2;
    const auto X = acquire::synthetic::embeddings<T, Eigen::RowMajor>(600, 8, eo);
    acquire::TypiClustOptions o;
    o.labeled = {0, 1, 2, 3};
    o.kmeans.seed = 3;
    const Index b = 10;
    const auto sel = acquire::typiclust(X, b, o);
    REQUIRE(sel.size() == b);
    std::set<Index> seen(sel.indices.begin(), sel.indices.end());
    CHECK(seen.size() == std::size_t(b));
    for (Index i : sel.indices) CHECK(std::count(o.labeled.begin(), o.labeled.end(), i) == 0);
    INFO("brute force: the same kmeans with |labeled| + b clusters; each pick is the most typical "
         "unlabeled member of a cluster, and no cluster gets two picks while one has no label");
    const auto km = acquire::kmeans(X, Index(o.labeled.size()) + b, o.kmeans);
    std::vector<int> per_cluster(o.labeled.size() + std::size_t(b), 0);
    for (Index l : o.labeled) ++per_cluster[std::size_t(km.assignment[std::size_t(l)])];
    for (std::size_t j = 0; j < sel.indices.size(); ++j) {
        const Index c = km.assignment[std::size_t(sel.indices[j])];
        std::vector<Index> rows;
        for (Index i = 0; i < X.rows(); ++i)
            if (km.assignment[std::size_t(i)] == c) rows.push_back(i);
        const acquire::RowMatrix<T> Xc = X(rows, Eigen::all);
        const auto t = brute_typicality(Xc, 20);
        double best = -1;
        for (std::size_t q = 0; q < rows.size(); ++q)
            if (std::count(o.labeled.begin(), o.labeled.end(), rows[q]) == 0 &&
                std::find(sel.indices.begin(), sel.indices.begin() + std::ptrdiff_t(j), rows[q]) == sel.indices.begin() + std::ptrdiff_t(j))
                best = std::max(best, t[q]);
        CHECK(sel.objective[j] == Approx(best).epsilon(1e-3));
        CHECK(per_cluster[std::size_t(c)] == *std::min_element(per_cluster.begin(), per_cluster.end()));
        ++per_cluster[std::size_t(c)];
    }
    INFO("deterministic, and the cap on the cluster count holds");
    CHECK(acquire::typiclust(X, b, o).indices == sel.indices);
    o.max_clusters = 3;
    const auto capped = acquire::typiclust(X, b, o);
    CHECK(capped.size() == b);
    const auto km3 = acquire::kmeans(X, 3, o.kmeans);
    std::vector<int> count3(3, 0);
    for (Index l : o.labeled) ++count3[std::size_t(km3.assignment[std::size_t(l)])];
    for (Index i : capped.indices) ++count3[std::size_t(km3.assignment[std::size_t(i)])];
    INFO("14 points over 3 clusters, spread evenly: 4 or 5 each, whatever the labels");
    for (int c : count3) CHECK((c == 4 || c == 5));
}

TEST_CASE("typiclust and typicality: bad input", "[typiclust]") {
    Eigen::MatrixXd X = Eigen::MatrixXd::Random(10, 2);
    acquire::TypiClustOptions o;
    REQUIRE_THROWS_WITH(acquire::typiclust(X, 11, o), Contains("acquire::typiclust: b is 11 but only 10 candidates"));
    o.labeled = {2, 2};
    REQUIRE_THROWS_WITH(acquire::typiclust(X, 1, o), Contains("options labeled entry 1 repeats index 2"));
    o.labeled = {};
    o.neighbors = 0;
    REQUIRE_THROWS_WITH(acquire::typiclust(X, 1, o), Contains("options neighbors must be >= 1, got 0"));
    o.neighbors = 20;
    o.max_clusters = 0;
    REQUIRE_THROWS_WITH(acquire::typiclust(X, 1, o), Contains("options max_clusters must be >= 1, got 0"));
    o.max_clusters = 500;
    o.min_cluster_size = -1;
    REQUIRE_THROWS_WITH(acquire::typiclust(X, 1, o), Contains("options min_cluster_size must be >= 0, got -1"));
    o.min_cluster_size = 5;
    o.memory_bytes = 100;
    REQUIRE_THROWS_WITH(acquire::typiclust(X, 1, o), Contains("options memory_bytes must be >= 4096, got 100"));
    o.memory_bytes = 1 << 20;
    REQUIRE_THROWS_WITH(acquire::typiclust(X, std::vector<Index>(9, 0), 1, o), Contains("assignment has 9 entries but X has 10 rows"));
    std::vector<Index> a(10, 0);
    a[4] = 10;
    REQUIRE_THROWS_WITH(acquire::typiclust(X, a, 1, o), Contains("assignment entry 4 is 10, out of range [0, 10)"));
    a[4] = -1;
    REQUIRE_THROWS_WITH(acquire::typiclust(X, a, 1, o), Contains("assignment entry 4 is -1"));
    X(3, 1) = std::nan("");
    REQUIRE_THROWS_WITH(acquire::typiclust(X, 1, o), Contains("acquire::typiclust: X row 3 column 1 is nan"));
    REQUIRE_THROWS_WITH(acquire::typicality(X, 1), Contains("acquire::typicality: X row 3 column 1 is nan"));
    X(3, 1) = 0;
    REQUIRE_THROWS_WITH(acquire::typicality(X, 0), Contains("k must be >= 1, got 0"));
    REQUIRE_THROWS_WITH(acquire::typicality(Eigen::MatrixXd(0, 2), 1), Contains("X must have at least one row"));
}

TEST_CASE("typiclust and typicality: the same on 1 and 3 threads", "[typiclust]") {
    const auto X = acquire::synthetic::embeddings<float>(1500, 6);
    acquire::TypiClustOptions o;
    o.labeled = {4, 400, 900};
    o.max_clusters = 3;  // clusters of ~500 rows: several k-NN blocks each
    o.memory_bytes = 4096;
    const auto sel = acquire::typiclust(X, 12, o);
    const auto t = acquire::typicality(X, 20, 4096);
#ifdef _OPENMP
    const int threads = omp_get_max_threads();
    for (int k : {1, 3}) {
        omp_set_num_threads(k);
        const auto again = acquire::typiclust(X, 12, o);
        CHECK(again.indices == sel.indices);
        CHECK(again.objective == sel.objective);
        CHECK(acquire::typicality(X, 20, 4096) == t);
    }
    omp_set_num_threads(threads);
#endif
    CHECK(sel.size() == 12);
}
