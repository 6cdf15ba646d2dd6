/// \file
/// acquire::facility_location and acquire::max_coverage over a pool sharded across MPI ranks.
#pragma once

#include "acquire/mpi/core.hpp"
#include "acquire/select/facility_location.hpp"

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

/// Facility-location gains over one rank's shard of the pool, for candidates whose rows every
/// rank holds (`cand`, m x d, with their squared norms `cnorm` for the 0/1 radius similarity).
/// The interface of acquire::detail::DenseGains (gains, take, tile), so the single-process
/// greedy (acquire::detail::facility_greedy: lazy, plain or stochastic) runs unchanged on
/// every rank, with the same gains everywhere and so the same steps and collectives.
///
/// The shard's rows sit behind `lead` = offset mod 256 zero rows, so that local point j has
/// the place of global point offset + j in the gain lanes (j mod 16) and float chunks
/// (j mod 256) of acquire::detail::dense_gain: a rank's terms and lane sums are those of the
/// single process over its points. A candidate's gain is
/// the sum, in rank order, of the ranks' gains (one all-gather of a double per candidate and
/// rank per evaluated batch). Zero rows add +0 to every lane (cosine), and the radius
/// similarity gives padding points an infinite norm, so they never count.
template <class Scalar>
class ShardGains {
public:
    /// `x`: lead zero rows, then the shard's rows (normalised for cosine). `radius2` < 0: cosine.
    ShardGains(MPI_Comm comm, int ranks, const RowMatrix<Scalar>& x, Index lead, RowMatrix<Scalar> cand,
               Vector<Scalar> cnorm, Scalar radius2, std::size_t memory_bytes)
        : comm_(comm), ranks_(ranks), pool_(x), lead_(lead), cand_(std::move(cand)), cnorm_(std::move(cnorm)),
          radius2_(radius2), cover_(static_cast<std::size_t>(pool_.padded), Scalar(0)),
          slot_(static_cast<std::size_t>(cand_.rows())) {
        if (radius2_ >= 0) {
            pnorm_ = Vector<Scalar>::Constant(pool_.padded, std::numeric_limits<Scalar>::infinity());
            for (Index j = lead_; j < x.rows(); ++j) pnorm_[j] = x.row(j).squaredNorm();
        }
        // As DenseGains: every row is kept when all fit; otherwise the first pass keeps none
        // and later ones keep what they compute while there is room (beside one tile of scratch).
        const std::size_t row_bytes = static_cast<std::size_t>(pool_.padded) * sizeof(Scalar);
        const auto budget = static_cast<Index>(memory_bytes / row_bytes);
        keep_all_ = cand_.rows() <= budget;
        capacity_ = keep_all_ ? cand_.rows() : std::max<Index>(0, budget - tile());
    }
    Index tile() const { return 64; }

    /// Gains of the candidates at positions `which`: this rank's, then summed over ranks.
    std::vector<double> gains(const std::vector<Index>& which) {
        const auto w = static_cast<Index>(which.size());
        std::vector<double> local(which.size());
        std::vector<Scalar> scratch;
        const bool keep = keep_all_ || first_done_;
        first_done_ = true;
        for (Index t0 = 0; t0 < w; t0 += tile()) {
            const Index len = std::min(tile(), w - t0);
            std::vector<Index> todo;  // places in which
            for (Index r = t0; r < t0 + len; ++r)
                if (!slot_[static_cast<std::size_t>(which[static_cast<std::size_t>(r)])]) todo.push_back(r);
            std::vector<Scalar*> dest(todo.size());
            scratch.resize(todo.size() * static_cast<std::size_t>(pool_.padded));
            for (std::size_t t = 0; t < todo.size(); ++t) {
                auto& slot = slot_[static_cast<std::size_t>(which[static_cast<std::size_t>(todo[t])])];
                if (keep && used_ < capacity_) {
                    slot.reset(new Scalar[static_cast<std::size_t>(pool_.padded)]);
                    ++used_;
                }
                dest[t] = slot ? slot.get() : scratch.data() + t * static_cast<std::size_t>(pool_.padded);
            }
            std::vector<Index> positions;
            for (Index r : todo) positions.push_back(which[static_cast<std::size_t>(r)]);
            similarity_rows(positions, dest.data());
            parallel_for(len, 2, [&](Index r) {
                const auto q = static_cast<std::size_t>(which[static_cast<std::size_t>(t0 + r)]);
                const auto it = std::find(todo.begin(), todo.end(), t0 + r);
                const Scalar* row = slot_[q] ? slot_[q].get() : dest[static_cast<std::size_t>(it - todo.begin())];
                local[static_cast<std::size_t>(t0 + r)] = acquire::detail::dense_gain(row, cover_.data(), pool_.padded);
            });
        }
        // Every rank's gains, then their sum in rank order: the same bits on every rank.
        std::vector<double> all(which.size() * static_cast<std::size_t>(ranks_));
        call(MPI_Allgather(local.data(), static_cast<int>(w), MPI_DOUBLE, all.data(), static_cast<int>(w), MPI_DOUBLE,
                           comm_),
             "MPI_Allgather");
        count(local.size() * sizeof(double));
        std::vector<double> out(which.size(), 0.0);
        for (int r = 0; r < ranks_; ++r)
            for (std::size_t i = 0; i < out.size(); ++i) out[i] += all[static_cast<std::size_t>(r) * out.size() + i];
        return out;
    }

    /// Adds the candidate at `position` to S; returns F(S): each rank's sum over its points in
    /// order, summed in rank order.
    double take(Index position) {
        std::unique_ptr<Scalar[]> row = std::move(slot_[static_cast<std::size_t>(position)]);
        if (row) {
            --used_;  // a pick is never evaluated again: its room goes to others
        } else {
            row.reset(new Scalar[static_cast<std::size_t>(pool_.padded)]);
            Scalar* dest[1] = {row.get()};
            similarity_rows({position}, dest);
        }
        double f = 0;
        for (Index j = lead_; j < pool_.n; ++j) {
            Scalar& c = cover_[static_cast<std::size_t>(j)];
            c = std::max(c, row[static_cast<std::size_t>(j)]);
            f += static_cast<double>(c);
        }
        double sum = 0;
        for (double part : all_of(comm_, ranks_, f)) sum += part;
        return sum;
    }

private:
    /// Similarity rows of the candidates at `positions` against the shard (padded length), in
    /// parallel over pool panels: the kernel of the single process (acquire::detail::dot_rows),
    /// whose every element is the same chain of operations wherever it is computed.
    void similarity_rows(const std::vector<Index>& positions, Scalar* const* dest) const {
        const auto count_rows = static_cast<Index>(positions.size());
        if (count_rows == 0) return;
        const Index d = cand_.cols();
        std::vector<Scalar> a(static_cast<std::size_t>(count_rows * d));
        for (Index r = 0; r < count_rows; ++r)
            Eigen::Map<RowMatrix<Scalar>>(a.data() + r * d, 1, d) = cand_.row(positions[static_cast<std::size_t>(r)]);
        constexpr Index W = acquire::detail::facility_width, block = 64;
        const Index panels = pool_.padded / W, blocks = (panels + block - 1) / block;
        parallel_for(blocks, 2, [&](Index t) {
            const Index p0 = t * block, p1 = std::min(panels, p0 + block);
            acquire::detail::dot_rows(pool_, a.data(), count_rows, p0, p1, dest);
            if (radius2_ >= 0)
                for (Index r = 0; r < count_rows; ++r) {
                    const Scalar cn = cnorm_[positions[static_cast<std::size_t>(r)]];
                    for (Index j = p0 * W; j < p1 * W; ++j)
                        dest[r][j] = cn + pnorm_[j] - Scalar(2) * dest[r][j] <= radius2_ ? Scalar(1) : Scalar(0);
                }
        });
    }

    MPI_Comm comm_;
    int ranks_;
    acquire::detail::PackedPool<Scalar> pool_;
    Index lead_;
    RowMatrix<Scalar> cand_;
    Vector<Scalar> cnorm_, pnorm_;
    Scalar radius2_;
    std::vector<Scalar> cover_;  // max similarity of each shard point to S (0 on padding)
    std::vector<std::unique_ptr<Scalar[]>> slot_;  // kept similarity rows, by candidate position
    Index capacity_ = 0, used_ = 0;
    bool keep_all_ = false, first_done_ = false;
};

/// The shared part of mpi::facility_location and mpi::max_coverage: checks (agreed by every
/// rank), the shard behind its lead rows (normalised for cosine), the candidate rows gathered
/// on every rank, then the single-process greedy on ShardGains.
template <class Derived>
Selection facility_shards(MPI_Comm comm, const char* fn, const Eigen::MatrixBase<Derived>& X,
                          const std::vector<Index>& candidates, Index b, const FacilityLocationOptions& options,
                          bool cosine, double radius) {
    using Scalar = typename Derived::Scalar;
    const Index n = X.rows(), d = X.cols();
    const auto at = layout(comm, n);
    Fingerprint fp;
    fp.add("X columns", d);
    fp.add("b", b);
    fp.add("radius", radius);
    fp.add("candidates", candidates);
    fp.add("options lazy", options.lazy);
    fp.add("options stochastic", options.stochastic);
    fp.add("options epsilon", options.epsilon);
    fp.add("options seed", options.seed);
    fp.add("options neighbors", options.neighbors);
    agree(comm, fn, fp, [&] {
        if (!cosine && (!(radius >= 0) || !std::isfinite(radius)))
            acquire::detail::fail(fn, "radius must be finite and >= 0, got ", radius);
        acquire::detail::check_shape(fn, "X", at.total, d);
        acquire::detail::sorted_indices(fn, "candidates", candidates, at.total);
        acquire::detail::check_budget(fn, "b", b, candidates.empty() ? at.total : static_cast<Index>(candidates.size()));
        if (!(options.epsilon > 0 && options.epsilon < 1))
            acquire::detail::fail(fn, "options epsilon must be in (0, 1), got ", options.epsilon);
        if (options.memory_bytes < static_cast<std::size_t>(n) * sizeof(Scalar))
            acquire::detail::fail(fn, "options memory_bytes (", options.memory_bytes, ") must hold one row of ", n,
                                  " similarities (this rank's rows)");
        if (options.neighbors < 0)
            acquire::detail::fail(fn, "options neighbors must be >= 0 (0 = dense), got ", options.neighbors);
        if (options.neighbors > 0)
            acquire::detail::fail(fn, "options neighbors (sparse mode) is not supported over MPI yet: use 0 (dense)");
        acquire::detail::check_tolerance(fn, options.checks);
        if (options.checks.values) detail::check_shard_rows(at, [&] { acquire::detail::check_finite(fn, "X", X); });
    });
    // Lead rows: see ShardGains.
    const Index lead = at.offset % 256;
    RowMatrix<Scalar> x(lead + n, d);
    x.topRows(lead).setZero();
    x.bottomRows(n) = X;
    if (cosine)
        agree(comm, fn, fp, [&] {
            for (Index i = lead; i < lead + n; ++i) {
                const Scalar norm = x.row(i).norm();
                if (!(norm > 0))
                    acquire::detail::fail(fn, "X row ", at.offset + i - lead, " (local ", i - lead,
                                          ") has zero norm (cosine similarity)");
                x.row(i) /= norm;
            }
        });
    // The candidates (ascending; empty = every row) with their rows and squared norms, on every rank.
    std::vector<Index> sorted = candidates;
    if (sorted.empty()) {
        sorted.resize(static_cast<std::size_t>(at.total));
        for (Index g = 0; g < at.total; ++g) sorted[static_cast<std::size_t>(g)] = g;
    }
    std::sort(sorted.begin(), sorted.end());
    const auto m = static_cast<Index>(sorted.size());
    const std::size_t row_bytes = static_cast<std::size_t>(d + 1) * sizeof(Scalar);
    const auto rows = gather_rows(comm, at, sorted, row_bytes, [&](Index i, unsigned char* dest) {
        const auto r = x.row(lead + i);
        for (Index k = 0; k < d; ++k) {
            const Scalar v = r(k);
            std::memcpy(dest + static_cast<std::size_t>(k) * sizeof(Scalar), &v, sizeof(Scalar));
        }
        const Scalar norm2 = cosine ? Scalar(0) : r.squaredNorm();
        std::memcpy(dest + static_cast<std::size_t>(d) * sizeof(Scalar), &norm2, sizeof(Scalar));
    });
    RowMatrix<Scalar> cand(m, d);
    Vector<Scalar> cnorm(m);
    for (Index q = 0; q < m; ++q) {
        const unsigned char* src = rows.data() + static_cast<std::size_t>(q) * row_bytes;
        std::memcpy(cand.row(q).data(), src, static_cast<std::size_t>(d) * sizeof(Scalar));
        std::memcpy(&cnorm[q], src + static_cast<std::size_t>(d) * sizeof(Scalar), sizeof(Scalar));
    }
    ShardGains<Scalar> eval(comm, at.ranks, x, lead, std::move(cand), std::move(cnorm),
                            cosine ? Scalar(-1) : static_cast<Scalar>(radius * radius), options.memory_bytes);
    return acquire::detail::facility_greedy(sorted, b, options, eval);
}

}  // namespace detail

/// \addtogroup mpi_sharded
/// @{

/// acquire::facility_location over a pool sharded across the ranks of `comm` (X: this rank's
/// n_r x d rows, possibly none): greedy maximisation of F(S) = sum over all N rows j of
/// max(0, max_{i in S} cos(x_i, x_j)) (Yang et al. 2017; greedy within 1 - 1/e, Nemhauser et
/// al. 1978), b picks from `candidates` (global rows, any order; empty = every row), ties to
/// the lowest global row; `Selection::objective[j]` is F after pick j. Every rank returns the
/// same picks. Lazy (Minoux), plain and stochastic greedy as facility_location, run unchanged
/// on every rank over gains summed across ranks.
///
/// The candidates' rows are gathered on every rank once (one all-gather: |candidates| x d
/// Scalars in all, so keep the candidate set small: a prefilter, the top of an uncertainty
/// score); each rank keeps the coverage of its own rows and computes every gain term
/// max(0, s_cj - cover_j) over them with the single-process kernel. A gain is the sum, in rank
/// order, of the ranks' shares: one all-gather of a double per candidate and rank per
/// evaluated batch (the first pass evaluates every candidate; lazy greedy then a few per pick),
/// and one of 8 bytes per rank per pick for F. Work per rank: O(|candidates| n_r d) for the
/// first pass, O(n_r d) per re-evaluated candidate; memory O(|candidates| (d + n_r)) while the
/// similarity rows fit options.memory_bytes (then rows are recomputed when re-evaluated).
///
/// Same picks as facility_location: each rank's terms and lane sums are bit for bit those of
/// the single process over its rows; only the final sum of the ranks' shares rounds
/// differently, so gains agree to a relative ~1e-16 (double sums; float shares whose 256-point
/// chunk straddles a shard boundary add one float rounding of that chunk). Picks can differ only
/// where two candidates' gains are that close (near-ties between different rows), and are
/// exactly equal on one rank. F(S) likewise agrees to rounding. The picks on a given split are
/// the same on every rank and every run.
///
/// Throws invalid_input on every rank for any input facility_location rejects (the rank that
/// found it named; NaN/Inf and zero rows by global and local row), for options.neighbors > 0
/// (the sparse mode is not distributed yet), and for X columns, candidates, b or options that
/// differ between ranks. options.memory_bytes is per rank and may differ.
template <class Derived>
Selection facility_location(MPI_Comm comm, const Eigen::MatrixBase<Derived>& X, const std::vector<Index>& candidates,
                            Index b, const FacilityLocationOptions& options = {}) {
    return detail::facility_shards(comm, "facility_location", X, candidates, b, options, true, 0.0);
}

/// acquire::max_coverage over a pool sharded across the ranks of `comm`: b picks from
/// `candidates` (global rows; empty = every row) maximising the number of rows within
/// Euclidean `radius` of some pick, [||x_i||^2 + ||x_j||^2 - 2 x_i.x_j <= radius^2] in the
/// input's Scalar as max_coverage computes it; `Selection::objective[j]` is the covered count
/// after pick j. Same layout, messages and work as mpi::facility_location (each candidate row
/// travels with its squared norm).
///
/// Exact: gains are counts, and every partial sum of 0/1 terms is an integer that float and
/// double hold exactly, so the picks (ties: lowest global row) and the counts are those of
/// max_coverage for any number of ranks.
///
/// Throws invalid_input on every rank as mpi::facility_location does, and for a radius that
/// is negative or not finite.
template <class Derived>
Selection max_coverage(MPI_Comm comm, const Eigen::MatrixBase<Derived>& X, double radius, Index b,
                       const std::vector<Index>& candidates = {}, const FacilityLocationOptions& options = {}) {
    return detail::facility_shards(comm, "max_coverage", X, candidates, b, options, false, radius);
}

/// @}

}  // namespace acquire::mpi
