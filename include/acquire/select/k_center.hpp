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

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace acquire {

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

namespace detail {

template <class Derived>
Selection k_center_run(const Eigen::MatrixBase<Derived>& X, std::vector<char> unavailable,
                       const std::vector<Index>& labeled, Index b, const KCenterOptions& options) {
    using Scalar = typename Derived::Scalar;
    const Index n = X.rows();
    // A point is skipped only when d(a, c) >= 2 d(x, a) (1 + slack): the slack covers the
    // rounding of computed distances, so a skipped point's computed distance could never have
    // undercut its current one and the picks equal the naive algorithm's.
    const Scalar slack = Scalar(2) * (Scalar(1) + Scalar(64) * std::numeric_limits<Scalar>::epsilon() *
                                                      static_cast<Scalar>(X.cols()));
    std::vector<Scalar> nearest(static_cast<std::size_t>(n), std::numeric_limits<Scalar>::infinity());
    std::vector<Index> owner(static_cast<std::size_t>(n), -1);  // position of the nearest center
    std::vector<Index> centers;
    std::vector<Scalar> to_new;  // distances from every center to the new one
    constexpr Index block = 4096;
    const Index blocks = (n + block - 1) / block;
    std::vector<Index> computed(static_cast<std::size_t>(blocks));
    std::vector<Index> best(static_cast<std::size_t>(blocks));  // per block: farthest available
    KCenterStats stats;

    auto distance = [&](Index i, Index j) { return std::sqrt((X.row(i) - X.row(j)).squaredNorm()); };
    auto add_center = [&](Index c) {
        to_new.resize(centers.size());
        for (std::size_t a = 0; a < centers.size(); ++a) to_new[a] = distance(centers[a], c);
        stats.distance_evaluations += static_cast<Index>(centers.size());
        const Index id = static_cast<Index>(centers.size());
        parallel_for(blocks, 2, [&](Index j) {
            const Index r0 = j * block, len = std::min(block, n - r0);
            auto needed = [&](Index i) {
                const auto u = static_cast<std::size_t>(i);
                return !(options.prune && owner[u] >= 0 &&
                         to_new[static_cast<std::size_t>(owner[u])] >= slack * nearest[u]);
            };
            auto update = [&](Index i, Scalar d) {
                const auto u = static_cast<std::size_t>(i);
                if (d < nearest[u]) {
                    nearest[u] = d;
                    owner[u] = id;
                }
            };
            // The block's available point farthest from its centers, ties by lowest index.
            Index arg = -1;
            auto consider = [&](Index i) {
                const auto u = static_cast<std::size_t>(i);
                if (!unavailable[u] && (arg < 0 || nearest[u] > nearest[static_cast<std::size_t>(arg)])) arg = i;
            };
            Index count = 0;
            if constexpr (Derived::IsRowMajor) {
                // Rows still in play are scattered through X: list them, then walk the list
                // with the next rows prefetched, so memory latency overlaps the arithmetic.
                thread_local std::vector<Index> rows;
                rows.clear();
                for (Index i = r0; i < r0 + len; ++i)
                    if (needed(i)) rows.push_back(i);
                count = static_cast<Index>(rows.size());
                for (std::size_t q = 0; q < rows.size(); ++q) {
#if defined(__GNUC__)
                    if constexpr (bool(Derived::Flags & Eigen::DirectAccessBit)) {
                        if (q + 2 < rows.size() && X.derived().innerStride() == 1) {
                            const char* next = reinterpret_cast<const char*>(
                                X.derived().data() + rows[q + 2] * X.derived().outerStride());
                            for (Index byte = 0; byte < X.cols() * Index(sizeof(Scalar)); byte += 64)
                                __builtin_prefetch(next + byte);
                        }
                    }
#endif
                    update(rows[q], distance(rows[q], c));
                }
                for (Index i = r0; i < r0 + len; ++i) consider(i);
            } else {
                // Column-major: a row is d scattered cache lines, so when more than an eighth of
                // the block needs its distance, sweep the block's columns (contiguous,
                // vectorised) instead of reading rows one by one.
                for (Index i = r0; i < r0 + len; ++i) count += needed(i);
                if (count * 8 < len) {
                    for (Index i = r0; i < r0 + len; ++i)
                        if (needed(i)) update(i, distance(i, c));
                } else {
                    Eigen::Array<Scalar, Eigen::Dynamic, 1> d2 = Eigen::Array<Scalar, Eigen::Dynamic, 1>::Zero(len);
                    for (Index k = 0; k < X.cols(); ++k)
                        d2 += (X.col(k).segment(r0, len).array() - X(c, k)).square();
                    for (Index i = r0; i < r0 + len; ++i)
                        if (needed(i)) update(i, std::sqrt(d2[i - r0]));
                }
                for (Index i = r0; i < r0 + len; ++i) consider(i);
            }
            computed[static_cast<std::size_t>(j)] = count;
            best[static_cast<std::size_t>(j)] = arg;
        });
        Index all = 0;
        for (Index count : computed) all += count;
        stats.distance_evaluations += all;
        stats.skipped += n - all;
        centers.push_back(c);
    };
    // The available point farthest from its nearest center (ties by lowest index), from the
    // per-block answers of the last add_center.
    auto farthest = [&]() {
        Index arg = -1;
        for (Index i : best)
            if (i >= 0 && (arg < 0 || nearest[static_cast<std::size_t>(i)] > nearest[static_cast<std::size_t>(arg)]))
                arg = i;
        return arg;
    };

    for (Index c : labeled) add_center(c);
    Selection result;
    Index pick = -1;
    if (b > 0) {
        if (!labeled.empty())
            pick = farthest();
        else if (options.first >= 0)
            pick = options.first;
        else
            pick = random_select(n, 1, options.seed).front();
    }
    for (Index step = 0; step < b; ++step) {
        unavailable[static_cast<std::size_t>(pick)] = 1;
        add_center(pick);
        result.indices.push_back(pick);
        const Index next = farthest();
        // The covering radius: the largest distance of any point to its nearest center. Centers
        // are at 0, so it is attained at the farthest available point (0 if none is left).
        result.objective.push_back(next < 0 ? 0.0 : static_cast<double>(nearest[static_cast<std::size_t>(next)]));
        pick = next;
    }
    if (options.stats) *options.stats = stats;
    return result;
}

}  // namespace detail

/// Greedy k-center core-set (Sener & Savarese 2018): b indices in pick order, each the unlabeled
/// point farthest from its nearest labeled-or-picked point. `Selection::objective[j]` is the
/// covering radius after pick j: max over all points of the (Euclidean, not squared) distance to
/// the nearest center. Higher distance = picked first; ties go to the lowest index.
///
/// With no labeled point the first pick is options.first (default: a seeded uniform draw).
/// Zero-copy for Euclidean: row-major input is read row by row, column-major input column by
/// column over blocks of rows (the two sum a distance's squares in different orders, so they
/// can break a tie within rounding differently). Cosine normalises a row-major copy (O(N d)). Time O((|labeled| + b) N d) in the worst case, much less
/// with pruning on clustered data; memory O(N + |labeled| + b) beyond the input.
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

}  // namespace acquire
