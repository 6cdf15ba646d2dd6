// Facility location and max coverage: representative batches by greedy submodular maximisation.
//
//   F(S) = sum_{j in pool} max(0, max_{i in S} sim(x_i, x_j)),   S a subset of the candidates,
//
// the Suggestive Annotation objective (Yang et al. 2017): every pool point should be similar to
// some pick. F is monotone submodular, so greedy is within (1 - 1/e) of the best batch of size b
// (Nemhauser, Wolsey & Fisher 1978). Lazy greedy (Minoux 1978) keeps stale upper bounds on the
// gains in a heap and gives exactly the plain greedy picks with far fewer evaluations;
// stochastic greedy (Mirzasoleiman et al. 2015) evaluates a random subset of the candidates per
// step. With the 0/1 similarity [||x_i - x_j|| <= radius], F(S) counts the covered points: that
// is max_coverage, the thresholded set-cover form.
#pragma once

#include "acquire/core/error.hpp"
#include "acquire/core/parallel.hpp"
#include "acquire/core/random.hpp"
#include "acquire/core/selection.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <queue>
#include <vector>

namespace acquire {

/// Options of `facility_location`.
struct FacilityLocationOptions {
    /// Plain greedy's picks, with stale-bound (Minoux) lazy evaluation. Exact up to gains that
    /// tie within the rounding of the similarity products: a similarity row is computed in
    /// whichever tile its candidate shares, and a matrix product's last bits depend on where a
    /// row sits in it, so two gains within ~1e-7 (float) of each other may be ordered either way
    /// (found by fuzzing on pools with duplicate points). False runs the
    /// plain greedy loop (every candidate's gain at every step; the benchmark's reference).
    bool lazy = true;
    /// Stochastic greedy (Mirzasoleiman et al. 2015): per step, the best of a uniform sample of
    /// ceil((|candidates| / b) ln(1 / epsilon)) remaining candidates. Overrides `lazy`.
    bool stochastic = false;
    double epsilon = 0.01;  ///< stochastic greedy's epsilon, in (0, 1)
    std::uint64_t seed = 0;  ///< seed of stochastic greedy's samples (acquire::Rng)
    /// Working-memory bound for candidate x pool similarities. When |candidates| x N scalars fit,
    /// they are computed once and kept; otherwise tiles of at most this size are recomputed.
    std::size_t memory_bytes = std::size_t(512) << 20;
    /// If not null, receives the number of candidate gains evaluated (each is one pass over N).
    Index* evaluations = nullptr;
    /// checks.values: reject NaN/Inf rows (and zero rows for cosine).
    CheckOptions checks;
};

namespace detail {

/// Greedy on F with similarity tiles from `fill(rows, out)`: out(r, j) = sim(candidate rows[r],
/// pool point j), already clamped at 0. Gains and F are summed in double, over j in order.
template <class Scalar, class Fill>
Selection facility_greedy(Index n, const std::vector<Index>& candidates, Index b,
                          const FacilityLocationOptions& options, Fill&& fill) {
    using Tile = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const Index m = static_cast<Index>(candidates.size());
    const std::size_t row_bytes = static_cast<std::size_t>(n) * sizeof(Scalar);
    const bool cached = static_cast<std::size_t>(m) * row_bytes <= options.memory_bytes;
    // Tiles of candidates: at least two whenever there are two candidates, so the products run
    // inside our parallel loop and Eigen never threads them itself (same sums on any thread count).
    const Index tile = std::max<Index>(1, std::min<Index>(static_cast<Index>(options.memory_bytes / row_bytes),
                                                          (m + 1) / 2));
    Tile cache;
    if (cached) {
        cache.resize(m, n);
        const Index tiles = (m + tile - 1) / tile;
        parallel_for(tiles, 2, [&](Index t) {
            const Index r0 = t * tile, len = std::min(tile, m - r0);
            Tile part(len, n);
            fill(std::vector<Index>(candidates.begin() + r0, candidates.begin() + r0 + len), part);
            cache.middleRows(r0, len) = part;
        });
    }
    std::vector<double> cover(static_cast<std::size_t>(n), 0.0);  // max sim of each point to S
    Index evaluations = 0;
    // Gains of the candidates at positions `which` (into `candidates`).
    auto gains = [&](const std::vector<Index>& which) {
        std::vector<double> out(which.size());
        evaluations += static_cast<Index>(which.size());
        auto gain_of = [&](const auto& row) {
            double g = 0;
            for (Index j = 0; j < n; ++j) g += std::max(0.0, static_cast<double>(row[j]) - cover[static_cast<std::size_t>(j)]);
            return g;
        };
        const Index w = static_cast<Index>(which.size());
        if (cached) {
            parallel_for(w, 2, [&](Index q) { out[static_cast<std::size_t>(q)] = gain_of(cache.row(which[static_cast<std::size_t>(q)])); });
        } else {
            const Index tiles = (w + tile - 1) / tile;
            parallel_for(tiles, 2, [&](Index t) {
                const Index r0 = t * tile, len = std::min(tile, w - r0);
                std::vector<Index> rows(static_cast<std::size_t>(len));
                for (Index r = 0; r < len; ++r) rows[static_cast<std::size_t>(r)] = candidates[static_cast<std::size_t>(which[static_cast<std::size_t>(r0 + r)])];
                Tile part(len, n);
                fill(rows, part);
                for (Index r = 0; r < len; ++r) out[static_cast<std::size_t>(r0 + r)] = gain_of(part.row(r));
            });
        }
        return out;
    };
    auto take = [&](Index position) {
        Tile row(1, n);
        if (cached) row = cache.row(position);
        else fill(std::vector<Index>{candidates[static_cast<std::size_t>(position)]}, row);
        double f = 0;
        for (Index j = 0; j < n; ++j) {
            auto& c = cover[static_cast<std::size_t>(j)];
            c = std::max(c, static_cast<double>(row(0, j)));
            f += c;
        }
        return f;
    };

    Selection result;
    std::vector<char> taken(static_cast<std::size_t>(m), 0);
    // Better: larger gain, then the lower pool index (candidates may come in any order).
    auto better = [&](double ga, Index pa, double gb, Index pb) {
        return ga > gb || (ga == gb && candidates[static_cast<std::size_t>(pa)] < candidates[static_cast<std::size_t>(pb)]);
    };
    if (options.stochastic) {
        Rng rng(options.seed);
        const double per_step = std::ceil(static_cast<double>(m) / static_cast<double>(std::max<Index>(b, 1)) *
                                          std::log(1.0 / options.epsilon));
        const Index sample = std::max<Index>(1, static_cast<Index>(per_step));
        std::vector<Index> left(static_cast<std::size_t>(m));
        for (Index q = 0; q < m; ++q) left[static_cast<std::size_t>(q)] = q;
        for (Index step = 0; step < b; ++step) {
            // A partial Fisher-Yates shuffle draws the sample from the candidates left.
            const Index s = std::min<Index>(sample, static_cast<Index>(left.size()));
            for (Index q = 0; q < s; ++q) {
                const auto r = q + static_cast<Index>(rng.below(static_cast<std::uint64_t>(static_cast<Index>(left.size()) - q)));
                std::swap(left[static_cast<std::size_t>(q)], left[static_cast<std::size_t>(r)]);
            }
            const std::vector<Index> which(left.begin(), left.begin() + s);
            const auto g = gains(which);
            std::size_t best = 0;
            for (std::size_t q = 1; q < which.size(); ++q)
                if (better(g[q], which[q], g[best], which[best])) best = q;
            const Index position = which[best];
            result.indices.push_back(candidates[static_cast<std::size_t>(position)]);
            result.objective.push_back(take(position));
            left.erase(left.begin() + static_cast<std::ptrdiff_t>(best));
        }
    } else if (!options.lazy) {
        for (Index step = 0; step < b; ++step) {
            std::vector<Index> which;
            for (Index q = 0; q < m; ++q)
                if (!taken[static_cast<std::size_t>(q)]) which.push_back(q);
            const auto g = gains(which);
            std::size_t best = 0;
            for (std::size_t q = 1; q < which.size(); ++q)
                if (better(g[q], which[q], g[best], which[best])) best = q;
            taken[static_cast<std::size_t>(which[best])] = 1;
            result.indices.push_back(candidates[static_cast<std::size_t>(which[best])]);
            result.objective.push_back(take(which[best]));
        }
    } else if (b > 0) {
        // Lazy greedy: a heap of (stale gain, position); gains only shrink as S grows, so a
        // refreshed top that still beats the next stale bound is the plain greedy pick.
        std::vector<Index> all(static_cast<std::size_t>(m));
        for (Index q = 0; q < m; ++q) all[static_cast<std::size_t>(q)] = q;
        const auto g0 = gains(all);
        auto worse = [&](const std::pair<double, Index>& a, const std::pair<double, Index>& c) {
            return better(c.first, c.second, a.first, a.second);
        };
        std::priority_queue<std::pair<double, Index>, std::vector<std::pair<double, Index>>, decltype(worse)> heap(worse);
        for (Index q = 0; q < m; ++q) heap.emplace(g0[static_cast<std::size_t>(q)], q);
        std::vector<Index> fresh_at(static_cast<std::size_t>(m), 0);  // step of each bound
        for (Index step = 0; step < b; ++step) {
            while (true) {
                auto [bound, q] = heap.top();
                heap.pop();
                if (fresh_at[static_cast<std::size_t>(q)] == step) {
                    taken[static_cast<std::size_t>(q)] = 1;
                    result.indices.push_back(candidates[static_cast<std::size_t>(q)]);
                    result.objective.push_back(take(q));
                    break;
                }
                heap.emplace(gains({q})[0], q);
                fresh_at[static_cast<std::size_t>(q)] = step;
            }
        }
    }
    if (options.evaluations) *options.evaluations = evaluations;
    return result;
}

template <class Derived>
void check_facility_input(const char* fn, const Eigen::MatrixBase<Derived>& X, const std::vector<Index>& candidates,
                          Index b, const FacilityLocationOptions& options) {
    check_shape(fn, "X", X.rows(), X.cols());
    index_mask(fn, "candidates", candidates, X.rows());
    check_budget(fn, "b", b, candidates.empty() ? X.rows() : static_cast<Index>(candidates.size()));
    if (!(options.epsilon > 0 && options.epsilon < 1))
        fail(fn, "options epsilon must be in (0, 1), got ", options.epsilon);
    if (options.memory_bytes < static_cast<std::size_t>(X.rows()) * sizeof(typename Derived::Scalar))
        fail(fn, "options memory_bytes (", options.memory_bytes, ") must hold one row of ", X.rows(), " similarities");
    check_tolerance(fn, options.checks);
    if (options.checks.values) check_finite(fn, "X", X);
}

inline std::vector<Index> all_rows_if_empty(const std::vector<Index>& candidates, Index n) {
    if (!candidates.empty()) return candidates;
    std::vector<Index> all(static_cast<std::size_t>(n));
    for (Index i = 0; i < n; ++i) all[static_cast<std::size_t>(i)] = i;
    return all;
}

}  // namespace detail

/// Facility location (Yang et al. 2017's Suggestive Annotation step; greedy per Nemhauser et al.
/// 1978): b picks from `candidates` (pool row indices; empty = every row; pass your unlabeled set
/// or a prefilter() of it) maximising F(S) = sum over all N rows j of max(0, max_{i in S}
/// cos(x_i, x_j)). Negative cosines count as 0, so F is monotone submodular and greedy is
/// within (1 - 1/e) of optimal. `Selection::objective[j]` is F after pick j; ties go to the
/// lowest pool index. Lazy evaluation gives exactly the plain greedy picks.
///
/// Memory: a |candidates| x N similarity block when it fits options.memory_bytes (default
/// 512 MB), else tiles of at most that size recomputed per evaluation; never N x N unless the
/// candidates are the whole pool and it fits. Cosine normalises a row-major copy of X (O(N d)).
///
/// Throws invalid_input for an empty X, bad candidate indices, b < 0 or above the candidates,
/// non-finite values, zero rows, epsilon outside (0, 1), or a memory bound below one row.
template <class Derived>
Selection facility_location(const Eigen::MatrixBase<Derived>& X, const std::vector<Index>& candidates, Index b,
                            const FacilityLocationOptions& options = {}) {
    constexpr const char* fn = "facility_location";
    using Scalar = typename Derived::Scalar;
    detail::check_facility_input(fn, X, candidates, b, options);
    RowMatrix<Scalar> unit = X;
    for (Index i = 0; i < unit.rows(); ++i) {
        const Scalar norm = unit.row(i).norm();
        if (!(norm > 0)) detail::fail(fn, "X row ", i, " has zero norm (cosine similarity)");
        unit.row(i) /= norm;
    }
    return detail::facility_greedy<Scalar>(
        unit.rows(), detail::all_rows_if_empty(candidates, unit.rows()), b, options,
        [&](const std::vector<Index>& rows, auto& out) {
            out.noalias() = unit(rows, Eigen::all) * unit.transpose();
            out = out.cwiseMax(Scalar(0));
        });
}

/// Max coverage (the thresholded set-cover form of facility location): b picks from the
/// candidates (empty = every row) maximising the number of rows within Euclidean `radius` of
/// some pick. `Selection::objective[j]` is the covered count after pick j. Same greedy, lazy
/// evaluation, ties, memory bound and errors as facility_location; radius must be finite, >= 0.
template <class Derived>
Selection max_coverage(const Eigen::MatrixBase<Derived>& X, double radius, Index b,
                       const std::vector<Index>& candidates = {}, const FacilityLocationOptions& options = {}) {
    constexpr const char* fn = "max_coverage";
    using Scalar = typename Derived::Scalar;
    if (!(radius >= 0) || !std::isfinite(radius)) detail::fail(fn, "radius must be finite and >= 0, got ", radius);
    detail::check_facility_input(fn, X, candidates, b, options);
    const RowMatrix<Scalar> x = X;
    const Vector<Scalar> norms = x.rowwise().squaredNorm();
    const auto r2 = static_cast<Scalar>(radius * radius);
    return detail::facility_greedy<Scalar>(
        x.rows(), detail::all_rows_if_empty(candidates, x.rows()), b, options,
        [&](const std::vector<Index>& rows, auto& out) {
            out.noalias() = x(rows, Eigen::all) * x.transpose();
            for (Index r = 0; r < out.rows(); ++r) {
                const Scalar ni = norms[rows[static_cast<std::size_t>(r)]];
                for (Index j = 0; j < out.cols(); ++j)
                    out(r, j) = ni + norms[j] - Scalar(2) * out(r, j) <= r2 ? Scalar(1) : Scalar(0);
            }
        });
}

}  // namespace acquire
