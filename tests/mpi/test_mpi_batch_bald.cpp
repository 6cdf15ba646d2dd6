// acquire::mpi::batch_bald under mpiexec (see test_mpi.cpp).
#include "shards.hpp"

#include <acquire/mpi/batch_bald.hpp>
#include <acquire/synthetic.hpp>

#include <catch2/catch.hpp>

#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

using Catch::Contains;
using namespace mpi_test;  // Index, rank_of, ranks_of, split, mine

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
        // Set-up: the layout (8), the shapes (16) and the agreement on the checks and the six
        // arguments that must match (8 for the verdict, 16 per argument).
        const std::uint64_t setup = (8 + 16 + 8 + 16 * 6) * p, rows = shortlisted * (8 + t * k * 4);
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
    const Index last_begin = split(n, 0)[static_cast<std::size_t>(p - 1)];
    INFO("a NaN in the last rank's shard, named by its global and local row");
    auto poisoned = buf;
    poisoned[static_cast<std::size_t>((2 * n + end - 1) * k + 1)] = std::numeric_limits<float>::quiet_NaN();
    const auto bad = shard_of(me == p - 1 ? poisoned : buf, t, n, k, begin, end);
    REQUIRE_THROWS_WITH(acquire::mpi::batch_bald<float>(MPI_COMM_WORLD, bad.get(), 3),
                        Contains("acquire::mpi::batch_bald: rank " + last + ": acquire::batch_bald:") &&
                            Contains("row " + std::to_string(n - 1) + " (local " + std::to_string(n - 1 - last_begin) + ") column 1 is nan"));
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
                            Contains("acquire::mpi::batch_bald: options seed differs between rank 0 and rank 1 ("));
    }
    INFO("after all those failures the communicator still works");
    CHECK(acquire::mpi::batch_bald<float>(MPI_COMM_WORLD, good.get(), 3).indices ==
          acquire::batch_bald(acquire::PredictionStack<float>::tnk(buf.data(), t, n, k), 3).indices);
}
