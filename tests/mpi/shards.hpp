// Shards of one pool over the ranks of MPI_COMM_WORLD, shared by the MPI tests (tests/mpi/
// test_*.cpp, one family per file, linked into one test_mpi executable).
#pragma once

#include <acquire/core/types.hpp>

#include <mpi.h>

#include <numeric>
#include <utility>
#include <vector>

namespace mpi_test {

using acquire::Index;

inline int rank_of() {
    int r = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    return r;
}
inline int ranks_of() {
    int p = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &p);
    return p;
}

/// Shard boundaries of n rows over the ranks. 0: as even as possible; 1: rank r gets a share
/// growing with r and rank 1 gets none; 2: everything on the last rank but 5 rows on rank 0.
inline std::vector<Index> split(Index n, int layout) {
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
inline std::pair<Index, Index> mine(Index n, int layout) {
    const auto b = split(n, layout);
    const auto r = static_cast<std::size_t>(rank_of());
    return {b[r], b[r + 1]};
}

}  // namespace mpi_test
