/// \file
/// Learning loss (Yoo & Kweon 2019): the pairwise ranking loss of a loss-prediction module.
// Learning loss (Yoo & Kweon 2019, "Learning Loss for Active Learning"): a small module
// predicts each sample's target loss, is trained with a pairwise ranking loss, and at query
// time its predicted losses are the scores (higher predicted loss = query first: pass them to
// `acquire::top_k` directly).
//
// This header gives a C++ training loop the module's loss and its gradient:
//
//     auto r = acquire::ranking_loss(predicted, target);  // both b-vectors, b even
//     total = target_loss + lambda * r.loss;
//     backprop(lambda * r.gradient);                       // d loss / d predicted
#pragma once

#include "acquire/core/error.hpp"

#include <cmath>

namespace acquire {

/// \addtogroup training_dynamics
/// @{

/// The ranking loss and its gradient with respect to the predicted losses.
template <class Scalar>
struct RankingLoss {
    double loss = 0;  ///< the loss over the b/2 pairs (see ranking_loss)
    Vector<Scalar> gradient;  ///< d loss / d predicted, one entry per sample
};

/// Loss-prediction ranking loss (Yoo & Kweon 2019, eq. 2-3). The batch of b samples (b even) is
/// split into the b/2 pairs (i, j = i + b/2), and
///
///   loss = (2/b) sum_{i < b/2} max(0, -s_ij (lhat_i - lhat_j) + margin),
///   s_ij = +1 if l_i > l_j, else -1 (the paper's indicator: equal target losses count as -1),
///
/// with l the target losses and lhat the predicted ones. The gradient is -s_ij (2/b) for lhat_i
/// and +s_ij (2/b) for lhat_j in pairs whose hinge is strictly positive, 0 elsewhere (the
/// subgradient 0 is taken at the kink). The paper uses margin 1. Pairing i with i + b/2 assumes
/// the batch is shuffled, as a training loader's is; the authors' code pairs i with b - 1 - i.
/// The loss is accumulated in double.
///
/// Throws invalid_input when the sizes differ, b is odd or 0, an entry is NaN or Inf (naming
/// it), or the margin is negative or not finite.
template <class DP, class DT>
RankingLoss<typename DP::Scalar> ranking_loss(const Eigen::MatrixBase<DP>& predicted,
                                              const Eigen::MatrixBase<DT>& target, double margin = 1.0) {
    constexpr const char* fn = "ranking_loss";
    using Scalar = typename DP::Scalar;
    detail::check_vector(fn, "predicted", predicted);
    detail::check_vector(fn, "target", target);
    const Index b = predicted.size();
    if (target.size() != b)
        detail::fail(fn, "predicted has ", b, " entries but target has ", target.size());
    if (b == 0 || b % 2 != 0)
        detail::fail(fn, "the batch size must be even and > 0 to form pairs (i, i + b/2), got ", b);
    if (!(margin >= 0) || !std::isfinite(margin))
        detail::fail(fn, "margin must be finite and >= 0, got ", margin);
    for (Index i = 0; i < b; ++i) {
        if (!std::isfinite(static_cast<double>(predicted.coeff(i))))
            detail::fail(fn, "predicted entry ", i, " is ", predicted.coeff(i), " (must be finite)");
        if (!std::isfinite(static_cast<double>(target.coeff(i))))
            detail::fail(fn, "target entry ", i, " is ", target.coeff(i), " (must be finite)");
    }
    const Index half = b / 2;
    const double w = 1.0 / static_cast<double>(half);
    RankingLoss<Scalar> out;
    out.gradient = Vector<Scalar>::Zero(b);
    double sum = 0;
    for (Index i = 0; i < half; ++i) {
        const Index j = i + half;
        const double s = target.coeff(i) > target.coeff(j) ? 1.0 : -1.0;
        const double hinge = margin - s * (static_cast<double>(predicted.coeff(i)) -
                                           static_cast<double>(predicted.coeff(j)));
        if (hinge > 0) {
            sum += hinge;
            out.gradient[i] = static_cast<Scalar>(-s * w);
            out.gradient[j] = static_cast<Scalar>(s * w);
        }
    }
    out.loss = sum * w;
    return out;
}

/// @}

}  // namespace acquire
