// acquire::mpi's D^2 samplers under mpiexec (see test_mpi.cpp): kmeans_pp and badge.
#include "shards.hpp"

#include <acquire/mpi/badge.hpp>
#include <acquire/synthetic.hpp>

#include <catch2/catch.hpp>

#include <mpi.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

using Catch::Contains;
using namespace mpi_test;  // Index, rank_of, ranks_of, split, mine

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
    const Index last_begin = split(n, 0)[static_cast<std::size_t>(p - 1)];
    INFO("a NaN in X on the last rank");
    acquire::RowMatrix<float> poisoned = local;
    if (me == p - 1) poisoned(1, 2) = std::numeric_limits<float>::quiet_NaN();
    REQUIRE_THROWS_WITH(acquire::mpi::kmeans_pp(MPI_COMM_WORLD, poisoned, 3),
                        Contains("acquire::mpi::kmeans_pp: rank " + last + ": acquire::kmeans_pp: X row " + std::to_string(last_begin + 1) + " (local 1) column 2 is nan"));
    REQUIRE_THROWS_WITH(acquire::mpi::badge(MPI_COMM_WORLD, Pl, poisoned, {}, 3),
                        Contains("acquire::mpi::badge: rank " + last + ": acquire::badge: H row " + std::to_string(last_begin + 1) + " (local 1) column 2 is nan"));
    INFO("a row of P that is not a distribution on the last rank");
    acquire::RowMatrix<float> bad = Pl;
    if (me == p - 1) bad(0, 0) = 2.0f;
    REQUIRE_THROWS_WITH(acquire::mpi::badge(MPI_COMM_WORLD, bad, local, {}, 3),
                        Contains("rank " + last + ": acquire::badge: P row " + std::to_string(last_begin) + " (local 0) column 0 is 2"));
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
        REQUIRE_THROWS_WITH(acquire::mpi::kmeans_pp(MPI_COMM_WORLD, local, 3, s), Contains("acquire::mpi::kmeans_pp: options seed differs between rank 0 and rank 1 ("));
        REQUIRE_THROWS_WITH(acquire::mpi::badge(MPI_COMM_WORLD, Pl, local, {static_cast<Index>(me)}, 3),
                            Contains("acquire::mpi::badge: labeled differs between rank 0 and rank 1 ("));
    }
    INFO("after all those failures the communicator still works");
    CHECK(acquire::mpi::kmeans_pp(MPI_COMM_WORLD, local, 5).indices == acquire::kmeans_pp(X, 5).indices);
    CHECK(acquire::mpi::badge(MPI_COMM_WORLD, Pl, local, {}, 5).indices == acquire::badge(P, X, {}, 5).indices);
}
