/// \file
/// acquire::k_center_greedy over a pool sharded across MPI ranks.
#pragma once

#include "acquire/mpi/core.hpp"
#include "acquire/select/k_center.hpp"

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

/// acquire::k_center_greedy over embeddings sharded across the ranks of `comm` (X: this rank's
/// n_r x d rows, possibly none): exactly the picks and covering radii of k_center_greedy on the
/// concatenated pool, for any number of ranks, on every rank. `labeled`, options.first and the
/// result are global indices.
///
/// Each rank runs the single-process per-pick work (detail::KCenterState, with its triangle
/// inequality pruning) on its own rows. The labeled rows are gathered once (|labeled| x d);
/// then per pick: one all-reduce of (distance, global index) for the farthest row, ties by
/// lowest global index, and one broadcast of the picked row (d values) from the rank that
/// holds it. Bytes sent per pick: 16 by every rank and d * sizeof(Scalar) by the owner,
/// independent of N. Work per rank per pick: O(n_r d) at worst, less with pruning.
///
/// Throws invalid_input on every rank for any input the single-process function rejects
/// (the message names the rank that found it; a NaN by its global and local row), for a
/// number of columns that differs between ranks, and for labeled, b or options that differ
/// between ranks.
template <class Derived>
Selection k_center_greedy(MPI_Comm comm, const Eigen::MatrixBase<Derived>& X, const std::vector<Index>& labeled,
                          Index b, const KCenterOptions& options = {}) {
    constexpr const char* fn = "k_center_greedy";
    using Scalar = typename Derived::Scalar;
    const Index n = X.rows(), d = X.cols();
    const auto at = detail::layout(comm, n);
    detail::Fingerprint fp;
    fp.add("X columns", d);
    fp.add("b", b);
    fp.add("labeled", labeled);
    fp.add("options first", options.first);
    fp.add("options seed", options.seed);
    fp.add("options metric", options.metric);
    fp.add("options prune", options.prune);
    detail::agree(comm, fn, fp, [&] {
        acquire::detail::check_shape(fn, "X", at.total, d);
        const auto sorted = acquire::detail::sorted_indices(fn, "labeled", labeled, at.total);
        acquire::detail::check_budget(fn, "b", b, at.total - static_cast<Index>(labeled.size()));
        if (options.first < -1 || options.first >= at.total)
            acquire::detail::fail(fn, "options first is ", options.first, ", out of range [-1, ", at.total, ")");
        if (options.first >= 0 && std::binary_search(sorted.begin(), sorted.end(), options.first))
            acquire::detail::fail(fn, "options first ", options.first, " is labeled");
        acquire::detail::check_tolerance(fn, options.checks);
        if (options.checks.values) detail::check_shard_rows(at, [&] { acquire::detail::check_finite(fn, "X", X); });
    });
    if (options.metric == Metric::cosine) {
        RowMatrix<Scalar> unit = X;
        detail::agree(comm, fn, fp, [&] {
            for (Index i = 0; i < n; ++i) {
                const Scalar norm = unit.row(i).norm();
                if (!(norm > 0))
                    acquire::detail::fail(fn, "X row ", at.offset + i, " (local ", i, ") has zero norm (cosine metric)");
                unit.row(i) /= norm;
            }
        });
        KCenterOptions euclidean = options;
        euclidean.metric = Metric::euclidean;
        euclidean.checks.values = false;
        return k_center_greedy(comm, unit, labeled, b, euclidean);
    }

    std::vector<char> unavailable(static_cast<std::size_t>(n), 0);
    for (Index g : labeled)
        if (at.mine(g)) unavailable[static_cast<std::size_t>(g - at.offset)] = 1;
    acquire::detail::KCenterState<Scalar> state(n, d, std::move(unavailable), options.prune);

    // The labeled rows, in the order of `labeled`, on every rank: each rank contributes its own.
    {
        const auto row_bytes = static_cast<std::size_t>(d) * sizeof(Scalar);
        const auto rows = detail::gather_rows(comm, at, labeled, row_bytes, [&](Index i, unsigned char* dest) {
            for (Index k = 0; k < d; ++k) {
                const Scalar v = X.coeff(i, k);
                std::memcpy(dest + static_cast<std::size_t>(k) * sizeof(Scalar), &v, sizeof(Scalar));
            }
        });
        std::vector<Scalar> coords(labeled.size() * static_cast<std::size_t>(d));
        if (!rows.empty()) std::memcpy(coords.data(), rows.data(), rows.size());
        state.add_centers(X, coords.data(), static_cast<Index>(labeled.size()));
    }

    auto farthest = [&]() {
        const Index i = state.farthest();
        return detail::arg_max(comm, i < 0 ? detail::Arg{0.0, -1}
                                           : detail::Arg{static_cast<double>(state.nearest(i)), at.offset + i});
    };
    Selection result;
    Index pick = -1;
    if (b > 0) pick = labeled.empty() ? acquire::detail::k_center_first(at.total, options) : farthest().index;
    std::vector<Scalar> center;
    for (Index step = 0; step < b; ++step) {
        center.clear();
        if (at.mine(pick)) {
            state.take(pick - at.offset);
            acquire::detail::copy_row(X, pick - at.offset, center);
        }
        center.resize(static_cast<std::size_t>(d));
        detail::broadcast(center.data(), center.size() * sizeof(Scalar), at.owner(pick), comm);
        state.add_centers(X, center.data(), 1);
        result.indices.push_back(pick);
        const auto next = farthest();
        result.objective.push_back(next.index < 0 ? 0.0 : next.value);
        pick = next.index;
    }
    if (options.stats) *options.stats = state.stats;
    return result;
}

/// @}

}  // namespace acquire::mpi
