/// \file
/// Bayesian scorers on a stack of T posterior samples: BALD and mean STD.
// Bayesian scorers on a stack of T posterior samples (MC dropout passes, Bayes-by-backprop
// weight draws, or an ensemble read as samples): BALD and mean STD.
//
// Input: an acquire::PredictionStack (any layout, read in place). Output: an N-vector of the
// stack's Scalar, higher = query first, natural log. One read of the stack in blocks of rows
// packed to [T][b][K] (the logs vectorise whatever the layout), O(T K) scratch per thread,
// rows in parallel under OpenMP with results identical on any thread count.
#pragma once

#include "acquire/score/committee.hpp"

namespace acquire {

/// \addtogroup committee_scorers
/// @{

/// BALD, Bayesian active learning by disagreement (Houlsby et al. 2011; Gal et al. 2017): the
/// mutual information between the label and the model parameters,
///   BALD(x) = H(P_C) - (1/T) sum_t H(P_t),   P_C = (1/T) sum_t P_t,  H(p) = -sum_k p_k ln p_k,
/// with 0 ln 0 = 0. Higher = the samples disagree (epistemic uncertainty), not merely an
/// uncertain average. It is >= 0 exactly (Jensen); where rounding makes it negative it is
/// clamped to 0. T = 1 gives 0. Range [0, ln K].
template <class Scalar>
Vector<Scalar> bald(const PredictionStack<Scalar>& s, const CheckOptions& checks = {}) {
    const Index T = s.members(), K = s.cols();
    return detail::stack_score("bald", s, checks, [&](const Scalar* packed, Index b, auto out) {
        detail::BlockArray<Scalar> sum = detail::PackedBlock<Scalar>(packed, b, K);
        detail::BlockArray<Scalar> plogp = detail::xlogx(sum);
        detail::ColumnArray<Scalar> member_entropy = Scalar(0) - detail::row_sums(plogp);
        for (Index t = 1; t < T; ++t) {
            const detail::PackedBlock<Scalar> x(packed + t * b * K, b, K);
            sum += x;
            plogp = detail::xlogx(x);
            member_entropy -= detail::row_sums(plogp);
        }
        const Scalar inv_t = Scalar(1) / static_cast<Scalar>(T);
        out = (detail::row_entropy<Scalar>(sum * inv_t) - member_entropy * inv_t)
                  .max(Scalar(0))
                  .matrix();
    });
}

/// Mean STD (Kampffmeyer et al. 2016; one of DBAL's acquisition functions, Gal et al. 2017):
///   MS(x) = (1/K) sum_k sigma_k,   sigma_k = sqrt((1/T) sum_t (p_tk - P_C,k)^2),
/// the population standard deviation over the T samples (divide by T, not T - 1). Higher = the
/// samples spread more. T = 1 gives 0. Range [0, 1/2].
template <class Scalar>
Vector<Scalar> mean_std(const PredictionStack<Scalar>& s, const CheckOptions& checks = {}) {
    const Index T = s.members(), K = s.cols();
    return detail::stack_score("mean_std", s, checks, [&](const Scalar* packed, Index b, auto out) {
        const detail::BlockArray<Scalar> pc = detail::consensus(packed, T, b, K);
        detail::BlockArray<Scalar> var = detail::BlockArray<Scalar>::Zero(b, K);
        for (Index t = 0; t < T; ++t)
            var += (detail::PackedBlock<Scalar>(packed + t * b * K, b, K) - pc).square();
        out = (detail::row_sums<Scalar>((var / static_cast<Scalar>(T)).sqrt()) /
               static_cast<Scalar>(K))
                  .matrix();
    });
}

/// @}

}  // namespace acquire
