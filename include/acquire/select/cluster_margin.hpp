/// \file
/// Cluster-Margin (Citovsky et al. 2021): the least confident points spread over clusters of the
/// pool.
// Cluster-Margin (Citovsky, DeSalvo, Gentile, Karydas, Rajagopalan, Rostamizadeh & Kumar 2021,
// "Batch Active Learning at Scale", NeurIPS): cluster the pool once, then every round take the
// least confident points and spread the batch over their clusters, smallest cluster first.
// Built for very large batches, where top-k of an uncertainty score is mostly redundant.
#pragma once

#include "acquire/core/error.hpp"
#include "acquire/core/random.hpp"
#include "acquire/core/selection.hpp"
#include "acquire/core/top_k.hpp"
#include "acquire/select/hierarchical.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace acquire {

/// \addtogroup clustering_selectors
/// @{

/// Options of `cluster_margin`.
struct ClusterMarginOptions {
    /// k_m, the number of least-confident unlabeled points the batch is drawn from; in
    /// [b, unlabeled]. 0 = min(10 b, unlabeled).
    Index margin_pool = 0;
    /// Rows already labeled: never picked.
    std::vector<Index> labeled;
    /// Seed of the member drawn at each cluster visit (acquire::Rng: the same batch everywhere).
    std::uint64_t seed = 0;
};

/// Cluster-Margin (Citovsky et al. 2021): given a clustering of the pool
/// (`assignment[i]` in [0, N), computed once, e.g. by agglomerative_clustering() as in the
/// paper, or kmeans() for large pools),
///   1. M = the k_m unlabeled rows of highest score (ties: lowest index). Pass
///      acquire::margin(P), which is 1 - (p_(1) - p_(2)): the highest scores are the smallest
///      margins, the paper's choice; any score with higher = query first works.
///   2. group M by cluster and sort the groups by their size in M, smallest first (ties: lower
///      cluster id);
///   3. visit the groups round-robin in that order, each visit taking a uniformly random member
///      not taken yet (Rng(seed)), dropping a group once it is empty, until b are taken.
/// Small clusters of uncertain points are thus always represented and large ones never
/// dominate. Returned in pick order; `Selection::objective[j]` is the score of pick j.
///
/// O(N) time and memory (one top-k pass, then O(k_m)). Throws invalid_input when `scores` is
/// not a vector or holds a NaN, `assignment` does not have N entries or holds an id outside
/// [0, N), labeled indices are bad, b is negative or above the unlabeled rows, or margin_pool
/// is neither 0 nor in [b, unlabeled].
template <class Derived>
Selection cluster_margin(const Eigen::MatrixBase<Derived>& scores, const std::vector<Index>& assignment, Index b,
                         const ClusterMarginOptions& options = {}) {
    constexpr const char* fn = "cluster_margin";
    detail::check_vector(fn, "scores", scores);
    const Index n = scores.size();
    if (static_cast<Index>(assignment.size()) != n)
        detail::fail(fn, "assignment has ", assignment.size(), " entries but scores has ", n);
    for (std::size_t i = 0; i < assignment.size(); ++i)
        if (assignment[i] < 0 || assignment[i] >= n)
            detail::fail(fn, "assignment entry ", i, " is ", assignment[i], ", out of range [0, ", n, ")");
    detail::index_mask(fn, "options labeled", options.labeled, n);
    const Index available = n - static_cast<Index>(options.labeled.size());
    detail::check_budget(fn, "b", b, available);
    Index km = options.margin_pool;
    if (km == 0) km = std::min(10 * b, available);
    else if (km < b || km > available)
        detail::fail(fn, "options margin_pool is ", km, " but must be 0 or in [b = ", b, ", ", available, "]");
    detail::as_column(scores, [&](const auto& v) {
        for (Index i = 0; i < n; ++i)
            if (v.coeff(i) != v.coeff(i)) detail::fail(fn, "scores entry ", i, " is NaN");
    });
    if (b == 0) return {};
    std::vector<Index> pool = top_k(scores, km, options.labeled);

    // Groups of M by cluster, in order of (size in M, cluster id); members in index order.
    std::sort(pool.begin(), pool.end(), [&](Index a, Index c) {
        const Index ca = assignment[static_cast<std::size_t>(a)], cc = assignment[static_cast<std::size_t>(c)];
        return ca < cc || (ca == cc && a < c);
    });
    std::vector<std::vector<Index>> groups;
    for (std::size_t q = 0; q < pool.size(); ++q) {
        if (q == 0 || assignment[static_cast<std::size_t>(pool[q])] != assignment[static_cast<std::size_t>(pool[q - 1])])
            groups.emplace_back();
        groups.back().push_back(pool[q]);
    }
    // Groups are in cluster-id order, so a stable sort by size breaks ties by the lower id.
    std::stable_sort(groups.begin(), groups.end(),
                     [](const std::vector<Index>& x, const std::vector<Index>& y) { return x.size() < y.size(); });

    Rng rng(options.seed);
    Selection result;
    std::vector<std::size_t> left(groups.size());
    for (std::size_t g = 0; g < groups.size(); ++g) left[g] = groups[g].size();
    while (result.size() < b) {
        for (std::size_t g = 0; g < groups.size() && result.size() < b; ++g) {
            if (left[g] == 0) continue;
            // Swap the drawn member to the end of the group's live prefix.
            auto& members = groups[g];
            const auto pick = static_cast<std::size_t>(rng.below(left[g]));
            std::swap(members[pick], members[left[g] - 1]);
            const Index i = members[--left[g]];
            result.indices.push_back(i);
            detail::as_column(scores, [&](const auto& v) { result.objective.push_back(static_cast<double>(v.coeff(i))); });
        }
    }
    return result;
}

/// @}

}  // namespace acquire
