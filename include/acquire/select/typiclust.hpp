/// \file
/// TypiClust (Hacohen, Dekel & Weinshall 2022): typical points of the clusters that hold no label
/// yet.
// TypiClust (Hacohen, Dekel & Weinshall 2022, "Active Learning on a Budget: Opposite Strategies
// Suit High and Low Budgets", ICML): with few labels, query typical points (dense regions) of
// clusters that hold no label yet, rather than uncertain ones.
#pragma once

#include "acquire/core/error.hpp"
#include "acquire/core/neighbor_graph.hpp"
#include "acquire/core/selection.hpp"
#include "acquire/score/contrastive.hpp"
#include "acquire/select/cluster.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

namespace acquire {

/// \addtogroup clustering_selectors
/// @{

/// Options of `typiclust`.
struct TypiClustOptions {
    /// Rows already labeled: never picked; they count against their cluster.
    std::vector<Index> labeled;
    /// k of the typicality (the paper's 20); min(k, floor(m / 2)) in a cluster of m points.
    Index neighbors = 20;
    /// Cap on the number of k-means clusters, min(|labeled| + b, max_clusters): the reference
    /// implementation's 500, which keeps k-means affordable at large budgets; past the cap the
    /// picks go round the clusters again (fewest labeled first).
    Index max_clusters = 500;
    /// Clusters of at most this many points are skipped while a larger cluster still has an
    /// unlabeled point (the reference implementation's 5: tiny clusters are outliers, not modes).
    Index min_cluster_size = 5;
    /// Bound, in bytes, on the distance tile of the exact k-NN (see ContrastiveOptions).
    std::size_t memory_bytes = std::size_t(32) << 20;
    /// The clustering (seed, iterations) and checks.values (reject NaN or Inf rows).
    KMeansOptions kmeans;
    /// Typicality from a neighbour graph over the N rows (N over the same N, no self loops:
    /// acquire::knn_graph, acquire::hnsw::knn_graph or any library's) instead of the exact
    /// search within each cluster: a row's neighbours are its graph neighbours in its own
    /// cluster, the first k' of them (fewer when the graph lists fewer; none: typicality 0).
    /// Build it with k well above `neighbors` (2 to 3 times) so that enough land in the cluster.
    /// Not owned; null (default) = exact.
    const NeighborGraph* graph = nullptr;
};

/// @}

namespace detail {

/// Typicality of every row of X among the rows of X; k already capped at rows - 1.
template <class Derived>
Vector<double> typicality_of(const Eigen::MatrixBase<Derived>& X, Index k, std::size_t memory_bytes) {
    const Index m = X.rows();
    Vector<double> out = Vector<double>::Zero(m);
    if (m < 2 || k < 1) return out;
    ContrastiveOptions knn;
    knn.memory_bytes = memory_bytes;
    knn.checks.values = false;
    // k + 1 neighbours: the row itself is among them, normally first, but the rounding of
    // ||q||^2 + ||r||^2 - 2 q.r can put an exact duplicate (or nothing) ahead of it.
    const auto nn = nearest_neighbors(X, X, k + 1, knn);
    for (Index i = 0; i < m; ++i) {
        double sum = 0;
        Index used = 0;
        for (Index j = 0; j <= k && used < k; ++j) {
            if (nn.indices(i, j) == i) continue;
            sum += std::sqrt(static_cast<double>(nn.distances(i, j)));
            ++used;
        }
        out[i] = sum > 0 ? static_cast<double>(used) / sum : std::numeric_limits<double>::infinity();
    }
    return out;
}

inline Index typicality_neighbors(Index k, Index m) { return std::min(k, m / 2); }

/// Typicality of the rows `members` of cluster `cluster` from graph g: for each, the first k of
/// its graph neighbours whose assignment is `cluster`, used / sum of their distances' roots
/// (typicality_of's formula); 0 when none is listed.
inline Vector<double> typicality_from_graph(const NeighborGraph& g, const std::vector<Index>& members,
                                            const std::vector<Index>& assignment, Index cluster, Index k) {
    Vector<double> out = Vector<double>::Zero(static_cast<Index>(members.size()));
    if (k < 1) return out;
    for (std::size_t q = 0; q < members.size(); ++q) {
        const auto i = static_cast<std::size_t>(members[q]);
        double sum = 0;
        Index used = 0;
        for (Index e = g.offsets[i]; e < g.offsets[i + 1] && used < k; ++e) {
            if (assignment[static_cast<std::size_t>(g.indices[static_cast<std::size_t>(e)])] != cluster) continue;
            sum += std::sqrt(g.distances[static_cast<std::size_t>(e)]);
            ++used;
        }
        if (used > 0) out[static_cast<Index>(q)] = sum > 0 ? static_cast<double>(used) / sum : std::numeric_limits<double>::infinity();
    }
    return out;
}

}  // namespace detail

/// \addtogroup clustering_selectors
/// @{

/// Typicality (Hacohen et al. 2022) of every row of X within X:
///
///   typicality(x) = 1 / ( (1/k') sum_{x_j in kNN(x)} ||x - x_j|| ),   k' = min(k, floor(N / 2)),
///
/// the inverse mean Euclidean distance to the k' nearest other rows (exact, tiled k-NN; ties by
/// lowest index). Higher = denser = more typical. k' is halved for small sets as in the reference
/// implementation, so a tiny set is not judged by its farthest points. A single row has
/// typicality 0; a row whose k' neighbours are exact duplicates has +inf. The reference code
/// averages squared distances (faiss L2) and adds 1e-5; we follow the paper's Euclidean form.
///
/// O(N^2 d) time in tiled matrix products, at most `memory_bytes` per worker thread for the
/// tile plus O(N k). Throws invalid_input for an empty X, NaN or Inf values, k < 1 or
/// memory_bytes < 4096.
template <class Derived>
Vector<double> typicality(const Eigen::MatrixBase<Derived>& X, Index k,
                          std::size_t memory_bytes = std::size_t(32) << 20) {
    constexpr const char* fn = "typicality";
    detail::check_shape(fn, "X", X.rows(), X.cols());
    if (k < 1) detail::fail(fn, "k must be >= 1, got ", k);
    if (memory_bytes < 4096) detail::fail(fn, "memory_bytes must be >= 4096, got ", memory_bytes);
    detail::check_finite(fn, "X", X);
    return detail::typicality_of(X, detail::typicality_neighbors(k, X.rows()), memory_bytes);
}

/// @}

namespace detail {

template <class Derived>
void check_typiclust(const char* fn, const Eigen::MatrixBase<Derived>& X, Index b, const TypiClustOptions& options) {
    check_shape(fn, "X", X.rows(), X.cols());
    index_mask(fn, "options labeled", options.labeled, X.rows());
    check_budget(fn, "b", b, X.rows() - static_cast<Index>(options.labeled.size()));
    if (options.neighbors < 1) fail(fn, "options neighbors must be >= 1, got ", options.neighbors);
    if (options.max_clusters < 1) fail(fn, "options max_clusters must be >= 1, got ", options.max_clusters);
    if (options.min_cluster_size < 0) fail(fn, "options min_cluster_size must be >= 0, got ", options.min_cluster_size);
    if (options.memory_bytes < 4096) fail(fn, "options memory_bytes must be >= 4096, got ", options.memory_bytes);
    if (options.graph != nullptr) check_graph(fn, "options graph", *options.graph, X.rows(), X.rows(), true);
    check_tolerance(fn, options.kmeans.checks);
    if (options.kmeans.checks.values) check_finite(fn, "X", X);
}

template <class Derived>
Selection typiclust_picks(const Eigen::MatrixBase<Derived>& X, const std::vector<Index>& assignment, Index clusters,
                          Index b, const TypiClustOptions& options) {
    using Scalar = typename Derived::Scalar;
    const Index n = X.rows();
    const auto labeled = index_mask("typiclust", "options labeled", options.labeled, n);
    std::vector<std::vector<Index>> members(static_cast<std::size_t>(clusters));
    std::vector<Index> labeled_count(static_cast<std::size_t>(clusters), 0), unlabeled_left(static_cast<std::size_t>(clusters), 0);
    for (Index i = 0; i < n; ++i) {
        const auto c = static_cast<std::size_t>(assignment[static_cast<std::size_t>(i)]);
        members[c].push_back(i);
        if (labeled[static_cast<std::size_t>(i)]) ++labeled_count[c];
        else ++unlabeled_left[c];
    }
    auto size = [&](std::size_t c) { return static_cast<Index>(members[c].size()); };
    std::vector<Vector<double>> typical(static_cast<std::size_t>(clusters));  // filled on first visit
    std::vector<char> taken = labeled;
    Selection result;
    for (Index step = 0; step < b; ++step) {
        // Fewest labeled (picks included), then largest, then lowest id; clusters of at most
        // min_cluster_size points only once no larger cluster has an unlabeled point left.
        bool any_large = false;
        for (std::size_t c = 0; c < members.size(); ++c)
            any_large = any_large || (unlabeled_left[c] > 0 && size(c) > options.min_cluster_size);
        std::size_t best = members.size();
        for (std::size_t c = 0; c < members.size(); ++c) {
            if (unlabeled_left[c] == 0 || (any_large && size(c) <= options.min_cluster_size)) continue;
            if (best == members.size() || labeled_count[c] < labeled_count[best] ||
                (labeled_count[c] == labeled_count[best] && size(c) > size(best)))
                best = c;
        }
        auto& t = typical[best];
        const auto& rows = members[best];
        if (t.size() == 0 && options.graph != nullptr) {
            t = typicality_from_graph(*options.graph, rows, assignment, static_cast<Index>(best),
                                      typicality_neighbors(options.neighbors, size(best)));
        } else if (t.size() == 0) {
            const RowMatrix<Scalar> Xc = X(rows, Eigen::all);
            t = typicality_of(Xc, typicality_neighbors(options.neighbors, size(best)), options.memory_bytes);
        }
        std::size_t pick = rows.size();
        for (std::size_t q = 0; q < rows.size(); ++q)
            if (!taken[static_cast<std::size_t>(rows[q])] && (pick == rows.size() || t[static_cast<Index>(q)] > t[static_cast<Index>(pick)]))
                pick = q;
        taken[static_cast<std::size_t>(rows[pick])] = 1;
        ++labeled_count[best];
        --unlabeled_left[best];
        result.indices.push_back(rows[pick]);
        result.objective.push_back(t[static_cast<Index>(pick)]);
    }
    return result;
}

}  // namespace detail

/// \addtogroup clustering_selectors
/// @{

/// TypiClust (Hacohen, Dekel & Weinshall 2022): cluster the pool with kmeans() into
/// C = min(|labeled| + b, max_clusters, N) clusters, then b times: among the clusters that still
/// hold an unlabeled point, take the one with the fewest labeled points (earlier picks count),
/// ties by the largest, then the lowest cluster id, and pick its unlabeled point of highest
/// typicality() within the cluster (all its points, labeled included; ties by lowest index).
/// Clusters of at most min_cluster_size points wait until no larger cluster has an unlabeled
/// point. `Selection::objective[j]` is the typicality of pick j. X rows are embeddings (e.g.
/// self-supervised features, as in the paper).
///
/// The reference implementation orders the clusters once and cycles through them; we recount
/// after every pick, which is the same while C >= |labeled| + b and spreads the batch evenly
/// once the cap is reached.
///
/// Cost: kmeans (O(iterations N C d)) plus the typicality of each visited cluster (O(m^2 d) for
/// a cluster of m points, tiled under options.memory_bytes per worker thread; O(m k) from
/// options.graph). Memory O(N d) at most for one cluster's copy, plus O(N).
///
/// Throws invalid_input for an empty X, NaN or Inf values (kmeans.checks.values), bad labeled
/// indices, b < 0 or above the unlabeled rows, and neighbors, max_clusters < 1,
/// min_cluster_size < 0 or memory_bytes < 4096.
template <class Derived>
Selection typiclust(const Eigen::MatrixBase<Derived>& X, Index b, const TypiClustOptions& options = {}) {
    constexpr const char* fn = "typiclust";
    detail::check_typiclust(fn, X, b, options);
    if (b == 0) return {};
    const Index clusters = std::min({static_cast<Index>(options.labeled.size()) + b, options.max_clusters, X.rows()});
    auto km_options = options.kmeans;
    km_options.checks.values = false;
    const auto km = kmeans(X, clusters, km_options);
    return detail::typiclust_picks(X, km.assignment, clusters, b, options);
}

/// TypiClust on a clustering the caller supplies (`assignment[i]` in [0, N) is the cluster of
/// row i; ids need not be contiguous), e.g. one kmeans() reused over rounds or a self-supervised
/// clustering (the paper's SCAN variant). options.max_clusters and options.kmeans.seed are
/// unused; everything else as above. Throws invalid_input also when `assignment` does not have
/// N entries or holds an id outside [0, N).
template <class Derived>
Selection typiclust(const Eigen::MatrixBase<Derived>& X, const std::vector<Index>& assignment, Index b,
                    const TypiClustOptions& options = {}) {
    constexpr const char* fn = "typiclust";
    detail::check_typiclust(fn, X, b, options);
    const Index n = X.rows();
    if (static_cast<Index>(assignment.size()) != n)
        detail::fail(fn, "assignment has ", assignment.size(), " entries but X has ", n, " rows");
    Index clusters = 0;
    for (std::size_t i = 0; i < assignment.size(); ++i) {
        if (assignment[i] < 0 || assignment[i] >= n)
            detail::fail(fn, "assignment entry ", i, " is ", assignment[i], ", out of range [0, ", n, ")");
        clusters = std::max(clusters, assignment[i] + 1);
    }
    if (b == 0) return {};
    return detail::typiclust_picks(X, assignment, clusters, b, options);
}

/// @}

}  // namespace acquire
