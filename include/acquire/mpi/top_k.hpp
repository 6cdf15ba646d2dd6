/// \file
/// acquire::top_k and acquire::random_select over a pool sharded across MPI ranks.
#pragma once

#include "acquire/core/random.hpp"
#include "acquire/core/top_k.hpp"
#include "acquire/mpi/core.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace acquire::mpi {

/// \addtogroup mpi_sharded
/// @{

/// acquire::top_k over scores sharded across the ranks of `comm`: the global indices of the k
/// highest scores of the concatenated vector, highest first, ties by lowest global index, never
/// an index in `exclude` (global). The same on every rank, and equal to top_k on the whole
/// vector: each rank keeps its own k best in a TopK, one all-gather of k (score, index) pairs
/// per rank, and every rank merges them (the order on (score, index) is strict, so the merge
/// does not depend on the order of arrival).
///
/// Messages: 3 collectives (the layout: 8 bytes per rank; the agreement on inputs: 40 bytes per
/// rank; the gather: 16 k bytes per rank). Work per rank O(n_r + |exclude| log |exclude| +
/// k ranks log k), memory O(k ranks).
/// Throws invalid_input on every rank if any rank's scores are not a vector or hold a NaN, or
/// exclude or k are invalid for the global pool, or differ between ranks.
template <class Derived>
std::vector<Index> top_k(MPI_Comm comm, const Eigen::MatrixBase<Derived>& scores, Index k,
                         const std::vector<Index>& exclude = {}) {
    constexpr const char* fn = "top_k";
    using Scalar = typename Derived::Scalar;
    const Index n = scores.rows() == 1 || scores.cols() == 1 ? scores.size() : 0;
    const auto at = detail::layout(comm, n);
    detail::Fingerprint fp;
    fp.add("k", k);
    fp.add("exclude", exclude);
    detail::agree(comm, fn, fp, [&] {
        acquire::detail::check_vector(fn, "scores", scores);
        const auto skip = acquire::detail::sorted_indices(fn, "exclude", exclude, at.total);
        acquire::detail::check_budget(fn, "k", k, at.total - static_cast<Index>(skip.size()));
        acquire::detail::as_column(scores, [&](const auto& v) {
            if (v.hasNaN())
                for (Index i = 0; i < n; ++i)
                    if (v.coeff(i) != v.coeff(i))
                        acquire::detail::fail(fn, "scores entry ", at.offset + i, " (local ", i, ") is NaN");
        });
    });
    // Local best k, excluded rows skipped, indices global.
    std::vector<Index> local_exclude;
    for (Index e : exclude)
        if (at.mine(e)) local_exclude.push_back(e - at.offset);
    std::sort(local_exclude.begin(), local_exclude.end());
    TopK<Scalar> best(k);
    acquire::detail::as_column(scores, [&](const auto& v) {
        Index begin = 0;
        auto push_segment = [&](Index end) {
            if (end > begin) best.push(v.segment(begin, end - begin), at.offset + begin);
        };
        for (const Index e : local_exclude) {
            push_segment(e);
            begin = e + 1;
        }
        push_segment(n);
    });
    std::vector<detail::Arg> mine(static_cast<std::size_t>(k), detail::Arg{0.0, -1});
    const auto kept = best.sorted();
    for (std::size_t j = 0; j < kept.size(); ++j) mine[j] = {static_cast<double>(kept[j].first), kept[j].second};
    std::vector<detail::Arg> all(mine.size() * static_cast<std::size_t>(at.ranks));
    const auto bytes = static_cast<int>(mine.size() * sizeof(detail::Arg));
    detail::call(MPI_Allgather(mine.data(), bytes, MPI_BYTE, all.data(), bytes, MPI_BYTE, comm), "MPI_Allgather");
    detail::count(static_cast<std::uint64_t>(bytes));
    TopK<double> merged(k);
    for (const auto& a : all)
        if (a.index >= 0) merged.push(a.index, a.value);
    return merged.indices();
}

/// acquire::random_select over a pool of n_r rows on each rank: k distinct global indices drawn
/// uniformly from the concatenated pool minus `exclude`, the same on every rank and equal to
/// random_select(total rows, k, seed, exclude). The draw needs only the total, so every rank
/// runs the same partial Fisher-Yates shuffle, sparsely: O(k + |exclude|) memory, not O(N).
/// Messages: 2 collectives (layout, agreement).
inline std::vector<Index> random_select(MPI_Comm comm, Index local_rows, Index k, std::uint64_t seed,
                                        const std::vector<Index>& exclude = {}) {
    constexpr const char* fn = "random_select";
    const auto at = detail::layout(comm, std::max<Index>(local_rows, 0));
    std::vector<Index> skip;
    detail::Fingerprint fp;
    fp.add("k", k);
    fp.add("seed", seed);
    fp.add("exclude", exclude);
    detail::agree(comm, fn, fp, [&] {
        if (local_rows < 0) acquire::detail::fail(fn, "local_rows must be >= 0, got ", local_rows);
        skip = acquire::detail::sorted_indices(fn, "exclude", exclude, at.total);
        acquire::detail::check_budget(fn, "k", k, at.total - static_cast<Index>(skip.size()));
    });
    // Position p of the pool of available indices (ascending, exclude removed) is the index g
    // with g - (excluded below or at g) = p: found by walking the sorted exclude list.
    auto index_at = [&](Index p) {
        Index g = p;
        for (Index e : skip) {
            if (e > g) break;
            ++g;
        }
        return g;
    };
    const Index available = at.total - static_cast<Index>(skip.size());
    std::unordered_map<Index, Index> moved;  // positions whose content a swap changed
    auto get = [&](Index p) {
        const auto it = moved.find(p);
        return it == moved.end() ? p : it->second;
    };
    Rng rng(seed);
    std::vector<Index> picks;
    picks.reserve(static_cast<std::size_t>(k));
    for (Index j = 0; j < k; ++j) {
        const auto pick = j + static_cast<Index>(rng.below(static_cast<std::uint64_t>(available - j)));
        const Index a = get(j), b = get(pick);
        moved[j] = b;
        moved[pick] = a;
        picks.push_back(index_at(b));
    }
    return picks;
}

/// @}

}  // namespace acquire::mpi
