/// \file
/// Greedy k-center core-set selection (Sener & Savarese 2018; Gonzalez 1985).
// Greedy k-center core-set selection (Sener & Savarese 2018; Gonzalez 1985).
//
// Repeatedly pick the unlabeled point farthest from its nearest center, where the centers are
// the labeled points and the picks so far. The greedy algorithm is a 2-approximation of the
// minimax facility location (k-center) problem: the covering radius it reaches with b picks is
// at most twice the best possible with b centers added to the labeled ones.
//
// Exact and fast: the picks are those of the naive algorithm (every point's distance to every
// new center), but a point x whose nearest center a satisfies d(a, c) >= 2 d(x, a) cannot be
// closer to the new center c (triangle inequality: d(x, c) >= d(a, c) - d(x, a) >= d(x, a)), so
// its distance is never computed. On clustered embeddings that skips most of the pool.
#pragma once

#include "acquire/core/error.hpp"
#include "acquire/core/parallel.hpp"
#include "acquire/core/random.hpp"
#include "acquire/core/selection.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace acquire {

/// \addtogroup diversity_selectors
/// @{

/// Distance between embeddings.
enum class Metric {
    euclidean,  ///< ||x - y||
    cosine,     ///< ||x/|x| - y/|y||| = sqrt(2 - 2 cos(x, y)): Euclidean on unit-normalised rows
};

/// Work counters filled by k_center_greedy when KCenterOptions::stats points at one.
struct KCenterStats {
    /// Point-to-center and center-to-center distances computed.
    Index distance_evaluations = 0;
    /// Point-to-new-center distances skipped by the triangle inequality.
    Index skipped = 0;
};

/// Options of `k_center_greedy`.
struct KCenterOptions {
    /// Distance between embeddings.
    Metric metric = Metric::euclidean;
    /// First pick when no point is labeled: -1 draws it uniformly from the pool with `seed`
    /// (acquire::Rng, the same on every platform); otherwise that unlabeled index. Ignored when
    /// labeled points exist (the first pick is then the farthest from them).
    Index first = -1;
    /// Seed of the first pick's draw when `first` is -1 and nothing is labeled.
    std::uint64_t seed = 0;
    /// Skip distances the triangle inequality rules out. The picks are identical either way;
    /// false runs the naive algorithm (the benchmark's reference).
    bool prune = true;
    /// If not null, receives the work counters.
    KCenterStats* stats = nullptr;
    /// checks.values: reject NaN/Inf embeddings (one O(N d) pass).
    CheckOptions checks;
};

/// @}

namespace detail {

/// Squared Euclidean distance of two contiguous d-vectors, on four independent packet
/// accumulators (Eigen's packet math, so SSE, AVX or NEON as compiled): the additions of one
/// accumulator no longer wait on each other, which doubles the throughput of a reduction over
/// two accumulators. Any rank or thread evaluating the same pair gets the same bits.
template <class Scalar>
Scalar squared_distance(const Scalar* x, const Scalar* c, Index d) {
    namespace ei = Eigen::internal;
    using Packet = typename ei::packet_traits<Scalar>::type;
    constexpr Index P = ei::packet_traits<Scalar>::size;
    Index k = 0;
    Scalar sum = 0;
    if constexpr (P > 1) {
        Packet a0 = ei::pset1<Packet>(Scalar(0)), a1 = a0, a2 = a0, a3 = a0;
        for (; k + 4 * P <= d; k += 4 * P) {
            const Packet e0 = ei::psub(ei::ploadu<Packet>(x + k), ei::ploadu<Packet>(c + k));
            const Packet e1 = ei::psub(ei::ploadu<Packet>(x + k + P), ei::ploadu<Packet>(c + k + P));
            const Packet e2 = ei::psub(ei::ploadu<Packet>(x + k + 2 * P), ei::ploadu<Packet>(c + k + 2 * P));
            const Packet e3 = ei::psub(ei::ploadu<Packet>(x + k + 3 * P), ei::ploadu<Packet>(c + k + 3 * P));
            a0 = ei::padd(a0, ei::pmul(e0, e0));
            a1 = ei::padd(a1, ei::pmul(e1, e1));
            a2 = ei::padd(a2, ei::pmul(e2, e2));
            a3 = ei::padd(a3, ei::pmul(e3, e3));
        }
        for (; k + P <= d; k += P) {
            const Packet e = ei::psub(ei::ploadu<Packet>(x + k), ei::ploadu<Packet>(c + k));
            a0 = ei::padd(a0, ei::pmul(e, e));
        }
        sum = ei::predux(ei::padd(ei::padd(a0, a1), ei::padd(a2, a3)));
    }
    for (; k < d; ++k) {
        const Scalar e = x[k] - c[k];
        sum += e * e;
    }
    return sum;
}

/// The per-pick work of greedy k-center over one block of rows (the whole pool, or one MPI
/// rank's shard): every row's distance to its nearest center so far, and the row farthest from
/// its centers. Centers are given by their coordinates, so they need not be rows of this block:
/// a distributed run broadcasts the picked row and every rank adds it to its own state. A row's
/// distances are computed the same way whatever block it sits in, so the farthest rows of
/// several blocks reduce to the farthest row of their concatenation.
template <class Scalar>
class KCenterState {
public:
    /// `unavailable[i]`: row i may not be picked (labeled, or picked already).
    KCenterState(Index rows, Index dims, std::vector<char> unavailable, bool prune)
        : n_(rows), d_(dims), prune_(prune), unavailable_(std::move(unavailable)),
          nearest_(static_cast<std::size_t>(rows), std::numeric_limits<Scalar>::infinity()),
          owner_(static_cast<std::size_t>(rows), -1),
          best_(static_cast<std::size_t>((rows + block - 1) / block), -1),
          computed_(best_.size(), 0),
          // A point is skipped only when d(a, c) >= 2 d(x, a) (1 + slack): the slack covers
          // the rounding of computed distances, so a skipped point's computed distance could
          // never have undercut its current one and the picks equal the naive algorithm's.
          slack_(Scalar(2) * (Scalar(1) + Scalar(64) * std::numeric_limits<Scalar>::epsilon() *
                                                 static_cast<Scalar>(dims))) {}

    /// Row i may no longer be picked (call before adding it as a center).
    void take(Index i) { unavailable_[static_cast<std::size_t>(i)] = 1; }

    /// Adds m centers, one after the other, with coordinates `coords` (m x d, row after row),
    /// and updates every row's nearest center, skipping the distances the triangle inequality
    /// rules out. X is this block's rows. The result is that of m single additions, but each
    /// row of X is read once for all m centers (the labeled set costs one pass over X, not m).
    template <class Derived>
    void add_centers(const Eigen::MatrixBase<Derived>& X, const Scalar* coords, Index m) {
        if (m <= 0) return;
        const Index base = centers();
        center_coords_.insert(center_coords_.end(), coords, coords + m * d_);
        // to_new_[t][a]: distance from center a to new center base + t, for a < base + t.
        to_new_.resize(static_cast<std::size_t>(m));
        for (Index t = 0; t < m; ++t) {
            auto& row = to_new_[static_cast<std::size_t>(t)];
            row.resize(static_cast<std::size_t>(base + t));
            for (Index a = 0; a < base + t; ++a)
                row[static_cast<std::size_t>(a)] = std::sqrt(squared_distance(center(a), center(base + t), d_));
            stats.distance_evaluations += base + t;
        }
        const Index blocks = static_cast<Index>(best_.size());
        parallel_for(blocks, 2, [&](Index j) { update_block(X, base, m, j); });
        Index all = 0;
        for (Index count : computed_) all += count;
        stats.distance_evaluations += all;
        stats.skipped += n_ * m - all;
    }

    /// The available row farthest from its nearest center, ties by the lowest row; -1 if none.
    Index farthest() const {
        Index arg = -1;
        for (Index i : best_)
            if (i >= 0 && (arg < 0 || nearest(i) > nearest(arg))) arg = i;
        return arg;
    }

    /// Distance of row i to its nearest center (infinity before the first center).
    Scalar nearest(Index i) const { return nearest_[static_cast<std::size_t>(i)]; }
    Index centers() const { return d_ > 0 ? static_cast<Index>(center_coords_.size()) / d_ : 0; }

    KCenterStats stats;

private:
    static constexpr Index block = 4096;

    const Scalar* center(Index a) const { return center_coords_.data() + a * d_; }

    template <class Derived>
    void update_block(const Eigen::MatrixBase<Derived>& X, Index base, Index m, Index j) {
        const Index r0 = j * block, len = std::min(block, n_ - r0);
        // Row i needs its distance to new center t unless its nearest center a is so far from
        // t that d(i, t) >= d(a, t) - d(i, a) >= d(i, a).
        auto needed = [&](Index i, Index t) {
            const auto u = static_cast<std::size_t>(i);
            return !(prune_ && owner_[u] >= 0 &&
                     to_new_[static_cast<std::size_t>(t)][static_cast<std::size_t>(owner_[u])] >= slack_ * nearest_[u]);
        };
        // The block's available row farthest from its centers, ties by lowest row.
        Index arg = -1;
        auto consider = [&](Index i) {
            const auto u = static_cast<std::size_t>(i);
            if (unavailable_[u]) return;
            const Scalar a = arg < 0 ? Scalar(0) : nearest_[static_cast<std::size_t>(arg)];
            if (arg < 0 || nearest_[u] > a || (nearest_[u] == a && i < arg)) arg = i;
        };
        bool considered = false;
        auto update = [&](Index i, Index t, Scalar d) {
            const auto u = static_cast<std::size_t>(i);
            if (d < nearest_[u]) {
                nearest_[u] = d;
                owner_[u] = base + t;
            }
        };
        Index count = 0;
        if constexpr (Derived::IsRowMajor) {
            bool direct = false;
            if constexpr (bool(Derived::Flags & Eigen::DirectAccessBit)) direct = X.derived().innerStride() == 1;
            auto distance = [&](Index i, Index t) -> Scalar {
                if constexpr (bool(Derived::Flags & Eigen::DirectAccessBit))
                    if (direct)
                        return std::sqrt(squared_distance(X.derived().data() + i * X.derived().outerStride(), center(base + t), d_));
                const Eigen::Map<const Eigen::Matrix<Scalar, 1, Eigen::Dynamic>> c(center(base + t), d_);
                return std::sqrt((X.row(i) - c).squaredNorm());
            };
            if (m > 1) {
                // Several centers: rows in memory order, each row's centers while it is in cache.
                for (Index i = r0; i < r0 + len; ++i)
                    for (Index t = 0; t < m; ++t)
                        if (needed(i, t)) {
                            update(i, t, distance(i, t));
                            ++count;
                        }
            } else {
                // One center: the rows still in play are scattered through X. List them, then
                // walk the list with rows a few steps ahead prefetched, so memory latency
                // overlaps the arithmetic.
                // Rows skipped keep their distance, so they are compared for the farthest now,
                // the rows in play once updated.
                // Distances only shrink, so when the block's farthest row from the last pick is
                // still available and kept its distance, the farthest row now is it or one of the
                // rows updated (ties: rows skipped with the same distance come after it, as it
                // was the lowest); otherwise the whole block is compared again.
                const Index old = best_[static_cast<std::size_t>(j)];
                const Scalar old_value = old >= 0 ? nearest_[static_cast<std::size_t>(old)] : Scalar(0);
                thread_local std::vector<Index> rows;
                rows.resize(static_cast<std::size_t>(len));
                std::size_t kept = 0;
                const Scalar* to_new = to_new_.front().data();
                for (Index i = r0; i < r0 + len; ++i) {  // branch-free: a skipped row is overwritten
                    const auto u = static_cast<std::size_t>(i);
                    rows[kept] = i;
                    kept += !(prune_ && owner_[u] >= 0 && to_new[static_cast<std::size_t>(owner_[u])] >= slack_ * nearest_[u]);
                }
                rows.resize(kept);
                count = static_cast<Index>(rows.size());
                constexpr std::size_t ahead = 4;
                for (std::size_t q = 0; q < rows.size(); ++q) {
#if defined(__GNUC__)
                    if constexpr (bool(Derived::Flags & Eigen::DirectAccessBit)) {
                        if (direct && q + ahead < rows.size()) {
                            const char* next = reinterpret_cast<const char*>(
                                X.derived().data() + rows[q + ahead] * X.derived().outerStride());
                            for (Index byte = 0; byte < d_ * Index(sizeof(Scalar)); byte += 64) __builtin_prefetch(next + byte);
                        }
                    }
#endif
                    update(rows[q], 0, distance(rows[q], 0));
                }
                if (old >= 0 && !unavailable_[static_cast<std::size_t>(old)] &&
                    nearest_[static_cast<std::size_t>(old)] == old_value) {
                    arg = old;
                    for (Index i : rows) consider(i);
                    considered = true;
                }
            }
        } else {
            // Column-major: a row is d scattered cache lines, so when more than an eighth of the
            // block needs its distance, sweep the block's columns (contiguous, vectorised)
            // instead of reading rows one by one. Both paths add the squares in column order, so
            // a row's distance does not depend on the path (nor on where blocks start).
            Eigen::Array<Scalar, Eigen::Dynamic, 1> sum(len);
            for (Index t = 0; t < m; ++t) {
                const Scalar* c = center(base + t);
                Index needs = 0;
                for (Index i = r0; i < r0 + len; ++i) needs += needed(i, t);
                count += needs;
                if (needs * 8 < len) {
                    for (Index i = r0; i < r0 + len; ++i) {
                        if (!needed(i, t)) continue;
                        Scalar s = 0;
                        for (Index k = 0; k < d_; ++k) {
                            const Scalar e = X.coeff(i, k) - c[k];
                            s += e * e;
                        }
                        update(i, t, std::sqrt(s));
                    }
                } else {
                    sum.setZero();
                    for (Index k = 0; k < d_; ++k) sum += (X.col(k).segment(r0, len).array() - c[k]).square();
                    for (Index i = r0; i < r0 + len; ++i)
                        if (needed(i, t)) update(i, t, std::sqrt(sum[i - r0]));
                }
            }
        }
        if (!considered)
            for (Index i = r0; i < r0 + len; ++i) consider(i);
        computed_[static_cast<std::size_t>(j)] = count;
        best_[static_cast<std::size_t>(j)] = arg;
    }

    Index n_, d_;
    bool prune_;
    std::vector<char> unavailable_;
    std::vector<Scalar> nearest_;
    std::vector<Index> owner_;  // position of the nearest center
    std::vector<Index> best_;   // per block: farthest available row
    std::vector<Index> computed_;
    std::vector<Scalar> center_coords_;          // centers x d, in the order they were added
    std::vector<std::vector<Scalar>> to_new_;    // per new center: distances from earlier centers
    Scalar slack_;
};

/// Appends row i of X to `out` (d contiguous values).
template <class Derived, class Scalar>
void copy_row(const Eigen::MatrixBase<Derived>& X, Index i, std::vector<Scalar>& out) {
    for (Index k = 0; k < X.cols(); ++k) out.push_back(X.coeff(i, k));
}

/// The first pick with no labeled point: options.first, or a seeded uniform draw from [0, n)
/// (what random_select(n, 1, seed) returns, without its O(n) pool).
inline Index k_center_first(Index n, const KCenterOptions& options) {
    return options.first >= 0 ? options.first : static_cast<Index>(Rng(options.seed).below(static_cast<std::uint64_t>(n)));
}

template <class Derived>
Selection k_center_run(const Eigen::MatrixBase<Derived>& X, std::vector<char> unavailable,
                       const std::vector<Index>& labeled, Index b, const KCenterOptions& options) {
    using Scalar = typename Derived::Scalar;
    KCenterState<Scalar> state(X.rows(), X.cols(), std::move(unavailable), options.prune);
    std::vector<Scalar> center;
    for (Index c : labeled) copy_row(X, c, center);
    state.add_centers(X, center.data(), static_cast<Index>(labeled.size()));
    Selection result;
    Index pick = -1;
    if (b > 0) pick = labeled.empty() ? k_center_first(X.rows(), options) : state.farthest();
    for (Index step = 0; step < b; ++step) {
        state.take(pick);
        center.clear();
        copy_row(X, pick, center);
        state.add_centers(X, center.data(), 1);
        result.indices.push_back(pick);
        const Index next = state.farthest();
        // The covering radius: the largest distance of any point to its nearest center. Centers
        // are at 0, so it is attained at the farthest available point (0 if none is left).
        result.objective.push_back(next < 0 ? 0.0 : static_cast<double>(state.nearest(next)));
        pick = next;
    }
    if (options.stats) *options.stats = state.stats;
    return result;
}

}  // namespace detail

/// \addtogroup diversity_selectors
/// @{

/// Greedy k-center core-set (Sener & Savarese 2018): b indices in pick order, each the unlabeled
/// point farthest from its nearest labeled-or-picked point. `Selection::objective[j]` is the
/// covering radius after pick j: max over all points of the (Euclidean, not squared) distance to
/// the nearest center. Higher distance = picked first; ties go to the lowest index.
///
/// With no labeled point the first pick is options.first (default: a seeded uniform draw).
/// Zero-copy for Euclidean: row-major input is read row by row (four packet accumulators per
/// distance), column-major input column by column over blocks of rows (squares added in column
/// order); the two orders can break a tie within rounding differently. The labeled set costs
/// one pass over X, each pick at most one more. Cosine normalises a row-major copy (O(N d)).
/// Time O((|labeled| + b) N d) in the worst case, much less with pruning on clustered data;
/// memory O(N + (|labeled| + b) d) beyond the input. acquire::mpi::k_center_greedy runs the
/// same per-pick work (detail::KCenterState) on a pool sharded across MPI ranks.
///
/// Throws invalid_input for an empty X, non-finite values (checks.values), labeled indices out
/// of range or repeated, b < 0 or larger than the unlabeled pool, options.first out of range or
/// labeled, and (cosine) a zero row.
template <class Derived>
Selection k_center_greedy(const Eigen::MatrixBase<Derived>& X, const std::vector<Index>& labeled,
                          Index b, const KCenterOptions& options = {}) {
    constexpr const char* fn = "k_center_greedy";
    using Scalar = typename Derived::Scalar;
    const Index n = X.rows();
    detail::check_shape(fn, "X", n, X.cols());
    auto unavailable = detail::index_mask(fn, "labeled", labeled, n);
    detail::check_budget(fn, "b", b, n - static_cast<Index>(labeled.size()));
    if (options.first < -1 || options.first >= n)
        detail::fail(fn, "options first is ", options.first, ", out of range [-1, ", n, ")");
    if (options.first >= 0 && unavailable[static_cast<std::size_t>(options.first)])
        detail::fail(fn, "options first ", options.first, " is labeled");
    detail::check_tolerance(fn, options.checks);
    if (options.checks.values) detail::check_finite(fn, "X", X);
    if (options.metric == Metric::euclidean)
        return detail::k_center_run(X, std::move(unavailable), labeled, b, options);
    RowMatrix<Scalar> unit = X;
    for (Index i = 0; i < n; ++i) {
        const Scalar norm = unit.row(i).norm();
        if (!(norm > 0)) detail::fail(fn, "X row ", i, " has zero norm (cosine metric)");
        unit.row(i) /= norm;
    }
    return detail::k_center_run(unit, std::move(unavailable), labeled, b, options);
}

/// @}

}  // namespace acquire
