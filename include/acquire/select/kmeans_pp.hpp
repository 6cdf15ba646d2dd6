/// \file
/// Seeding by k-means++ (Arthur & Vassilvitskii 2007) as a batch selector: D^2 sampling.
// k-means++ seeding (Arthur & Vassilvitskii 2007) as a batch selector: D^2 sampling.
//
// Each pick is drawn with probability D(x)^2 / sum_y D(y)^2, D(x) the Euclidean distance from x
// to its nearest center so far, by an exponential race (argmin of Exp(1) key / D(x)^2). Spread-out, density-aware batches; the seeding alone is
// O(log b)-competitive with the optimal k-means potential in expectation.
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

/// Work counters of D^2 sampling (kmeans_pp, badge), filled when the options' `stats` points at one.
struct D2Stats {
    /// Point-to-center and center-to-center distances computed.
    Index distance_evaluations = 0;
    /// Point-to-new-center distances skipped by the triangle inequality.
    Index skipped = 0;
};

/// Options of `kmeans_pp`.
struct KMeansPPOptions {
    /// Fixed initial centers (e.g. the labeled points): they count as centers from the start and
    /// are never picked. In range, no duplicates.
    std::vector<Index> initial;
    /// First pick when there is no initial center: -1 draws it uniformly with `seed`; otherwise
    /// that index (not in `initial`).
    Index first = -1;
    /// Seed of the draws (race keys detail::race_key(seed, pick, row): the same picks on every
    /// platform, thread count and, for an MPI layer, split of the rows).
    std::uint64_t seed = 0;
    /// Skip distances the triangle inequality rules out. The picks are the same either way;
    /// false computes every distance at every pick (the benchmark's reference).
    bool prune = true;
    /// If not null, receives the work counters.
    D2Stats* stats = nullptr;
    /// checks.values: reject NaN/Inf rows (one O(N d) pass).
    CheckOptions checks;
};

/// @}

namespace detail {

/// One shard's answer to a D^2 draw: the smallest key / D^2 over its available rows with
/// D^2 > 0 and that row (global index; -1 if none), and its lowest available row (-1 if none),
/// taken when no row anywhere has D^2 > 0. Shards combine by the smallest (ratio, row) and the
/// smallest lowest row.
struct D2Candidate {
    double ratio = std::numeric_limits<double>::infinity();
    Index row = -1;
    Index lowest = -1;

    /// The better of two answers (ties of ratio: lower row).
    void merge(const D2Candidate& other) {
        if (other.row >= 0 && (row < 0 || other.ratio < ratio || (other.ratio == ratio && other.row < row))) {
            ratio = other.ratio;
            row = other.row;
        }
        if (other.lowest >= 0 && (lowest < 0 || other.lowest < lowest)) lowest = other.lowest;
    }
    /// The row to pick: the race winner, else the lowest available row.
    Index pick() const { return row >= 0 ? row : lowest; }
};

/// Nearest-center distances of a set of rows under D^2 sampling, kept up to date one center at a
/// time with triangle-inequality pruning. The rows are those of a `Space`, which knows how to
/// copy a row out as a center (`point(i)`), the squared distance of listed rows to a center
/// (`distances`: calls update(i, d) for the rows i of a block with needed(i), except where the
/// space can tell without computing d that it would not be below nearest[i]; it returns how
/// many it computed), and the error of its computed distances:
///   - `relative()`: delta such that a computed point-to-row distance is within a factor
///     (1 +- delta) of the exact one, plus an absolute error of at most
///     `row_slack(i) + point_slack(c)` (the two error models of kmeans_pp and badge);
///   - `center_lower(p, q)`: a lower bound on the exact squared distance between two centers.
/// With T(x) = D(x)^2 (1 + 4 delta) + slack, a row x cannot get a computed distance to the new
/// center c below its current one D(x)^2 when its nearest center a has d(a, c)^2 >= 4 T(x)
/// (triangle inequality, d(x, c) >= d(a, c) - d(x, a), every rounding error bounded). Such rows
/// are skipped, and the space may rule out more with cheaper bounds of its own: the nearest
/// distances are those of computing everything, bit for bit.
///
/// The state of one shard of rows: an MPI layer runs one per rank and adds the same centers
/// (each broadcast from the rank that owns its row, `point(i)`) in the same order.
template <class Space>
class D2Shard {
public:
    using Point = typename Space::Point;

    /// `unavailable[i]`: row i is never drawn and its distance never needed (labeled rows,
    /// initial centers, picks). Distances start at +Inf.
    D2Shard(const Space& space, std::vector<char> unavailable, bool prune)
        : space_(space), unavailable_(std::move(unavailable)), prune_(prune && space.relative() < 0.25),
          nearest_(unavailable_.size(), std::numeric_limits<double>::infinity()), owner_(unavailable_.size(), -1) {
        for (char x : unavailable_) available_ += !x;
    }

    Index rows() const { return static_cast<Index>(nearest_.size()); }
    /// Squared distance of each row to its nearest center (valid for available rows and centers).
    const std::vector<double>& nearest() const { return nearest_; }
    bool unavailable(Index i) const { return unavailable_[static_cast<std::size_t>(i)] != 0; }
    const D2Stats& stats() const { return stats_; }

    /// Adds the center c; `row` is its row in this shard (it becomes unavailable, at distance 0)
    /// or -1 when another shard holds it. Updates every available row that could move closer.
    void add_center(const Point& c, Index row) {
        if (row >= 0) {
            available_ -= !unavailable_[static_cast<std::size_t>(row)];
            unavailable_[static_cast<std::size_t>(row)] = 1;
            nearest_[static_cast<std::size_t>(row)] = 0;  // exactly, whatever the rounding
        }
        // lower_[a + 1] bounds center a; lower_[0] = -Inf stands for "no center yet", so the
        // test below reads it without a branch.
        lower_.resize(centers_.size() + 1);
        lower_[0] = -std::numeric_limits<double>::infinity();
        for (std::size_t a = 0; a < centers_.size(); ++a) lower_[a + 1] = space_.center_lower(centers_[a], c);
        stats_.distance_evaluations += static_cast<Index>(centers_.size());
        slack_ = std::max(slack_, space_.point_slack(c));
        const Index id = static_cast<Index>(centers_.size());
        const double grow = 1.0 + 4.0 * space_.relative();
        const Index n = rows(), blocks = (n + block - 1) / block;
        computed_.assign(static_cast<std::size_t>(blocks), 0);
        parallel_for(blocks, 2, [&](Index j) {
            const Index r0 = j * block, len = std::min(block, n - r0);
            // Branch-free (& on ints rather than &&): whether a row is pruned follows no
            // pattern a branch predictor could learn, and a miss costs more than the whole test.
            auto needed = [&](Index i) {
                const auto u = static_cast<std::size_t>(i);
                const double low = lower_[static_cast<std::size_t>(owner_[u] + 1)];
                const double reach = 4.0 * (grow * nearest_[u] + space_.row_slack(i) + slack_);
                const int pruned = int(prune_) & int(low >= reach);
                return int(unavailable_[u] == 0) & (pruned ^ 1);
            };
            auto update = [&](Index i, double d) {
                const auto u = static_cast<std::size_t>(i);
                d = std::max(0.0, d);
                if (d < nearest_[u]) {
                    nearest_[u] = d;
                    owner_[u] = id;
                }
            };
            const Index full = space_.distances(c, r0, len, needed, prune_ ? nearest_.data() : nullptr, update);
            computed_[static_cast<std::size_t>(j)] = full;
        });
        Index skipped = available_;
        for (Index count : computed_) stats_.distance_evaluations += count;
        for (Index count : computed_) skipped -= count;
        stats_.skipped += skipped;
        centers_.push_back(c);
    }

    /// This shard's candidate for draw `step`: the exponential race, argmin key_i / D(i)^2 over
    /// available rows with D(i)^2 > 0, key_i = race_key(seed, step, offset + i) (before the
    /// first center, every available row has weight 1: a uniform draw). Exact D^2 sampling, and
    /// the same winner however the rows are split into shards. Keys are only taken in full
    /// (a log) where the bound -ln u >= 1 - u leaves the row a chance to win.
    D2Candidate draw(std::uint64_t seed, Index step, Index offset) const {
        const std::uint64_t stream = race_stream(seed, static_cast<std::uint64_t>(step));
        const bool any_center = !centers_.empty();
        const Index n = rows(), blocks = (n + block - 1) / block;
        std::vector<D2Candidate> found(static_cast<std::size_t>(blocks));
        parallel_for(blocks, 2, [&](Index j) {
            const Index r0 = j * block, len = std::min(block, n - r0);
            thread_local std::vector<double> u_tls;
            std::vector<double>& u = u_tls;
            u.resize(static_cast<std::size_t>(len));
            // Branch-free, so the compiler can vectorise it.
            for (Index i = 0; i < len; ++i)
                u[static_cast<std::size_t>(i)] = race_uniform(stream, static_cast<std::uint64_t>(offset + r0 + i));
            D2Candidate best;
            for (Index i = r0; i < r0 + len; ++i) {
                const auto q = static_cast<std::size_t>(i);
                if (unavailable_[q]) continue;
                if (best.lowest < 0) best.lowest = offset + i;
                const double w = any_center ? nearest_[q] : 1.0;
                if (!(w > 0)) continue;
                const double ui = u[static_cast<std::size_t>(i - r0)];
                // -ln u >= 1 - u: a lower bound of this row's ratio, with room for rounding.
                if (best.row >= 0 && (1.0 - ui) * (1.0 - 1e-9) > best.ratio * w) continue;
                const double ratio = -std::log(ui) / w;
                if (best.row < 0 || ratio < best.ratio) {
                    best.ratio = ratio;
                    best.row = offset + i;
                }
            }
            found[static_cast<std::size_t>(j)] = best;
        });
        D2Candidate result;
        for (const auto& f : found) result.merge(f);
        return result;
    }

    /// The potential: sum of D(i)^2 over the rows not in `excluded`, in index order.
    double potential(const std::vector<char>& excluded) const {
        double sum = 0;
        for (std::size_t i = 0; i < nearest_.size(); ++i)
            if (!excluded[i]) sum += nearest_[i];
        return sum;
    }

private:
    static constexpr Index block = 4096;
    const Space& space_;
    std::vector<char> unavailable_;
    bool prune_;
    std::vector<double> nearest_;
    std::vector<Index> owner_;  // position of the nearest center in centers_, -1 before any
    std::vector<Point> centers_;
    std::vector<double> lower_;  // -Inf, then lower bounds of d(center a, new center)^2
    std::vector<Index> computed_;
    double slack_ = 0;  // the largest point_slack of any center so far
    Index available_ = 0;
    D2Stats stats_;
};

/// Asks for row i of X ahead of its use (row-major, unit inner stride; otherwise nothing): rows
/// left after pruning are scattered, and fetching two ahead overlaps memory latency with the
/// arithmetic.
template <class Derived>
void prefetch_row(const Eigen::MatrixBase<Derived>& X, Index i) {
#if defined(__GNUC__)
    if constexpr (bool(Derived::IsRowMajor) && bool(Derived::Flags & Eigen::DirectAccessBit)) {
        if (X.derived().innerStride() != 1) return;
        const char* row = reinterpret_cast<const char*>(X.derived().data() + i * X.derived().outerStride());
        for (Index byte = 0; byte < X.cols() * Index(sizeof(typename Derived::Scalar)); byte += 64)
            __builtin_prefetch(row + byte);
    }
#else
    (void)X;
    (void)i;
#endif
}

/// Rows of X under the squared Euclidean distance, computed in Scalar as ||x - c||^2.
template <class Derived>
class EuclideanRows {
public:
    using Scalar = typename Derived::Scalar;

    struct Point {
        Eigen::Matrix<Scalar, 1, Eigen::Dynamic> x;
        double n;  // |x|^2 as computed for the row
    };

    explicit EuclideanRows(const Eigen::MatrixBase<Derived>& X)
        : X_(X), norm2_(X.rowwise().squaredNorm().template cast<double>()), norm_(norm2_.cwiseSqrt()) {}

    Point point(Index i) const { return {X_.row(i), norm2_[i]}; }
    /// ||x - c||^2 sums d rounded squares of rounded differences: relative error <= (d + 3) eps.
    double relative() const {
        return static_cast<double>(X_.cols() + 3) * static_cast<double>(std::numeric_limits<Scalar>::epsilon());
    }
    double row_slack(Index) const { return 0; }
    double point_slack(const Point&) const { return 0; }
    double center_lower(const Point& p, const Point& q) const {
        const double d2 = (p.x.template cast<double>() - q.x.template cast<double>()).squaredNorm();
        return d2 * (1.0 - relative());
    }
    /// Rows ruled out by the reverse triangle inequality, ||x - c|| >= ||x| - |c||, are not
    /// computed: (|x| - |c|)^2 - 8 delta (|x|^2 + |c|^2) >= D(x)^2 (1 + 4 delta) (the norms
    /// have relative error <= delta, the distance's computed value >= (1 - delta) its exact one).
    template <class Needed, class Update>
    Index distances(const Point& c, Index r0, Index len, Needed&& needed, const double* nearest,
                    Update&& update) const {
        const double delta = relative(), cn = std::sqrt(c.n);
        thread_local std::vector<Index> rest_tls;
        std::vector<Index>& rest = rest_tls;
        rest.resize(static_cast<std::size_t>(len));
        std::size_t kept = 0;
        for (Index i = r0; i < r0 + len; ++i) {  // branch-free, as D2Shard's needed()
            const double gap = norm_[i] - cn;
            const bool far = nearest && gap * gap - 8.0 * delta * (norm2_[i] + c.n) >= nearest[i] * (1.0 + 4.0 * delta);
            rest[kept] = i;
            kept += static_cast<std::size_t>(needed(i) & int(!far));
        }
        rest.resize(kept);
        for (std::size_t k = 0; k < rest.size(); ++k) {
            if (k + 2 < rest.size()) prefetch_row(X_, rest[k + 2]);
            update(rest[k], static_cast<double>((X_.row(rest[k]) - c.x).squaredNorm()));
        }
        return static_cast<Index>(rest.size());
    }

private:
    const Eigen::MatrixBase<Derived>& X_;
    Eigen::VectorXd norm2_, norm_;
};

/// D^2 sampling (k-means++ seeding) over the rows of `space`, drawn by exponential races
/// (D2Shard::draw). Rows with `blocked[i]` are never picked and left out of the potential;
/// `initial` rows are centers from the start; `first` >= 0 is the first pick. The picks depend
/// only on the input and the seed: not on the thread count, pruning, nor (in an MPI layer made
/// of one D2Shard per rank) on how the rows are split.
template <class Space>
Selection d2_sampling(const Space& space, const std::vector<char>& blocked, const std::vector<Index>& initial,
                      Index first, Index b, std::uint64_t seed, bool prune, D2Stats* stats) {
    const Index n = static_cast<Index>(blocked.size());
    D2Shard<Space> shard(space, blocked, prune);
    for (Index c : initial) shard.add_center(space.point(c), c);
    Selection result;
    for (Index step = 0; step < b; ++step) {
        const Index pick = step == 0 && initial.empty() && first >= 0 ? first : shard.draw(seed, step, 0).pick();
        // Unreachable (b never exceeds the available points), but it keeps the index below
        // provably in range.
        if (pick < 0 || pick >= n) fail("d2_sampling", "no point left to pick at step ", step);
        shard.add_center(space.point(pick), pick);
        result.indices.push_back(pick);
        result.objective.push_back(shard.potential(blocked));
    }
    if (stats) *stats = shard.stats();
    return result;
}

}  // namespace detail

/// \addtogroup diversity_selectors
/// @{

/// k-means++ seeding (Arthur & Vassilvitskii 2007): b rows of X drawn by D^2 sampling, in pick
/// order. `Selection::objective[j]` is the k-means potential sum_x D(x)^2 (squared Euclidean
/// distance to the nearest center, initial centers included) after pick j. The first pick is
/// options.first or, with no initial centers, uniform; then P(x) = D(x)^2 / sum_y D(y)^2. If
/// every remaining point sits on a center, the lowest remaining index is taken.
///
/// Draws: pick j is argmin over available x with D(x)^2 > 0 of race_key(seed, j, x) / D(x)^2
/// (ties: lowest index), race_key ~ Exp(1) from a counter-based hash: exactly D^2 sampling, and
/// the picks do not depend on the order or split in which the rows are visited.
/// Pruning (options.prune): a row whose nearest center a has d(a, c) >= 2 D(x) (triangle
/// inequality) or with ||x| - |c|| >= D(x) keeps its distance without computing it (bounds
/// widened by the rounding error, so the picks equal the unpruned ones exactly).
///
/// Rows of X are read in place (any layout; row-major is the fast one). O(b N d) time in the
/// worst case, much less with pruning on clustered data; O(N + b d) extra memory (the centers
/// are kept as copies, so that an MPI layer can hand them between ranks).
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
    const detail::EuclideanRows<Derived> space(X);
    return detail::d2_sampling(space, blocked, options.initial, options.first, b, options.seed, options.prune,
                               options.stats);
}

/// @}

}  // namespace acquire
