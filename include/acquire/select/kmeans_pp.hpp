// k-means++ seeding (Arthur & Vassilvitskii 2007) as a batch selector: D^2 sampling.
//
// Each pick is drawn with probability D(x)^2 / sum_y D(y)^2, D(x) the Euclidean distance from x
// to its nearest center so far. Spread-out, density-aware batches; the seeding alone is
// O(log b)-competitive with the optimal k-means potential in expectation.
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

/// Options of `kmeans_pp`.
struct KMeansPPOptions {
    /// Fixed initial centers (e.g. the labeled points): they count as centers from the start and
    /// are never picked. In range, no duplicates.
    std::vector<Index> initial;
    /// First pick when there is no initial center: -1 draws it uniformly with `seed`; otherwise
    /// that index (not in `initial`).
    Index first = -1;
    /// Seed of the draws (acquire::Rng: the same picks on every platform and thread count).
    std::uint64_t seed = 0;
    /// checks.values: reject NaN/Inf rows (one O(N d) pass).
    CheckOptions checks;
};

namespace detail {

/// D^2 sampling over n points. `dist2(c, out)` writes the squared distance of every point to
/// point c into out (size n; it may run in parallel). Points with `blocked[i]` are never picked
/// and left out of the potential. The draws are serial cumulative sums in double over the
/// points in index order, so the picks do not depend on the thread count.
template <class Dist2>
Selection d2_sampling(Index n, const std::vector<char>& blocked, const std::vector<Index>& initial,
                      Index first, Index b, std::uint64_t seed, Dist2&& dist2) {
    std::vector<double> nearest(static_cast<std::size_t>(n), std::numeric_limits<double>::infinity());
    std::vector<double> to_center(static_cast<std::size_t>(n));
    std::vector<char> unavailable = blocked;
    for (Index c : initial) unavailable[static_cast<std::size_t>(c)] = 1;
    auto add_center = [&](Index c) {
        dist2(c, to_center);
        parallel_for(n, 4096, [&](Index i) {
            const auto u = static_cast<std::size_t>(i);
            nearest[u] = std::min(nearest[u], std::max(0.0, to_center[u]));
        });
        nearest[static_cast<std::size_t>(c)] = 0;  // exactly, whatever the rounding
    };
    for (Index c : initial) add_center(c);

    Rng rng(seed);
    Selection result;
    for (Index step = 0; step < b; ++step) {
        Index pick = -1;
        if (step == 0 && initial.empty()) {
            if (first >= 0) {
                pick = first;
            } else {  // uniform over the available points
                std::vector<Index> pool;
                for (Index i = 0; i < n; ++i)
                    if (!unavailable[static_cast<std::size_t>(i)]) pool.push_back(i);
                pick = pool[static_cast<std::size_t>(rng.below(pool.size()))];
            }
        } else {
            double total = 0;
            for (Index i = 0; i < n; ++i)
                if (!unavailable[static_cast<std::size_t>(i)]) total += nearest[static_cast<std::size_t>(i)];
            if (total > 0) {
                const double u = rng.uniform() * total;
                double cumulative = 0;
                for (Index i = 0; i < n && pick < 0; ++i) {
                    const double w = unavailable[static_cast<std::size_t>(i)] ? 0.0 : nearest[static_cast<std::size_t>(i)];
                    if (w <= 0) continue;
                    cumulative += w;
                    if (u < cumulative) pick = i;
                }
                // Rounding can leave u at the very top: take the last point with weight.
                for (Index i = n - 1; i >= 0 && pick < 0; --i)
                    if (!unavailable[static_cast<std::size_t>(i)] && nearest[static_cast<std::size_t>(i)] > 0) pick = i;
            }
            if (pick < 0)  // every available point sits on a center: the lowest index
                for (Index i = 0; i < n && pick < 0; ++i)
                    if (!unavailable[static_cast<std::size_t>(i)]) pick = i;
        }
        // Unreachable (b never exceeds the available points), but it keeps the index below
        // provably in range.
        if (pick < 0 || pick >= n) fail("d2_sampling", "no point left to pick at step ", step);
        unavailable[static_cast<std::size_t>(pick)] = 1;
        add_center(pick);
        result.indices.push_back(pick);
        double potential = 0;
        for (Index i = 0; i < n; ++i)
            if (!blocked[static_cast<std::size_t>(i)]) potential += nearest[static_cast<std::size_t>(i)];
        result.objective.push_back(potential);
    }
    return result;
}

}  // namespace detail

/// k-means++ seeding (Arthur & Vassilvitskii 2007): b rows of X drawn by D^2 sampling, in pick
/// order. `Selection::objective[j]` is the k-means potential sum_x D(x)^2 (squared Euclidean
/// distance to the nearest center, initial centers included) after pick j. The first pick is
/// options.first or, with no initial centers, uniform; then P(x) = D(x)^2 / sum_y D(y)^2. If
/// every remaining point sits on a center, the lowest remaining index is taken.
///
/// Rows of X are read in place (any layout). O(b N d) time, O(N) extra memory. Seeded with
/// acquire::Rng: the same picks on every platform and thread count.
///
/// Throws invalid_input for an empty X, non-finite values, bad initial indices, b < 0 or larger
/// than the points left, options.first out of range or among the initial centers.
template <class Derived>
Selection kmeans_pp(const Eigen::MatrixBase<Derived>& X, Index b, const KMeansPPOptions& options = {}) {
    constexpr const char* fn = "kmeans_pp";
    const Index n = X.rows();
    detail::check_shape(fn, "X", n, X.cols());
    const auto initial_mask = detail::index_mask(fn, "options initial", options.initial, n);
    detail::check_budget(fn, "b", b, n - static_cast<Index>(options.initial.size()));
    if (options.first < -1 || options.first >= n)
        detail::fail(fn, "options first is ", options.first, ", out of range [-1, ", n, ")");
    if (options.first >= 0 && initial_mask[static_cast<std::size_t>(options.first)])
        detail::fail(fn, "options first ", options.first, " is an initial center");
    detail::check_tolerance(fn, options.checks);
    if (options.checks.values) detail::check_finite(fn, "X", X);
    const std::vector<char> blocked(static_cast<std::size_t>(n), 0);
    return detail::d2_sampling(n, blocked, options.initial, options.first, b, options.seed,
                               [&](Index c, std::vector<double>& out) {
                                   detail::parallel_for(n, 1024, [&](Index i) {
                                       out[static_cast<std::size_t>(i)] =
                                           static_cast<double>((X.row(i) - X.row(c)).squaredNorm());
                                   });
                               });
}

}  // namespace acquire
