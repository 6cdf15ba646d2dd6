// acquire::mpi under mpiexec (1 to 4 ranks): every rank holds a shard of one pool (even, uneven,
// with empty shards) and must return exactly what the single-process function returns on the
// whole pool; bad input on one rank must make every rank throw, naming that rank. This file:
// top_k, random_select and k-center; the other families are in test_mpi_*.cpp, all linked into
// one test_mpi executable so that they compile in parallel.
#include "shards.hpp"

#include <acquire/mpi.hpp>
#include <acquire/synthetic.hpp>

#include <catch2/catch.hpp>

#include <mpi.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

using Catch::Contains;
using namespace mpi_test;  // Index, rank_of, ranks_of, split, mine

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
                        Contains("acquire::mpi::k_center_greedy: rank " + last + ": acquire::k_center_greedy: X row " +
                                 std::to_string(last_begin + 2) + " (local 2) column 1 is nan"));
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
                            Contains("acquire::mpi::k_center_greedy: labeled differs between rank 0 and rank 1 "
                                     "(each must be the same on every rank)"));
        REQUIRE_THROWS_WITH(acquire::mpi::random_select(MPI_COMM_WORLD, end - begin, 5, static_cast<std::uint64_t>(me)),
                            Contains("acquire::mpi::random_select: seed differs between rank 0 and rank 1 ("));
        acquire::RowMatrix<float> wide = acquire::RowMatrix<float>::Zero(local.rows(), me == 1 ? d + 1 : d);
        wide.leftCols(d) = local;
        REQUIRE_THROWS_WITH(acquire::mpi::k_center_greedy(MPI_COMM_WORLD, wide, {}, 3),
                            Contains("acquire::mpi::k_center_greedy: X columns differs between rank 0 and rank 1 ("));
        INFO("two arguments differing on two ranks: each named with the lowest rank that differs");
        acquire::KCenterOptions seeded;
        seeded.seed = me == p - 1 ? 9 : 0;
        REQUIRE_THROWS_WITH(acquire::mpi::k_center_greedy(MPI_COMM_WORLD, local, labeled, me == p - 1 ? 4 : 3, seeded),
                            Contains("b differs between rank 0 and rank " + last +
                                     "; labeled differs between rank 0 and rank 1; options seed differs between rank 0 and rank " +
                                     last + " ("));
    }
    INFO("after all those failures the communicator still works");
    CHECK(acquire::mpi::k_center_greedy(MPI_COMM_WORLD, local, {0}, 5).indices == acquire::k_center_greedy(X, {0}, 5).indices);
}
