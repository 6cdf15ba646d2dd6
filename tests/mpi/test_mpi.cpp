// acquire::mpi under mpiexec (1 to 4 ranks): every rank holds a shard of one pool (even, uneven,
// with empty shards) and must return exactly what the single-process function returns on the
// whole pool; bad input on one rank must make every rank throw, naming that rank.
#include <acquire/mpi.hpp>
#include <acquire/synthetic.hpp>

#include <catch2/catch.hpp>

#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>
#include <string>

using acquire::Index;
using Catch::Contains;

namespace {

int rank_of() {
    int r = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    return r;
}
int ranks_of() {
    int p = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &p);
    return p;
}

/// Shard boundaries of n rows over the ranks. 0: as even as possible; 1: rank r gets a share
/// growing with r and rank 1 gets none; 2: everything on the last rank but 5 rows on rank 0.
std::vector<Index> split(Index n, int layout) {
    const int p = ranks_of();
    std::vector<Index> weight(static_cast<std::size_t>(p), 1);
    if (layout == 1)
        for (int r = 0; r < p; ++r) weight[static_cast<std::size_t>(r)] = r == 1 ? 0 : r + 1;
    if (layout == 2)
        for (int r = 0; r < p; ++r) weight[static_cast<std::size_t>(r)] = r == p - 1 ? 1 : 0;
    const Index total = std::accumulate(weight.begin(), weight.end(), Index(0));
    std::vector<Index> bounds{0};
    Index acc = 0;
    for (int r = 0; r < p; ++r) {
        acc += weight[static_cast<std::size_t>(r)];
        bounds.push_back(n * acc / total);
    }
    if (layout == 2)
        for (int r = 1; r < p; ++r) bounds[static_cast<std::size_t>(r)] = 5;
    return bounds;
}

/// This rank's rows [begin, end) of the pool under `layout`.
std::pair<Index, Index> mine(Index n, int layout) {
    const auto b = split(n, layout);
    const auto r = static_cast<std::size_t>(rank_of());
    return {b[r], b[r + 1]};
}

}  // namespace

TEMPLATE_TEST_CASE("mpi::top_k equals top_k on the concatenated scores", "[mpi][top_k]", float, double) {
    using T = TestType;
    const Index n = 1000;
    acquire::Rng rng(5);
    acquire::Vector<T> scores(n);
    // Few distinct values: many ties, broken by the lowest global index.
    for (Index i = 0; i < n; ++i) scores[i] = static_cast<T>(rng.below(20));
    for (int layout = 0; layout < 3; ++layout) {
        const auto [begin, end] = mine(n, layout);
        const auto local = scores.segment(begin, end - begin);
        for (Index k : {Index(0), Index(1), Index(37), Index(200)}) {
            const std::vector<Index> exclude{0, 3, 999, 500, 12};
            INFO("layout " << layout << ", k " << k);
            CHECK(acquire::mpi::top_k(MPI_COMM_WORLD, local, k, exclude) == acquire::top_k(scores, k, exclude));
            CHECK(acquire::mpi::top_k(MPI_COMM_WORLD, local, k) == acquire::top_k(scores, k));
        }
        INFO("a row vector shard works too");
        const acquire::RowMatrix<T> row = local.transpose();
        CHECK(acquire::mpi::top_k(MPI_COMM_WORLD, row, 10) == acquire::top_k(scores, 10));
        INFO("k = every remaining row");
        CHECK(acquire::mpi::top_k(MPI_COMM_WORLD, local, n - 2, {4, 5}) == acquire::top_k(scores, n - 2, {4, 5}));
    }
}

TEST_CASE("mpi::random_select equals random_select on the total", "[mpi][random]") {
    for (int layout = 0; layout < 3; ++layout) {
        const auto [begin, end] = mine(300, layout);
        for (std::uint64_t seed : {0u, 7u}) {
            INFO("layout " << layout << ", seed " << seed);
            CHECK(acquire::mpi::random_select(MPI_COMM_WORLD, end - begin, 20, seed) == acquire::random_select(300, 20, seed));
            const std::vector<Index> exclude{299, 0, 150, 151, 7};
            CHECK(acquire::mpi::random_select(MPI_COMM_WORLD, end - begin, 295, seed, exclude) ==
                  acquire::random_select(300, 295, seed, exclude));
        }
    }
}

TEMPLATE_TEST_CASE("mpi::k_center_greedy equals k_center_greedy on the concatenated pool", "[mpi][k_center]", float, double) {
    using T = TestType;
    const Index n = 2000, d = 12;
    acquire::synthetic::EmbeddingOptions eo;
    eo.clusters = 10;
    const auto X = acquire::synthetic::embeddings<T, Eigen::RowMajor>(n, d, eo);
    const acquire::Matrix<T> Xc = X;
    for (int layout = 0; layout < 3; ++layout) {
        const auto [begin, end] = mine(n, layout);
        const auto local = X.middleRows(begin, end - begin);
        const std::vector<Index> labeled{1999, 3, 700, 1000, 4, 1500};
        INFO("layout " << layout << " rows [" << begin << ", " << end << ")");
        acquire::KCenterOptions o;
        const auto want = acquire::k_center_greedy(X, labeled, 60, o);
        const auto got = acquire::mpi::k_center_greedy(MPI_COMM_WORLD, local, labeled, 60, o);
        CHECK(got.indices == want.indices);
        CHECK(got.objective == want.objective);
        INFO("naive (no pruning): the same picks");
        o.prune = false;
        CHECK(acquire::mpi::k_center_greedy(MPI_COMM_WORLD, local, labeled, 60, o).indices == want.indices);
        INFO("no labeled point: seeded first pick, or a named one");
        acquire::KCenterOptions s;
        s.seed = 11;
        CHECK(acquire::mpi::k_center_greedy(MPI_COMM_WORLD, local, {}, 25, s).indices ==
              acquire::k_center_greedy(X, {}, 25, s).indices);
        s.first = 1234;
        CHECK(acquire::mpi::k_center_greedy(MPI_COMM_WORLD, local, {}, 25, s).indices ==
              acquire::k_center_greedy(X, {}, 25, s).indices);
        INFO("cosine");
        acquire::KCenterOptions c;
        c.metric = acquire::Metric::cosine;
        CHECK(acquire::mpi::k_center_greedy(MPI_COMM_WORLD, local, labeled, 30, c).indices ==
              acquire::k_center_greedy(X, labeled, 30, c).indices);
        INFO("column-major shards equal the column-major pool");
        const acquire::Matrix<T> local_col = Xc.middleRows(begin, end - begin);
        const auto col = acquire::k_center_greedy(Xc, labeled, 60);
        const auto got_col = acquire::mpi::k_center_greedy(MPI_COMM_WORLD, local_col, labeled, 60);
        CHECK(got_col.indices == col.indices);
        CHECK(got_col.objective == col.objective);
        INFO("b = every unlabeled row (of the first 300 rows), and b = 0");
        const auto small = mine(300, layout);
        const auto head = X.topRows(300);
        CHECK(acquire::mpi::k_center_greedy(MPI_COMM_WORLD, head.middleRows(small.first, small.second - small.first), {3, 4}, 298).indices ==
              acquire::k_center_greedy(head, {3, 4}, 298).indices);
        CHECK(acquire::mpi::k_center_greedy(MPI_COMM_WORLD, local, labeled, 0).size() == 0);
    }
}

TEST_CASE("mpi::k_center_greedy sends O(d + ranks) bytes per pick, whatever N", "[mpi][k_center]") {
    const Index d = 8;
    std::vector<double> per_pick;
    for (Index n : {Index(1000), Index(8000)}) {
        const auto X = acquire::synthetic::embeddings<float, Eigen::RowMajor>(n, d);
        const auto [begin, end] = mine(n, 0);
        const auto local = X.middleRows(begin, end - begin);
        // Summed over ranks: which rank holds a pick (and so broadcasts it) depends on N.
        auto all_ranks = [&](Index b) {
            acquire::mpi::reset_traffic();
            (void)acquire::mpi::k_center_greedy(MPI_COMM_WORLD, local, {0}, b);
            const std::uint64_t mine_bytes = acquire::mpi::traffic().bytes;
            std::uint64_t sum = 0;
            MPI_Allreduce(&mine_bytes, &sum, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
            return sum;
        };
        const auto ten = all_ranks(10), thirty = all_ranks(30);
        per_pick.push_back(double(thirty - ten) / 20);
    }
    INFO("bytes per pick, all ranks, at N = 1000 and 8000: " << per_pick[0] << ", " << per_pick[1]);
    CHECK(per_pick[0] == per_pick[1]);
    // 16 per rank for the all-reduce, plus the picked row (d floats) from the rank holding it.
    CHECK(per_pick[0] == 16 * ranks_of() + d * 4);
}

TEST_CASE("mpi: bad input on one rank makes every rank throw, naming it", "[mpi][checks]") {
    const int p = ranks_of(), me = rank_of();
    const Index n = 400, d = 4;
    acquire::RowMatrix<float> X = acquire::synthetic::embeddings<float, Eigen::RowMajor>(n, d);
    const auto [begin, end] = mine(n, 0);
    acquire::RowMatrix<float> local = X.middleRows(begin, end - begin);
    const auto last = std::to_string(p - 1);
    const Index last_begin = split(n, 0)[static_cast<std::size_t>(p - 1)];
    INFO("a NaN on the last rank");
    acquire::RowMatrix<float> poisoned = local;
    if (me == p - 1) poisoned(2, 1) = std::numeric_limits<float>::quiet_NaN();
    REQUIRE_THROWS_WITH(acquire::mpi::k_center_greedy(MPI_COMM_WORLD, poisoned, {}, 3),
                        Contains("acquire::mpi::k_center_greedy: rank " + last + ": acquire::k_center_greedy: X (local rows) row 2 column 1 is nan"));
    INFO("a zero row for the cosine metric");
    acquire::RowMatrix<float> zero = local;
    if (me == p - 1) zero.row(0).setZero();
    acquire::KCenterOptions c;
    c.metric = acquire::Metric::cosine;
    REQUIRE_THROWS_WITH(acquire::mpi::k_center_greedy(MPI_COMM_WORLD, zero, {}, 3, c),
                        Contains("rank " + last + ": acquire::k_center_greedy: X row " + std::to_string(last_begin) + " (local 0) has zero norm"));
    INFO("global checks fail on every rank; the lowest rank reports");
    REQUIRE_THROWS_WITH(acquire::mpi::k_center_greedy(MPI_COMM_WORLD, local, {n}, 3),
                        Contains("rank 0: acquire::k_center_greedy: labeled entry 0 is 400, out of range [0, 400)"));
    REQUIRE_THROWS_WITH(acquire::mpi::k_center_greedy(MPI_COMM_WORLD, local, {1, 2}, n - 1),
                        Contains("b is 399 but only 398"));
    REQUIRE_THROWS_WITH(acquire::mpi::top_k(MPI_COMM_WORLD, local.col(0), n + 1), Contains("k is 401 but only 400"));
    REQUIRE_THROWS_WITH(acquire::mpi::random_select(MPI_COMM_WORLD, end - begin, 5, 1, {n + 3}),
                        Contains("exclude entry 0 is 403, out of range"));
    INFO("a NaN score on the last rank names its global entry");
    Eigen::VectorXf scores = local.col(0);
    if (me == p - 1) scores[1] = std::numeric_limits<float>::quiet_NaN();
    REQUIRE_THROWS_WITH(acquire::mpi::top_k(MPI_COMM_WORLD, scores, 3),
                        Contains("rank " + last + ": acquire::top_k: scores entry " + std::to_string(last_begin + 1) + " (local 1) is NaN"));
    INFO("not a vector on one rank");
    if (me == p - 1) REQUIRE_THROWS_WITH(acquire::mpi::top_k(MPI_COMM_WORLD, local, 3), Contains("rank " + last + ": acquire::top_k: scores must be a vector"));
    else REQUIRE_THROWS_WITH(acquire::mpi::top_k(MPI_COMM_WORLD, local.col(0), 3), Contains("rank " + last + ": acquire::top_k: scores must be a vector"));
    if (p > 1) {
        INFO("arguments that differ between ranks");
        const std::vector<Index> labeled = me == 1 ? std::vector<Index>{5} : std::vector<Index>{6};
        REQUIRE_THROWS_WITH(acquire::mpi::k_center_greedy(MPI_COMM_WORLD, local, labeled, 3),
                            Contains("labeled, b or options differ between ranks"));
        REQUIRE_THROWS_WITH(acquire::mpi::random_select(MPI_COMM_WORLD, end - begin, 5, static_cast<std::uint64_t>(me)),
                            Contains("k, seed or exclude differ between ranks"));
        acquire::RowMatrix<float> wide = acquire::RowMatrix<float>::Zero(local.rows(), me == 1 ? d + 1 : d);
        wide.leftCols(d) = local;
        REQUIRE_THROWS_WITH(acquire::mpi::k_center_greedy(MPI_COMM_WORLD, wide, {}, 3), Contains("X columns"));
    }
    INFO("after all those failures the communicator still works");
    CHECK(acquire::mpi::k_center_greedy(MPI_COMM_WORLD, local, {0}, 5).indices == acquire::k_center_greedy(X, {0}, 5).indices);
}

TEMPLATE_TEST_CASE("mpi::kmeans_pp equals kmeans_pp on the concatenated pool", "[mpi][kmeans_pp]", float, double) {
    using T = TestType;
    const Index n = 1500, d = 10;
    acquire::synthetic::EmbeddingOptions eo;
    eo.clusters = 8;
    const auto X = acquire::synthetic::embeddings<T, Eigen::RowMajor>(n, d, eo);
    const acquire::Matrix<T> Xc = X;
    for (int layout = 0; layout < 3; ++layout) {
        const auto [begin, end] = mine(n, layout);
        const auto local = X.middleRows(begin, end - begin);
        for (std::uint64_t seed : {0u, 3u, 17u}) {
            INFO("layout " << layout << " rows [" << begin << ", " << end << "), seed " << seed);
            acquire::KMeansPPOptions o;
            o.seed = seed;
            const auto want = acquire::kmeans_pp(X, 40, o);
            const auto got = acquire::mpi::kmeans_pp(MPI_COMM_WORLD, local, 40, o);
            CHECK(got.indices == want.indices);
            REQUIRE(got.objective.size() == want.objective.size());
            for (std::size_t j = 0; j < want.objective.size(); ++j)
                CHECK(got.objective[j] == Approx(want.objective[j]).epsilon(1e-12));
            INFO("initial centers (the labeled rows), no pruning, a named first pick");
            o.initial = {1499, 3, 700, 1000, 4};
            CHECK(acquire::mpi::kmeans_pp(MPI_COMM_WORLD, local, 40, o).indices == acquire::kmeans_pp(X, 40, o).indices);
            o.prune = false;
            CHECK(acquire::mpi::kmeans_pp(MPI_COMM_WORLD, local, 40, o).indices == acquire::kmeans_pp(X, 40, o).indices);
            acquire::KMeansPPOptions f;
            f.seed = seed;
            f.first = 777;
            CHECK(acquire::mpi::kmeans_pp(MPI_COMM_WORLD, local, 30, f).indices == acquire::kmeans_pp(X, 30, f).indices);
            INFO("column-major shards");
            const acquire::Matrix<T> local_col = Xc.middleRows(begin, end - begin);
            CHECK(acquire::mpi::kmeans_pp(MPI_COMM_WORLD, local_col, 30, o).indices == acquire::kmeans_pp(Xc, 30, o).indices);
        }
        INFO("duplicates: once every row sits on a center, the lowest remaining global row");
        // 60 rows, 4 distinct values: after 4 picks every D^2 is 0.
        acquire::RowMatrix<T> dup(60, 3);
        for (Index i = 0; i < 60; ++i) dup.row(i).setConstant(static_cast<T>((i * 7) % 4));
        const auto small = mine(60, layout);
        const auto dup_local = dup.middleRows(small.first, small.second - small.first);
        acquire::KMeansPPOptions o;
        o.initial = {5, 2};
        CHECK(acquire::mpi::kmeans_pp(MPI_COMM_WORLD, dup_local, 58, o).indices == acquire::kmeans_pp(dup, 58, o).indices);
        CHECK(acquire::mpi::kmeans_pp(MPI_COMM_WORLD, dup_local, 12).indices == acquire::kmeans_pp(dup, 12).indices);
        CHECK(acquire::mpi::kmeans_pp(MPI_COMM_WORLD, local, 0).size() == 0);
    }
}

TEMPLATE_TEST_CASE("mpi::badge equals badge on the concatenated pool", "[mpi][badge]", float, double) {
    using T = TestType;
    const Index n = 1200, K = 6, d = 9;
    for (std::uint64_t seed : {1u, 2u}) {
        acquire::synthetic::ProbabilityOptions po;
        po.seed = seed;
        const auto P = acquire::synthetic::probabilities<T, Eigen::RowMajor>(n, K, po);
        acquire::synthetic::EmbeddingOptions eo;
        eo.seed = seed;
        eo.clusters = 5;
        const auto H = acquire::synthetic::embeddings<T, Eigen::RowMajor>(n, d, eo);
        const acquire::Matrix<T> Hc = H;
        for (int layout = 0; layout < 3; ++layout) {
            const auto [begin, end] = mine(n, layout);
            const auto Pl = P.middleRows(begin, end - begin);
            const auto Hl = H.middleRows(begin, end - begin);
            INFO("layout " << layout << " rows [" << begin << ", " << end << "), seed " << seed);
            acquire::BadgeOptions o;
            o.seed = seed;
            const std::vector<Index> labeled{0, 1199, 600, 601, 37};
            const auto want = acquire::badge(P, H, labeled, 50, o);
            const auto got = acquire::mpi::badge(MPI_COMM_WORLD, Pl, Hl, labeled, 50, o);
            CHECK(got.indices == want.indices);
            REQUIRE(got.objective.size() == want.objective.size());
            for (std::size_t j = 0; j < want.objective.size(); ++j)
                CHECK(got.objective[j] == Approx(want.objective[j]).epsilon(1e-12));
            INFO("no labeled row; no pruning");
            CHECK(acquire::mpi::badge(MPI_COMM_WORLD, Pl, Hl, {}, 50, o).indices == acquire::badge(P, H, {}, 50, o).indices);
            o.prune = false;
            CHECK(acquire::mpi::badge(MPI_COMM_WORLD, Pl, Hl, labeled, 50, o).indices == want.indices);
            INFO("column-major H");
            const acquire::Matrix<T> Hcl = Hc.middleRows(begin, end - begin);
            CHECK(acquire::mpi::badge(MPI_COMM_WORLD, Pl, Hcl, labeled, 50).indices == acquire::badge(P, Hc, labeled, 50).indices);
            CHECK(acquire::mpi::badge(MPI_COMM_WORLD, Pl, Hl, labeled, 0).size() == 0);
        }
    }
    INFO("every row picked (b = N - |labeled|), ending on rows at D^2 = 0: identical rows");
    acquire::RowMatrix<T> P(40, 3), H(40, 2);
    for (Index i = 0; i < 40; ++i) {
        P.row(i) << T(0.5), T(0.25), T(0.25);
        H.row(i) << static_cast<T>(i % 3), T(1);
    }
    for (int layout = 0; layout < 3; ++layout) {
        const auto [begin, end] = mine(40, layout);
        CHECK(acquire::mpi::badge(MPI_COMM_WORLD, P.middleRows(begin, end - begin), H.middleRows(begin, end - begin), {7}, 39).indices ==
              acquire::badge(P, H, {7}, 39).indices);
    }
}

TEST_CASE("mpi::kmeans_pp and badge send O(d + K + ranks) bytes per pick, whatever N", "[mpi][kmeans_pp][badge]") {
    const Index d = 8, K = 4;
    std::vector<double> km, bg;
    for (Index n : {Index(1000), Index(8000)}) {
        const auto X = acquire::synthetic::embeddings<float, Eigen::RowMajor>(n, d);
        const auto P = acquire::synthetic::probabilities<float, Eigen::RowMajor>(n, K);
        const auto [begin, end] = mine(n, 0);
        const auto local = X.middleRows(begin, end - begin);
        const auto Pl = P.middleRows(begin, end - begin);
        auto all_ranks = [&](auto&& run) {
            acquire::mpi::reset_traffic();
            run();
            const std::uint64_t mine_bytes = acquire::mpi::traffic().bytes;
            std::uint64_t sum = 0;
            MPI_Allreduce(&mine_bytes, &sum, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
            return sum;
        };
        auto per_pick = [&](auto&& run) { return double(all_ranks([&] { run(30); }) - all_ranks([&] { run(10); })) / 20; };
        km.push_back(per_pick([&](Index b) { (void)acquire::mpi::kmeans_pp(MPI_COMM_WORLD, local, b); }));
        bg.push_back(per_pick([&](Index b) { (void)acquire::mpi::badge(MPI_COMM_WORLD, Pl, local, {}, b); }));
    }
    INFO("kmeans_pp bytes per pick, all ranks, at N = 1000 and 8000: " << km[0] << ", " << km[1]);
    CHECK(km[0] == km[1]);
    // 32 per rank for the all-gather, plus the picked row (d floats and its norm) from its owner.
    CHECK(km[0] == 32 * ranks_of() + d * 4 + 8);
    INFO("badge: " << bg[0] << ", " << bg[1]);
    CHECK(bg[0] == bg[1]);
    CHECK(bg[0] == 32 * ranks_of() + K * 8 + d * 4 + 8);
}

TEST_CASE("mpi::kmeans_pp and badge: bad input on one rank makes every rank throw, naming it", "[mpi][checks]") {
    const int p = ranks_of(), me = rank_of();
    const Index n = 300, d = 4, K = 3;
    const acquire::RowMatrix<float> X = acquire::synthetic::embeddings<float, Eigen::RowMajor>(n, d);
    const acquire::RowMatrix<float> P = acquire::synthetic::probabilities<float, Eigen::RowMajor>(n, K);
    const auto [begin, end] = mine(n, 0);
    const acquire::RowMatrix<float> local = X.middleRows(begin, end - begin);
    const acquire::RowMatrix<float> Pl = P.middleRows(begin, end - begin);
    const auto last = std::to_string(p - 1);
    INFO("a NaN in X on the last rank");
    acquire::RowMatrix<float> poisoned = local;
    if (me == p - 1) poisoned(1, 2) = std::numeric_limits<float>::quiet_NaN();
    REQUIRE_THROWS_WITH(acquire::mpi::kmeans_pp(MPI_COMM_WORLD, poisoned, 3),
                        Contains("acquire::mpi::kmeans_pp: rank " + last + ": acquire::kmeans_pp: X (local rows) row 1 column 2 is nan"));
    REQUIRE_THROWS_WITH(acquire::mpi::badge(MPI_COMM_WORLD, Pl, poisoned, {}, 3),
                        Contains("acquire::mpi::badge: rank " + last + ": acquire::badge: H (local rows) row 1 column 2 is nan"));
    INFO("a row of P that is not a distribution on the last rank");
    acquire::RowMatrix<float> bad = Pl;
    if (me == p - 1) bad(0, 0) = 2.0f;
    REQUIRE_THROWS_WITH(acquire::mpi::badge(MPI_COMM_WORLD, bad, local, {}, 3),
                        Contains("rank " + last + ": acquire::badge: P (local rows) row 0 column 0 is 2"));
    INFO("P and H rows that differ on the last rank");
    const acquire::RowMatrix<float> shorter = me == p - 1 ? acquire::RowMatrix<float>(local.topRows(local.rows() - 1)) : local;
    REQUIRE_THROWS_WITH(acquire::mpi::badge(MPI_COMM_WORLD, Pl, shorter, {}, 3),
                        Contains("rank " + last + ": acquire::badge: P (local rows) has"));
    INFO("global checks: the lowest rank reports");
    acquire::KMeansPPOptions o;
    o.initial = {4, n};
    REQUIRE_THROWS_WITH(acquire::mpi::kmeans_pp(MPI_COMM_WORLD, local, 3, o),
                        Contains("rank 0: acquire::kmeans_pp: options initial entry 1 is 300, out of range [0, 300)"));
    o.initial = {4};
    o.first = 4;
    REQUIRE_THROWS_WITH(acquire::mpi::kmeans_pp(MPI_COMM_WORLD, local, 3, o), Contains("options first 4 is an initial center"));
    REQUIRE_THROWS_WITH(acquire::mpi::kmeans_pp(MPI_COMM_WORLD, local, n + 1), Contains("b is 301 but only 300"));
    REQUIRE_THROWS_WITH(acquire::mpi::badge(MPI_COMM_WORLD, Pl, local, {1, 2}, n - 1), Contains("b is 299 but only 298"));
    if (p > 1) {
        INFO("arguments that differ between ranks");
        acquire::KMeansPPOptions s;
        s.seed = static_cast<std::uint64_t>(me);
        REQUIRE_THROWS_WITH(acquire::mpi::kmeans_pp(MPI_COMM_WORLD, local, 3, s), Contains("X columns, b or options differ between ranks"));
        REQUIRE_THROWS_WITH(acquire::mpi::badge(MPI_COMM_WORLD, Pl, local, {static_cast<Index>(me)}, 3),
                            Contains("P or H columns, labeled, b or options differ between ranks"));
    }
    INFO("after all those failures the communicator still works");
    CHECK(acquire::mpi::kmeans_pp(MPI_COMM_WORLD, local, 5).indices == acquire::kmeans_pp(X, 5).indices);
    CHECK(acquire::mpi::badge(MPI_COMM_WORLD, Pl, local, {}, 5).indices == acquire::badge(P, X, {}, 5).indices);
}

TEMPLATE_TEST_CASE("mpi::facility_location and max_coverage equal the single-process picks", "[mpi][facility]", float, double) {
    // Facility location: gains are sums of continuous terms whose split by rank rounds the last
    // bits differently, so picks could differ only at near-ties (relative ~1e-16); random
    // clustered data has none, and every pick must match. Max coverage sums 0/1 terms: exact.
    using T = TestType;
    const Index n = 900, d = 6;
    acquire::synthetic::EmbeddingOptions eo;
    eo.clusters = 7;
    const auto X = acquire::synthetic::embeddings<T, Eigen::RowMajor>(n, d, eo);
    const acquire::Matrix<T> Xc = X;
    std::vector<Index> candidates;
    for (Index i = 0; i < n; i += 3) candidates.push_back(n - 1 - i);  // descending, on purpose
    for (int layout = 0; layout < 3; ++layout) {
        const auto [begin, end] = mine(n, layout);
        const auto local = X.middleRows(begin, end - begin);
        INFO("layout " << layout << " rows [" << begin << ", " << end << ")");
        acquire::FacilityLocationOptions o;
        const auto want = acquire::facility_location(X, candidates, 25, o);
        const auto got = acquire::mpi::facility_location(MPI_COMM_WORLD, local, candidates, 25, o);
        CHECK(got.indices == want.indices);
        REQUIRE(got.objective.size() == want.objective.size());
        for (std::size_t j = 0; j < want.objective.size(); ++j)
            CHECK(got.objective[j] == Approx(want.objective[j]).epsilon(1e-12));
        if (ranks_of() == 1) CHECK(got.objective == want.objective);
        INFO("plain greedy, stochastic greedy, a memory bound that keeps no row, every row a candidate");
        o.lazy = false;
        CHECK(acquire::mpi::facility_location(MPI_COMM_WORLD, local, candidates, 25, o).indices == want.indices);
        acquire::FacilityLocationOptions s;
        s.stochastic = true;
        s.seed = 4;
        CHECK(acquire::mpi::facility_location(MPI_COMM_WORLD, local, candidates, 25, s).indices ==
              acquire::facility_location(X, candidates, 25, s).indices);
        acquire::FacilityLocationOptions tight;
        tight.memory_bytes = static_cast<std::size_t>(n) * sizeof(T);  // one row: none is kept
        CHECK(acquire::mpi::facility_location(MPI_COMM_WORLD, local, candidates, 25, tight).indices == want.indices);
        CHECK(acquire::mpi::facility_location(MPI_COMM_WORLD, local, {}, 20).indices == acquire::facility_location(X, {}, 20).indices);
        const acquire::Matrix<T> local_col = Xc.middleRows(begin, end - begin);
        CHECK(acquire::mpi::facility_location(MPI_COMM_WORLD, local_col, candidates, 25).indices == want.indices);

        INFO("max_coverage: counts are exact, so are the picks and the objective, ties included");
        for (double radius : {0.5, 1.5, 4.0}) {
            INFO("radius " << radius);
            const auto cover = acquire::max_coverage(X, radius, 30, candidates);
            const auto got_cover = acquire::mpi::max_coverage(MPI_COMM_WORLD, local, radius, 30, candidates);
            CHECK(got_cover.indices == cover.indices);
            CHECK(got_cover.objective == cover.objective);
            CHECK(acquire::mpi::max_coverage(MPI_COMM_WORLD, local, radius, 12).indices == acquire::max_coverage(X, radius, 12).indices);
        }
        CHECK(acquire::mpi::facility_location(MPI_COMM_WORLD, local, candidates, 0).size() == 0);
    }
}

TEST_CASE("mpi::facility_location on well-separated values: every split, exact", "[mpi][facility]") {
    // Rows on a few directions with well-separated gains, many exact duplicates: ties between
    // identical candidates go to the lowest global row on any split.
    const Index n = 500;
    acquire::RowMatrix<double> X(n, 3);
    for (Index i = 0; i < n; ++i) {
        const Index c = (i * 7) % 5;
        X.row(i) << 1.0, static_cast<double>(c) * 0.7, static_cast<double>(c * c) * 0.05;
    }
    for (int layout = 0; layout < 3; ++layout) {
        const auto [begin, end] = mine(n, layout);
        CHECK(acquire::mpi::facility_location(MPI_COMM_WORLD, X.middleRows(begin, end - begin), {}, 8).indices ==
              acquire::facility_location(X, {}, 8).indices);
    }
}

TEST_CASE("mpi::facility_location and max_coverage: bad input on one rank makes every rank throw, naming it", "[mpi][checks]") {
    const int p = ranks_of(), me = rank_of();
    const Index n = 300, d = 4;
    const acquire::RowMatrix<float> X = acquire::synthetic::embeddings<float, Eigen::RowMajor>(n, d);
    const auto [begin, end] = mine(n, 0);
    const acquire::RowMatrix<float> local = X.middleRows(begin, end - begin);
    const auto last = std::to_string(p - 1);
    const Index last_begin = split(n, 0)[static_cast<std::size_t>(p - 1)];
    acquire::RowMatrix<float> poisoned = local;
    if (me == p - 1) poisoned(1, 2) = std::numeric_limits<float>::infinity();
    REQUIRE_THROWS_WITH(acquire::mpi::facility_location(MPI_COMM_WORLD, poisoned, {}, 3),
                        Contains("acquire::mpi::facility_location: rank " + last + ": acquire::facility_location: X (local rows) row 1 column 2 is inf"));
    REQUIRE_THROWS_WITH(acquire::mpi::max_coverage(MPI_COMM_WORLD, poisoned, 1.0, 3),
                        Contains("acquire::mpi::max_coverage: rank " + last + ": acquire::max_coverage: X (local rows) row 1 column 2 is inf"));
    acquire::RowMatrix<float> zero = local;
    if (me == p - 1) zero.row(2).setZero();
    REQUIRE_THROWS_WITH(acquire::mpi::facility_location(MPI_COMM_WORLD, zero, {}, 3),
                        Contains("rank " + last + ": acquire::facility_location: X row " + std::to_string(last_begin + 2) + " (local 2) has zero norm"));
    INFO("a memory bound too small for this rank's rows, on the last rank only");
    acquire::FacilityLocationOptions small;
    if (me == p - 1) small.memory_bytes = 4;
    REQUIRE_THROWS_WITH(acquire::mpi::facility_location(MPI_COMM_WORLD, local, {}, 3, small),
                        Contains("rank " + last + ": acquire::facility_location: options memory_bytes (4)"));
    INFO("global checks: the lowest rank reports");
    REQUIRE_THROWS_WITH(acquire::mpi::facility_location(MPI_COMM_WORLD, local, {3, n}, 1),
                        Contains("rank 0: acquire::facility_location: candidates entry 1 is 300, out of range [0, 300)"));
    REQUIRE_THROWS_WITH(acquire::mpi::facility_location(MPI_COMM_WORLD, local, {3, 4}, 3), Contains("b is 3 but only 2"));
    REQUIRE_THROWS_WITH(acquire::mpi::max_coverage(MPI_COMM_WORLD, local, -1.0, 3), Contains("rank 0: acquire::max_coverage: radius must be finite and >= 0, got -1"));
    acquire::FacilityLocationOptions sparse;
    sparse.neighbors = 5;
    REQUIRE_THROWS_WITH(acquire::mpi::facility_location(MPI_COMM_WORLD, local, {}, 3, sparse), Contains("not supported over MPI"));
    if (p > 1) {
        INFO("arguments that differ between ranks (a radius too: no rank may throw alone)");
        REQUIRE_THROWS_WITH(acquire::mpi::max_coverage(MPI_COMM_WORLD, local, me == 1 ? -1.0 : 1.0, 3), Contains("rank 1: acquire::max_coverage: radius"));
        REQUIRE_THROWS_WITH(acquire::mpi::max_coverage(MPI_COMM_WORLD, local, me == 1 ? 2.0 : 1.0, 3),
                            Contains("X columns, candidates, b, radius or options differ between ranks"));
        acquire::FacilityLocationOptions s;
        s.lazy = me != 1;
        REQUIRE_THROWS_WITH(acquire::mpi::facility_location(MPI_COMM_WORLD, local, {}, 3, s), Contains("differ between ranks"));
    }
    INFO("after all those failures the communicator still works");
    CHECK(acquire::mpi::facility_location(MPI_COMM_WORLD, local, {}, 5).indices == acquire::facility_location(X, {}, 5).indices);
}

namespace {

/// Rows [begin, end) of a [T][N][K] buffer as this rank's stack (zero copy), or nullptr when
/// the rank holds no row (a PredictionStack has at least one).
template <class T>
std::unique_ptr<acquire::PredictionStack<T>> shard_of(const std::vector<T>& buf, Index members, Index n, Index k,
                                                      Index begin, Index end) {
    if (end == begin) return nullptr;
    return std::make_unique<acquire::PredictionStack<T>>(buf.data() + begin * k, members, end - begin, k, n * k, k, 1);
}

/// `copies` copies of each row of a [T][N][K] buffer, next to each other: equal gains, so ties
/// (to the lowest global row) across shard boundaries.
template <class T>
std::vector<T> repeated_rows(const std::vector<T>& base, Index members, Index n, Index k, Index copies) {
    std::vector<T> out(static_cast<std::size_t>(members * n * copies * k));
    for (Index t = 0; t < members; ++t)
        for (Index i = 0; i < n * copies; ++i)
            for (Index y = 0; y < k; ++y)
                out[static_cast<std::size_t>((t * n * copies + i) * k + y)] = base[static_cast<std::size_t>((t * n + i / copies) * k + y)];
    return out;
}

}  // namespace

TEMPLATE_TEST_CASE("mpi::batch_bald equals batch_bald on the concatenated stack", "[mpi][batch_bald]", float, double) {
    using T = TestType;
    struct Shape {
        Index t, n, k, b, configs, samples, copies;
    };
    // Exact then sampled (configs reached after 2 to 3 picks), lazy and full, with and without
    // labeled rows, on copies of rows (ties across shard boundaries) and with T = 50.
    const Shape shapes[] = {{10, 160, 5, 6, 125, 300, 1}, {8, 50, 4, 6, 64, 256, 3}, {30, 60, 3, 5, 9, 200, 1}};
    int case_no = 0;
    for (const Shape& sh : shapes)
        for (int layout = 0; layout < 3; ++layout, ++case_no) {
            acquire::synthetic::StackOptions so;
            so.seed = static_cast<std::uint64_t>(case_no + 1);
            so.disagreement = 1.0 + case_no % 3;
            const Index n = sh.n * sh.copies;
            const auto buf = repeated_rows(acquire::synthetic::stack_buffer<T>(sh.t, sh.n, sh.k, so), sh.t, sh.n, sh.k, sh.copies);
            const auto whole = acquire::PredictionStack<T>::tnk(buf.data(), sh.t, n, sh.k);
            const auto [begin, end] = mine(n, layout);
            const auto local = shard_of(buf, sh.t, n, sh.k, begin, end);
            acquire::BatchBaldOptions opt;
            opt.max_configurations = sh.configs;
            opt.samples = sh.samples;
            opt.seed = so.seed;
            if (case_no % 2 == 0) {
                opt.labeled.push_back(n - 1);
                opt.labeled.push_back(1);
                opt.labeled.push_back(n / 2);
            }
            for (bool lazy : {true, false}) {
                opt.lazy = lazy;
                INFO("T " << sh.t << " N " << n << " K " << sh.k << " layout " << layout << " rows [" << begin << ", "
                          << end << ") lazy " << lazy);
                acquire::BatchBaldStats want_stats, got_stats;
                const auto want = acquire::batch_bald(whole, sh.b, opt, &want_stats);
                const auto got = acquire::mpi::batch_bald<T>(MPI_COMM_WORLD, local.get(), sh.b, opt, &got_stats);
                CHECK(got.indices == want.indices);
                CHECK(got.objective == want.objective);
                CHECK(got_stats.exact == want_stats.exact);
                CHECK(got_stats.configurations == want_stats.configurations);
                CHECK(std::count(want_stats.exact.begin(), want_stats.exact.end(), 0) > 0);  // reached the sampled regime
                if (!lazy) CHECK(got_stats.evaluated == want_stats.evaluated);
                CHECK(got_stats.decided == want_stats.decided);
                if (ranks_of() == 1) {
                    INFO("one rank: batch_bald's steps exactly");
                    CHECK(got_stats.evaluated == want_stats.evaluated);
                    CHECK(got_stats.bounded == want_stats.bounded);
                }
            }
        }
}

TEST_CASE("mpi::batch_bald: b = 0, everything on one rank, and a shard per rank reference", "[mpi][batch_bald]") {
    const Index t = 6, n = 40, k = 3;
    const auto buf = acquire::synthetic::stack_buffer<double>(t, n, k);
    const auto whole = acquire::PredictionStack<double>::tnk(buf.data(), t, n, k);
    const int me = rank_of();
    const auto local = shard_of(buf, t, n, k, me == 0 ? 0 : n, me == 0 ? n : n);
    CHECK(acquire::mpi::batch_bald<double>(MPI_COMM_WORLD, local.get(), 0).indices.empty());
    CHECK(acquire::mpi::batch_bald<double>(MPI_COMM_WORLD, local.get(), 5).indices == acquire::batch_bald(whole, 5).indices);
    if (me == 0) CHECK(acquire::mpi::batch_bald(MPI_COMM_WORLD, *local, 4).indices == acquire::batch_bald(whole, 4).indices);
    else CHECK(acquire::mpi::batch_bald<double>(MPI_COMM_WORLD, nullptr, 4).indices == acquire::batch_bald(whole, 4).indices);
}

TEST_CASE("mpi::batch_bald sends O(ranks + shortlist T K) bytes per pick, whatever N", "[mpi][batch_bald]") {
    // Per pick: at most 2 all-reduces of 32 bytes per rank (1 at the first pick), 24 bytes per
    // rank for the counts, and 8 + T K sizeof(Scalar) bytes for each shortlisted row.
    const Index t = 8, k = 4, b = 6;
    const auto p = static_cast<std::uint64_t>(ranks_of());
    for (Index n : {Index(300), Index(3000)}) {
        const auto buf = acquire::synthetic::stack_buffer<float>(t, n, k);
        const auto [begin, end] = mine(n, 0);
        const auto local = shard_of(buf, t, n, k, begin, end);
        acquire::BatchBaldOptions o;
        o.max_configurations = 16;
        o.samples = 200;
        acquire::BatchBaldStats st;
        acquire::mpi::reset_traffic();
        (void)acquire::mpi::batch_bald<float>(MPI_COMM_WORLD, local.get(), b, o, &st);
        const std::uint64_t mine_counts[2] = {acquire::mpi::traffic().bytes, acquire::mpi::traffic().messages};
        std::uint64_t sum[2] = {0, 0};
        MPI_Allreduce(mine_counts, sum, 2, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
        std::uint64_t shortlisted = 0;
        for (Index m : st.decided) shortlisted += static_cast<std::uint64_t>(m);
        const std::uint64_t setup = (8 + 16 + 24) * p, rows = shortlisted * (8 + t * k * 4);
        const std::uint64_t least = setup + rows + (32 + 24) * p * b, most = least + 32 * p * (b - 1);
        INFO("N " << n << ": " << sum[0] << " bytes in all, " << shortlisted << " rows shortlisted");
        CHECK(sum[0] >= least);
        CHECK(sum[0] <= most);
        // Messages per rank: 3 once, then 4 at the first pick and 4 or 5 at each later one.
        CHECK(sum[1] >= p * (3 + 4 * b));
        CHECK(sum[1] <= p * (3 + 4 + 5 * (b - 1)));
    }
}

TEST_CASE("mpi::batch_bald: bad input on one rank makes every rank throw, naming it", "[mpi][checks][batch_bald]") {
    const int p = ranks_of(), me = rank_of();
    const Index t = 5, n = 60, k = 4;
    auto buf = acquire::synthetic::stack_buffer<float>(t, n, k);
    const auto [begin, end] = mine(n, 0);
    const auto last = std::to_string(p - 1);
    INFO("a NaN in the last rank's shard, named by its local row");
    auto poisoned = buf;
    poisoned[static_cast<std::size_t>((2 * n + end - 1) * k + 1)] = std::numeric_limits<float>::quiet_NaN();
    const auto bad = shard_of(me == p - 1 ? poisoned : buf, t, n, k, begin, end);
    REQUIRE_THROWS_WITH(acquire::mpi::batch_bald<float>(MPI_COMM_WORLD, bad.get(), 3),
                        Contains("acquire::mpi::batch_bald: rank " + last + ": acquire::batch_bald:") &&
                            Contains("row " + std::to_string(end - 1 - begin)));
    const auto good = shard_of(buf, t, n, k, begin, end);
    INFO("global checks: the lowest rank reports");
    acquire::BatchBaldOptions o;
    o.labeled = {n};
    REQUIRE_THROWS_WITH(acquire::mpi::batch_bald<float>(MPI_COMM_WORLD, good.get(), 3, o),
                        Contains("rank 0: acquire::batch_bald: labeled entry 0 is 60, out of range [0, 60)"));
    REQUIRE_THROWS_WITH(acquire::mpi::batch_bald<float>(MPI_COMM_WORLD, good.get(), n + 1), Contains("b is 61 but only 60"));
    o = {};
    o.samples = 0;
    REQUIRE_THROWS_WITH(acquire::mpi::batch_bald<float>(MPI_COMM_WORLD, good.get(), 3, o), Contains("samples must be >= 1"));
    if (p > 1) {
        INFO("a different K on rank 1, and options that differ between ranks");
        const auto wide_buf = acquire::synthetic::stack_buffer<float>(t, n, k + 1);
        const auto wide = shard_of(me == 1 ? wide_buf : buf, t, n, me == 1 ? k + 1 : k, begin, end);
        REQUIRE_THROWS_WITH(acquire::mpi::batch_bald<float>(MPI_COMM_WORLD, wide.get(), 3),
                            Contains("rank 1: acquire::batch_bald: stack is 5 members x 5 classes but rank 0's is 5 x 4"));
        acquire::BatchBaldOptions s;
        s.seed = static_cast<std::uint64_t>(me);
        REQUIRE_THROWS_WITH(acquire::mpi::batch_bald<float>(MPI_COMM_WORLD, good.get(), 3, s),
                            Contains("b, labeled or options differ between ranks"));
    }
    INFO("after all those failures the communicator still works");
    CHECK(acquire::mpi::batch_bald<float>(MPI_COMM_WORLD, good.get(), 3).indices ==
          acquire::batch_bald(acquire::PredictionStack<float>::tnk(buf.data(), t, n, k), 3).indices);
}
