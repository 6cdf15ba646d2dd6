// acquire::mpi's facility location and max coverage under mpiexec (see test_mpi.cpp).
#include "shards.hpp"

#include <acquire/mpi/facility_location.hpp>
#include <acquire/synthetic.hpp>

#include <catch2/catch.hpp>

#include <mpi.h>

#include <limits>
#include <string>
#include <vector>

using Catch::Contains;
using namespace mpi_test;  // Index, rank_of, ranks_of, split, mine

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
                        Contains("acquire::mpi::facility_location: rank " + last + ": acquire::facility_location: X row " + std::to_string(last_begin + 1) + " (local 1) column 2 is inf"));
    REQUIRE_THROWS_WITH(acquire::mpi::max_coverage(MPI_COMM_WORLD, poisoned, 1.0, 3),
                        Contains("acquire::mpi::max_coverage: rank " + last + ": acquire::max_coverage: X row " + std::to_string(last_begin + 1) + " (local 1) column 2 is inf"));
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
                            Contains("radius differs between rank 0 and rank 1"));
        acquire::FacilityLocationOptions s;
        s.lazy = me != 1;
        REQUIRE_THROWS_WITH(acquire::mpi::facility_location(MPI_COMM_WORLD, local, {}, 3, s),
                            Contains("acquire::mpi::facility_location: options lazy differs between rank 0 and rank 1 ("));
    }
    INFO("after all those failures the communicator still works");
    CHECK(acquire::mpi::facility_location(MPI_COMM_WORLD, local, {}, 5).indices == acquire::facility_location(X, {}, 5).indices);
}
