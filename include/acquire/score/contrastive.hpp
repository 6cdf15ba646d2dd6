// CAL, Contrastive Active Learning (Margatina, Vernikos, Barrault & Aletras 2021): query the
// pool samples whose predictions disagree most with those of their nearest labeled neighbours
// in the model's feature space ("contrastive examples": similar inputs, different outputs).
//
//     Eigen::VectorXf s = acquire::contrastive_score(P_pool, H_pool, P_labeled, H_labeled, 10);
//     auto batch = acquire::top_k(s, b);
//
// Also exposes the exact k-nearest-neighbour search it runs on (`nearest_neighbors`), blocked
// so that no N x M distance matrix is ever held.
#pragma once

#include "acquire/core/error.hpp"
#include "acquire/core/parallel.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <type_traits>
#include <vector>

namespace acquire {

/// Options of `nearest_neighbors` and `contrastive_score`.
struct ContrastiveOptions {
    /// Floor of p_x inside the log: ln max(p_x(c), epsilon). A class the pool sample gives
    /// probability 0 and a neighbour gives q > 0 adds q (ln q - ln epsilon) instead of +inf.
    double epsilon = 1e-12;
    /// Bound, in bytes, on the distance tile each worker thread holds (query rows x labeled
    /// rows x sizeof(Scalar)). Extra memory is at most (threads x memory_bytes) plus O(M K)
    /// for the labeled predictions and O(M) norms; at least 4096.
    std::size_t memory_bytes = std::size_t(32) << 20;
    /// Value checks of the inputs (see CheckOptions).
    CheckOptions checks;
};

/// The k nearest reference rows of every query row.
template <class Scalar>
struct Neighbors {
    /// N x k reference indices, nearest first; equal distances: lowest index first.
    Eigen::Matrix<Index, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> indices;
    /// N x k squared Euclidean distances, ascending (clamped at 0; +inf where they overflow).
    RowMatrix<Scalar> distances;
};

namespace detail {

/// Tile shape of the blocked k-NN: up to 256 query rows by as many reference rows as fit in
/// `memory_bytes`. Depends only on the sizes and the bound, never on the thread count, so the
/// floating-point work per distance (and hence every neighbour list) is the same on any number
/// of threads.
struct KnnTile {
    Index query_rows, reference_rows;
};
inline KnnTile knn_tile(Index n, Index m, std::size_t scalar_bytes, std::size_t memory_bytes) {
    const Index q = std::max<Index>(1, std::min<Index>(n, 256));
    const auto per_row = static_cast<std::size_t>(q) * scalar_bytes;
    const Index r = std::max<Index>(1, std::min<Index>(m, static_cast<Index>(memory_bytes / per_row)));
    return {q, r};
}

template <class DQ, class DR>
void check_knn_inputs(const char* fn, const Eigen::MatrixBase<DQ>& Q, const char* q_name,
                      const Eigen::MatrixBase<DR>& R, const char* r_name, Index k,
                      const ContrastiveOptions& options) {
    static_assert(std::is_same_v<typename DQ::Scalar, typename DR::Scalar>,
                  "pool and labeled features must have the same Scalar");
    check_shape(fn, q_name, Q.rows(), Q.cols());
    check_shape(fn, r_name, R.rows(), R.cols());
    if (Q.cols() != R.cols())
        fail(fn, q_name, " has ", Q.cols(), " columns but ", r_name, " has ", R.cols());
    if (k < 1 || k > R.rows())
        fail(fn, "k is ", k, " but must be in [1, ", R.rows(), "] (the number of ", r_name, " rows)");
    if (options.memory_bytes < 4096)
        fail(fn, "options memory_bytes must be >= 4096, got ", options.memory_bytes);
    check_tolerance(fn, options.checks);
    if (options.checks.values) {
        check_finite(fn, q_name, Q);
        check_finite(fn, r_name, R);
    }
}

/// Exact k-NN by squared Euclidean distance, ||q||^2 + ||r||^2 - 2 q.r from tiled matrix
/// products. Calls done(r0, nb, idx, dist) once per block of query rows, idx and dist being
/// nb x k, in parallel over blocks (done must only write rows [r0, r0 + nb) of its outputs).
template <class DQ, class DR, class Done>
void knn_blocks(const Eigen::MatrixBase<DQ>& Q, const Eigen::MatrixBase<DR>& R, Index k,
                std::size_t memory_bytes, Done&& done) {
    using Scalar = typename DQ::Scalar;
    constexpr Scalar inf = std::numeric_limits<Scalar>::infinity();
    const Index n = Q.rows(), m = R.rows();
    const KnnTile tile = knn_tile(n, m, sizeof(Scalar), memory_bytes);
    const Vector<Scalar> r_norm = R.rowwise().squaredNorm();
    const Index blocks = (n + tile.query_rows - 1) / tile.query_rows;
    parallel_for(blocks, 2, [&](Index b) {
        const Index q0 = b * tile.query_rows, nq = std::min(tile.query_rows, n - q0);
        const auto q = Q.middleRows(q0, nq);
        const Vector<Scalar> q_norm = q.rowwise().squaredNorm();
        RowMatrix<Scalar> dist = RowMatrix<Scalar>::Constant(nq, k, inf);
        Eigen::Matrix<Index, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> idx =
            Eigen::Matrix<Index, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>::Constant(nq, k, -1);
        RowMatrix<Scalar> dot(nq, std::min(tile.reference_rows, m));
        for (Index r0 = 0; r0 < m; r0 += tile.reference_rows) {
            const Index nr = std::min(tile.reference_rows, m - r0);
            auto d = dot.leftCols(nr);
            d.noalias() = q * R.middleRows(r0, nr).transpose();
            for (Index i = 0; i < nq; ++i) {
                Scalar* best = dist.row(i).data();
                Index* who = idx.row(i).data();
                const Scalar* row = d.row(i).data();
                for (Index j = 0; j < nr; ++j) {
                    Scalar e = q_norm[i] + r_norm[r0 + j] - Scalar(2) * row[j];
                    if (!(e == e)) e = inf;  // inf - inf from overflowing norms: as far as can be
                    // References arrive in index order, so a strict comparison keeps the lowest
                    // index among equal distances; an unfilled slot takes anything.
                    if (e < best[k - 1] || who[k - 1] < 0) {
                        Index p = k - 1;
                        for (; p > 0 && (best[p - 1] > e || who[p - 1] < 0); --p) {
                            best[p] = best[p - 1];
                            who[p] = who[p - 1];
                        }
                        best[p] = e;
                        who[p] = r0 + j;
                    }
                }
            }
        }
        done(q0, nq, idx, dist.cwiseMax(Scalar(0)));
    });
}

}  // namespace detail

/// The k nearest rows of `reference` (M x d) to every row of `query` (N x d), by Euclidean
/// distance, exact (exhaustive, tiled: see ContrastiveOptions::memory_bytes). O(N M d) time in
/// matrix products. Distances come from ||q||^2 + ||r||^2 - 2 q.r in the inputs' Scalar, so
/// pairs closer than the rounding of that expression (about epsilon x (||q||^2 + ||r||^2)) may
/// come in either order; pass doubles when that matters. The result is the same on any thread
/// count.
///
/// Throws invalid_input when either input is empty or holds a NaN or Inf, the column counts
/// differ, k is outside [1, M], or memory_bytes < 4096.
template <class DQ, class DR>
Neighbors<typename DQ::Scalar> nearest_neighbors(const Eigen::MatrixBase<DQ>& query,
                                                 const Eigen::MatrixBase<DR>& reference, Index k,
                                                 const ContrastiveOptions& options = {}) {
    detail::check_knn_inputs("nearest_neighbors", query, "query", reference, "reference", k, options);
    Neighbors<typename DQ::Scalar> out;
    out.indices.resize(query.rows(), k);
    out.distances.resize(query.rows(), k);
    detail::knn_blocks(query, reference, k, options.memory_bytes,
                       [&](Index r0, Index nb, const auto& idx, const auto& dist) {
                           out.indices.middleRows(r0, nb) = idx;
                           out.distances.middleRows(r0, nb) = dist;
                       });
    return out;
}

/// CAL contrastive score (Margatina et al. 2021): with N(x) the k labeled samples nearest to
/// pool sample x in feature space (`nearest_neighbors` on H),
///
///   s(x) = (1/k) sum_{l in N(x)} KL(p_l || p_x) = (1/k) sum_l sum_c p_l(c) [ln p_l(c) - ln p_x(c)],
///
/// natural log, 0 ln 0 = 0, and ln p_x(c) taken as ln max(p_x(c), options.epsilon) so that a
/// zero in p_x where p_l > 0 gives a large finite term, never inf or NaN. Clamped at 0 (only the
/// epsilon floor can push the sum below). Higher = query first. P are probabilities (N x K,
/// M x K), H features (N x d, M x d) of the same samples; any layouts.
///
/// Cost: the k-NN's O(N M d) products (tiled, per-thread memory bounded by memory_bytes) plus
/// O(N k K). Same result on any thread count.
///
/// Throws invalid_input on shape mismatches, k outside [1, M], probabilities that are not
/// distributions, NaN or Inf features, or epsilon outside (0, 1).
template <class DPP, class DHP, class DPL, class DHL>
Vector<typename DPP::Scalar> contrastive_score(const Eigen::MatrixBase<DPP>& P_pool,
                                               const Eigen::MatrixBase<DHP>& H_pool,
                                               const Eigen::MatrixBase<DPL>& P_labeled,
                                               const Eigen::MatrixBase<DHL>& H_labeled, Index k,
                                               const ContrastiveOptions& options = {}) {
    constexpr const char* fn = "contrastive_score";
    using Scalar = typename DPP::Scalar;
    static_assert(std::is_same_v<Scalar, typename DPL::Scalar>,
                  "pool and labeled probabilities must have the same Scalar");
    detail::check_shape(fn, "pool probabilities", P_pool.rows(), P_pool.cols());
    detail::check_shape(fn, "labeled probabilities", P_labeled.rows(), P_labeled.cols());
    if (P_labeled.cols() != P_pool.cols())
        detail::fail(fn, "pool probabilities has ", P_pool.cols(), " classes but labeled probabilities has ",
                     P_labeled.cols());
    detail::check_same_rows(fn, "pool probabilities", P_pool.rows(), "pool features", H_pool.rows());
    detail::check_same_rows(fn, "labeled probabilities", P_labeled.rows(), "labeled features",
                            H_labeled.rows());
    if (!(options.epsilon > 0 && options.epsilon < 1))
        detail::fail(fn, "options epsilon must be in (0, 1), got ", options.epsilon);
    detail::check_knn_inputs(fn, H_pool, "pool features", H_labeled, "labeled features", k, options);
    detail::check_probabilities(fn, "pool probabilities", P_pool, options.checks);
    detail::check_probabilities(fn, "labeled probabilities", P_labeled, options.checks);

    constexpr Scalar tiny = std::numeric_limits<Scalar>::min();
    const auto eps = static_cast<Scalar>(options.epsilon);
    const RowMatrix<Scalar> pl = P_labeled;
    const RowMatrix<Scalar> log_pl = pl.array().max(tiny).log();  // 0 * ln(tiny) = 0
    Vector<Scalar> out(P_pool.rows());
    detail::knn_blocks(H_pool, H_labeled, k, options.memory_bytes,
                       [&](Index r0, Index nb, const auto& idx, const auto&) {
                           Eigen::Array<Scalar, 1, Eigen::Dynamic> log_px(P_pool.cols());
                           for (Index i = 0; i < nb; ++i) {
                               log_px = P_pool.row(r0 + i).array().max(eps).log();
                               Scalar sum = 0;
                               for (Index j = 0; j < k; ++j) {
                                   const Index l = idx(i, j);
                                   sum += (pl.row(l).array() * (log_pl.row(l).array() - log_px)).sum();
                               }
                               out[r0 + i] = std::max(Scalar(0), sum / static_cast<Scalar>(k));
                           }
                       });
    return out;
}

}  // namespace acquire
