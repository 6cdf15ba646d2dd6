/// \file
/// Ragged outputs: per-box and per-token scores reduced per sample over CSR offsets.
// Ragged outputs: a detector gives a class distribution per box and a tagger one per token, and
// the number of boxes or tokens differs from sample to sample. The rows of all samples are
// stacked into one total x K matrix, and CSR offsets say whose rows are whose: sample n owns
// rows [offsets[n], offsets[n + 1]).
//
//     // 3 images with 2, 0 and 3 boxes: a 5 x K matrix of class distributions
//     std::vector<acquire::Index> offsets = {0, 2, 2, 5};
//     Eigen::VectorXf s = acquire::ragged_score(P, offsets, acquire::ElementScore::entropy,
//                                               acquire::RaggedReduction::max);
//     // sentences: one row per token
//     Eigen::VectorXf m = acquire::sequence_score(P, offsets, acquire::SequenceScore::mnlp);
//     // MC-dropout passes over the boxes, torch.stack(passes): [T][total][K]
//     auto S = acquire::PredictionStack<float>::tnk(buf, T, total, K);
//     Eigen::VectorXf b = acquire::ragged_stack_score(S, offsets, acquire::StackScore::bald,
//                                                     acquire::RaggedReduction::mean);
//
// The element scores come from the flat scorers in one call over all rows (their kernels and
// their value checks, rows in parallel); the per-sample reductions follow in double, each sample
// by one thread, so results are the same on any thread count. Offsets are a std::vector<Index>,
// as every index list in acquire is. Memory beyond the input: the `total` element scores.
#pragma once

#include "acquire/core/error.hpp"
#include "acquire/core/parallel.hpp"
#include "acquire/core/stack.hpp"
#include "acquire/score/bayesian.hpp"
#include "acquire/score/committee.hpp"
#include "acquire/score/dense.hpp"
#include "acquire/score/uncertainty.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace acquire {

/// \addtogroup ragged_scorers
/// @{

/// How the element scores of a sample become its score (ragged_score, ragged_stack_score).
/// Detection scores an image by aggregating its boxes' scores by the sum, the mean or the
/// maximum (Brust et al. 2019, "Active learning for deep object detection"; Haussmann et al.
/// 2020, "Scalable active learning for object detection").
enum class RaggedReduction {
    max,   ///< the highest element score: the sample's most uncertain box or token
    mean,  ///< the mean over the sample's elements
    sum,   ///< the sum over the sample's elements (favours samples with many elements)
};

/// The sequence scorers of sequence_score (Settles & Craven 2008; Shen et al. 2018).
enum class SequenceScore {
    total_entropy,     ///< sum_t H(p_t)
    mean_entropy,      ///< (1/n) sum_t H(p_t)
    least_confidence,  ///< 1 - prod_t max_k p_tk
    mnlp,              ///< -(1/n) sum_t ln max_k p_tk
};

/// @}

namespace detail {

/// Checks CSR `offsets` over `rows` rows of `argument`: N + 1 >= 2 entries, the first 0, none
/// below the one before, the last `rows`. Returns N. Runs whatever CheckOptions says: a bad
/// offset would read outside the input.
inline Index check_offsets(const char* fn, const std::vector<Index>& offsets, const char* argument, Index rows) {
    const Index size = static_cast<Index>(offsets.size());
    if (size < 2)
        fail(fn, "offsets has ", size, size == 1 ? " entry" : " entries",
             ", needs N + 1 >= 2 (one more than the N >= 1 samples)");
    if (offsets[0] != 0) fail(fn, "offsets entry 0 is ", offsets[0], ", must be 0");
    for (std::size_t j = 1; j < offsets.size(); ++j)
        if (offsets[j] < offsets[j - 1])
            fail(fn, "offsets entry ", j, " is ", offsets[j], ", below entry ", j - 1, " (", offsets[j - 1], ")");
    if (offsets.back() != rows)
        fail(fn, "offsets entry ", size - 1, " (the last) is ", offsets.back(), " but ", argument, " has ", rows,
             " rows");
    return size - 1;
}

/// The sample that owns row i (valid offsets, 0 <= i < offsets.back()): the last n with
/// offsets[n] <= i, which skips the empty samples before it.
inline Index ragged_sample_of(const std::vector<Index>& offsets, Index i) {
    return static_cast<Index>(std::upper_bound(offsets.begin(), offsets.end(), i) - offsets.begin()) - 1;
}

/// result[n] = reduce(first, count) over the rows [first, first + count) of sample n, in
/// parallel over samples; -1 for a sample with no rows.
template <class Scalar, class Reduce>
Vector<Scalar> ragged_reduce(const std::vector<Index>& offsets, Reduce&& reduce) {
    const Index N = static_cast<Index>(offsets.size()) - 1;
    Vector<Scalar> result(N);
    parallel_for(N, 4096, [&](Index n) {
        const auto j = static_cast<std::size_t>(n);
        const Index first = offsets[j], count = offsets[j + 1] - first;
        result[n] = count == 0 ? Scalar(-1) : static_cast<Scalar>(reduce(first, count));
    });
    return result;
}

/// RaggedReduction of element scores `e` per sample, accumulated in double.
template <class Scalar>
Vector<Scalar> ragged_reduce_scores(const Vector<Scalar>& e, const std::vector<Index>& offsets,
                                    RaggedReduction reduction) {
    return ragged_reduce<Scalar>(offsets, [&](Index first, Index count) {
        if (reduction == RaggedReduction::max) {
            Scalar m = e[first];
            for (Index i = first + 1; i < first + count; ++i) m = std::max(m, e[i]);
            return static_cast<double>(m);
        }
        double s = 0;
        for (Index i = first; i < first + count; ++i) s += static_cast<double>(e[i]);
        return reduction == RaggedReduction::sum ? s : s / static_cast<double>(count);
    });
}

/// Throws for the first row of `p` that is not a distribution, named by its sample and element.
template <class Derived>
void report_ragged_rows(const char* fn, const Eigen::MatrixBase<Derived>& p, const std::vector<Index>& offsets,
                        double tolerance) {
    for (Index i = 0; i < p.rows(); ++i) {
        const std::string problem = distribution_problem(p, i, tolerance, "class");
        if (problem.empty()) continue;
        const Index n = ragged_sample_of(offsets, i);
        fail(fn, "probabilities sample ", n, " element ", i - offsets[static_cast<std::size_t>(n)], problem);
    }
}

/// The flat scorer `score` over every row of `p` (valid offsets), its invalid_input re-thrown
/// naming the sample and the element. No rows: no call, an empty vector.
template <class Derived>
Vector<typename Derived::Scalar> ragged_element_scores(const char* fn, const Eigen::MatrixBase<Derived>& p,
                                                       const std::vector<Index>& offsets, ElementScore score,
                                                       const CheckOptions& checks) {
    Vector<typename Derived::Scalar> e(p.rows());
    if (p.rows() == 0) return e;
    try {
        switch (score) {
            case ElementScore::least_confidence: least_confidence(p.derived(), e, checks); break;
            case ElementScore::margin: margin(p.derived(), e, checks); break;
            case ElementScore::entropy: entropy(p.derived(), e, checks); break;
            default: ratio(p.derived(), e, checks); break;
        }
    } catch (const invalid_input&) {
        report_ragged_rows(fn, p, offsets, checks.tolerance);
        throw;  // the re-scan found nothing to name: the scorer's own message
    }
    return e;
}

/// Shape, tolerance and offsets of a probability matrix. Returns N.
template <class Derived>
Index check_ragged_input(const char* fn, const Eigen::MatrixBase<Derived>& p, const std::vector<Index>& offsets,
                         const CheckOptions& checks) {
    check_tolerance(fn, checks);
    if (p.cols() < 1)
        fail(fn, "probabilities must have at least one column, got ", p.rows(), " x ", p.cols());
    return check_offsets(fn, offsets, "probabilities", p.rows());
}

}  // namespace detail

/// \addtogroup ragged_scorers
/// @{

/// Scores every element (box, token) with the flat scorer `score` (least confidence, margin,
/// entropy or ratio: uncertainty.hpp's formulas, natural log, each in [0, 1] or [0, ln K]) and
/// reduces the element scores s_e of each sample by `reduction`, sample n owning the rows
/// [offsets[n], offsets[n + 1]) of `probabilities`:
///   max:  max_e s_e;   mean:  (1/m) sum_e s_e;   sum:  sum_e s_e,
/// m = offsets[n + 1] - offsets[n] elements, accumulated in double. Higher = query first. A
/// sample with no elements (an image with no boxes) scores -1 under every reduction, below every
/// real score (all are >= 0), so it is never picked before a sample with an element; this is
/// dense_score's rule for an image whose pixels are all masked. Brust et al. 2019 and Haussmann
/// et al. 2020 score detection images this way (per-box scores aggregated by max, mean or sum).
///
/// `probabilities` is the total x K matrix of all samples' rows (any Eigen expression, row- or
/// column-major, float or double; total = 0 is accepted when every sample is empty), `offsets`
/// the N + 1 CSR offsets. Cost: one flat scorer pass over the total rows (its kernels, in
/// parallel), then O(total) for the reductions; memory: the total element scores.
///
/// Throws invalid_input (function `ragged_score`) for offsets that are not N + 1 >= 2 entries
/// starting at 0, non-decreasing and ending at the row count (naming the entry), K < 1, a bad
/// tolerance, and (checks.values) a row that is not a distribution, naming its sample and
/// element: `acquire::ragged_score: probabilities sample 2 element 1 class 3 is nan (must be finite)`.
template <class Derived>
Vector<typename Derived::Scalar> ragged_score(const Eigen::MatrixBase<Derived>& probabilities,
                                              const std::vector<Index>& offsets, ElementScore score,
                                              RaggedReduction reduction, const CheckOptions& checks = {}) {
    const char* fn = "ragged_score";
    detail::check_ragged_input(fn, probabilities, offsets, checks);
    const auto e = detail::ragged_element_scores(fn, probabilities, offsets, score, checks);
    return detail::ragged_reduce_scores(e, offsets, reduction);
}

/// Scores every sequence (sentence) from its tokens' distributions p_t, t = 1..n, the rows
/// [offsets[s], offsets[s + 1]) of `probabilities`, with H(p) = -sum_k p_k ln p_k (natural log,
/// 0 ln 0 = 0) and p_t* = max_k p_tk:
///   total_entropy:     sum_t H(p_t)                  (Settles & Craven 2008, total token entropy)
///   mean_entropy:      (1/n) sum_t H(p_t)            (their token entropy, length-normalised)
///   least_confidence:  1 - prod_t p_t* = -expm1(sum_t ln p_t*)
///   mnlp:              -(1/n) sum_t ln p_t*          (Shen et al. 2018, maximum normalized
///                                                     log-probability, turned: higher = query first)
/// Higher = query first. least_confidence is Settles & Craven's 1 - P(y* | x) with tokens taken as
/// independent, so the most likely labelling y* is the per-token argmax; it tends to 1 as a
/// sequence grows, which mnlp corrects by normalising by the length (Shen et al. 2018, "Deep
/// active learning for named entity recognition"; Settles & Craven 2008, "An analysis of active
/// learning strategies for sequence labeling tasks"). Every score is 0 for a sequence of one-hot
/// tokens; the sums run in double, least_confidence through expm1, so it keeps its digits when
/// every token is confident. An empty sequence scores -1, below every real score (all are >= 0),
/// as an empty sample does in ragged_score.
///
/// The per-token terms are the flat scorers' (uncertainty.hpp): H(p_t) is entropy's, and
/// ln p_t* = log1p(-s_t) with s_t = 1 - p_t* least_confidence's, exact when p_t* >= 1/2 and
/// otherwise within eps / (2 p_t*) of ln p_t*, eps the Scalar's epsilon. A token whose top
/// probability is 0 (possible only with checks.values off or a tolerance >= 1) makes mnlp +inf
/// and least_confidence 1. `probabilities` and `offsets` as in ragged_score; same cost.
///
/// Throws invalid_input (function `sequence_score`) as ragged_score does, naming the sample
/// (sequence) and the element (token) of the first bad distribution.
template <class Derived>
Vector<typename Derived::Scalar> sequence_score(const Eigen::MatrixBase<Derived>& probabilities,
                                                const std::vector<Index>& offsets, SequenceScore score,
                                                const CheckOptions& checks = {}) {
    using Scalar = typename Derived::Scalar;
    const char* fn = "sequence_score";
    detail::check_ragged_input(fn, probabilities, offsets, checks);
    const bool entropies = score == SequenceScore::total_entropy || score == SequenceScore::mean_entropy;
    const Vector<Scalar> e = detail::ragged_element_scores(
        fn, probabilities, offsets, entropies ? ElementScore::entropy : ElementScore::least_confidence, checks);
    return detail::ragged_reduce<Scalar>(offsets, [&](Index first, Index count) {
        double s = 0;
        if (entropies) {
            for (Index i = first; i < first + count; ++i) s += static_cast<double>(e[i]);
            return score == SequenceScore::total_entropy ? s : s / static_cast<double>(count);
        }
        for (Index i = first; i < first + count; ++i) s += std::log1p(-static_cast<double>(e[i]));  // ln p_t*
        // 0 - x: a sequence of one-hot tokens scores 0, not -0.
        return score == SequenceScore::least_confidence ? 0.0 - std::expm1(s) : 0.0 - s / static_cast<double>(count);
    });
}

/// Scores every element with the stack scorer `score` over the T members (BALD, mean STD,
/// variation ratio, vote entropy, consensus entropy, KL disagreement: bayesian.hpp's and
/// committee.hpp's formulas, each >= 0, higher = query first) and reduces each sample's element
/// scores as ragged_score does, -1 for a sample with no elements. The stack's rows are the
/// elements: member t's prediction for element i of sample n is row offsets[n] + i, so a
/// [T][total][K] buffer is PredictionStack::tnk(buf, T, total, K). Haussmann et al. 2020 score
/// detection images by the max, mean or sum of per-box mutual information (BALD) this way.
///
/// A PredictionStack has at least one row, so at least one sample is non-empty. Cost: the stack
/// scorer's pass over the total rows, then O(total); memory: the total element scores. Throws
/// invalid_input (function `ragged_stack_score`) for bad offsets (as ragged_score; the last must
/// be stack.rows()) or tolerance, and (checks.values) naming the member, sample and element of
/// the lowest bad row, lowest member first:
/// `acquire::ragged_stack_score: stack member 1 sample 2 element 0 sums to 1.5 (tolerance 0.001)`.
template <class Scalar>
Vector<Scalar> ragged_stack_score(const PredictionStack<Scalar>& stack, const std::vector<Index>& offsets,
                                  StackScore score, RaggedReduction reduction, const CheckOptions& checks = {}) {
    const char* fn = "ragged_stack_score";
    detail::check_tolerance(fn, checks);
    detail::check_offsets(fn, offsets, "stack", stack.rows());
    Vector<Scalar> e;
    try {
        switch (score) {
            case StackScore::bald: e = bald(stack, checks); break;
            case StackScore::mean_std: e = mean_std(stack, checks); break;
            case StackScore::variation_ratio: e = variation_ratio(stack, checks); break;
            case StackScore::vote_entropy: e = vote_entropy(stack, checks); break;
            case StackScore::consensus_entropy: e = consensus_entropy(stack, checks); break;
            default: e = kl_disagreement(stack, checks); break;
        }
    } catch (const invalid_input&) {
        for (Index i = 0; i < stack.rows(); ++i)
            for (Index t = 0; t < stack.members(); ++t) {
                const std::string problem = detail::distribution_problem(stack.member(t), i, checks.tolerance, "class");
                if (problem.empty()) continue;
                const Index n = detail::ragged_sample_of(offsets, i);
                detail::fail(fn, "stack member ", t, " sample ", n, " element ",
                             i - offsets[static_cast<std::size_t>(n)], problem);
            }
        throw;  // the re-scan found nothing to name: the scorer's own message
    }
    return detail::ragged_reduce_scores(e, offsets, reduction);
}

/// @}

}  // namespace acquire
