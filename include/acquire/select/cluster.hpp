// k-means (Lloyd 1982, seeded with k-means++) and cluster-based batch selection (Zhdanov 2019):
// prefilter the most uncertain beta * b samples, cluster them into b groups, and label the
// sample nearest each group's center: informative, and spread over the modes of the pool.
#pragma once

#include "acquire/core/error.hpp"
#include "acquire/core/parallel.hpp"
#include "acquire/core/selection.hpp"
#include "acquire/core/top_k.hpp"
#include "acquire/select/kmeans_pp.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace acquire {

/// Options of `kmeans` (k-means++ start, then Lloyd iterations).
struct KMeansOptions {
    /// Lloyd iterations at most.
    Index max_iterations = 100;
    /// Stop when the inertia improves by less than this fraction of itself.
    double tolerance = 1e-6;
    /// Seed of the k-means++ start (acquire::Rng: the same clustering everywhere).
    std::uint64_t seed = 0;
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

/// k-means (Lloyd 1982) from a k-means++ start (Arthur & Vassilvitskii 2007): alternately assign
/// each row of X to its nearest center and move each center to the mean of its rows, until the
/// inertia improves by less than `tolerance` of itself or `max_iterations` is reached. A cluster
/// left empty keeps its previous center. Means are summed in double in row order, so the result
/// is identical on any thread count. O(iterations N k d) time, O(k d + N) memory.
///
/// Throws invalid_input for an empty X, non-finite values, k < 1 or k > N, and bad options.
template <class Derived>
KMeansResult<typename Derived::Scalar> kmeans(const Eigen::MatrixBase<Derived>& X, Index k,
                                              const KMeansOptions& options = {}) {
    constexpr const char* fn = "kmeans";
    using Scalar = typename Derived::Scalar;
    const Index n = X.rows(), d = X.cols();
    detail::check_shape(fn, "X", n, d);
    if (k < 1 || k > n) detail::fail(fn, "k must be in [1, ", n, "], got ", k);
    if (options.max_iterations < 0) detail::fail(fn, "options max_iterations must be >= 0, got ", options.max_iterations);
    if (!(options.tolerance >= 0)) detail::fail(fn, "options tolerance must be >= 0, got ", options.tolerance);
    detail::check_tolerance(fn, options.checks);
    if (options.checks.values) detail::check_finite(fn, "X", X);
    KMeansPPOptions seeding;
    seeding.seed = options.seed;
    seeding.checks.values = false;
    const auto start = kmeans_pp(X, k, seeding);
    KMeansResult<Scalar> result;
    result.centers = X(start.indices, Eigen::all);
    result.assignment.assign(static_cast<std::size_t>(n), 0);
    std::vector<double> d2(static_cast<std::size_t>(n));
    double previous = std::numeric_limits<double>::infinity();
    for (Index iteration = 0;; ++iteration) {
        detail::parallel_for(n, 1024, [&](Index i) {
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

}  // namespace acquire
