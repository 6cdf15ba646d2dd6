// BADGE, batch active learning by diverse gradient embeddings (Ash et al. 2020).
//
// A sample's gradient embedding is the gradient of the cross-entropy loss at its own predicted
// label yhat with respect to the last linear layer: g_x = (p_x - e_yhat) (outer) h_x, K d numbers,
// with p_x the softmax output and h_x the penultimate embedding. Its norm grows with the model's
// uncertainty and its direction encodes what the sample would teach; k-means++ seeding on the
// g_x picks a batch that is both uncertain and diverse.
//
// Never materialised: with a = p - e_yhat,
//   ||g_i - g_j||^2 = ||a_i||^2 ||h_i||^2 + ||a_j||^2 ||h_j||^2 - 2 (a_i . a_j)(h_i . h_j),
// so each pick costs two matrix-vector products (N x K and N x d) and memory stays O(N (K + d)).
#pragma once

#include "acquire/core/error.hpp"
#include "acquire/core/parallel.hpp"
#include "acquire/select/kmeans_pp.hpp"

#include <cstdint>
#include <vector>

namespace acquire {

/// Options of `badge`.
struct BadgeOptions {
    /// Seed of the D^2 draws (acquire::Rng: the same picks on every platform and thread count).
    std::uint64_t seed = 0;
    /// checks.values: P rows are distributions and H is finite (one pass over each).
    CheckOptions checks;
};

namespace detail {

/// a = p - e_yhat per row, yhat = argmax p (ties: lowest class), in double.
template <class Derived>
Eigen::MatrixXd badge_residuals(const Eigen::MatrixBase<Derived>& P) {
    Eigen::MatrixXd a = P.template cast<double>();
    parallel_for(a.rows(), 4096, [&](Index i) {
        Index best = 0;
        for (Index k = 1; k < a.cols(); ++k)
            if (a(i, k) > a(i, best)) best = k;
        a(i, best) -= 1.0;
    });
    return a;
}

}  // namespace detail

/// The gradient embeddings materialised: an N x (K d) row-major matrix whose row i is
/// g_i = (p_i - e_yhat_i) (outer) h_i, entry k d + j = (p_ik - [k = yhat_i]) h_ij. O(N K d)
/// memory: for inspection and small pools; badge() never builds it.
template <class DerivedP, class DerivedH>
RowMatrix<typename DerivedH::Scalar> gradient_embedding(const Eigen::MatrixBase<DerivedP>& P,
                                                        const Eigen::MatrixBase<DerivedH>& H,
                                                        const CheckOptions& checks = {}) {
    constexpr const char* fn = "gradient_embedding";
    using Scalar = typename DerivedH::Scalar;
    detail::check_shape(fn, "P", P.rows(), P.cols());
    detail::check_shape(fn, "H", H.rows(), H.cols());
    detail::check_same_rows(fn, "P", P.rows(), "H", H.rows());
    detail::check_probabilities(fn, "P", P, checks);
    if (checks.values) detail::check_finite(fn, "H", H);
    const Eigen::MatrixXd a = detail::badge_residuals(P);
    const Index K = P.cols(), d = H.cols();
    RowMatrix<Scalar> g(P.rows(), K * d);
    for (Index i = 0; i < P.rows(); ++i)
        for (Index k = 0; k < K; ++k)
            g.row(i).segment(k * d, d) = (static_cast<Scalar>(a(i, k)) * H.row(i)).eval();
    return g;
}

/// BADGE (Ash et al. 2020): b unlabeled indices in pick order, chosen by k-means++ seeding on the
/// gradient embeddings g_x = (p_x - e_yhat) (outer) h_x. The first pick is the largest
/// ||g_x|| = ||p_x - e_yhat|| ||h_x|| (ties: lowest index), as in the authors' code; each later
/// pick is drawn with probability D(x)^2 / sum_y D(y)^2, D the Euclidean distance in gradient
/// space to the nearest pick. Labeled points are never picked and, as in the authors' code, are
/// not centers: the seeding runs on the unlabeled pool. `Selection::objective[j]` is the
/// potential sum over unlabeled x of D(x)^2 after pick j.
///
/// P: N x K probabilities (argmax ties: lowest class); H: N x d penultimate embeddings; both read
/// in place, any layout. Time O(b N (K + d)); memory O(N (K + d)) (a double copy of P - e_yhat
/// and a few N-vectors), never the N x K d matrix. Seeded with acquire::Rng.
///
/// Throws invalid_input for shape mismatches, bad probabilities, non-finite H, bad labeled
/// indices, and b < 0 or larger than the unlabeled pool.
template <class DerivedP, class DerivedH>
Selection badge(const Eigen::MatrixBase<DerivedP>& P, const Eigen::MatrixBase<DerivedH>& H,
                const std::vector<Index>& labeled, Index b, const BadgeOptions& options = {}) {
    constexpr const char* fn = "badge";
    const Index n = P.rows();
    detail::check_shape(fn, "P", n, P.cols());
    detail::check_shape(fn, "H", H.rows(), H.cols());
    detail::check_same_rows(fn, "P", n, "H", H.rows());
    const auto blocked = detail::index_mask(fn, "labeled", labeled, n);
    detail::check_budget(fn, "b", b, n - static_cast<Index>(labeled.size()));
    detail::check_probabilities(fn, "P", P, options.checks);
    if (options.checks.values) detail::check_finite(fn, "H", H);
    if (b == 0) return {};

    const Eigen::MatrixXd a = detail::badge_residuals(P);
    const Eigen::VectorXd a2 = a.rowwise().squaredNorm();
    const Eigen::VectorXd h2 = H.rowwise().squaredNorm().template cast<double>();
    Index first = -1;
    for (Index i = 0; i < n; ++i)
        if (!blocked[static_cast<std::size_t>(i)] && (first < 0 || a2[i] * h2[i] > a2[first] * h2[first]))
            first = i;
    using Scalar = typename DerivedH::Scalar;
    Vector<Scalar> hc(n);
    Eigen::VectorXd ac(n);
    return detail::d2_sampling(n, blocked, {}, first, b, options.seed,
                               [&](Index c, std::vector<double>& out) {
                                   // Two matrix-vector products: a . a_c and h . h_c for all rows.
                                   ac.noalias() = a * a.row(c).transpose();
                                   hc.noalias() = H * H.row(c).transpose();
                                   const double cc = a2[c] * h2[c];
                                   detail::parallel_for(n, 4096, [&](Index i) {
                                       out[static_cast<std::size_t>(i)] =
                                           a2[i] * h2[i] + cc - 2.0 * ac[i] * static_cast<double>(hc[i]);
                                   });
                               });
}

}  // namespace acquire
