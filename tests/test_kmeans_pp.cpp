// k-means++ seeding: D^2 sampling frequencies (chi-square), pruning against the plain algorithm,
// shards, the potential trace, initial centers, seeds,
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

namespace {

/// Pearson's chi-square statistic of observed counts against expected probabilities.
double chi_square(const std::vector<int>& observed, const std::vector<double>& p) {
    double total = 0, chi2 = 0;
    for (int o : observed) total += o;
    for (std::size_t k = 0; k < p.size(); ++k) {
        const double expected = total * p[k];
        chi2 += (observed[k] - expected) * (observed[k] - expected) / expected;
    }
    return chi2;
}

}  // namespace

TEST_CASE("kmeans_pp draws with probability proportional to D^2 (chi-square)", "[kmeans_pp]") {
    // From the first center 0: D^2 = 0, 1, 4, 16, 25, so P = (1, 4, 16, 25) / 46 for rows 1..4.
    // 20,000 seeds (fixed: the test is deterministic); chi-square with 3 degrees of freedom must
    // stay below 16.27, its 0.001 critical value (a correct sampler fails 1 in 1000 seed sets).
    Eigen::MatrixXd X(5, 1);
    X << 0, 1, 2, 4, 5;
    KMeansPPOptions o;
    o.first = 0;
    std::vector<int> counts(4, 0);
    const int draws = 20000;
    for (int seed = 0; seed < draws; ++seed) {
        o.seed = std::uint64_t(seed);
        const auto sel = acquire::kmeans_pp(X, 2, o);
        REQUIRE(sel.indices[0] == 0);
        ++counts[static_cast<std::size_t>(sel.indices[1] - 1)];
    }
    const double chi2 = chi_square(counts, {1.0 / 46, 4.0 / 46, 16.0 / 46, 25.0 / 46});
    INFO("counts " << counts[0] << " " << counts[1] << " " << counts[2] << " " << counts[3] << ", chi2 " << chi2);
    CHECK(chi2 < 16.27);
    INFO("a sampler that ignores D^2 fails it by far");
    CHECK(chi_square(counts, {0.25, 0.25, 0.25, 0.25}) > 1000);
}

TEST_CASE("kmeans_pp: uniform first pick and second pick given the first (chi-square)", "[kmeans_pp]") {
    // No fixed first pick: uniform over the 4 rows (3 dof, 0.001 critical value 16.27); then,
    // given first pick 0, the second pick has P = (1, 9, 36) / 46 (2 dof, 13.82). Each pick of a
    // run uses its own race keys, so the second pick is tested on the runs that started at 0.
    Eigen::MatrixXd X(4, 1);
    X << 0, 1, 3, 6;
    std::vector<int> first(4, 0), second(3, 0);
    for (int seed = 0; seed < 40000; ++seed) {
        KMeansPPOptions o;
        o.seed = std::uint64_t(seed);
        const auto sel = acquire::kmeans_pp(X, 2, o);
        ++first[static_cast<std::size_t>(sel.indices[0])];
        if (sel.indices[0] == 0) ++second[static_cast<std::size_t>(sel.indices[1] - 1)];
    }
    CHECK(chi_square(first, {0.25, 0.25, 0.25, 0.25}) < 16.27);
    CHECK(chi_square(second, {1.0 / 46, 9.0 / 46, 36.0 / 46}) < 13.82);
}

TEST_CASE("kmeans_pp: rows split into shards draw the same picks", "[kmeans_pp][shards]") {
    // What an MPI layer does: one D2Shard per block of rows, the same centers added to each,
    // candidates merged. The picks equal kmeans_pp's on the whole pool for every split.
    using Rows = acquire::RowMatrix<double>;
    const Rows X = acquire::synthetic::embeddings<double, Eigen::RowMajor>(300, 4);
    for (Index split : {1, 77, 150, 299}) {
        const Rows top = X.topRows(split), bottom = X.bottomRows(300 - split);
        const acquire::detail::EuclideanRows<Rows> s0(top), s1(bottom);
        acquire::detail::D2Shard<acquire::detail::EuclideanRows<Rows>> shard0(s0, std::vector<char>(std::size_t(split), 0), true);
        acquire::detail::D2Shard<acquire::detail::EuclideanRows<Rows>> shard1(s1, std::vector<char>(std::size_t(300 - split), 0), true);
        std::vector<Index> picks;
        for (Index step = 0; step < 40; ++step) {
            auto c = shard0.draw(9, step, 0);
            c.merge(shard1.draw(9, step, split));
            const Index pick = c.pick();
            picks.push_back(pick);
            // The shard holding the row provides the center's data; every shard adds it.
            const auto point = pick < split ? s0.point(pick) : s1.point(pick - split);
            shard0.add_center(point, pick < split ? pick : -1);
            shard1.add_center(point, pick < split ? -1 : pick - split);
        }
        KMeansPPOptions o;
        o.seed = 9;
        INFO("split at " << split);
        CHECK(picks == acquire::kmeans_pp(X, 40, o).indices);
    }
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
    CHECK(acquire::kmeans_pp(X, 397, o).indices == reference::kmeans_pp(X, 397, o).indices);
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

TEST_CASE("kmeans_pp: several blocks of rows, any thread count, same picks", "[kmeans_pp][threads]") {
    // 9,000 rows: three blocks of 4096 in the distance update and in the race, merged in order.
    const auto X = acquire::synthetic::embeddings<float, Eigen::RowMajor>(9000, 8);
    KMeansPPOptions o;
    o.seed = 11;
    const auto sel = acquire::kmeans_pp(X, 25, o);
    CHECK(sel.indices == reference::kmeans_pp(X, 25, o).indices);
#ifdef _OPENMP
    const int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    const auto one = acquire::kmeans_pp(X, 25, o);
    omp_set_num_threads(2);
    const auto two = acquire::kmeans_pp(X, 25, o);
    omp_set_num_threads(threads);
    CHECK(one.indices == sel.indices);
    CHECK(two.indices == sel.indices);
    CHECK(one.objective == two.objective);
#endif
}
