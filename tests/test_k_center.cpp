// Greedy k-center: the naive algorithm written out here, pruning identical to it, hand-checked
// tiny cases, the 2-approximation against brute-force optimal k-center, invariants, layouts,
// thread counts, bad inputs.
#include <acquire/select/k_center.hpp>
#include <acquire/synthetic.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#ifdef _OPENMP
#include <omp.h>
#endif

using acquire::Index;
using acquire::KCenterOptions;
using Catch::Contains;

namespace {

/// The textbook greedy, in double: the definition the fast one must reproduce.
template <class M>
std::vector<Index> naive(const M& X, const std::vector<Index>& labeled, Index b, Index first) {
    const Index n = X.rows();
    std::vector<double> d(static_cast<std::size_t>(n), std::numeric_limits<double>::infinity());
    std::vector<char> used(static_cast<std::size_t>(n), 0);
    auto add = [&](Index c) {
        used[std::size_t(c)] = 1;
        for (Index i = 0; i < n; ++i)
            d[std::size_t(i)] = std::min(d[std::size_t(i)], (X.row(i) - X.row(c)).template cast<double>().norm());
    };
    for (Index c : labeled) add(c);
    std::vector<Index> picks;
    for (Index s = 0; s < b; ++s) {
        Index best = -1;
        if (labeled.empty() && s == 0) best = first;
        else
            for (Index i = 0; i < n; ++i)
                if (!used[std::size_t(i)] && (best < 0 || d[std::size_t(i)] > d[std::size_t(best)])) best = i;
        picks.push_back(best);
        add(best);
    }
    return picks;
}

double radius(const Eigen::MatrixXd& X, const std::vector<Index>& centers) {
    double r = 0;
    for (Index i = 0; i < X.rows(); ++i) {
        double d = std::numeric_limits<double>::infinity();
        for (Index c : centers) d = std::min(d, (X.row(i) - X.row(c)).norm());
        r = std::max(r, d);
    }
    return r;
}

}  // namespace

TEMPLATE_TEST_CASE("k_center_greedy: a hand-checked line", "[k_center]", float, double) {
    using T = TestType;
    // Points on a line at 0, 1, 2, 10, 11 (d = 1); 0 is labeled.
    Eigen::Matrix<T, -1, -1> X(5, 1);
    X << 0, 1, 2, 10, 11;
    const auto sel = acquire::k_center_greedy(X, {0}, 3);
    INFO("11 is farthest from 0; then 2 (2 from 0); then 1 and 10 tie at 1, the lower index wins");
    REQUIRE(sel.indices == std::vector<Index>{4, 2, 1});
    CHECK(sel.objective[0] == Approx(2));  // after {0, 11}: point 2 is 2 away from 0
    CHECK(sel.objective[1] == Approx(1));  // after {0, 11, 2}: 1 and 10 are 1 away
    CHECK(sel.objective[2] == Approx(1));  // 10 still 1 from 11
    INFO("with no labeled point, options.first starts");
    KCenterOptions o;
    o.first = 2;
    CHECK(acquire::k_center_greedy(X, {}, 2, o).indices == std::vector<Index>{2, 4});
}

TEMPLATE_TEST_CASE("k_center_greedy equals the naive greedy, pruned or not, in every layout",
                   "[k_center]", float, double) {
    using T = TestType;
    for (std::uint64_t seed : {1u, 2u}) {
        acquire::synthetic::EmbeddingOptions eo;
        eo.seed = seed;
        eo.clusters = 8;
        const auto X = acquire::synthetic::embeddings<T, Eigen::RowMajor>(600, 16, eo);
        const std::vector<Index> labeled{5, 77, 300};
        const auto want = naive(X, labeled, 40, -1);
        KCenterOptions pruned, plain;
        acquire::KCenterStats ps, ns;
        pruned.stats = &ps;
        plain.prune = false;
        plain.stats = &ns;
        const auto a = acquire::k_center_greedy(X, labeled, 40, pruned);
        INFO("seed " << seed);
        CHECK(a.indices == want);
        CHECK(acquire::k_center_greedy(X, labeled, 40, plain).indices == want);
        INFO("pruning skips work: " << ps.distance_evaluations << " vs " << ns.distance_evaluations);
        CHECK(ps.distance_evaluations < ns.distance_evaluations / 2);
        CHECK(ps.skipped > 0);
        INFO("column-major, a Map over a row-major buffer, and a block give the same picks");
        const Eigen::Matrix<T, -1, -1> col = X;
        CHECK(acquire::k_center_greedy(col, labeled, 40).indices == want);
        const Eigen::Map<const acquire::RowMatrix<T>> map(X.data(), X.rows(), X.cols());
        CHECK(acquire::k_center_greedy(map, labeled, 40).indices == want);
        const acquire::RowMatrix<T> wide = acquire::RowMatrix<T>::Zero(600, 20);
        acquire::RowMatrix<T> padded = wide;
        padded.leftCols(16) = X;
        CHECK(acquire::k_center_greedy(padded.leftCols(16), labeled, 40).indices == want);
        INFO("an expression without direct access works too");
        CHECK(acquire::k_center_greedy(X * T(2), labeled, 40).indices == want);
        INFO("objective: the covering radius after each pick, non-increasing");
        CHECK(std::is_sorted(a.objective.rbegin(), a.objective.rend()));
        std::vector<Index> centers = labeled;
        centers.insert(centers.end(), a.indices.begin(), a.indices.end());
        CHECK(a.objective.back() == Approx(radius(X.template cast<double>(), centers)).epsilon(1e-5));
    }
}

TEST_CASE("k_center_greedy is within twice the optimal radius on tiny pools", "[k_center]") {
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        acquire::Rng rng(seed);
        Eigen::MatrixXd X(9, 2);
        for (Index i = 0; i < 9; ++i) X.row(i) << rng.normal(), rng.normal();
        const std::vector<Index> labeled{static_cast<Index>(rng.below(9))};
        const Index b = 2;
        const auto sel = acquire::k_center_greedy(X, labeled, b);
        double best = std::numeric_limits<double>::infinity();
        for (Index i = 0; i < 9; ++i)
            for (Index j = i + 1; j < 9; ++j) {
                if (i == labeled[0] || j == labeled[0]) continue;
                best = std::min(best, radius(X, {labeled[0], i, j}));
            }
        INFO("seed " << seed << ": greedy " << sel.objective.back() << ", optimal " << best);
        CHECK(sel.objective.back() <= 2 * best + 1e-12);
    }
}

TEMPLATE_TEST_CASE("k_center_greedy: invariants, seeds, cosine, thread counts", "[k_center]", float, double) {
    using T = TestType;
    const auto X = acquire::synthetic::embeddings<T, Eigen::RowMajor>(3000, 8);
    const std::vector<Index> labeled{10, 20, 2999};
    const auto sel = acquire::k_center_greedy(X, labeled, 100);
    std::set<Index> seen(sel.indices.begin(), sel.indices.end());
    CHECK(seen.size() == 100);
    for (Index i : sel.indices) CHECK((i >= 0 && i < 3000 && !std::count(labeled.begin(), labeled.end(), i)));
    INFO("seeded first pick: reproducible, and the same as naming it");
    KCenterOptions o;
    o.seed = 9;
    const auto a = acquire::k_center_greedy(X, {}, 5, o);
    CHECK(acquire::k_center_greedy(X, {}, 5, o).indices == a.indices);
    KCenterOptions named;
    named.first = a.indices[0];
    CHECK(acquire::k_center_greedy(X, {}, 5, named).indices == a.indices);
    INFO("cosine = Euclidean on unit rows");
    KCenterOptions cos;
    cos.metric = acquire::Metric::cosine;
    const acquire::RowMatrix<T> unit = X.rowwise().normalized();
    CHECK(acquire::k_center_greedy(X, labeled, 30, cos).indices == acquire::k_center_greedy(unit, labeled, 30).indices);
    CHECK(acquire::k_center_greedy(X, labeled, 0).size() == 0);
    CHECK(acquire::k_center_greedy(X, labeled, 2997).size() == 2997);
#ifdef _OPENMP
    INFO("one thread and two give the same picks and radii");
    const int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    const auto one = acquire::k_center_greedy(X, labeled, 50);
    omp_set_num_threads(2);
    const auto two = acquire::k_center_greedy(X, labeled, 50);
    omp_set_num_threads(threads);
    CHECK(one.indices == two.indices);
    CHECK(one.objective == two.objective);
#endif
}

TEMPLATE_TEST_CASE("k_center_greedy rejects bad input by name", "[k_center][checks]", float, double) {
    using T = TestType;
    acquire::RowMatrix<T> X = acquire::synthetic::embeddings<T, Eigen::RowMajor>(50, 4);
    REQUIRE_THROWS_WITH(acquire::k_center_greedy(X, {1, 2}, 49), Contains("acquire::k_center_greedy: b is 49 but only 48"));
    REQUIRE_THROWS_WITH(acquire::k_center_greedy(X, {1, 2}, -1), Contains("b must be >= 0"));
    REQUIRE_THROWS_WITH(acquire::k_center_greedy(X, {50}, 1), Contains("labeled entry 0 is 50, out of range [0, 50)"));
    REQUIRE_THROWS_WITH(acquire::k_center_greedy(X, {3, 3}, 1), Contains("labeled entry 1 repeats index 3"));
    KCenterOptions o;
    o.first = 3;
    REQUIRE_THROWS_WITH(acquire::k_center_greedy(X, {3}, 1, o), Contains("options first 3 is labeled"));
    o.first = 60;
    REQUIRE_THROWS_WITH(acquire::k_center_greedy(X, {}, 1, o), Contains("options first is 60"));
    const acquire::RowMatrix<T> empty(0, 4);
    REQUIRE_THROWS_WITH(acquire::k_center_greedy(empty, {}, 0), Contains("X must have at least one row"));
    X(17, 2) = std::numeric_limits<T>::quiet_NaN();
    REQUIRE_THROWS_WITH(acquire::k_center_greedy(X, {}, 1), Contains("X row 17 column 2 is nan"));
    X(17, 2) = 1;
    X.row(8).setZero();
    KCenterOptions cos;
    cos.metric = acquire::Metric::cosine;
    REQUIRE_THROWS_WITH(acquire::k_center_greedy(X, {}, 1, cos), Contains("X row 8 has zero norm (cosine metric)"));
}
