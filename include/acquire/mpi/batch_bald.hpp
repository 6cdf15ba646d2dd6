/// \file
/// acquire::batch_bald over a prediction stack sharded across MPI ranks.
#pragma once

#include "acquire/mpi/core.hpp"
#include "acquire/select/batch_bald.hpp"

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

namespace detail {

/// A rank's word after a BatchBALD step's refinement: its candidates on the shortlist (see
/// mpi::batch_bald) and the bounds and evaluations it computed.
struct BatchBaldWord {
    std::int64_t near, evaluated, bounded;
};

}  // namespace detail

/// \addtogroup mpi_sharded
/// @{

/// acquire::batch_bald over a prediction stack sharded across the ranks of `comm` (`shard`:
/// this rank's T x n_r x K predictions, any layout, or nullptr for a rank holding no row, since
/// a PredictionStack has at least one): BatchBALD (Kirsch et al. 2019), the greedy argmax of
/// I(y_1..y_n; w), with the same picks as batch_bald on the concatenated stack, on every rank.
/// options.labeled and the result are global rows. `Selection::objective` and `stats` as
/// batch_bald's (stats' counts summed over ranks).
///
/// Every rank holds the joint table (C x T: the exact configurations, then the drawn ones) and
/// runs batch_bald's own step (acquire::detail::BatchBaldStep) on its own candidates: the float
/// screening, the lazy greedy's heap of bounds from grouped configurations
/// (detail::batch_bald_levels, computed on every rank from the same table) and last step's gains
/// while exact. Per pick:
///  1. The best screened gain, agreed. The first pick (and every pick without lazy greedy)
///     screens every candidate on its rank; one all-reduce (max) of 32 bytes (the rank's best
///     screened gain, its top bound, whether it has bounds and evaluations) gives every rank
///     the global best. A later lazy pick first runs one batch_bald round on every rank (its
///     top bounds, at most C table rows' worth), all-reduces, then each rank refines its bounds
///     until none can beat the best it knows (the global best so far or its own), and a second
///     all-reduce ends it: every rank's bounds are then below the slack of the global best, so
///     every candidate that can win has been screened. That is batch_bald's stopping rule, in
///     at most 2 all-reduces per pick whatever the rounds (one all-reduce per round took 20 to
///     50 per pick). A rank does not learn a better best found elsewhere during its own
///     refinement: in a stress run (96 pools, N = 300 to 600) the ranks screened 4% (2 ranks)
///     and 9% (4 ranks) more candidates in total than one process, each rank its share.
///  2. The shortlist: every candidate whose screened gain is within the slack of the global
///     best (batch_bald's `near`), gathered on every rank in ascending global row (one
///     all-gather of 24 bytes per rank for the counts and the statistics, then the rows'
///     global indices and their T K predictions: 8 + T K sizeof(Scalar) bytes per shortlisted
///     row, usually 1 to a few).
///  3. Every rank evaluates the shortlist in double, in one call in row order as batch_bald
///     does, and picks the lowest row within the tie tolerance of the best: the same decision
///     on every rank with no further message. The pick's predictions are in the shortlist, so
///     every rank extends its joint table (or redraws it: every rank draws the same
///     configurations from the same seed stream, which does not depend on the split) from its
///     copy of the picks' rows.
/// Messages per pick: 2 or 3 all-reduces/all-gathers of a few dozen bytes (1 all-reduce at the
/// first pick or without lazy greedy) and the 2 all-gathers of the shortlist; bytes per pick:
/// 32 + 24 per rank plus 8 + T K sizeof(Scalar) per shortlisted row, independent of N. Once:
/// the layout, the shapes and the agreement on inputs (8, 16 and 104 bytes per rank). Work per
/// rank per pick: its share of the bounds and evaluations (O(G T K) and O(C T K) per candidate,
/// batch_bald's), the levels of groups (O(C T) per level, repeated on every rank) and the
/// shortlist in double. Memory per rank: batch_bald's on n_r rows, plus b T K Scalars of
/// picked rows and the replicated joint table (C x T doubles).
///
/// Exactness. A candidate's screened and precise terms depend in their last bits on the GEMM
/// group batch_bald_terms evaluates them in (Eigen's column panels and small-product path;
/// measured: the same candidate alone or within a group differs in its last bits, float and
/// double), in one process too, so lazy and full evaluation already differ in those bits. Here the decision is bit for bit
/// batch_bald's: the shortlist is evaluated in double in the same single call, in the same
/// order, as in one process, so its gains, the pick and its objective are the same bits
/// whenever the shortlist is the same. The shortlist is decided by float screened gains 1e-4
/// (relative) below the best, and those are computed in groups of this rank's candidates: a
/// candidate can be on one list and not the other only if its screened gain is within float
/// rounding (~1e-7) of that edge; it is then 1e-4 below the best and cannot win, but it joins
/// the double evaluation's GEMM groups, so the others' precise gains (and the objective) could
/// differ in their last bits, and the pick only for two gains at the edge of the 1e-12 tie
/// tolerance. The joint tables, levels of groups and drawn configurations are computed from
/// identical bits on every rank, so every rank returns the same. On one rank the steps are
/// batch_bald's exactly. A stress run (96 pools x 1 to 4 ranks, even and random splits, float
/// and double, exact and sampled) found no differing pick and no differing objective bit.
///
/// Throws invalid_input on every rank for any input batch_bald rejects (named by the rank that
/// found it; stack rows by global and local row), for a stack whose T or K differs from the first rank
/// holding rows, and for b, labeled or options that differ between ranks.
template <class Scalar>
Selection batch_bald(MPI_Comm comm, const PredictionStack<Scalar>* shard, Index b, const BatchBaldOptions& options = {},
                     BatchBaldStats* stats = nullptr) {
    constexpr const char* fn = "batch_bald";
    const Index n = shard ? shard->rows() : 0;
    const auto at = detail::layout(comm, n);
    struct Shape {
        std::int64_t members, cols;
    };
    const auto shapes =
        detail::all_of(comm, at.ranks, Shape{shard ? shard->members() : 0, shard ? shard->cols() : 0});
    int first = -1;
    for (int r = 0; r < at.ranks && first < 0; ++r)
        if (shapes[static_cast<std::size_t>(r)].members > 0) first = r;
    const Index T = first < 0 ? 0 : shapes[static_cast<std::size_t>(first)].members;
    const Index K = first < 0 ? 0 : shapes[static_cast<std::size_t>(first)].cols;
    detail::Fingerprint fp;
    fp.add("b", b);
    fp.add("options labeled", options.labeled);
    fp.add("options max_configurations", options.max_configurations);
    fp.add("options samples", options.samples);
    fp.add("options seed", options.seed);
    fp.add("options lazy", options.lazy);
    detail::agree(comm, fn, fp, [&] {
        if (options.max_configurations < 1)
            acquire::detail::fail(fn, "options max_configurations must be >= 1, got ", options.max_configurations);
        if (options.samples < 1) acquire::detail::fail(fn, "options samples must be >= 1, got ", options.samples);
        acquire::detail::sorted_indices(fn, "labeled", options.labeled, at.total);
        acquire::detail::check_budget(fn, "b", b, at.total - static_cast<Index>(options.labeled.size()));
        if (shard && (shard->members() != T || shard->cols() != K))
            acquire::detail::fail(fn, "stack is ", shard->members(), " members x ", shard->cols(), " classes but rank ",
                                  first, "'s is ", T, " x ", K);
        if (shard) detail::check_shard_rows(at, [&] { acquire::detail::check_stack(fn, *shard, options.checks); });
    });
    if (stats) *stats = BatchBaldStats{};
    Selection result;
    if (b == 0) return result;

    std::vector<char> excluded(static_cast<std::size_t>(n), 0);
    for (Index g : options.labeled)
        if (at.mine(g)) excluded[static_cast<std::size_t>(g - at.offset)] = 1;
    // batch_bald's own lazy-greedy step, on this rank's rows.
    using Step = acquire::detail::BatchBaldStep<Scalar>;
    Step local(shard, n, std::move(excluded));

    // The picks' rows ([pick][T][K]) on every rank: the joint table is extended or drawn from them.
    std::vector<Scalar> picked(static_cast<std::size_t>(b * T * K));
    const auto picks_view = [&](Index count) { return PredictionStack<Scalar>::ntk(picked.data(), count, T, K); };
    acquire::detail::BatchBaldJoint joint = acquire::detail::batch_bald_start(T);
    bool exact = true;
    double picked_conditional = 0;
    Rng rng(options.seed);
    const std::size_t row_scalars = static_cast<std::size_t>(T * K);
    std::vector<int> counts(static_cast<std::size_t>(at.ranks)), displs(counts.size());
    Eigen::VectorXd row_sums(T);
    MPI_Datatype record;
    detail::call(MPI_Type_contiguous(static_cast<int>(row_scalars * sizeof(Scalar)), MPI_BYTE, &record), "MPI_Type_contiguous");
    detail::call(MPI_Type_commit(&record), "MPI_Type_commit");
    struct FreeType {
        MPI_Datatype* t;
        ~FreeType() { MPI_Type_free(t); }
    } free_record{&record};

    for (Index step = 0; step < b; ++step) {
        local.start(step, options.lazy, exact, joint);
        // 1. Rounds until no rank holds a bound that can beat the global best screened gain.
        double best = -std::numeric_limits<double>::infinity();
        bool any_fresh = false;
        for (bool first_round = true;; first_round = false) {
            if (first_round) {
                if (step > 0 && options.lazy) local.round(false, best);
            } else {
                while (local.pending(any_fresh, best)) local.round(any_fresh, best);
            }
            const double in[4] = {local.best(), local.top(), local.any_bound() ? 1.0 : 0.0, local.any_fresh() ? 1.0 : 0.0};
            double out[4];
            detail::allreduce(in, out, 4, MPI_DOUBLE, MPI_MAX, comm, sizeof in);
            best = out[0];
            any_fresh = out[3] > 0;
            if (!(out[2] > 0) || (any_fresh && out[1] < Step::threshold(best))) break;
        }
        // 2. The shortlist, in ascending global row, with its rows, on every rank.
        const std::vector<Index>& near = local.near(best);
        const auto words = detail::all_of(comm, at.ranks,
                                          detail::BatchBaldWord{static_cast<std::int64_t>(near.size()), static_cast<std::int64_t>(local.evaluated()),
                                                                static_cast<std::int64_t>(local.bounded())});
        Index m = 0, evaluated = 0, bounded = 0;
        for (int r = 0; r < at.ranks; ++r) {
            const auto& w = words[static_cast<std::size_t>(r)];
            counts[static_cast<std::size_t>(r)] = static_cast<int>(w.near);
            displs[static_cast<std::size_t>(r)] = static_cast<int>(m);
            m += w.near;
            evaluated += w.evaluated;
            bounded += w.bounded;
        }
        std::vector<std::int64_t> near_rows(static_cast<std::size_t>(m) + 1);
        std::vector<std::int64_t> own_rows(near.size() + 1);
        std::vector<Scalar> own(near.size() * row_scalars + 1), rows(static_cast<std::size_t>(m) * row_scalars + 1);
        for (std::size_t j = 0; j < near.size(); ++j) {
            own_rows[j] = at.offset + near[j];
            for (Index t = 0; t < T; ++t)
                for (Index y = 0; y < K; ++y) own[j * row_scalars + static_cast<std::size_t>(t * K + y)] = (*shard)(t, near[j], y);
        }
        detail::call(MPI_Allgatherv(own_rows.data(), static_cast<int>(near.size()), MPI_INT64_T, near_rows.data(),
                                    counts.data(), displs.data(), MPI_INT64_T, comm),
                     "MPI_Allgatherv");
        detail::call(MPI_Allgatherv(own.data(), static_cast<int>(near.size()), record, rows.data(), counts.data(),
                                    displs.data(), record, comm),
                     "MPI_Allgatherv");
        detail::count(near.size() * sizeof(std::int64_t));
        detail::count(near.size() * row_scalars * sizeof(Scalar));
        if (m == 0) acquire::detail::fail(fn, "no candidate left at step ", step);  // unreachable: b is checked
        // 3. The shortlist in double, as batch_bald evaluates it: one call, ascending rows.
        const auto list = PredictionStack<Scalar>::ntk(rows.data(), m, T, K);
        std::vector<Index> all(static_cast<std::size_t>(m));
        for (Index j = 0; j < m; ++j) all[static_cast<std::size_t>(j)] = j;
        std::vector<double> precise(static_cast<std::size_t>(m)), cond(static_cast<std::size_t>(m));
        acquire::detail::batch_bald_terms<double>(list, joint.table, joint.mass, all.data(), m, precise.data());
        for (Index j = 0; j < m; ++j) {
            auto& g = precise[static_cast<std::size_t>(j)];
            cond[static_cast<std::size_t>(j)] = Step::conditional(list, j, T, K);
            g += Step::correction(list, j, local.z(), cond[static_cast<std::size_t>(j)], row_sums);
            if (std::isnan(g)) g = -std::numeric_limits<double>::infinity();
        }
        const auto at_pick = static_cast<Index>(Step::pick(precise));
        const Index pick = near_rows[static_cast<std::size_t>(at_pick)];
        const double pick_gain = precise[static_cast<std::size_t>(at_pick)];
        local.finish(precise.data() + displs[static_cast<std::size_t>(at.rank)], at.mine(pick) ? pick - at.offset : -1,
                     options.lazy);
        if (stats) {
            stats->evaluated.push_back(evaluated);
            stats->bounded.push_back(bounded);
            stats->decided.push_back(m);
            stats->configurations.push_back(joint.table.rows());
            stats->exact.push_back(exact ? 1 : 0);
        }
        const double pick_conditional = cond[static_cast<std::size_t>(at_pick)];
        picked_conditional += pick_conditional;
        result.indices.push_back(pick);
        result.objective.push_back(joint.base + (pick_gain + pick_conditional) - picked_conditional);
        std::copy(rows.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(at_pick) * row_scalars),
                  rows.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(at_pick + 1) * row_scalars),
                  picked.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(step) * row_scalars));
        if (step + 1 == b) break;
        if (exact && joint.table.rows() * K <= options.max_configurations) {
            joint = acquire::detail::batch_bald_extend(picks_view(step + 1), joint, step);
        } else {
            exact = false;
            std::vector<Index> order(static_cast<std::size_t>(step + 1));
            for (Index j = 0; j <= step; ++j) order[static_cast<std::size_t>(j)] = j;
            joint = acquire::detail::batch_bald_sample(picks_view(step + 1), order, options.samples, rng);
        }
    }
    return result;
}

/// mpi::batch_bald for a rank holding rows (see the overload above; a rank without rows
/// passes nullptr there).
template <class Scalar>
Selection batch_bald(MPI_Comm comm, const PredictionStack<Scalar>& shard, Index b, const BatchBaldOptions& options = {},
                     BatchBaldStats* stats = nullptr) {
    return batch_bald(comm, &shard, b, options, stats);
}

/// @}

}  // namespace acquire::mpi
