/// \file
/// Clustering by k-means (Lloyd 1982) and cluster-based batch selection (Zhdanov 2019).
// k-means (Lloyd 1982, seeded with k-means++) and cluster-based batch selection (Zhdanov 2019):
// prefilter the most uncertain beta * b samples, cluster them into b groups, and label the
// sample nearest each group's center: informative, and spread over the modes of the pool.
#pragma once

#include "acquire/core/error.hpp"
#include "acquire/core/parallel.hpp"
#include "acquire/core/random.hpp"
#include "acquire/core/selection.hpp"
#include "acquire/core/top_k.hpp"
#include "acquire/select/kmeans_pp.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace acquire {

/// \addtogroup clustering_selectors
/// @{

/// Options of `kmeans` (k-means++ start, then Lloyd iterations).
struct KMeansOptions {
    /// Lloyd iterations at most.
    Index max_iterations = 100;
    /// Stop when the inertia improves by less than this fraction of itself.
    double tolerance = 1e-6;
    /// Seed of the k-means++ starts (acquire::Rng: the same clustering everywhere). Start 0
    /// uses `seed` itself, so `restarts = 1` is the single run of earlier versions.
    std::uint64_t seed = 0;
    /// Independent k-means++ starts, each followed by Lloyd iterations; the run of lowest
    /// inertia is kept (ties: the earliest start). One start merges and splits clusters of
    /// well-separated pools for a few seeds in ten; see kmeans() for the default's cost and
    /// what it buys. >= 1.
    Index restarts = 3;
    /// Value checks of the points (see CheckOptions).
    CheckOptions checks;
};

/// What `kmeans` returns.
template <class Scalar>
struct KMeansResult {
    RowMatrix<Scalar> centers;      ///< k x d
    std::vector<Index> assignment;  ///< nearest center of each row (ties: lowest center)
    double inertia = 0;             ///< sum of squared distances to the assigned centers
    Index iterations = 0;           ///< Lloyd iterations run
};

/// @}

namespace detail {

/// Squared Euclidean distance of rows i and j of X, in double.
template <class Derived>
double row_distance2(const Eigen::MatrixBase<Derived>& X, Index i, Index j) {
    return (X.row(i).template cast<double>() - X.row(j).template cast<double>()).squaredNorm();
}

/// Greedy k-means++ (Arthur & Vassilvitskii 2007, section 6; scikit-learn's default): the first
/// center uniform, then at each step 2 + floor(ln k) candidates drawn by D^2 sampling, keeping
/// the one that leaves the lowest potential sum_i min(D_i^2, |x_i - c|^2) (ties: the first
/// drawn). One candidate per step is plain k-means++, which on well-separated clusters often
/// puts two centers in one cluster; Lloyd iterations cannot move them apart. Sums in double in
/// row order: the same start on any thread count. O(k (2 + ln k) N d).
template <class Derived>
std::vector<Index> greedy_kmeans_pp(const Eigen::MatrixBase<Derived>& X, Index k, std::uint64_t seed) {
    const Index n = X.rows();
    const Index trials = 2 + static_cast<Index>(std::log(static_cast<double>(k)));
    Rng rng(seed);
    std::vector<Index> centers{static_cast<Index>(rng.below(static_cast<std::uint64_t>(n)))};
    // Three buffers of N distances, swapped, never copied: the current D^2, the best trial's, a trial's.
    std::vector<double> d2(static_cast<std::size_t>(n)), best_d2(d2.size()), trial_d2(d2.size());
    parallel_for(n, 1024, [&](Index i) { d2[static_cast<std::size_t>(i)] = row_distance2(X, i, centers[0]); });
    std::vector<double> prefix(static_cast<std::size_t>(n));
    while (static_cast<Index>(centers.size()) < k) {
        double total = 0;
        for (Index i = 0; i < n; ++i) prefix[static_cast<std::size_t>(i)] = total += d2[static_cast<std::size_t>(i)];
        Index chosen = -1;
        double chosen_potential = std::numeric_limits<double>::infinity();
        for (Index t = 0; t < trials; ++t) {
            Index c;
            if (total > 0) {  // D^2 sampling: the first row whose running sum exceeds u * total
                const double u = rng.uniform() * total;
                c = static_cast<Index>(std::upper_bound(prefix.begin(), prefix.end(), u) - prefix.begin());
                c = std::min(c, n - 1);
                while (d2[static_cast<std::size_t>(c)] <= 0 && c > 0) --c;  // never a row at distance 0
            } else {  // every row sits on a center: the lowest row that is not one
                c = 0;
                while (std::find(centers.begin(), centers.end(), c) != centers.end()) ++c;
            }
            parallel_for(n, 1024, [&](Index i) {
                trial_d2[static_cast<std::size_t>(i)] = std::min(d2[static_cast<std::size_t>(i)], row_distance2(X, i, c));
            });
            double potential = 0;
            for (double v : trial_d2) potential += v;
            if (chosen < 0 || potential < chosen_potential) {  // the first trial stands even if NaN (unchecked input)
                chosen = c;
                chosen_potential = potential;
                best_d2.swap(trial_d2);
            }
            if (total <= 0) break;
        }
        centers.push_back(chosen);
        d2.swap(best_d2);
    }
    return centers;
}

/// One k-means run: a greedy k-means++ start drawn with `seed`, then Lloyd iterations (see kmeans).
template <class Derived>
KMeansResult<typename Derived::Scalar> kmeans_run(const Eigen::MatrixBase<Derived>& X, Index k,
                                                  const KMeansOptions& options, std::uint64_t seed) {
    using Scalar = typename Derived::Scalar;
    const Index n = X.rows(), d = X.cols();
    KMeansResult<Scalar> result;
    result.centers = X(greedy_kmeans_pp(X, k, seed), Eigen::all);
    result.assignment.assign(static_cast<std::size_t>(n), 0);
    std::vector<double> d2(static_cast<std::size_t>(n));
    double previous = std::numeric_limits<double>::infinity();
    for (Index iteration = 0;; ++iteration) {
        parallel_for(n, 1024, [&](Index i) {
            Index best = 0;
            double best_d2 = std::numeric_limits<double>::infinity();
            for (Index c = 0; c < k; ++c) {
                const double v = static_cast<double>((X.row(i) - result.centers.row(c)).squaredNorm());
                if (v < best_d2) best = c, best_d2 = v;
            }
            result.assignment[static_cast<std::size_t>(i)] = best;
            d2[static_cast<std::size_t>(i)] = best_d2;
        });
        result.inertia = 0;
        for (double v : d2) result.inertia += v;
        result.iterations = iteration;
        if (iteration >= options.max_iterations || previous - result.inertia <= options.tolerance * result.inertia) break;
        previous = result.inertia;
        Eigen::MatrixXd sums = Eigen::MatrixXd::Zero(k, d);
        std::vector<Index> counts(static_cast<std::size_t>(k), 0);
        for (Index i = 0; i < n; ++i) {
            const Index c = result.assignment[static_cast<std::size_t>(i)];
            sums.row(c) += X.row(i).template cast<double>();
            ++counts[static_cast<std::size_t>(c)];
        }
        for (Index c = 0; c < k; ++c)
            if (counts[static_cast<std::size_t>(c)] > 0)
                result.centers.row(c) = (sums.row(c) / static_cast<double>(counts[static_cast<std::size_t>(c)])).template cast<Scalar>();
    }
    return result;
}

/// The seed of start r of kmeans: `seed` itself for start 0, a splitmix64 stream after it.
constexpr std::uint64_t kmeans_start_seed(std::uint64_t seed, Index r) {
    return r == 0 ? seed : mix64(mix64(seed ^ 0x13198a2e03707344ULL) + static_cast<std::uint64_t>(r) * 0x9e3779b97f4a7c15ULL);
}

}  // namespace detail

/// \addtogroup clustering_selectors
/// @{

/// k-means (Lloyd 1982) from greedy k-means++ starts (Arthur & Vassilvitskii 2007; see
/// detail::greedy_kmeans_pp): from each of
/// `options.restarts` independent starts, alternately assign each row of X to its nearest
/// center and move each center to the mean of its rows, until the inertia improves by less than
/// `tolerance` of itself or `max_iterations` is reached; the run of lowest inertia is returned
/// (ties: the earliest start; `iterations` is that run's). A cluster left empty keeps its
/// previous center. Means are summed in double in row order, so the result is identical on any
/// thread count. O(restarts iterations N k d) time, O(k d + N) memory.
///
/// Restarts (default 3), measured on pools of 25 well-separated Gaussian blobs (2,000 x 8,
/// centres uniform in [-10, 10]^8, standard deviation s; 5 pools x 100 seeds): the share of
/// runs that split a blob or merge two is, for one start / three starts, 2.2% / 0% at s = 0.5,
/// 7.8% / 0% at s = 0.7 and 34% / 2.8% at s = 1 (five starts: 0.6%); the single plain k-means++
/// start used before failed 68%, 85% and 97%. Each start costs one run, so the default takes
/// three times as long as `restarts = 1` (2.1 -> 6.8 ms at s = 0.7, one thread): pass 1 where
/// a single run is enough.
///
/// Throws invalid_input for an empty X, non-finite values, k < 1 or k > N, and bad options
/// (restarts < 1, max_iterations < 0, tolerance < 0).
template <class Derived>
KMeansResult<typename Derived::Scalar> kmeans(const Eigen::MatrixBase<Derived>& X, Index k,
                                              const KMeansOptions& options = {}) {
    constexpr const char* fn = "kmeans";
    const Index n = X.rows(), d = X.cols();
    detail::check_shape(fn, "X", n, d);
    if (k < 1 || k > n) detail::fail(fn, "k must be in [1, ", n, "], got ", k);
    if (options.max_iterations < 0) detail::fail(fn, "options max_iterations must be >= 0, got ", options.max_iterations);
    if (!(options.tolerance >= 0)) detail::fail(fn, "options tolerance must be >= 0, got ", options.tolerance);
    if (options.restarts < 1) detail::fail(fn, "options restarts must be >= 1, got ", options.restarts);
    detail::check_tolerance(fn, options.checks);
    if (options.checks.values) detail::check_finite(fn, "X", X);
    auto best = detail::kmeans_run(X, k, options, options.seed);
    for (Index r = 1; r < options.restarts; ++r) {
        auto run = detail::kmeans_run(X, k, options, detail::kmeans_start_seed(options.seed, r));
        if (run.inertia < best.inertia) best = std::move(run);
    }
    return best;
}

/// Options of `cluster_select`.
struct ClusterSelectOptions {
    /// Prefilter size as a multiple of b (Zhdanov 2019 uses about 10), in [1, 50]. Capped at the
    /// unlabeled pool.
    Index beta = 10;
    /// Already labeled rows: never prefiltered or picked.
    std::vector<Index> labeled;
    /// Options of the k-means run on the prefiltered candidates.
    KMeansOptions kmeans;
};

/// Cluster-based selection (Zhdanov 2019): take the min(beta b, unlabeled) highest `scores`
/// (ties: lowest index), run kmeans() with b clusters on their rows of X, and pick in each
/// cluster the member nearest its center (ties: lowest index), in cluster order. A cluster left
/// empty is replaced by the highest-scoring prefiltered row not yet picked.
/// `Selection::objective[j]` is pick j's Euclidean distance to its cluster center (0 for a
/// replacement). Higher score = more wanted; X rows are samples.
///
/// Throws invalid_input for shape mismatches, NaN scores, bad labeled indices, beta outside
/// [1, 50], and b < 0 or larger than the unlabeled pool.
template <class DerivedX, class DerivedS>
Selection cluster_select(const Eigen::MatrixBase<DerivedX>& X, const Eigen::MatrixBase<DerivedS>& scores, Index b,
                         const ClusterSelectOptions& options = {}) {
    constexpr const char* fn = "cluster_select";
    const Index n = X.rows();
    detail::check_shape(fn, "X", n, X.cols());
    if (scores.size() != n) detail::fail(fn, "scores has ", scores.size(), " entries but X has ", n, " rows");
    detail::check_vector(fn, "scores", scores);
    for (Index i = 0; i < n; ++i)
        if (std::isnan(static_cast<double>(scores.derived().reshaped()(i)))) detail::fail(fn, "scores entry ", i, " is NaN");
    if (options.beta < 1 || options.beta > 50) detail::fail(fn, "options beta must be in [1, 50], got ", options.beta);
    detail::index_mask(fn, "labeled", options.labeled, n);
    const Index available = n - static_cast<Index>(options.labeled.size());
    detail::check_budget(fn, "b", b, available);
    if (options.kmeans.checks.values) detail::check_finite(fn, "X", X);
    if (b == 0) return {};
    const auto pre = top_k(scores, std::min(options.beta * b, available), options.labeled);
    auto km_options = options.kmeans;
    km_options.checks.values = false;
    const auto rows = X(pre, Eigen::all);
    const auto km = kmeans(rows, b, km_options);
    Selection result;
    std::vector<char> taken(pre.size(), 0);
    std::vector<Index> empty_clusters;
    for (Index c = 0; c < b; ++c) {
        Index best = -1;
        double best_d2 = 0;
        for (std::size_t q = 0; q < pre.size(); ++q) {
            if (km.assignment[q] != c) continue;
            const double v = static_cast<double>((rows.row(static_cast<Index>(q)) - km.centers.row(c)).squaredNorm());
            if (best < 0 || v < best_d2 || (v == best_d2 && pre[q] < pre[static_cast<std::size_t>(best)]))
                best = static_cast<Index>(q), best_d2 = v;
        }
        if (best < 0) {
            empty_clusters.push_back(c);
            continue;
        }
        taken[static_cast<std::size_t>(best)] = 1;
        result.indices.push_back(pre[static_cast<std::size_t>(best)]);
        result.objective.push_back(std::sqrt(best_d2));
    }
    for (std::size_t q = 0; q < pre.size() && result.size() < b; ++q)
        if (!taken[q]) {  // highest score first: pre is sorted by score
            taken[q] = 1;
            result.indices.push_back(pre[q]);
            result.objective.push_back(0.0);
        }
    return result;
}

/// @}

}  // namespace acquire
