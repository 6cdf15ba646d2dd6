/// \file
/// ProbCover (Yehuda et al. 2022): greedy max coverage of the delta-ball graph, for low budgets.
// ProbCover (Yehuda, Dekel, Hacohen & Weinshall 2022, "Active Learning Through a Covering Lens",
// NeurIPS): in the low-budget regime, pick the points whose delta-balls in a self-supervised
// embedding cover the most of the pool not covered yet (greedy max coverage on the delta-ball
// graph), with delta chosen so that balls are almost always class-pure.
#pragma once

#include "acquire/core/error.hpp"
#include "acquire/core/neighbor_graph.hpp"
#include "acquire/core/parallel.hpp"
#include "acquire/core/selection.hpp"
#include "acquire/select/cluster.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <functional>
#include <limits>
#include <vector>

namespace acquire {

/// \addtogroup diversity_selectors
/// @{

/// Options of `probcover`.
struct ProbCoverOptions {
    /// Rows already labeled: never picked; their balls count as covered from the start.
    std::vector<Index> labeled;
    /// Bound, in bytes, on the delta-ball graph (one Index per directed edge, self loops
    /// included, plus N + 1 offsets). A delta whose graph does not fit throws: lower delta.
    /// While the graph is built, its per-row lists are held beside it (about twice the bound
    /// at the peak, plus vector slack).
    std::size_t memory_bytes = std::size_t(1) << 30;
    /// Bound, in bytes, on the distance tile each worker thread holds while building the graph.
    std::size_t tile_bytes = std::size_t(32) << 20;
    /// checks.values: reject NaN or Inf rows.
    CheckOptions checks;
    /// The balls from a neighbour graph over the N rows (N over the same N, no self loops,
    /// squared Euclidean distances: acquire::knn_graph, acquire::hnsw::knn_graph or any
    /// library's) instead of the exact O(N^2 d) search: B(x) = {x} + the listed neighbours at
    /// distance^2 < delta^2, made symmetric by union (y in B(x) when either lists the other).
    /// A ball holds no false neighbour but misses the points its row's list misses: build the
    /// graph with k above the typical ball size. Not owned; null (default) = exact.
    const NeighborGraph* graph = nullptr;
};

/// @}

namespace detail {

/// Calls visit(i, j, d2) for every row i in [0, N) and every row j in [0, N), in index order of
/// j per i, with d2 = ||x_i||^2 + ||x_j||^2 - 2 x_i.x_j from tiled products (clamped at 0),
/// blocks of 256 rows of i in parallel. The tile shape depends only on N and tile_bytes, so the
/// distances are the same on any thread count. visit(i, ...) must only write row i's outputs
/// and return false to stop row i early.
template <class Derived, class Visit>
void all_pairs_d2(const Eigen::MatrixBase<Derived>& X, std::size_t tile_bytes, Visit&& visit) {
    using Scalar = typename Derived::Scalar;
    const Index n = X.rows();
    const Index q = std::min<Index>(n, 256);
    const Index r = std::max<Index>(1, std::min<Index>(n, static_cast<Index>(tile_bytes / (static_cast<std::size_t>(q) * sizeof(Scalar)))));
    const RowMatrix<Scalar> x = X;
    const Vector<Scalar> norm = x.rowwise().squaredNorm();
    const Index blocks = (n + q - 1) / q;
    parallel_for(blocks, 2, [&](Index blk) {
        const Index q0 = blk * q, nq = std::min(q, n - q0);
        RowMatrix<Scalar> dot(nq, r);
        std::vector<char> live(static_cast<std::size_t>(nq), 1);
        for (Index r0 = 0; r0 < n; r0 += r) {
            const Index nr = std::min(r, n - r0);
            auto d = dot.leftCols(nr);
            d.noalias() = x.middleRows(q0, nq) * x.middleRows(r0, nr).transpose();
            for (Index i = 0; i < nq; ++i) {
                if (!live[static_cast<std::size_t>(i)]) continue;
                for (Index j = 0; j < nr; ++j) {
                    const Scalar e = std::max(Scalar(0), norm[q0 + i] + norm[r0 + j] - Scalar(2) * d(i, j));
                    if (!visit(q0 + i, r0 + j, e)) {
                        live[static_cast<std::size_t>(i)] = 0;
                        break;
                    }
                }
            }
        }
    });
}

/// The delta-ball graph in compressed rows: ball(i) = neighbors[offsets[i] .. offsets[i + 1]),
/// ascending, i included. Symmetric: an edge computed on one side only (rounding at the
/// boundary) is dropped.
struct BallGraph {
    std::vector<std::size_t> offsets;
    std::vector<Index> neighbors;
};

template <class Derived>
BallGraph ball_graph(const char* fn, const Eigen::MatrixBase<Derived>& X, double delta, std::size_t memory_bytes,
                     std::size_t tile_bytes) {
    using Scalar = typename Derived::Scalar;
    const Index n = X.rows();
    const auto radius2 = static_cast<Scalar>(delta * delta);
    const std::size_t budget = memory_bytes / sizeof(Index);
    std::vector<std::vector<Index>> rows(static_cast<std::size_t>(n));
    std::atomic<std::size_t> edges{0};
    std::atomic<bool> over{false};
    all_pairs_d2(X, tile_bytes, [&](Index i, Index j, Scalar d2) {
        if (!(d2 < radius2) && i != j) return true;
        if (over.load(std::memory_order_relaxed)) return false;
        rows[static_cast<std::size_t>(i)].push_back(j);
        if (edges.fetch_add(1, std::memory_order_relaxed) + 1 > budget) over = true;
        return true;
    });
    const std::size_t offsets_bytes = (static_cast<std::size_t>(n) + 1) * sizeof(std::size_t);
    if (over || edges.load() * sizeof(Index) + offsets_bytes > memory_bytes)
        fail(fn, "the delta-ball graph for delta ", delta, " needs more than options memory_bytes (", memory_bytes,
             " bytes, ", sizeof(Index), " per edge): lower delta or raise the bound");
    BallGraph g;
    g.offsets.assign(static_cast<std::size_t>(n) + 1, 0);
    auto has = [&](Index a, Index c) {
        const auto& row = rows[static_cast<std::size_t>(a)];
        return std::binary_search(row.begin(), row.end(), c);
    };
    for (Index i = 0; i < n; ++i) {
        for (const Index j : rows[static_cast<std::size_t>(i)])
            if (j == i || has(j, i)) g.neighbors.push_back(j);
        g.offsets[static_cast<std::size_t>(i) + 1] = g.neighbors.size();
    }
    return g;
}

/// The delta-ball graph from a neighbour graph: row i's listed neighbours at squared distance
/// below delta^2, plus i, plus every row that lists i (the union makes it symmetric).
inline BallGraph ball_graph(const char* fn, const NeighborGraph& g, double delta, std::size_t memory_bytes) {
    const Index n = g.rows();
    const double radius2 = delta * delta;
    std::vector<std::size_t> degree(static_cast<std::size_t>(n), 1);  // i itself
    const auto for_each_edge = [&](auto&& f) {
        for (Index i = 0; i < n; ++i)
            for (Index e = g.offsets[static_cast<std::size_t>(i)]; e < g.offsets[static_cast<std::size_t>(i) + 1]; ++e) {
                if (!(g.distances[static_cast<std::size_t>(e)] < radius2)) break;  // rows ascend
                f(i, g.indices[static_cast<std::size_t>(e)]);
            }
    };
    for_each_edge([&](Index i, Index j) { ++degree[static_cast<std::size_t>(i)], ++degree[static_cast<std::size_t>(j)]; });
    std::size_t edges = 0;
    for (const std::size_t d : degree) edges += d;
    const std::size_t offsets_bytes = (static_cast<std::size_t>(n) + 1) * sizeof(std::size_t);
    if (edges * sizeof(Index) + offsets_bytes > memory_bytes)
        fail(fn, "the delta-ball graph for delta ", delta, " needs more than options memory_bytes (", memory_bytes,
             " bytes, ", sizeof(Index), " per edge): lower delta or raise the bound");
    BallGraph b;
    b.offsets.assign(static_cast<std::size_t>(n) + 1, 0);
    for (Index i = 0; i < n; ++i) b.offsets[static_cast<std::size_t>(i) + 1] = b.offsets[static_cast<std::size_t>(i)] + degree[static_cast<std::size_t>(i)];
    b.neighbors.resize(edges);
    std::vector<std::size_t> at(b.offsets.begin(), b.offsets.end() - 1);
    for (Index i = 0; i < n; ++i) b.neighbors[at[static_cast<std::size_t>(i)]++] = i;
    for_each_edge([&](Index i, Index j) {
        b.neighbors[at[static_cast<std::size_t>(i)]++] = j;
        b.neighbors[at[static_cast<std::size_t>(j)]++] = i;
    });
    // Sort each ball and drop the pairs both rows listed.
    std::size_t out = 0;
    std::size_t first = 0;
    for (Index i = 0; i < n; ++i) {
        const std::size_t last = b.offsets[static_cast<std::size_t>(i) + 1];
        std::sort(b.neighbors.begin() + static_cast<std::ptrdiff_t>(first), b.neighbors.begin() + static_cast<std::ptrdiff_t>(last));
        b.offsets[static_cast<std::size_t>(i)] = out;
        for (std::size_t e = first; e < last; ++e)
            if (e == first || b.neighbors[e] != b.neighbors[e - 1]) b.neighbors[out++] = b.neighbors[e];
        first = last;
    }
    b.offsets[static_cast<std::size_t>(n)] = out;
    b.neighbors.resize(out);
    return b;
}

}  // namespace detail

/// \addtogroup diversity_selectors
/// @{

/// ProbCover (Yehuda et al. 2022): with the delta-ball B(x) = {x} + {x' : ||x - x'|| < delta}
/// (Euclidean, strict as in the reference implementation), every point in a labeled point's
/// ball counts as covered; then b times pick the unlabeled point whose ball holds the most
/// uncovered points (ties: lowest index) and mark its ball covered. This is greedy max coverage,
/// within (1 - 1/e) of the best batch for the covered count. Once everything reachable is
/// covered (no ball adds a point) the remaining picks are the lowest unlabeled indices, in
/// order: delta is too large for the budget (Yehuda et al. lower it; probcover_delta()).
/// `Selection::objective[j]` is the number of covered points after pick j. Higher coverage is
/// better; X rows are embeddings (the paper uses self-supervised features).
///
/// Memory: the graph is sparse (compressed rows, one Index per directed edge, about
/// N x mean ball size x 8 bytes); it must fit options.memory_bytes (default 1 GB) or the call
/// throws. Building it is O(N^2 d) time in tiled matrix products (options.tile_bytes per worker
/// thread); distances come from ||x||^2 + ||y||^2 - 2 x.y in the input's Scalar, so pairs
/// within rounding of delta may fall either side (the graph is kept symmetric). A row-major
/// copy of X is made (O(N d)). Greedy: O(E + N b). Same result on any thread count. With
/// options.graph the balls come from the graph (O(N k), no search; see ProbCoverOptions::graph).
///
/// Throws invalid_input for an empty X, NaN or Inf values, delta negative or not finite, bad
/// labeled indices, b < 0 or above the unlabeled rows, tile_bytes < 4096, or a graph over
/// memory_bytes.
template <class Derived>
Selection probcover(const Eigen::MatrixBase<Derived>& X, double delta, Index b, const ProbCoverOptions& options = {}) {
    constexpr const char* fn = "probcover";
    const Index n = X.rows();
    detail::check_shape(fn, "X", n, X.cols());
    if (!(delta >= 0) || !std::isfinite(delta)) detail::fail(fn, "delta must be finite and >= 0, got ", delta);
    const auto labeled = detail::index_mask(fn, "options labeled", options.labeled, n);
    detail::check_budget(fn, "b", b, n - static_cast<Index>(options.labeled.size()));
    if (options.tile_bytes < 4096) detail::fail(fn, "options tile_bytes must be >= 4096, got ", options.tile_bytes);
    detail::check_tolerance(fn, options.checks);
    if (options.checks.values) detail::check_finite(fn, "X", X);
    if (options.graph != nullptr) detail::check_graph(fn, "options graph", *options.graph, n, n, true);
    if (b == 0) return {};
    const auto g = options.graph != nullptr ? detail::ball_graph(fn, *options.graph, delta, options.memory_bytes)
                                            : detail::ball_graph(fn, X, delta, options.memory_bytes, options.tile_bytes);
    auto ball = [&](Index i) {
        return std::pair{g.neighbors.begin() + static_cast<std::ptrdiff_t>(g.offsets[static_cast<std::size_t>(i)]),
                         g.neighbors.begin() + static_cast<std::ptrdiff_t>(g.offsets[static_cast<std::size_t>(i) + 1])};
    };
    std::vector<char> covered(static_cast<std::size_t>(n), 0), taken = labeled;
    Index covered_count = 0;
    for (const Index l : options.labeled) {
        auto [first, last] = ball(l);
        for (auto it = first; it != last; ++it)
            if (!covered[static_cast<std::size_t>(*it)]) covered[static_cast<std::size_t>(*it)] = 1, ++covered_count;
    }
    std::vector<Index> gain(static_cast<std::size_t>(n), 0);
    for (Index i = 0; i < n; ++i) {
        auto [first, last] = ball(i);
        for (auto it = first; it != last; ++it) gain[static_cast<std::size_t>(i)] += !covered[static_cast<std::size_t>(*it)];
    }
    Selection result;
    for (Index step = 0; step < b; ++step) {
        Index best = -1;
        for (Index i = 0; i < n; ++i)
            if (!taken[static_cast<std::size_t>(i)] && (best < 0 || gain[static_cast<std::size_t>(i)] > gain[static_cast<std::size_t>(best)]))
                best = i;
        taken[static_cast<std::size_t>(best)] = 1;
        auto [first, last] = ball(best);
        for (auto it = first; it != last; ++it) {
            const Index j = *it;
            if (covered[static_cast<std::size_t>(j)]) continue;
            covered[static_cast<std::size_t>(j)] = 1;
            ++covered_count;
            // The graph is symmetric: the balls holding j are ball(j).
            auto [f2, l2] = ball(j);
            for (auto k = f2; k != l2; ++k) --gain[static_cast<std::size_t>(*k)];
        }
        result.indices.push_back(best);
        result.objective.push_back(static_cast<double>(covered_count));
    }
    return result;
}

/// Options of `probcover_delta`.
struct ProbCoverDeltaOptions {
    /// Purity target: the largest delta for which at least this fraction of the balls hold a
    /// single pseudo-label (the paper's 0.95). In (0, 1].
    double alpha = 0.95;
    /// Bound, in bytes, on the distance tile each worker thread holds.
    std::size_t tile_bytes = std::size_t(32) << 20;
    /// The k-means producing the pseudo-labels (seed, iterations) and checks.values.
    KMeansOptions kmeans;
    /// r(x) from a neighbour graph over the N rows (as ProbCoverOptions::graph) instead of the
    /// exact O(N^2 d) search: the distance to x's first listed neighbour with another label, or,
    /// when none is listed, to its last listed neighbour (a lower bound on r(x); +inf for an
    /// empty list). A miss can raise r(x), a short list lower it. Not owned; null = exact.
    const NeighborGraph* graph = nullptr;
};

/// The delta of Yehuda et al. (2022) for given pseudo-labels (one per row, any
/// integers): a ball B(x) = {x} + {x' : ||x - x'|| < delta} is pure when all its points share
/// x's label, i.e. when delta <= r(x), the distance from x to the nearest row with another
/// label. The purity sum_x [delta <= r(x)] / N falls as delta grows, and the largest delta with
/// purity >= alpha is exactly r_(q), the q-th largest r(x), q = ceil(alpha N). +inf when every
/// row has the same label (every ball is pure); 0 when duplicate rows carry different labels.
///
/// O(N^2 d) time in tiled products (tile_bytes per worker thread), O(N) memory; distances in
/// the input's Scalar (see probcover); O(N k) from options.graph. Throws invalid_input for an empty X, NaN or Inf values,
/// a label count other than N, alpha outside (0, 1] or tile_bytes < 4096.
template <class Derived>
double probcover_delta(const Eigen::MatrixBase<Derived>& X, const std::vector<Index>& labels,
                       const ProbCoverDeltaOptions& options = {}) {
    constexpr const char* fn = "probcover_delta";
    using Scalar = typename Derived::Scalar;
    const Index n = X.rows();
    detail::check_shape(fn, "X", n, X.cols());
    if (static_cast<Index>(labels.size()) != n) detail::fail(fn, "labels has ", labels.size(), " entries but X has ", n, " rows");
    if (!(options.alpha > 0 && options.alpha <= 1)) detail::fail(fn, "options alpha must be in (0, 1], got ", options.alpha);
    if (options.tile_bytes < 4096) detail::fail(fn, "options tile_bytes must be >= 4096, got ", options.tile_bytes);
    detail::check_tolerance(fn, options.kmeans.checks);
    if (options.kmeans.checks.values) detail::check_finite(fn, "X", X);
    std::vector<Scalar> r2(static_cast<std::size_t>(n), std::numeric_limits<Scalar>::infinity());
    if (options.graph != nullptr) {
        const NeighborGraph& g = *options.graph;
        detail::check_graph(fn, "options graph", g, n, n, true);
        for (Index i = 0; i < n; ++i) {
            const auto first = g.offsets[static_cast<std::size_t>(i)], last = g.offsets[static_cast<std::size_t>(i) + 1];
            if (first == last) continue;
            auto e = first;
            while (e < last - 1 && labels[static_cast<std::size_t>(g.indices[static_cast<std::size_t>(e)])] ==
                                       labels[static_cast<std::size_t>(i)])
                ++e;
            r2[static_cast<std::size_t>(i)] = static_cast<Scalar>(g.distances[static_cast<std::size_t>(e)]);
        }
    } else {
        detail::all_pairs_d2(X, options.tile_bytes, [&](Index i, Index j, Scalar d2) {
            if (labels[static_cast<std::size_t>(i)] != labels[static_cast<std::size_t>(j)])
                r2[static_cast<std::size_t>(i)] = std::min(r2[static_cast<std::size_t>(i)], d2);
            return true;
        });
    }
    const auto q = std::max<Index>(1, std::min<Index>(n, static_cast<Index>(std::ceil(options.alpha * static_cast<double>(n) - 1e-9))));
    std::nth_element(r2.begin(), r2.begin() + (q - 1), r2.end(), std::greater<Scalar>());
    return std::sqrt(static_cast<double>(r2[static_cast<std::size_t>(q - 1)]));
}

/// probcover_delta() with k-means pseudo-labels, as in the paper: kmeans(X, clusters,
/// options.kmeans), then the largest delta with purity >= alpha. The paper takes clusters =
/// the number of classes. Throws also when clusters is outside [1, N].
template <class Derived>
double probcover_delta(const Eigen::MatrixBase<Derived>& X, Index clusters, const ProbCoverDeltaOptions& options = {}) {
    constexpr const char* fn = "probcover_delta";
    detail::check_shape(fn, "X", X.rows(), X.cols());
    if (clusters < 1 || clusters > X.rows()) detail::fail(fn, "clusters must be in [1, ", X.rows(), "], got ", clusters);
    detail::check_tolerance(fn, options.kmeans.checks);
    if (options.kmeans.checks.values) detail::check_finite(fn, "X", X);
    auto km_options = options.kmeans;
    km_options.checks.values = false;
    auto rest = options;
    rest.kmeans.checks.values = false;
    return probcover_delta(X, kmeans(X, clusters, km_options).assignment, rest);
}

/// @}

}  // namespace acquire
