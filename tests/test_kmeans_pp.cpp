// k-means++ seeding: D^2 sampling frequencies, the potential trace, initial centers, seeds,
// layouts, thread counts, bad inputs.
#include <acquire/select/kmeans_pp.hpp>
#include <acquire/synthetic.hpp>

#include "d2_reference.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <limits>
#include <set>
#ifdef _OPENMP
#include <omp.h>
#endif

using acquire::Index;
using acquire::KMeansPPOptions;
using Catch::Contains;

TEST_CASE("kmeans_pp draws with probability proportional to D^2", "[kmeans_pp]") {
    Eigen::MatrixXd X(3, 1);
    X << 0, 1, 2;  // from the first center 0: D^2 = 0, 1, 4, so P(1) = 0.2 and P(2) = 0.8
    KMeansPPOptions o;
    o.first = 0;
    int twos = 0;
    const int draws = 4000;
    for (int seed = 0; seed < draws; ++seed) {
        o.seed = std::uint64_t(seed);
        const auto sel = acquire::kmeans_pp(X, 2, o);
        REQUIRE(sel.indices[0] == 0);
        twos += sel.indices[1] == 2;
    }
    CHECK(double(twos) / draws == Approx(0.8).margin(0.025));
}

TEMPLATE_TEST_CASE("kmeans_pp: potential trace, initial centers, invariants", "[kmeans_pp]", float, double) {
    using T = TestType;
    const auto X = acquire::synthetic::embeddings<T, Eigen::RowMajor>(400, 6);
    KMeansPPOptions o;
    o.initial = {3, 50, 399};
    o.seed = 4;
    const auto sel = acquire::kmeans_pp(X, 30, o);
    REQUIRE(sel.size() == 30);
    std::set<Index> seen(sel.indices.begin(), sel.indices.end());
    CHECK(seen.size() == 30);
    for (Index i : sel.indices) CHECK((i >= 0 && i < 400 && !std::count(o.initial.begin(), o.initial.end(), i)));
    INFO("objective = sum over points of the squared distance to the nearest center");
    std::vector<Index> centers = o.initial;
    for (std::size_t j = 0; j < 30; ++j) {
        centers.push_back(sel.indices[j]);
        double potential = 0;
        for (Index i = 0; i < 400; ++i) {
            double d = std::numeric_limits<double>::infinity();
            for (Index c : centers) d = std::min(d, (X.row(i) - X.row(c)).template cast<double>().squaredNorm());
            potential += d;
        }
        CHECK(sel.objective[j] == Approx(potential).epsilon(1e-5));
    }
    CHECK(std::is_sorted(sel.objective.rbegin(), sel.objective.rend()));
    INFO("same seed, same picks; column-major the same");
    CHECK(acquire::kmeans_pp(X, 30, o).indices == sel.indices);
    const Eigen::Matrix<T, -1, -1> col = X;
    CHECK(acquire::kmeans_pp(col, 30, o).indices == sel.indices);
    INFO("all points: b = N - |initial|, then duplicates of centers are taken lowest first");
    CHECK(acquire::kmeans_pp(X, 397, o).size() == 397);
    Eigen::Matrix<T, -1, -1> same = Eigen::Matrix<T, -1, -1>::Ones(5, 2);
    KMeansPPOptions first;
    first.first = 2;
    CHECK(acquire::kmeans_pp(same, 3, first).indices == std::vector<Index>{2, 0, 1});
#ifdef _OPENMP
    const int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    const auto one = acquire::kmeans_pp(X, 30, o);
    omp_set_num_threads(2);
    const auto two = acquire::kmeans_pp(X, 30, o);
    omp_set_num_threads(threads);
    CHECK(one.indices == two.indices);
    CHECK(one.objective == two.objective);
#endif
}

TEMPLATE_TEST_CASE("kmeans_pp rejects bad input by name", "[kmeans_pp][checks]", float, double) {
    using T = TestType;
    acquire::RowMatrix<T> X = acquire::synthetic::embeddings<T, Eigen::RowMajor>(20, 3);
    KMeansPPOptions o;
    o.initial = {1, 1};
    REQUIRE_THROWS_WITH(acquire::kmeans_pp(X, 2, o), Contains("acquire::kmeans_pp: options initial entry 1 repeats index 1"));
    o.initial = {1};
    REQUIRE_THROWS_WITH(acquire::kmeans_pp(X, 20, o), Contains("b is 20 but only 19"));
    o.first = 1;
    REQUIRE_THROWS_WITH(acquire::kmeans_pp(X, 2, o), Contains("options first 1 is an initial center"));
    X(4, 1) = std::numeric_limits<T>::infinity();
    REQUIRE_THROWS_WITH(acquire::kmeans_pp(X, 2), Contains("X row 4 column 1 is inf"));
}

TEMPLATE_TEST_CASE("kmeans_pp with pruning picks what computing every distance picks", "[kmeans_pp][prune]", float, double) {
    using T = TestType;
    acquire::synthetic::EmbeddingOptions eo;
    eo.clusters = 12;
    eo.spread = 0.2;
    const auto X = acquire::synthetic::embeddings<T, Eigen::RowMajor>(700, 6, eo);
    const Eigen::Matrix<T, -1, -1> col = X;
    Index skipped = 0;
    for (std::uint64_t seed = 0; seed < 40; ++seed) {
        KMeansPPOptions o;
        o.seed = seed;
        if (seed % 3 == 1) {
            o.initial.push_back(Index(seed));
            o.initial.push_back(Index(seed + 300));
        }
        if (seed % 3 == 2) o.first = Index(seed * 7);
        acquire::D2Stats stats;
        o.stats = &stats;
        const auto pruned = acquire::kmeans_pp(X, 60, o);
        skipped += stats.skipped;
        INFO("seed " << seed << ": the pre-pruning algorithm (tests/d2_reference.hpp) is the oracle");
        const auto oracle = reference::kmeans_pp(X, 60, o);
        REQUIRE(pruned.indices == oracle.indices);
        for (std::size_t j = 0; j < 60; ++j) CHECK(pruned.objective[j] == Approx(oracle.objective[j]).epsilon(1e-12));
        o.prune = false;
        const auto unpruned = acquire::kmeans_pp(X, 60, o);
        CHECK(stats.skipped == 0);
        CHECK(unpruned.indices == pruned.indices);
        CHECK(unpruned.objective == pruned.objective);
        o.prune = true;
        CHECK(acquire::kmeans_pp(col, 60, o).indices == oracle.indices);
    }
    INFO("clustered data: the triangle inequality rules out many distances");
    CHECK(skipped > 40 * 60 * 700 / 4);
}

TEMPLATE_TEST_CASE("kmeans_pp pruning stays exact on far, tight clusters and duplicates", "[kmeans_pp][prune]", float, double) {
    using T = TestType;
    // Rows far from the origin with tiny offsets (large norms, small distances: the rounding
    // bounds matter), a few exact duplicates, then picks until every row is taken.
    const Index n = 120;
    acquire::RowMatrix<T> X(n, 3);
    acquire::Rng rng(5);
    for (Index i = 0; i < n; ++i)
        for (Index j = 0; j < 3; ++j) X(i, j) = T(1000 * (i % 4) + 1e-2 * rng.uniform());
    X.row(7) = X.row(3);
    X.row(9) = X.row(3);
    for (std::uint64_t seed = 0; seed < 10; ++seed) {
        KMeansPPOptions o;
        o.seed = seed;
        const auto pruned = acquire::kmeans_pp(X, n, o);
        o.prune = false;
        const auto unpruned = acquire::kmeans_pp(X, n, o);
        CHECK(pruned.indices == unpruned.indices);
        CHECK(pruned.objective == unpruned.objective);
        CHECK(pruned.indices == reference::kmeans_pp(X, n, o).indices);
    }
}
