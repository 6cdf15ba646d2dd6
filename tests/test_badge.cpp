// BADGE: the implicit gradient-embedding distances give the picks of k-means++ on the
// materialised embeddings; pruning against the plain algorithm; the D^2 draw (chi-square); the
// first pick, gradient_embedding's values, invariants, bad inputs.
#include <acquire/select/badge.hpp>
#include <acquire/synthetic.hpp>

#include "d2_reference.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <set>

using acquire::Index;
using Catch::Contains;

TEST_CASE("gradient_embedding: hand-computed", "[badge]") {
    Eigen::MatrixXd P(2, 2), H(2, 2);
    P << 0.7, 0.3, 0.5, 0.5;  // the second row's tie goes to class 0
    H << 1, 2, 3, 4;
    const auto g = acquire::gradient_embedding(P, H);
    REQUIRE(g.rows() == 2);
    REQUIRE(g.cols() == 4);
    CHECK(g(0, 0) == Approx(-0.3));  // (0.7 - 1) * 1
    CHECK(g(0, 1) == Approx(-0.6));
    CHECK(g(0, 2) == Approx(0.3));   // 0.3 * 1
    CHECK(g(0, 3) == Approx(0.6));
    CHECK(g(1, 0) == Approx(-1.5));  // (0.5 - 1) * 3
    CHECK(g(1, 3) == Approx(2.0));   // 0.5 * 4
}

TEMPLATE_TEST_CASE("badge equals k-means++ on the materialised gradient embeddings", "[badge]", float, double) {
    using T = TestType;
    for (std::uint64_t seed : {1u, 2u, 3u}) {
        acquire::synthetic::ProbabilityOptions po;
        po.seed = seed;
        const auto P = acquire::synthetic::probabilities<double, Eigen::RowMajor>(300, 5, po);
        acquire::synthetic::EmbeddingOptions eo;
        eo.seed = seed;
        const auto H = acquire::synthetic::embeddings<double, Eigen::RowMajor>(300, 7, eo);
        const auto G = acquire::gradient_embedding(P, H);
        acquire::BadgeOptions o;
        o.seed = seed;
        const auto sel = acquire::badge(P.template cast<T>(), H.template cast<T>(), {}, 25, o);
        INFO("the first pick is the largest gradient norm");
        Index first = 0;
        for (Index i = 1; i < 300; ++i)
            if (G.row(i).norm() > G.row(first).norm()) first = i;
        CHECK(sel.indices[0] == first);
        if constexpr (sizeof(T) == 8) {
            acquire::KMeansPPOptions k;
            k.first = first;
            k.seed = seed;
            const auto explicit_sel = acquire::kmeans_pp(G, 25, k);
            CHECK(sel.indices == explicit_sel.indices);
            for (std::size_t j = 0; j < 25; ++j) CHECK(sel.objective[j] == Approx(explicit_sel.objective[j]).epsilon(1e-9));
        }
    }
}

TEMPLATE_TEST_CASE("badge: labeled excluded, invariants, layouts, bad inputs", "[badge][checks]", float, double) {
    using T = TestType;
    auto P = acquire::synthetic::probabilities<T, Eigen::RowMajor>(200, 4);
    const auto H = acquire::synthetic::embeddings<T, Eigen::RowMajor>(200, 5);
    const std::vector<Index> labeled{0, 7, 150};
    const auto sel = acquire::badge(P, H, labeled, 40);
    std::set<Index> seen(sel.indices.begin(), sel.indices.end());
    CHECK(seen.size() == 40);
    for (Index i : sel.indices) CHECK((i >= 0 && i < 200 && !std::count(labeled.begin(), labeled.end(), i)));
    CHECK(std::is_sorted(sel.objective.rbegin(), sel.objective.rend()));
    const Eigen::Matrix<T, -1, -1> Pc = P, Hc = H;
    CHECK(acquire::badge(Pc, Hc, labeled, 40).indices == sel.indices);
    CHECK(acquire::badge(P, H, labeled, 197).size() == 197);
    CHECK(acquire::badge(P, H, labeled, 0).size() == 0);
    REQUIRE_THROWS_WITH(acquire::badge(P, H, labeled, 198), Contains("acquire::badge: b is 198 but only 197"));
    REQUIRE_THROWS_WITH(acquire::badge(P, H.topRows(100), labeled, 1), Contains("P has 200 rows but H has 100"));
    REQUIRE_THROWS_WITH(acquire::badge(P, H, {200}, 1), Contains("labeled entry 0 is 200"));
    P(33, 1) += T(0.5);
    REQUIRE_THROWS_WITH(acquire::badge(P, H, labeled, 1), Contains("acquire::badge: P row 33"));
}

TEMPLATE_TEST_CASE("badge with pruning picks what computing every distance picks", "[badge][prune]", float, double) {
    using T = TestType;
    acquire::synthetic::ProbabilityOptions po;
    po.seed = 3;
    const auto P = acquire::synthetic::probabilities<T, Eigen::RowMajor>(800, 6, po);
    const auto H = acquire::synthetic::embeddings<T, Eigen::RowMajor>(800, 12);
    const Eigen::Matrix<T, -1, -1> Pc = P, Hc = H;
    Index skipped = 0;
    for (std::uint64_t seed = 0; seed < 40; ++seed) {
        acquire::BadgeOptions o;
        o.seed = seed;
        acquire::D2Stats stats;
        o.stats = &stats;
        const std::vector<Index> labeled = seed % 2 ? std::vector<Index>{Index(seed), 500, 799} : std::vector<Index>{};
        const auto pruned = acquire::badge(P, H, labeled, 70, o);
        skipped += stats.skipped;
        INFO("seed " << seed << ": the pre-pruning algorithm (tests/d2_reference.hpp) is the oracle");
        const auto oracle = reference::badge(P, H, labeled, 70, seed);
        REQUIRE(pruned.indices == oracle.indices);
        for (std::size_t j = 0; j < 70; ++j)
            CHECK(pruned.objective[j] == Approx(oracle.objective[j]).epsilon(sizeof(T) == 4 ? 1e-5 : 1e-12));
        o.prune = false;
        const auto unpruned = acquire::badge(P, H, labeled, 70, o);
        CHECK(stats.skipped == 0);
        CHECK(unpruned.indices == pruned.indices);
        CHECK(unpruned.objective == pruned.objective);
        o.prune = true;
        CHECK(acquire::badge(Pc, Hc, labeled, 70, o).indices == oracle.indices);
    }
    INFO("the triangle inequality and the a . a_c bound rule out many h . h_c products");
    CHECK(skipped > 40 * 70 * 800 / 4);
}

TEMPLATE_TEST_CASE("badge pruning stays exact where the distance formula cancels", "[badge][prune]", float, double) {
    using T = TestType;
    // Embeddings far from the origin with tiny offsets: ||g_i - g_j||^2 is a small difference of
    // large terms, so only the rounding bounds keep pruning from changing a computed distance.
    const Index n = 150;
    const auto P = acquire::synthetic::probabilities<T, Eigen::RowMajor>(n, 3);
    acquire::RowMatrix<T> H(n, 4);
    acquire::Rng rng(9);
    for (Index i = 0; i < n; ++i)
        for (Index j = 0; j < 4; ++j) H(i, j) = T(500 + 1e-3 * rng.uniform());
    for (std::uint64_t seed = 0; seed < 10; ++seed) {
        acquire::BadgeOptions o;
        o.seed = seed;
        const auto pruned = acquire::badge(P, H, {}, n, o);
        o.prune = false;
        const auto unpruned = acquire::badge(P, H, {}, n, o);
        CHECK(pruned.indices == unpruned.indices);
        CHECK(pruned.objective == unpruned.objective);
    }
}

TEST_CASE("badge draws the second pick with probability proportional to D^2 (chi-square)", "[badge]") {
    // Four samples; the first pick is the largest gradient norm, the second is drawn with
    // P(x) = ||g_x - g_first||^2 / sum. 20,000 fixed seeds; chi-square with 2 degrees of freedom
    // must stay below 13.82, its 0.001 critical value.
    Eigen::MatrixXd P(4, 2), H(4, 2);
    P << 0.9, 0.1, 0.6, 0.4, 0.5, 0.5, 0.2, 0.8;
    H << 1, 0, 0, 1, 1, 1, 2, 0.5;
    const auto G = acquire::gradient_embedding(P, H);
    Index first = 0;
    for (Index i = 1; i < 4; ++i)
        if (G.row(i).squaredNorm() > G.row(first).squaredNorm()) first = i;
    std::vector<double> p;
    std::vector<Index> rows;
    double total = 0;
    for (Index i = 0; i < 4; ++i)
        if (i != first) {
            rows.push_back(i);
            p.push_back((G.row(i) - G.row(first)).squaredNorm());
            total += p.back();
        }
    for (double& x : p) x /= total;
    std::vector<int> counts(3, 0);
    for (int seed = 0; seed < 20000; ++seed) {
        acquire::BadgeOptions o;
        o.seed = std::uint64_t(seed);
        const auto sel = acquire::badge(P, H, {}, 2, o);
        REQUIRE(sel.indices[0] == first);
        ++counts[static_cast<std::size_t>(std::find(rows.begin(), rows.end(), sel.indices[1]) - rows.begin())];
    }
    double chi2 = 0;
    for (std::size_t k = 0; k < 3; ++k) chi2 += (counts[k] - 20000 * p[k]) * (counts[k] - 20000 * p[k]) / (20000 * p[k]);
    INFO("counts " << counts[0] << " " << counts[1] << " " << counts[2] << ", chi2 " << chi2);
    CHECK(chi2 < 13.82);
}

#ifdef ACQUIRE_AVX2
TEMPLATE_TEST_CASE("badge: the AVX2 column dots have the Eigen sweep's bits", "[badge]", float, double) {
    // a . a_c for a block of rows is summed class by class across the rows; the AVX2 strips must
    // give every row the same chain 0 + a_0 c_0 + a_1 c_1 + ... bit for bit.
    using T = TestType;
    if (!acquire::detail::cpu_has_avx2()) {
        WARN("this CPU has no AVX2: nothing to compare");
        return;
    }
    for (Index k : {1, 2, 7, 10, 33}) {
        const Eigen::Matrix<T, -1, -1> a = acquire::synthetic::embeddings<T, Eigen::ColMajor>(75, k);
        const Eigen::Matrix<T, 1, -1> c = acquire::synthetic::embeddings<T, Eigen::RowMajor>(1, k);
        Eigen::Array<T, -1, 1> sweep = Eigen::Array<T, -1, 1>::Zero(61), fast(61);
        for (Index j = 0; j < k; ++j) sweep += a.col(j).segment(5, 61).array() * c[j];
        const Index done = acquire::detail::column_dots_avx2(a.data() + 5, a.outerStride(), 61, k, c.data(), fast.data());
        REQUIRE(done == 61 - 61 % (4 * acquire::detail::Avx2<T>::lanes));
        INFO("K = " << k);
        CHECK(std::memcmp(sweep.data(), fast.data(), sizeof(T) * static_cast<std::size_t>(done)) == 0);
    }
}
#endif
