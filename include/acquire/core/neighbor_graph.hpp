/// \file
/// Neighbour graphs in compressed rows: the one place the selectors that look at neighbours get
/// them from (exact here; approximate from acquire/hnsw.hpp or from any library, handed in).
// The selectors that need neighbours (sparse facility location and max coverage, ProbCover's
// ball graph and its delta, TypiClust's typicality, CAL) either search exactly (tiled products,
// O(N M d), the default) or read a NeighborGraph: each query row's nearest reference rows with
// their squared Euclidean distances, ascending. A graph comes from
//
//     acquire::knn_graph(X, k)                 // exact, tiled: the same lists as the exact search
//     acquire::hnsw::knn_graph(X, k)           // approximate, acquire/hnsw.hpp (needs hnswlib)
//     acquire::NeighborGraph{offsets, indices, distances}   // any library: faiss, ScaNN, ...
//
// and is checked by every function that takes one (check_graph): offsets monotone from 0 to
// the entry count, indices in range, no self loops in a graph over one set, distances finite,
// >= 0 and ascending per row, no index twice in a row. Rows may hold different counts (an ANN
// library that found fewer than k). What a selector does with a graph that misses neighbours is
// stated where it takes one; none of them ever invents a neighbour.
#pragma once

#include "acquire/core/error.hpp"
#include "acquire/core/knn.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace acquire {

/// \addtogroup core_vocabulary
/// @{

/// Nearest neighbours in compressed rows: query row i's neighbours are reference rows
/// indices[offsets[i] .. offsets[i + 1]), nearest first, at squared Euclidean distances
/// distances[same range]. offsets has N + 1 entries, offsets[0] = 0 and offsets[N] =
/// indices.size() = distances.size(). A graph over one set (query = reference = the pool) holds
/// no self loops. Memory 16 bytes per edge (8-byte index, double distance) plus 8 N.
struct NeighborGraph {
    /// N + 1 entries: row i's neighbours sit at [offsets[i], offsets[i + 1]).
    std::vector<Index> offsets;
    /// The neighbours' reference rows, nearest first within each row.
    std::vector<Index> indices;
    /// Their squared Euclidean distances, ascending within each row.
    std::vector<double> distances;
    /// N, the query rows.
    Index rows() const { return offsets.empty() ? 0 : static_cast<Index>(offsets.size()) - 1; }
    /// The neighbours of row i.
    Index degree(Index i) const {
        return offsets[static_cast<std::size_t>(i) + 1] - offsets[static_cast<std::size_t>(i)];
    }
};

/// @}

namespace detail {

/// Checks `g` as a graph of `queries` query rows over `references` reference rows (`one_set`:
/// the same rows, so a self loop is an error). Names the function, the argument and the row.
inline void check_graph(const char* fn, const char* argument, const NeighborGraph& g, Index queries,
                        Index references, bool one_set) {
    const auto& o = g.offsets;
    if (static_cast<Index>(o.size()) != queries + 1)
        fail(fn, argument, " has ", o.size(), " offsets but needs ", queries + 1, " (rows + 1)");
    if (o.front() != 0) fail(fn, argument, " offsets[0] is ", o.front(), ", must be 0");
    for (Index i = 0; i < queries; ++i)
        if (o[static_cast<std::size_t>(i) + 1] < o[static_cast<std::size_t>(i)])
            fail(fn, argument, " row ", i, ": offsets decrease (", o[static_cast<std::size_t>(i)], " then ",
                 o[static_cast<std::size_t>(i) + 1], ")");
    if (o.back() != static_cast<Index>(g.indices.size()) || g.indices.size() != g.distances.size())
        fail(fn, argument, " has ", g.indices.size(), " indices and ", g.distances.size(),
             " distances but offsets end at ", o.back());
    std::vector<Index> seen;
    for (Index i = 0; i < queries; ++i) {
        const auto first = static_cast<std::size_t>(o[static_cast<std::size_t>(i)]);
        const auto last = static_cast<std::size_t>(o[static_cast<std::size_t>(i) + 1]);
        seen.assign(g.indices.begin() + static_cast<std::ptrdiff_t>(first),
                    g.indices.begin() + static_cast<std::ptrdiff_t>(last));
        for (std::size_t e = first; e < last; ++e) {
            const Index j = g.indices[e];
            const double d = g.distances[e];
            if (j < 0 || j >= references)
                fail(fn, argument, " row ", i, " neighbour ", e - first, " is ", j, ", outside [0, ", references, ")");
            if (one_set && j == i) fail(fn, argument, " row ", i, " lists itself (no self loops)");
            if (!std::isfinite(d) || d < 0)
                fail(fn, argument, " row ", i, " neighbour ", e - first, " has distance ", d,
                     " (must be finite and >= 0)");
            if (e > first && d < g.distances[e - 1])
                fail(fn, argument, " row ", i, " neighbour ", e - first, ": distances must ascend (", g.distances[e - 1],
                     " then ", d, ")");
        }
        std::sort(seen.begin(), seen.end());
        const auto twice = std::adjacent_find(seen.begin(), seen.end());
        if (twice != seen.end()) fail(fn, argument, " row ", i, " lists ", *twice, " twice");
    }
}

}  // namespace detail

/// \addtogroup core_vocabulary
/// @{

/// The exact k-nearest-neighbour graph of the rows of X among themselves (self loops left out):
/// nearest_neighbors(X, X, k + 1) without each row itself, distances ||x_i||^2 + ||x_j||^2 -
/// 2 x_i.x_j as that search computes them (ties: lowest index). k is capped at N - 1. Cost
/// O(N^2 d) in tiled products, the same on any thread count; 16 N k bytes. The reference the
/// approximate graphs are measured against (acquire/hnsw.hpp). Throws invalid_input for an
/// empty X, NaN or Inf values (options.checks), k < 1, or memory_bytes < 4096.
template <class Derived>
NeighborGraph knn_graph(const Eigen::MatrixBase<Derived>& X, Index k, const KnnOptions& options = {}) {
    constexpr const char* fn = "knn_graph";
    detail::check_shape(fn, "X", X.rows(), X.cols());
    if (k < 1) detail::fail(fn, "k must be >= 1, got ", k);
    const Index n = X.rows(), kk = std::min(k, n - 1);
    NeighborGraph g;
    g.offsets.resize(static_cast<std::size_t>(n) + 1);
    for (Index i = 0; i <= n; ++i) g.offsets[static_cast<std::size_t>(i)] = i * kk;
    g.indices.resize(static_cast<std::size_t>(n * kk));
    g.distances.resize(g.indices.size());
    if (kk == 0) {
        detail::check_knn_inputs(fn, X, "X", X, "X", 1, options.memory_bytes, options.checks);
        return g;
    }
    detail::check_knn_inputs(fn, X, "X", X, "X", kk + 1, options.memory_bytes, options.checks);
    detail::knn_blocks(X, X, kk + 1, options.memory_bytes, [&](Index r0, Index nb, const auto& idx, const auto& dist) {
        for (Index r = 0; r < nb; ++r) {
            const Index i = r0 + r;
            // Row i itself is normally first; rounding can put a duplicate ahead of it, or
            // leave it out when k + 1 duplicates of lower index tie at distance 0.
            std::size_t at = static_cast<std::size_t>(i * kk);
            for (Index t = 0; t <= kk && at < static_cast<std::size_t>((i + 1) * kk); ++t) {
                if (idx(r, t) == i) continue;
                g.indices[at] = idx(r, t);
                g.distances[at] = static_cast<double>(dist(r, t));
                ++at;
            }
        }
    });
    return g;
}

/// @}

namespace detail {

/// The squared Euclidean distance of rows a and b, summed feature by feature in order in double
/// (symmetric to the bit: d(a, b) = d(b, a)). Used to re-measure neighbours an approximate
/// search found.
template <class DA, class DB>
double squared_distance(const Eigen::MatrixBase<DA>& a, const Eigen::MatrixBase<DB>& b) {
    double s = 0;
    for (Index f = 0; f < a.size(); ++f) {
        const double d = static_cast<double>(a(f)) - static_cast<double>(b(f));
        s += d * d;
    }
    return s;
}

}  // namespace detail

}  // namespace acquire
