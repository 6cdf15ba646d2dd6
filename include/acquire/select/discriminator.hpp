/// \file
/// Discriminator-based selection (VAAL, Sinha et al. 2019) and acquire::rank_combine, a rank-
/// based mix of scores.
// Discriminator-based selection (VAAL, Sinha, Ebrahimi & Darrell 2019): a discriminator
// trained to tell labeled from unlabeled samples in a latent space; query the unlabeled samples
// it is most sure are unlabeled. And `rank_combine`, a rank-based mix of several scores, for
// methods that weigh the discriminator against the classifier's uncertainty, as MAL (Ebrahimi et
// al. 2020, Minimax Active Learning) does with entropy. The mix by normalised ranks is acquire's
// own way of putting scores of different scales on one footing, not a formula from MAL.
//
//     auto batch = acquire::discriminator_select(D, labeled, b);         // lowest D first
//     Eigen::VectorXd mix = acquire::rank_combine({-D, acquire::entropy(P)}, {0.5, 0.5});
#pragma once

#include "acquire/core/error.hpp"
#include "acquire/core/selection.hpp"
#include "acquire/core/top_k.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>
#include <vector>

namespace acquire {

/// \addtogroup score_selectors
/// @{

/// VAAL selection (Sinha et al. 2019): D(x) is the discriminator's probability that x is
/// labeled; pick the b unlabeled samples with the lowest D, lowest first, ties by lowest index.
/// Any score where lower means "looks less like the labeled set" works (a logit too): only the
/// order matters. `objective[j]` is D of the j-th pick. One pass, O(N + b log b).
///
/// Throws invalid_input when D is not a vector or holds a NaN or Inf, `labeled` has an index out
/// of range or a duplicate, or b is negative or exceeds the unlabeled pool.
template <class Derived>
Selection discriminator_select(const Eigen::MatrixBase<Derived>& D, const std::vector<Index>& labeled, Index b) {
    constexpr const char* fn = "discriminator_select";
    detail::check_vector(fn, "D", D);
    using Scalar = typename Derived::Scalar;
    Vector<Scalar> negated(D.size());
    for (Index i = 0; i < D.size(); ++i) {
        const Scalar v = D.coeff(i);
        if (!std::isfinite(static_cast<double>(v))) detail::fail(fn, "D entry ", i, " is ", v, " (must be finite)");
        negated[i] = -v;  // -v == -w exactly when v == w: ties keep their lowest-index rule
    }
    const auto skip = detail::sorted_indices(fn, "labeled", labeled, D.size());
    detail::check_budget(fn, "b", b, D.size() - static_cast<Index>(skip.size()));
    Selection out;
    out.indices = top_k(negated, b, labeled);
    for (Index i : out.indices) out.objective.push_back(static_cast<double>(D.coeff(i)));
    return out;
}

/// A score vector turned into normalised ranks, for `rank_combine`. Built implicitly from any
/// Eigen vector (float or double, an expression such as -D works).
class Ranks {
public:
    /// Normalised fractional ranks: sorting the scores ascending, a score at 0-based position q
    /// gets q / (N - 1), so the highest score gets 1 and the lowest 0; tied scores all get the
    /// mean of their positions (so ties never depend on sample order). A single sample gets 0.5.
    template <class Derived>
    Ranks(const Eigen::MatrixBase<Derived>& scores) {  // NOLINT: implicit on purpose
        if (scores.cols() != 1 && scores.rows() != 1) {
            shape_rows_ = scores.rows();
            shape_cols_ = scores.cols();
            return;
        }
        const Index n = scores.size();
        Eigen::VectorXd v(n);
        for (Index i = 0; i < n; ++i) {
            v[i] = static_cast<double>(scores.coeff(i));
            if (std::isnan(v[i]) && nan_row_ < 0) nan_row_ = i;
        }
        if (nan_row_ >= 0) return;
        // Sort (score, index) pairs by value: contiguous, unlike sorting indices through v.
        std::vector<std::pair<double, Index>> order(static_cast<std::size_t>(n));
        for (Index i = 0; i < n; ++i) order[static_cast<std::size_t>(i)] = {v[i], i};
        std::sort(order.begin(), order.end());
        values_.resize(n);
        const double scale = n > 1 ? 1.0 / static_cast<double>(n - 1) : 0.0;
        for (std::size_t q = 0; q < order.size();) {
            std::size_t e = q + 1;
            while (e < order.size() && order[e].first == order[q].first) ++e;
            const double r = n > 1 ? 0.5 * static_cast<double>(q + e - 1) * scale : 0.5;
            for (std::size_t t = q; t < e; ++t) values_[order[t].second] = r;
            q = e;
        }
    }

    /// The ranks in [0, 1], one per score (empty when the scores were not a vector or held a NaN).
    const Eigen::VectorXd& values() const { return values_; }
    /// First NaN row of the scores, or -1 (a NaN has no rank).
    Index nan_row() const { return nan_row_; }
    /// The scores were a vector.
    bool is_vector() const { return shape_rows_ < 0; }
    /// Rows of scores that were not a vector (rank_combine refuses them); -1 for a vector.
    Index rows() const { return shape_rows_; }
    /// Columns of scores that were not a vector; -1 for a vector.
    Index cols() const { return shape_cols_; }

private:
    Eigen::VectorXd values_;
    Index nan_row_ = -1;
    Index shape_rows_ = -1, shape_cols_ = -1;
};

/// Rank-based combination of several scores, each higher = query first:
///
///   combined(x) = sum_j w_j r_j(x) / sum_j w_j,   r_j the normalised rank of x under score j
///
/// (see Ranks: in [0, 1], ties get their mean rank). Ranks make scores of different scales
/// comparable (an entropy in [0, ln K], a discriminator probability, a distance). Pass -D for a
/// score where lower = query first. Higher combined = query first; in [0, 1]. O(m N log N).
///
/// Throws invalid_input when no score is given, the weights are not one per score, finite,
/// >= 0 and with a positive sum, a score is not a vector, holds a NaN (naming the score and the
/// row), or the scores differ in length.
inline Eigen::VectorXd rank_combine(const std::vector<Ranks>& scores, const std::vector<double>& weights) {
    constexpr const char* fn = "rank_combine";
    if (scores.empty()) detail::fail(fn, "no scores given");
    if (weights.size() != scores.size())
        detail::fail(fn, "got ", scores.size(), " scores but ", weights.size(), " weights");
    double total = 0;
    for (std::size_t j = 0; j < weights.size(); ++j) {
        if (!(weights[j] >= 0) || !std::isfinite(weights[j]))
            detail::fail(fn, "weights entry ", j, " is ", weights[j], " (must be finite and >= 0)");
        total += weights[j];
    }
    if (!(total > 0)) detail::fail(fn, "the weights sum to 0");
    for (std::size_t j = 0; j < scores.size(); ++j) {
        const Ranks& s = scores[j];
        if (!s.is_vector()) detail::fail(fn, "scores entry ", j, " must be a vector, got ", s.rows(), " x ", s.cols());
        if (s.nan_row() >= 0) detail::fail(fn, "scores entry ", j, " row ", s.nan_row(), " is NaN");
        if (s.values().size() != scores[0].values().size())
            detail::fail(fn, "scores entry ", j, " has ", s.values().size(), " rows but entry 0 has ",
                         scores[0].values().size());
    }
    if (scores[0].values().size() == 0) detail::fail(fn, "the scores are empty");
    Eigen::VectorXd out = Eigen::VectorXd::Zero(scores[0].values().size());
    for (std::size_t j = 0; j < scores.size(); ++j) out += (weights[j] / total) * scores[j].values();
    return out;
}

/// @}

}  // namespace acquire
