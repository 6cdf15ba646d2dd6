/// \file
/// CEAL, cost-effective active learning (Wang et al. 2017): confident samples as pseudo-labels.
// CEAL, Cost-Effective Active Learning (Wang, Zhang, Li, Zhang & Lin 2017): besides the
// uncertain samples sent to annotators, train on the pool's most confident samples with the
// model's own predictions as pseudo-labels, and tighten the confidence threshold every round.
//
//     acquire::CealSchedule schedule{0.05, 0.0033};
//     auto queried = acquire::top_k(acquire::entropy(P), b, labeled);
//     auto exclude = labeled;                          // labeled, plus this round's queries
//     exclude.insert(exclude.end(), queried.begin(), queried.end());
//     auto pseudo = acquire::ceal_pseudo_labels(P, exclude, schedule.threshold(round));
//     // train on labeled + queried (true labels) and pseudo.indices (pseudo.labels)
#pragma once

#include "acquire/core/error.hpp"
#include "acquire/score/uncertainty.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace acquire {

/// \addtogroup score_selectors
/// @{

/// CEAL's threshold schedule: delta_t = max(0, delta0 - decay * t) for round t = 0, 1, ...
/// (the paper updates delta after every round with a fixed decay rate).
struct CealSchedule {
    double delta0 = 0.05;  ///< delta at round 0
    double decay = 0.0033;  ///< subtracted from delta each round

    /// The entropy threshold of round t (t >= 0). Throws invalid_input when delta0 or decay is
    /// negative or not finite, or t is negative.
    double threshold(Index t) const {
        constexpr const char* fn = "CealSchedule::threshold";
        if (!(delta0 >= 0) || !std::isfinite(delta0)) detail::fail(fn, "delta0 must be finite and >= 0, got ", delta0);
        if (!(decay >= 0) || !std::isfinite(decay)) detail::fail(fn, "decay must be finite and >= 0, got ", decay);
        if (t < 0) detail::fail(fn, "round must be >= 0, got ", t);
        return std::max(0.0, delta0 - decay * static_cast<double>(t));
    }
};

/// High-confidence samples with their pseudo-labels.
struct PseudoLabels {
    std::vector<Index> indices;   ///< pool indices, ascending
    std::vector<Index> labels;    ///< argmax class of each (ties: lowest class)
    std::vector<double> entropy;  ///< its prediction entropy (natural log), below the threshold
};

/// CEAL pseudo-labels (Wang et al. 2017): every sample not in `exclude` whose prediction entropy
/// H(x) = -sum_k p_k ln p_k (0 ln 0 = 0; computed by `acquire::entropy`, in P's Scalar) is
/// strictly below `threshold`, labeled with its argmax. Pass the labeled indices plus this
/// round's queried ones as `exclude`. O(N K): one vectorised entropy pass, then an argmax per
/// selected row.
///
/// Edge cases: threshold 0 selects nothing (entropy is never negative); K = 1 makes every
/// sample's entropy 0, so any positive threshold selects them all.
///
/// Throws invalid_input when P is not N x K probabilities (see CheckOptions), `exclude` has an
/// index out of range or a duplicate, or the threshold is negative or not finite.
template <class Derived>
PseudoLabels ceal_pseudo_labels(const Eigen::MatrixBase<Derived>& P, const std::vector<Index>& exclude,
                                double threshold, const CheckOptions& checks = {}) {
    constexpr const char* fn = "ceal_pseudo_labels";
    detail::check_shape(fn, "probabilities", P.rows(), P.cols());
    if (!(threshold >= 0) || !std::isfinite(threshold))
        detail::fail(fn, "threshold must be finite and >= 0, got ", threshold);
    detail::check_probabilities(fn, "probabilities", P, checks);
    const std::vector<char> skip = detail::index_mask(fn, "exclude", exclude, P.rows());
    CheckOptions unchecked = checks;
    unchecked.values = false;  // checked above, under this function's name
    const auto h = entropy(P.derived(), unchecked);
    PseudoLabels out;
    for (Index i = 0; i < P.rows(); ++i) {
        if (skip[static_cast<std::size_t>(i)] || !(static_cast<double>(h[i]) < threshold)) continue;
        Index best = 0;
        for (Index k = 1; k < P.cols(); ++k)
            if (P.coeff(i, k) > P.coeff(i, best)) best = k;
        out.indices.push_back(i);
        out.labels.push_back(best);
        out.entropy.push_back(static_cast<double>(h[i]));
    }
    return out;
}

/// @}

}  // namespace acquire
