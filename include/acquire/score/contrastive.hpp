/// \file
/// CAL, contrastive active learning (Margatina et al. 2021): KL disagreement with the nearest
/// labeled neighbours.
// CAL, Contrastive Active Learning (Margatina, Vernikos, Barrault & Aletras 2021): query the
// pool samples whose predictions disagree most with those of their nearest labeled neighbours
// in the model's feature space ("contrastive examples": similar inputs, different outputs).
//
//     Eigen::VectorXf s = acquire::contrastive_score(P_pool, H_pool, P_labeled, H_labeled, 10);
//     auto batch = acquire::top_k(s, b);
//
// Also exposes the exact k-nearest-neighbour search it runs on (`nearest_neighbors`, now in
// core/knn.hpp and included here), blocked so that no N x M distance matrix is ever held.
#pragma once

#include "acquire/core/error.hpp"
#include "acquire/core/knn.hpp"
#include "acquire/core/neighbor_graph.hpp"
#include "acquire/core/parallel.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <type_traits>
#include <vector>

namespace acquire {

/// \addtogroup embedding_scorers
/// @{

/// Options of `contrastive_score` (and of the `nearest_neighbors` overload kept here).
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

/// `nearest_neighbors` (core/knn.hpp) with the contrastive options' tile bound and checks; kept
/// so that code written when the search lived here still compiles.
template <class DQ, class DR>
Neighbors<typename DQ::Scalar> nearest_neighbors(const Eigen::MatrixBase<DQ>& query,
                                                 const Eigen::MatrixBase<DR>& reference, Index k,
                                                 const ContrastiveOptions& options) {
    return nearest_neighbors(query, reference, k, KnnOptions{options.memory_bytes, options.checks});
}

/// @}

namespace detail {

/// The checks both contrastive_score overloads share: shapes, class counts, epsilon.
template <class DPP, class DPL>
void check_contrastive(const char* fn, const Eigen::MatrixBase<DPP>& P_pool, const Eigen::MatrixBase<DPL>& P_labeled,
                       const ContrastiveOptions& options) {
    static_assert(std::is_same_v<typename DPP::Scalar, typename DPL::Scalar>,
                  "pool and labeled probabilities must have the same Scalar");
    check_shape(fn, "pool probabilities", P_pool.rows(), P_pool.cols());
    check_shape(fn, "labeled probabilities", P_labeled.rows(), P_labeled.cols());
    if (P_labeled.cols() != P_pool.cols())
        fail(fn, "pool probabilities has ", P_pool.cols(), " classes but labeled probabilities has ",
             P_labeled.cols());
    if (!(options.epsilon > 0 && options.epsilon < 1))
        fail(fn, "options epsilon must be in (0, 1), got ", options.epsilon);
}

/// (1/count) sum over a pool row's `count` labeled neighbours neighbour(0 .. count - 1) of
/// KL(p_l || p_x), with ln max(p_x, epsilon), clamped at 0.
template <class Scalar>
class MeanKl {
public:
    template <class DPL>
    MeanKl(const Eigen::MatrixBase<DPL>& P_labeled, double epsilon)
        : pl_(P_labeled), log_pl_(pl_.array().max(std::numeric_limits<Scalar>::min()).log()),  // 0 ln(tiny) = 0
          eps_(static_cast<Scalar>(epsilon)) {}
    template <class Row, class Neighbour>
    Scalar operator()(const Row& px, Index count, Neighbour&& neighbour) const {
        const Eigen::Array<Scalar, 1, Eigen::Dynamic> log_px = px.array().max(eps_).log();
        Scalar sum = 0;
        for (Index j = 0; j < count; ++j) {
            const Index l = neighbour(j);
            sum += (pl_.row(l).array() * (log_pl_.row(l).array() - log_px)).sum();
        }
        return std::max(Scalar(0), sum / static_cast<Scalar>(count));
    }

private:
    RowMatrix<Scalar> pl_, log_pl_;
    Scalar eps_;
};

}  // namespace detail

/// \addtogroup embedding_scorers
/// @{

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
    detail::check_contrastive(fn, P_pool, P_labeled, options);
    detail::check_same_rows(fn, "pool probabilities", P_pool.rows(), "pool features", H_pool.rows());
    detail::check_same_rows(fn, "labeled probabilities", P_labeled.rows(), "labeled features",
                            H_labeled.rows());
    detail::check_knn_inputs(fn, H_pool, "pool features", H_labeled, "labeled features", k, options.memory_bytes,
                             options.checks);
    detail::check_probabilities(fn, "pool probabilities", P_pool, options.checks);
    detail::check_probabilities(fn, "labeled probabilities", P_labeled, options.checks);

    const detail::MeanKl<Scalar> mean_kl(P_labeled, options.epsilon);
    Vector<Scalar> out(P_pool.rows());
    detail::knn_blocks(H_pool, H_labeled, k, options.memory_bytes, [&](Index r0, Index nb, const auto& idx, const auto&) {
        for (Index i = 0; i < nb; ++i) out[r0 + i] = mean_kl(P_pool.row(r0 + i), k, [&](Index j) { return idx(i, j); });
    });
    return out;
}

/// contrastive_score with N(x) read from a neighbour graph of the pool rows over the labeled
/// rows (N rows over M: acquire::hnsw::knn_graph(H_pool, H_labeled, k), or any library's)
/// instead of the exact search: each pool row's listed neighbours, all of them (the mean is
/// over their count). For pools where the exact O(N M d) search is too slow. Cost O(N k K).
/// Throws invalid_input as above, for a graph failing check_graph (naming its row), and for
/// a pool row with no listed neighbour.
template <class DPP, class DPL>
Vector<typename DPP::Scalar> contrastive_score(const Eigen::MatrixBase<DPP>& P_pool,
                                               const Eigen::MatrixBase<DPL>& P_labeled, const NeighborGraph& graph,
                                               const ContrastiveOptions& options = {}) {
    constexpr const char* fn = "contrastive_score";
    using Scalar = typename DPP::Scalar;
    detail::check_contrastive(fn, P_pool, P_labeled, options);
    detail::check_tolerance(fn, options.checks);
    detail::check_graph(fn, "graph", graph, P_pool.rows(), P_labeled.rows(), false);
    for (Index i = 0; i < graph.rows(); ++i)
        if (graph.degree(i) == 0) detail::fail(fn, "graph row ", i, " lists no labeled neighbour");
    detail::check_probabilities(fn, "pool probabilities", P_pool, options.checks);
    detail::check_probabilities(fn, "labeled probabilities", P_labeled, options.checks);
    const detail::MeanKl<Scalar> mean_kl(P_labeled, options.epsilon);
    Vector<Scalar> out(P_pool.rows());
    detail::parallel_for(P_pool.rows(), 256, [&](Index i) {
        const Index* listed = graph.indices.data() + graph.offsets[static_cast<std::size_t>(i)];
        out[i] = mean_kl(P_pool.row(i), graph.degree(i), [&](Index j) { return listed[j]; });
    });
    return out;
}

/// @}

}  // namespace acquire
