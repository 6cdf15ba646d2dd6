/// \file
/// Hierarchical agglomerative clustering with average linkage, cut at a distance threshold.
// Hierarchical agglomerative clustering with average linkage (UPGMA, Sokal & Michener 1958), cut
// at a distance threshold: the clustering Cluster-Margin (Citovsky et al. 2021) runs once on the
// pool. Exact, by the nearest-neighbour chain algorithm (Benzecri 1982; Murtagh 1983) on the
// full distance matrix: O(N^2) memory and time, so it is meant for pools up to about 16,000
// points (the default 1 GB bound); beyond that cluster with kmeans() and pass its assignment.
#pragma once

#include "acquire/core/error.hpp"
#include "acquire/core/parallel.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numeric>
#include <vector>

namespace acquire {

/// \addtogroup clustering_selectors
/// @{

/// Options of `agglomerative_clustering`.
struct AgglomerativeOptions {
    /// Bound, in bytes, on the condensed distance matrix: N (N - 1) / 2 doubles. The default
    /// 1 GB holds N up to 16,384. Larger pools throw: use kmeans() instead.
    std::size_t memory_bytes = std::size_t(1) << 30;
    /// Bound, in bytes, on the product tile each worker thread holds while the distances are
    /// computed (at least 4096).
    std::size_t tile_bytes = std::size_t(32) << 20;
    /// Run the plain greedy algorithm instead (find the closest pair among all clusters at
    /// every merge, O(N^3) time): the benchmark's reference. Same clusters up to ties.
    bool naive = false;
    /// checks.values: reject NaN or Inf rows.
    CheckOptions checks;
};

/// A flat clustering: `assignment[i]` in [0, clusters) for every row; ids are numbered in order
/// of each cluster's lowest row (row 0 is in cluster 0).
struct Clustering {
    std::vector<Index> assignment;  ///< cluster id of every row, in [0, clusters)
    Index clusters = 0;             ///< number of clusters
};

/// @}

namespace detail {

/// Condensed lower-triangle index of the pair (i, j), i != j.
inline std::size_t pair_index(Index i, Index j) {
    if (i < j) std::swap(i, j);
    return static_cast<std::size_t>(i) * static_cast<std::size_t>(i - 1) / 2 + static_cast<std::size_t>(j);
}

/// Euclidean distances of all pairs in double, condensed, from tiled products of a double copy.
template <class Derived>
std::vector<double> condensed_distances(const Eigen::MatrixBase<Derived>& X, std::size_t tile_bytes) {
    const Index n = X.rows();
    const RowMatrix<double> x = X.template cast<double>();
    const Vector<double> norm = x.rowwise().squaredNorm();
    std::vector<double> D(static_cast<std::size_t>(n) * static_cast<std::size_t>(n - 1) / 2);
    const Index q = std::min<Index>(n, 256);
    const Index r = std::max<Index>(1, std::min<Index>(n, static_cast<Index>(tile_bytes / (static_cast<std::size_t>(q) * sizeof(double)))));
    const Index blocks = (n + q - 1) / q;
    parallel_for(blocks, 2, [&](Index blk) {
        const Index q0 = blk * q, nq = std::min(q, n - q0);
        RowMatrix<double> dot(nq, r);
        for (Index r0 = 0; r0 < q0 + nq; r0 += r) {
            const Index nr = std::min(r, q0 + nq - r0);
            auto d = dot.leftCols(nr);
            d.noalias() = x.middleRows(q0, nq) * x.middleRows(r0, nr).transpose();
            for (Index i = 0; i < nq; ++i)
                for (Index j = 0; j < nr && r0 + j < q0 + i; ++j) {
                    const double e = norm[q0 + i] + norm[r0 + j] - 2 * d(i, j);
                    D[pair_index(q0 + i, r0 + j)] = e == e ? std::sqrt(std::max(0.0, e)) : std::numeric_limits<double>::infinity();
                }
        }
    });
    return D;
}

}  // namespace detail

/// \addtogroup clustering_selectors
/// @{

/// Average-linkage agglomerative clustering of the rows of X cut at `threshold`: start from
/// singletons and merge the two clusters A, B of smallest average distance
///
///   d(A, B) = (1 / (|A| |B|)) sum_{a in A, b in B} ||x_a - x_b||   (Euclidean)
///
/// while that distance is below `threshold` (strictly). Average linkage never merges below an
/// earlier merge (it is reducible), so the clusters are those of the full dendrogram cut at
/// `threshold`, which the nearest-neighbour chain algorithm builds exactly in O(N^2) time after
/// the O(N^2 d) distances (computed in double, tiled under tile_bytes per worker thread).
/// Lance-Williams updates keep d(A, B) exact up to rounding. threshold 0 leaves singletons;
/// +inf gives one cluster. Same result on any thread count. Ties between equal distances may
/// merge in either order (the cut is the same unless the tie straddles the threshold).
///
/// Memory: N (N - 1) / 2 doubles (8 bytes each), which must fit options.memory_bytes (default
/// 1 GB: N <= 16,384), plus an O(N d) double copy of X.
///
/// Throws invalid_input for an empty X, NaN or Inf values, threshold NaN or negative,
/// tile_bytes < 4096, or a distance matrix over memory_bytes.
template <class Derived>
Clustering agglomerative_clustering(const Eigen::MatrixBase<Derived>& X, double threshold,
                                    const AgglomerativeOptions& options = {}) {
    constexpr const char* fn = "agglomerative_clustering";
    const Index n = X.rows();
    detail::check_shape(fn, "X", n, X.cols());
    if (!(threshold >= 0)) detail::fail(fn, "threshold must be >= 0 (or +inf), got ", threshold);
    if (options.tile_bytes < 4096) detail::fail(fn, "options tile_bytes must be >= 4096, got ", options.tile_bytes);
    const double need = static_cast<double>(n) * static_cast<double>(n - 1) / 2 * sizeof(double);
    if (need > static_cast<double>(options.memory_bytes))
        detail::fail(fn, "X has ", n, " rows, whose distance matrix needs ", need, " bytes, over options memory_bytes (",
                     options.memory_bytes, "): cluster with kmeans() instead");
    detail::check_tolerance(fn, options.checks);
    if (options.checks.values) detail::check_finite(fn, "X", X);

    std::vector<double> D = detail::condensed_distances(X, options.tile_bytes);
    auto at = [&](Index a, Index c) -> double& { return D[detail::pair_index(a, c)]; };
    std::vector<char> active(static_cast<std::size_t>(n), 1);
    std::vector<Index> size(static_cast<std::size_t>(n), 1);
    // Union-find over the merges below the threshold.
    std::vector<Index> parent(static_cast<std::size_t>(n));
    std::iota(parent.begin(), parent.end(), Index(0));
    auto find = [&](Index a) {
        while (parent[static_cast<std::size_t>(a)] != a) a = parent[static_cast<std::size_t>(a)] = parent[static_cast<std::size_t>(parent[static_cast<std::size_t>(a)])];
        return a;
    };
    // Merges clusters a and c (at distance h) into the lower slot, Lance-Williams for average
    // linkage: d(k, A + C) = (|A| d(k, A) + |C| d(k, C)) / (|A| + |C|).
    auto merge = [&](Index a, Index c, double h) {
        const Index keep = std::min(a, c), drop = std::max(a, c);
        const double sa = static_cast<double>(size[static_cast<std::size_t>(a)]), sc = static_cast<double>(size[static_cast<std::size_t>(c)]);
        for (Index k = 0; k < n; ++k) {
            if (!active[static_cast<std::size_t>(k)] || k == a || k == c) continue;
            const double v = (sa * at(a, k) + sc * at(c, k)) / (sa + sc);
            at(keep, k) = v;
        }
        active[static_cast<std::size_t>(drop)] = 0;
        size[static_cast<std::size_t>(keep)] += size[static_cast<std::size_t>(drop)];
        if (h < threshold) parent[static_cast<std::size_t>(find(drop))] = find(keep);
    };

    if (options.naive) {
        for (Index left = n; left > 1; --left) {
            Index bi = -1, bj = -1;
            double best = std::numeric_limits<double>::infinity();
            for (Index i = 1; i < n; ++i) {
                if (!active[static_cast<std::size_t>(i)]) continue;
                for (Index j = 0; j < i; ++j)
                    if (active[static_cast<std::size_t>(j)] && (bi < 0 || at(i, j) < best)) bi = i, bj = j, best = at(i, j);
            }
            if (!(best < threshold)) break;
            merge(bi, bj, best);
        }
    } else {
        std::vector<Index> chain;
        Index first = 0;  // lowest slot that may still be active
        for (Index left = n; left > 1;) {
            if (chain.empty()) {
                while (!active[static_cast<std::size_t>(first)]) ++first;
                chain.push_back(first);
            }
            const Index a = chain.back();
            const Index prev = chain.size() >= 2 ? chain[chain.size() - 2] : -1;
            // Nearest active cluster to a; on a tie keep the previous chain element, so the
            // chain always ends in a pair of reciprocal nearest neighbours.
            Index best = prev;
            double best_d = prev >= 0 ? at(a, prev) : std::numeric_limits<double>::infinity();
            for (Index c = 0; c < n; ++c) {
                if (c == a || !active[static_cast<std::size_t>(c)]) continue;
                const double v = at(a, c);
                if (best < 0 || v < best_d) best = c, best_d = v;
            }
            if (best == prev) {
                chain.pop_back();
                chain.pop_back();
                merge(a, prev, best_d);
                --left;
            } else {
                chain.push_back(best);
            }
        }
    }
    Clustering out;
    out.assignment.assign(static_cast<std::size_t>(n), -1);
    std::vector<Index> id(static_cast<std::size_t>(n), -1);
    for (Index i = 0; i < n; ++i) {
        auto& c = id[static_cast<std::size_t>(find(i))];
        if (c < 0) c = out.clusters++;
        out.assignment[static_cast<std::size_t>(i)] = c;
    }
    return out;
}

/// @}

}  // namespace acquire
