/// \file
/// Expected gradient length (Settles, Craven & Ray 2008): acquire::egl and
/// acquire::egl_from_norms.
// Expected gradient length (Settles, Craven & Ray 2008, "Multiple-Instance Active Learning"):
// query the samples whose label, whatever it turns out to be, would change the model most.
//
//   EGL(x) = sum_y p(y | x) || grad_theta L(x, y) ||
//
// Two entry points:
// - `egl(P, H)`: the closed form for a softmax-linear last layer (logits = W h + bias) trained
//   with cross-entropy, from the probabilities P (N x K) and the last layer's inputs H (N x d);
// - `egl_from_norms(P, G)`: any architecture, from the user's own gradient norms G (N x K).
//
//     Eigen::VectorXf s = acquire::egl(P, H);         // W and bias
//     auto top = acquire::top_k(s, b, labeled);
#pragma once

#include "acquire/core/error.hpp"
#include "acquire/core/parallel.hpp"

#include <algorithm>
#include <cmath>

namespace acquire {

/// \addtogroup embedding_scorers
/// @{

/// Options of `egl`.
struct EglOptions {
    /// The last layer has a bias (logits = W h + bias): its gradient p - e_y adds 1 to ||h||^2.
    bool bias = true;
    /// Value checks of the inputs (see CheckOptions).
    CheckOptions checks;
};

/// Expected gradient length of a softmax-linear last layer under cross-entropy (Settles et al.
/// 2008; Huang et al. 2016 use it for deep models' last layer):
///
///   EGL(x) = sum_y p_y ||p - e_y|| sqrt(||h||^2 + [bias]),
///
/// because for logits z = W h + bias and L(x, y) = -ln softmax(z)_y the gradients are
/// grad_W = (p - e_y) h^T and grad_bias = p - e_y, and ||u v^T||_F = ||u|| ||v||. Here
/// ||p - e_y||^2 = (1 - p_y)^2 + sum_{k != y} p_k^2, computed per row from ||p||^2 in O(K).
/// Higher = query first. O(N (K + d)) time, one pass over P and H, no gradient materialised;
/// the p terms are computed in double whatever the Scalar (||p||^2 - p_y^2 cancels when p_y is
/// near 1), ||h||^2 in H's Scalar.
///
/// Edge cases: 0 for a one-hot row and for K = 1 (the model cannot move); with `bias = false`,
/// 0 for h = 0. Rows of P and H are the same samples; P and H may have any layout and Scalar
/// (the result has P's Scalar).
///
/// Throws invalid_input when P is not N x K probabilities (see CheckOptions), H does not have
/// N rows and at least one column, or H holds a NaN or Inf.
template <class DP, class DH>
Vector<typename DP::Scalar> egl(const Eigen::MatrixBase<DP>& P, const Eigen::MatrixBase<DH>& H,
                                const EglOptions& options = {}) {
    constexpr const char* fn = "egl";
    using Scalar = typename DP::Scalar;
    detail::check_shape(fn, "probabilities", P.rows(), P.cols());
    detail::check_shape(fn, "features", H.rows(), H.cols());
    detail::check_same_rows(fn, "probabilities", P.rows(), "features", H.rows());
    detail::check_probabilities(fn, "probabilities", P, options.checks);
    if (options.checks.values) detail::check_finite(fn, "features", H);

    const Index n = P.rows();
    const double bias = options.bias ? 1.0 : 0.0;
    Vector<Scalar> out(n);
    constexpr Index block = 4096;
    detail::parallel_for((n + block - 1) / block, 2, [&](Index b) {
        const Index r0 = b * block, nb = std::min(block, n - r0);
        const auto p = P.middleRows(r0, nb);
        // In double: ||p||^2 - p_y^2 cancels when p_y is near 1, which in float costs ~1e-4
        // relative error exactly where EGL ranks confident samples.
        using Column = Eigen::Array<double, Eigen::Dynamic, 1>;
        // ||h||^2 is a sum of squares (no cancellation): summed in H's Scalar, then widened.
        const Column h2 = H.middleRows(r0, nb).rowwise().squaredNorm().template cast<double>();
        const Column p2 = p.template cast<double>().rowwise().squaredNorm();
        // ||p - e_y||^2 = (1 - p_y)^2 + (||p||^2 - p_y^2), the second term >= 0 up to rounding.
        if constexpr (DP::IsRowMajor) {
            for (Index i = 0; i < nb; ++i) {
                const auto r = p.row(i).array().template cast<double>();
                const double sum = (r * ((1.0 - r).square() + (p2[i] - r.square()).max(0.0)).sqrt()).sum();
                out[r0 + i] = static_cast<Scalar>(sum * std::sqrt(h2[i] + bias));
            }
        } else {  // column sweep: every access contiguous, vectorised across rows
            Column sum = Column::Zero(nb);
            for (Index y = 0; y < p.cols(); ++y) {
                const auto c = p.col(y).array().template cast<double>();
                sum += c * ((1.0 - c).square() + (p2 - c.square()).max(0.0)).sqrt();
            }
            out.segment(r0, nb) = (sum * (h2 + bias).sqrt()).template cast<Scalar>().matrix();
        }
    });
    return out;
}

/// Expected gradient length from the user's own per-label gradient norms (any architecture,
/// any loss): G(i, y) = ||grad_theta L(x_i, y)||, and
///
///   EGL(x_i) = sum_y p_y G(i, y).
///
/// Higher = query first. O(N K), one pass over P and G. Throws invalid_input when P is not N x K
/// probabilities, G is not N x K, or G holds a NaN, an Inf or a negative norm (naming the row).
template <class DP, class DG>
Vector<typename DP::Scalar> egl_from_norms(const Eigen::MatrixBase<DP>& P,
                                           const Eigen::MatrixBase<DG>& G,
                                           const CheckOptions& checks = {}) {
    constexpr const char* fn = "egl_from_norms";
    using Scalar = typename DP::Scalar;
    detail::check_shape(fn, "probabilities", P.rows(), P.cols());
    if (G.rows() != P.rows() || G.cols() != P.cols())
        detail::fail(fn, "norms is ", G.rows(), " x ", G.cols(), " but probabilities is ", P.rows(),
                     " x ", P.cols());
    detail::check_probabilities(fn, "probabilities", P, checks);
    if (checks.values) {
        detail::check_finite(fn, "norms", G);
        if ((G.array() < typename DG::Scalar(0)).any())
            for (Index i = 0; i < G.rows(); ++i)
                for (Index k = 0; k < G.cols(); ++k)
                    if (G(i, k) < 0)
                        detail::fail(fn, "norms row ", i, " column ", k, " is ", G(i, k),
                                     " (a norm must be >= 0)");
    }
    const Index n = P.rows();
    Vector<Scalar> out(n);
    constexpr Index block = 8192;
    detail::parallel_for((n + block - 1) / block, 2, [&](Index b) {
        const Index r0 = b * block, nb = std::min(block, n - r0);
        out.segment(r0, nb) =
            P.middleRows(r0, nb).cwiseProduct(G.middleRows(r0, nb).template cast<Scalar>()).rowwise().sum();
    });
    return out;
}

/// @}

}  // namespace acquire
