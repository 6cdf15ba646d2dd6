/// \file
/// Exact k-nearest-neighbour search by squared Euclidean distance (acquire::nearest_neighbors),
/// tiled in bounded memory.
// Exact k-nearest-neighbour search by squared Euclidean distance, tiled so that no N x M
// distance matrix is ever held. Shared by the CAL contrastive score (score/contrastive.hpp) and
// sparse facility location (select/facility_location.hpp).
#pragma once

#include "acquire/core/error.hpp"
#include "acquire/core/parallel.hpp"

#include <algorithm>
#include <cstddef>
#include <limits>
#include <type_traits>
#include <vector>

namespace acquire {

/// \addtogroup core_vocabulary
/// @{

/// Options of `nearest_neighbors`.
struct KnnOptions {
    /// Bound, in bytes, on the distance tile each worker thread holds (query rows x reference
    /// rows x sizeof(Scalar)). Extra memory is at most (threads x memory_bytes) plus O(M) norms;
    /// at least 4096.
    std::size_t memory_bytes = std::size_t(32) << 20;
    /// checks.values: reject NaN/Inf in either input.
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

/// @}

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
                      std::size_t memory_bytes, const CheckOptions& checks) {
    static_assert(std::is_same_v<typename DQ::Scalar, typename DR::Scalar>,
                  "the two feature matrices must have the same Scalar");
    check_shape(fn, q_name, Q.rows(), Q.cols());
    check_shape(fn, r_name, R.rows(), R.cols());
    if (Q.cols() != R.cols())
        fail(fn, q_name, " has ", Q.cols(), " columns but ", r_name, " has ", R.cols());
    if (k < 1 || k > R.rows())
        fail(fn, "k is ", k, " but must be in [1, ", R.rows(), "] (the number of ", r_name, " rows)");
    if (memory_bytes < 4096)
        fail(fn, "options memory_bytes must be >= 4096, got ", memory_bytes);
    check_tolerance(fn, checks);
    if (checks.values) {
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

/// \addtogroup core_vocabulary
/// @{

/// The k nearest rows of `reference` (M x d) to every row of `query` (N x d), by Euclidean
/// distance, exact (exhaustive, tiled: see KnnOptions::memory_bytes). O(N M d) time in
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
                                                 const KnnOptions& options = {}) {
    detail::check_knn_inputs("nearest_neighbors", query, "query", reference, "reference", k, options.memory_bytes,
                             options.checks);
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

/// @}

}  // namespace acquire
