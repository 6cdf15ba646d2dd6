// Facility location and max coverage: lazy == plain greedy, (1 - 1/e) of the brute-force
// optimum on tiny pools, hand-checked coverage, memory tiles, stochastic greedy, bad inputs.
#include <acquire/select/facility_location.hpp>
#include <acquire/synthetic.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <set>

using acquire::Index;
using acquire::FacilityLocationOptions;
using Catch::Contains;

namespace {

double objective(const Eigen::MatrixXd& X, const std::vector<Index>& S) {
    double f = 0;
    for (Index j = 0; j < X.rows(); ++j) {
        double best = 0;
        for (Index i : S) best = std::max(best, X.row(i).normalized().dot(X.row(j).normalized()));
        f += best;
    }
    return f;
}

}  // namespace

TEMPLATE_TEST_CASE("facility_location: lazy, tiled and plain greedy agree", "[facility_location]", float, double) {
    using T = TestType;
    const auto X = acquire::synthetic::embeddings<T, Eigen::RowMajor>(500, 12);
    std::vector<Index> candidates;
    for (Index i = 499; i >= 0; i -= 3) candidates.push_back(i);  // any order
    FacilityLocationOptions plain, lazy, tiled;
    Index plain_evals = 0, lazy_evals = 0;
    plain.lazy = false;
    plain.evaluations = &plain_evals;
    lazy.evaluations = &lazy_evals;
    tiled.memory_bytes = 500 * sizeof(T) * 7;  // seven rows of similarities at a time
    const auto a = acquire::facility_location(X, candidates, 20, plain);
    const auto b = acquire::facility_location(X, candidates, 20, lazy);
    const auto c = acquire::facility_location(X, candidates, 20, tiled);
    CHECK(b.indices == a.indices);
    CHECK(c.indices == a.indices);
    INFO("the same similarity bits in every mode: the same objectives, exactly");
    CHECK(b.objective == a.objective);
    CHECK(c.objective == a.objective);
    INFO("lazy evaluations " << lazy_evals << " vs plain " << plain_evals);
    CHECK(lazy_evals < plain_evals / 2);
    std::set<Index> seen(a.indices.begin(), a.indices.end());
    CHECK(seen.size() == 20);
    for (Index i : a.indices) CHECK(std::count(candidates.begin(), candidates.end(), i) == 1);
    INFO("objective = F after each pick, increasing");
    CHECK(std::is_sorted(a.objective.begin(), a.objective.end()));
    CHECK(a.objective.back() == Approx(objective(X.template cast<double>(), a.indices)).epsilon(1e-4));
    const Eigen::Matrix<T, -1, -1> col = X;
    CHECK(acquire::facility_location(col, candidates, 20).indices == a.indices);
}

TEST_CASE("facility_location reaches (1 - 1/e) of the optimum on tiny pools", "[facility_location]") {
    for (std::uint64_t seed = 1; seed <= 15; ++seed) {
        acquire::Rng rng(seed);
        Eigen::MatrixXd X(8, 3);
        for (Index i = 0; i < 8; ++i) X.row(i) << rng.normal(), rng.normal(), rng.normal();
        const auto sel = acquire::facility_location(X, {}, 3);
        double best = 0;
        for (Index i = 0; i < 8; ++i)
            for (Index j = i + 1; j < 8; ++j)
                for (Index k = j + 1; k < 8; ++k) best = std::max(best, objective(X, {i, j, k}));
        INFO("seed " << seed);
        CHECK(sel.objective.back() >= (1 - std::exp(-1.0)) * best - 1e-12);
    }
}

TEMPLATE_TEST_CASE("max_coverage: hand-checked line", "[facility_location]", float, double) {
    using T = TestType;
    Eigen::Matrix<T, -1, -1> X(6, 1);
    X << 0, 1, 2, 10, 11, 30;
    const auto sel = acquire::max_coverage(X, 1.0, 3);
    INFO("1 covers {0,1,2}; 3 covers {10,11} (lowest index of the pair); 5 covers 30");
    CHECK(sel.indices == std::vector<Index>{1, 3, 5});
    CHECK(sel.objective == std::vector<double>{3, 5, 6});
}

TEMPLATE_TEST_CASE("facility_location: stochastic greedy and bad inputs", "[facility_location][checks]", float, double) {
    using T = TestType;
    acquire::RowMatrix<T> X = acquire::synthetic::embeddings<T, Eigen::RowMajor>(300, 5);
    FacilityLocationOptions st;
    st.stochastic = true;
    st.seed = 3;
    const auto a = acquire::facility_location(X, {}, 15, st);
    CHECK(acquire::facility_location(X, {}, 15, st).indices == a.indices);
    std::set<Index> seen(a.indices.begin(), a.indices.end());
    CHECK(seen.size() == 15);
    CHECK(a.objective.back() >= 0.9 * acquire::facility_location(X, {}, 15).objective.back());
    REQUIRE_THROWS_WITH(acquire::facility_location(X, {1, 2}, 3), Contains("acquire::facility_location: b is 3 but only 2"));
    REQUIRE_THROWS_WITH(acquire::facility_location(X, {1, 1}, 1), Contains("candidates entry 1 repeats index 1"));
    REQUIRE_THROWS_WITH(acquire::facility_location(X, {300}, 1), Contains("candidates entry 0 is 300"));
    FacilityLocationOptions tiny;
    tiny.memory_bytes = 10;
    REQUIRE_THROWS_WITH(acquire::facility_location(X, {}, 1, tiny), Contains("memory_bytes (10) must hold one row"));
    REQUIRE_THROWS_WITH(acquire::max_coverage(X, -1.0, 1), Contains("radius must be finite and >= 0"));
    X.row(9).setZero();
    REQUIRE_THROWS_WITH(acquire::facility_location(X, {}, 1), Contains("X row 9 has zero norm"));
    X(9, 0) = std::numeric_limits<T>::quiet_NaN();
    REQUIRE_THROWS_WITH(acquire::facility_location(X, {}, 1), Contains("X row 9 column 0 is nan"));
}

// Found from Python: stochastic greedy whose sample is the whole pool (epsilon so small that
// (N / b) ln(1 / epsilon) >= N) must take greedy's picks. With the block of every row kept, the
// first pass computed the gains in position order and returned them as if in the sample's
// shuffled order, so the first pick was a random candidate.
TEMPLATE_TEST_CASE("facility_location: stochastic greedy over the whole pool is greedy", "[facility_location]", float,
                   double) {
    using T = TestType;
    const acquire::RowMatrix<T> X = acquire::synthetic::embeddings<T, Eigen::RowMajor>(60, 4);
    const auto greedy = acquire::facility_location(X, {}, 10);
    for (std::uint64_t seed : {1, 2, 3}) {
        FacilityLocationOptions st;
        st.stochastic = true;
        st.epsilon = 1e-9;  // ceil((60 / 10) ln 1e9) = 125 >= 60: every step samples every candidate
        st.seed = seed;
        INFO("seed " << seed << ": a full sample must give greedy's picks");
        CHECK(acquire::facility_location(X, {}, 10, st).indices == greedy.indices);
        st.memory_bytes = 60 * sizeof(T) * 10;  // rows computed in tiles: the other path
        CHECK(acquire::facility_location(X, {}, 10, st).indices == greedy.indices);
    }
}

// Found by fuzz_facility_location: on a pool with many duplicate points two candidates' gains
// differed by 6e-8, and lazy and plain greedy (then computing similarity rows in tiles whose
// last bits depended on a row's place) took them in opposite orders. Every similarity row now
// has the same bits in any batch, so the two agree exactly.
TEST_CASE("facility_location: lazy and plain agree exactly on near-tied gains (fuzz regression)",
          "[facility_location][fuzz]") {
    acquire::RowMatrix<float> X = acquire::RowMatrix<float>::Constant(28, 5, 1.984375f);
    X.topRows(10) << -1.75f, 1.703125f, -0.390625f, -1.421875f, -0.765625f,  //
        -1.34375f, -0.4375f, 1.796875f, 1.234375f, 0.6875f,                  //
        -1.21875f, -0.875f, 1.25f, 1.515625f, -0.59375f,                     //
        -0.515625f, 0.53125f, 1.875f, -0.25f, 0.46875f,                      //
        0.609375f, 0, 1.703125f, 1.75f, 1.15625f,                            //
        -1.09375f, -1.328125f, 1.734375f, -0.765625f, -1.28125f,             //
        1, 0.53125f, 0, -0.609375f, -1.375f,                                 //
        1.21875f, -1.15625f, 0.78125f, -0.4375f, 1.75f,                      //
        -1.21875f, -1.4375f, -0.703125f, 1.984375f, 0.296875f,               //
        1.53125f, -1.03125f, 1.984375f, 1.984375f, 1.984375f;
    X(21, 4) = -1.359375f;
    X(24, 3) = 1.0625f;
    acquire::FacilityLocationOptions o;
    o.memory_bytes = 332;  // fewer rows than candidates: tiles, rows kept while they fit
    const auto lazy = acquire::facility_location(X, {}, 15, o);
    o.lazy = false;
    const auto plain = acquire::facility_location(X, {}, 15, o);
    o = {};
    const auto cached = acquire::facility_location(X, {}, 15, o);
    CHECK(lazy.indices == plain.indices);
    CHECK(lazy.objective == plain.objective);
    CHECK(cached.indices == plain.indices);
    CHECK(cached.objective == plain.objective);
}

TEMPLATE_TEST_CASE("facility_location and max_coverage: lazy batched == plain == cached, block fits or not",
                   "[facility_location]", float, double) {
    using T = TestType;
    // clustered points plus exact duplicates: many equal and near-equal gains
    acquire::RowMatrix<T> X = acquire::synthetic::embeddings<T, Eigen::RowMajor>(700, 9, {6, 0.4, 3});
    for (Index i = 600; i < 700; ++i) X.row(i) = X.row(i - 600);
    std::vector<Index> candidates;
    for (Index i = 0; i < 700; i += 2) candidates.push_back(i);
    const std::size_t row = 704 * sizeof(T);
    for (const std::size_t memory : {std::size_t(1) << 30, 40 * row, 3 * row, row}) {
        INFO("memory_bytes " << memory << " (" << memory / row << " rows of " << candidates.size() << ")");
        FacilityLocationOptions lazy, plain;
        lazy.memory_bytes = plain.memory_bytes = memory;
        plain.lazy = false;
        Index lazy_evals = 0;
        lazy.evaluations = &lazy_evals;
        const auto want = acquire::facility_location(X, candidates, 40, FacilityLocationOptions{});
        const auto a = acquire::facility_location(X, candidates, 40, lazy);
        const auto b = acquire::facility_location(X, candidates, 40, plain);
        CHECK(a.indices == want.indices);
        CHECK(b.indices == want.indices);
        CHECK(a.objective == want.objective);
        CHECK(b.objective == want.objective);
        CHECK(lazy_evals < 40 * 350 / 4);
        const auto ca = acquire::max_coverage(X, 1.5, 30, candidates, lazy);
        const auto cb = acquire::max_coverage(X, 1.5, 30, candidates, plain);
        CHECK(ca.indices == cb.indices);
        CHECK(ca.objective == cb.objective);
        CHECK(ca.indices == acquire::max_coverage(X, 1.5, 30, candidates).indices);
    }
}

TEMPLATE_TEST_CASE("facility_location and max_coverage: every row a candidate (the symmetric block) == tiles",
                   "[facility_location]", float, double) {
    using T = TestType;
    // 203 rows: neither panels (8) nor gain lanes (16) divide it; duplicates make exact ties
    acquire::RowMatrix<T> X = acquire::synthetic::embeddings<T, Eigen::RowMajor>(203, 7, {5, 0.5, 11});
    for (Index i = 190; i < 203; ++i) X.row(i) = X.row(i - 190);
    std::vector<Index> all(203);
    for (Index i = 0; i < 203; ++i) all[static_cast<std::size_t>(i)] = 202 - i;  // any order
    FacilityLocationOptions cached, plain, tiled;
    plain.lazy = false;
    tiled.memory_bytes = 208 * sizeof(T) * 5;  // five rows: no block, rows computed per tile
    const auto want = acquire::facility_location(X, all, 60, tiled);
    for (const auto& o : {cached, plain}) {
        const auto got = acquire::facility_location(X, {}, 60, o);
        CHECK(got.indices == want.indices);
        INFO("mirrored entries are the same products: the same objectives, bit for bit");
        CHECK(got.objective == want.objective);
        CHECK(acquire::facility_location(X, all, 60, o).indices == want.indices);
    }
    CHECK(want.objective.back() == Approx(objective(X.template cast<double>(), want.indices)).epsilon(1e-4));
    const auto cover = acquire::max_coverage(X, 1.0, 40, all, tiled);
    CHECK(acquire::max_coverage(X, 1.0, 40).indices == cover.indices);
    CHECK(acquire::max_coverage(X, 1.0, 40).objective == cover.objective);
    CHECK(acquire::max_coverage(X, 1.0, 40, {}, plain).indices == cover.indices);
}

TEMPLATE_TEST_CASE("facility_location: the AVX2 and AVX-512 similarity kernels have the baseline kernel's bits",
                   "[facility_location]", float, double) {
    using T = TestType;
    const auto X = acquire::synthetic::embeddings<T, Eigen::RowMajor>(93, 37);  // odd sizes
    const acquire::detail::PackedPool<T> pool(X);
    const Index rows = 11, panels = pool.padded / acquire::detail::facility_width;
    std::vector<T> base(static_cast<std::size_t>(rows * pool.padded)), fast(base), chain(base);
    std::vector<T*> to_base, to_fast;
    for (Index r = 0; r < rows; ++r) {
        to_base.push_back(base.data() + r * pool.padded);
        to_fast.push_back(fast.data() + r * pool.padded);
    }
    acquire::detail::dot_rows_body<T, 8, 16>(pool, X.data() + 40 * 37, rows, 0, panels, to_base.data());
    acquire::detail::dot_rows(pool, X.data() + 40 * 37, rows, 0, panels, to_fast.data());  // the CPU's best
#ifdef ACQUIRE_AVX2
    // Each kernel the CPU runs, called directly: dot_rows picks only the widest.
    std::vector<T> each(base.size());
    std::vector<T*> to_each;
    for (Index r = 0; r < rows; ++r) to_each.push_back(each.data() + r * pool.padded);
    if (acquire::detail::cpu_has_avx2()) {
        acquire::detail::dot_rows_avx2(pool, X.data() + 40 * 37, rows, 0, panels, to_each.data());
        CHECK(each == base);
    }
    if (acquire::detail::cpu_has_avx512f()) {
        std::fill(each.begin(), each.end(), T(-1));
        acquire::detail::dot_rows_avx512(pool, X.data() + 40 * 37, rows, 0, panels, to_each.data());
        CHECK(each == base);
        // An odd number of panels from an odd first one (as the symmetric first pass asks for):
        // floats pair panels in a register, and the one left over takes the 256-bit step.
        std::fill(each.begin(), each.end(), T(-1));
        acquire::detail::dot_rows_avx512(pool, X.data() + 40 * 37, rows, 1, panels, to_each.data());
        for (Index r = 0; r < rows; ++r)
            for (Index j = acquire::detail::facility_width; j < pool.padded; ++j)
                CHECK(each[static_cast<std::size_t>(r * pool.padded + j)] == base[static_cast<std::size_t>(r * pool.padded + j)]);
    }
#endif
    for (Index r = 0; r < rows; ++r)
        for (Index j = 0; j < 93; ++j) {
            T acc = 0;
            for (Index k = 0; k < 37; ++k) acc = acc + X(40 + r, k) * X(j, k);
            chain[static_cast<std::size_t>(r * pool.padded + j)] = acc;
        }
    CHECK(base == fast);
    INFO("both are the plain chain acc = acc + a_k x_jk (no FMA under default x86-64 flags)");
    for (Index r = 0; r < rows; ++r)
        for (Index j = 0; j < 93; ++j)
            CHECK(base[static_cast<std::size_t>(r * pool.padded + j)] == Approx(chain[static_cast<std::size_t>(r * pool.padded + j)]).epsilon(1e-5));
}

namespace {

/// The sparsified objective by brute force: each pool point j counts max(0, sim) over the picks
/// among its k nearest candidates (by cosine; candidates sorted; ties: lowest index).
double sparse_objective(const Eigen::MatrixXd& X, const std::vector<Index>& candidates, Index k,
                        const std::vector<Index>& S) {
    double f = 0;
    for (Index j = 0; j < X.rows(); ++j) {
        std::vector<std::pair<double, Index>> sims;
        for (Index c : candidates) sims.push_back({-X.row(c).normalized().dot(X.row(j).normalized()), c});
        std::stable_sort(sims.begin(), sims.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        double best = 0;
        for (Index t = 0; t < k; ++t)
            if (std::count(S.begin(), S.end(), sims[static_cast<std::size_t>(t)].second))
                best = std::max(best, -sims[static_cast<std::size_t>(t)].first);
        f += best;
    }
    return f;
}

}  // namespace

TEMPLATE_TEST_CASE("facility_location: sparse k-NN mode", "[facility_location][sparse]", float, double) {
    using T = TestType;
    const auto X = acquire::synthetic::embeddings<T, Eigen::RowMajor>(400, 7, {5, 0.5, 8});
    std::vector<Index> candidates;
    for (Index i = 399; i >= 0; i -= 3) candidates.push_back(i);
    const auto m = static_cast<Index>(candidates.size());
    FacilityLocationOptions sparse;
    INFO("k = |candidates| keeps every pair: exactly the dense picks and objectives");
    for (const Index k : {m, m + 50}) {
        sparse.neighbors = k;
        const auto dense = acquire::facility_location(X, candidates, 25);
        const auto all = acquire::facility_location(X, candidates, 25, sparse);
        CHECK(all.indices == dense.indices);
        CHECK(all.objective == dense.objective);
        const auto cd = acquire::max_coverage(X, 0.8, 25, candidates);
        const auto cs = acquire::max_coverage(X, 0.8, 25, candidates, sparse);
        CHECK(cs.indices == cd.indices);
        CHECK(cs.objective == cd.objective);
    }
    INFO("small k: lazy == plain, and the objective is the brute-force sparsified F of the picks");
    sparse.neighbors = 6;
    const auto a = acquire::facility_location(X, candidates, 25, sparse);
    sparse.lazy = false;
    const auto b = acquire::facility_location(X, candidates, 25, sparse);
    CHECK(a.indices == b.indices);
    CHECK(a.objective == b.objective);
    std::set<Index> seen(a.indices.begin(), a.indices.end());
    CHECK(seen.size() == 25);
    std::vector<Index> sorted = candidates;
    std::sort(sorted.begin(), sorted.end());
    const Eigen::MatrixXd Xd = X.template cast<double>();
    CHECK(a.objective.back() == Approx(sparse_objective(Xd, sorted, 6, a.indices)).epsilon(1e-4));
    INFO("the sparsified F never exceeds the dense F of the same picks");
    CHECK(a.objective.back() <= objective(Xd, a.indices) + 1e-3);
    sparse.neighbors = -1;
    REQUIRE_THROWS_WITH(acquire::facility_location(X, candidates, 2, sparse),
                        Contains("acquire::facility_location: options neighbors must be >= 0 (0 = dense), got -1"));
}
