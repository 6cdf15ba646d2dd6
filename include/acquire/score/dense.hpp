/// \file
/// Dense outputs: per-pixel (or per-token) scores reduced per sample, without the score map.
// Dense outputs: a segmentation model gives a distribution per pixel, and the question is which
// images to label. The scorers here score every element (pixel) of a sample with a flat scorer
// and reduce the element scores per sample by mean, max, sum or the mean of the highest q
// fraction, over the elements a mask keeps:
//
//     // PyTorch's [N][K][H][W] softmax output, row-major float:
//     auto P = acquire::DenseView<float>::nchw(buf, N, K, H, W);
//     Eigen::VectorXf s = acquire::dense_score(P, acquire::ElementScore::entropy);  // mean
//     acquire::DenseOptions o;
//     o.reduction = acquire::Reduction::top_q;
//     o.q = 0.05;
//     o.mask = acquire::ElementMask::dense(valid, N, H, W);  // 0 = ignore index
//     Eigen::VectorXf t = acquire::dense_score(P, acquire::ElementScore::margin, o);
//     // MC-dropout passes, torch.stack(passes): [T][N][K][H][W]
//     auto S = acquire::DenseStackView<float>::tnkhw(buf, T, N, K, H, W);
//     Eigen::VectorXf b = acquire::dense_stack_score(S, acquire::StackScore::bald);
//
// Views read the user's buffer in place, any strides (NCHW, NHWC, crops). Memory beyond the input:
// O(H W) per thread (one sample's element scores), never the N x H x W map. Samples run in
// parallel; each sample's score is computed by one thread, so results are the same on any thread
// count.
#pragma once

#include "acquire/core/error.hpp"
#include "acquire/core/parallel.hpp"
#include "acquire/core/stack.hpp"
#include "acquire/score/bayesian.hpp"
#include "acquire/score/committee.hpp"
#include "acquire/score/uncertainty.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace acquire {

/// \addtogroup dense_scorers
/// @{

/// A zero-copy view of N samples of H x W elements with a distribution over K classes each:
/// entry (n, k, y, x) at data[n * sample_stride + k * class_stride + y * row_stride +
/// x * column_stride]. Tokens or boxes of a fixed count are H = 1. The buffer must outlive the
/// view; sizes and strides are checked here, values by each scorer.
template <class Scalar>
class DenseView {
public:
    /// General strides, in elements, each >= 1 (see the class comment).
    DenseView(const Scalar* data, Index samples, Index classes, Index height, Index width, Index sample_stride,
              Index class_stride, Index row_stride, Index column_stride)
        : data_(data), n_(samples), k_(classes), h_(height), w_(width), sample_stride_(sample_stride),
          class_stride_(class_stride), row_stride_(row_stride), column_stride_(column_stride) {
        if (data == nullptr) detail::fail("DenseView", "data is null");
        if (samples < 1 || classes < 1 || height < 1 || width < 1)
            detail::fail("DenseView", "needs N, K, H, W >= 1, got ", samples, ", ", classes, ", ", height, ", ", width);
        if (sample_stride < 1 || class_stride < 1 || row_stride < 1 || column_stride < 1)
            detail::fail("DenseView", "strides must be >= 1, got sample ", sample_stride, ", class ", class_stride,
                         ", row ", row_stride, ", column ", column_stride);
    }
    /// [N][K][H][W], contiguous (PyTorch's NCHW).
    static DenseView nchw(const Scalar* data, Index N, Index K, Index H, Index W) {
        return DenseView(data, N, K, H, W, K * H * W, H * W, W, 1);
    }
    /// [N][H][W][K], contiguous (NHWC: TensorFlow, ONNX Runtime).
    static DenseView nhwc(const Scalar* data, Index N, Index H, Index W, Index K) {
        return DenseView(data, N, K, H, W, H * W * K, 1, W * K, K);
    }
    /// Entry (0, 0, 0, 0).
    const Scalar* data() const { return data_; }
    /// N, the samples (images).
    Index samples() const { return n_; }
    /// K, the classes.
    Index classes() const { return k_; }
    /// H, the rows of elements per sample.
    Index height() const { return h_; }
    /// W, the elements per row.
    Index width() const { return w_; }
    /// H W, the elements per sample.
    Index elements() const { return h_ * w_; }
    /// Elements between samples.
    Index sample_stride() const { return sample_stride_; }
    /// Elements between classes.
    Index class_stride() const { return class_stride_; }
    /// Elements between rows of pixels.
    Index row_stride() const { return row_stride_; }
    /// Elements between neighbouring pixels of a row.
    Index column_stride() const { return column_stride_; }

private:
    const Scalar* data_;
    Index n_, k_, h_, w_, sample_stride_, class_stride_, row_stride_, column_stride_;
};

/// A zero-copy view of T predictions (MC-dropout passes, ensemble members) of a DenseView's
/// shape: entry (t, n, k, y, x) at data[t * member_stride + n * sample_stride + k * class_stride
/// + y * row_stride + x * column_stride].
template <class Scalar>
class DenseStackView {
public:
    /// General strides, in elements, each >= 1 (see the class comment).
    DenseStackView(const Scalar* data, Index members, Index samples, Index classes, Index height, Index width,
                   Index member_stride, Index sample_stride, Index class_stride, Index row_stride,
                   Index column_stride)
        : view_(data, samples, classes, height, width, sample_stride, class_stride, row_stride, column_stride),
          t_(members), member_stride_(member_stride) {
        if (members < 1) detail::fail("DenseStackView", "needs T >= 1 members, got ", members);
        if (member_stride < 1) detail::fail("DenseStackView", "member stride must be >= 1, got ", member_stride);
    }
    /// [T][N][K][H][W], contiguous: torch.stack(passes) of NCHW outputs.
    static DenseStackView tnkhw(const Scalar* data, Index T, Index N, Index K, Index H, Index W) {
        return DenseStackView(data, T, N, K, H, W, N * K * H * W, K * H * W, H * W, W, 1);
    }
    /// [N][K][H][W][T], contiguous (baal's layout for segmentation).
    static DenseStackView nkhwt(const Scalar* data, Index N, Index K, Index H, Index W, Index T) {
        return DenseStackView(data, T, N, K, H, W, 1, K * H * W * T, H * W * T, W * T, T);
    }
    /// T, the members (passes).
    Index members() const { return t_; }
    /// Elements between members.
    Index member_stride() const { return member_stride_; }
    /// Member 0's view (all members share its shape and strides).
    const DenseView<Scalar>& view() const { return view_; }

private:
    DenseView<Scalar> view_;
    Index t_, member_stride_;
};

/// Which elements count: entry (n, y, x) at data[n * sample_stride + y * row_stride +
/// x * column_stride], nonzero = counted (a valid pixel), 0 = ignored (an ignore index, padding,
/// outside the region of interest). An empty mask (the default) counts every element.
struct ElementMask {
    /// Entry (0, 0, 0); null for the empty mask.
    const std::uint8_t* data = nullptr;
    /// N, which must be the predictions'.
    Index samples = 0;
    /// H, which must be the predictions'.
    Index height = 0;
    /// W, which must be the predictions'.
    Index width = 0;
    /// Bytes between samples.
    Index sample_stride = 0;
    /// Bytes between rows.
    Index row_stride = 0;
    /// Bytes between neighbouring elements of a row.
    Index column_stride = 0;
    /// [N][H][W] bytes, contiguous.
    static ElementMask dense(const std::uint8_t* data, Index N, Index H, Index W) {
        return {data, N, H, W, H * W, W, 1};
    }
    /// Whether this is the empty mask (every element counts).
    bool empty() const { return data == nullptr; }
    /// Whether element (y, x) of sample n counts.
    bool counts(Index n, Index y, Index x) const {
        return data == nullptr || data[n * sample_stride + y * row_stride + x * column_stride] != 0;
    }
};

/// How the element scores of a sample become its score.
enum class Reduction {
    mean,   ///< the mean over the counted elements (baal's reduction="mean")
    max,    ///< the highest element score (reduction="max")
    sum,    ///< the sum over the counted elements (reduction="sum": favours large valid regions)
    top_q,  ///< the mean of the ceil(q m) highest of the m counted element scores
};

/// Options of dense_score and dense_stack_score.
struct DenseOptions {
    /// How a sample's element scores become its score.
    Reduction reduction = Reduction::mean;
    /// top_q's fraction, in (0, 1]; 1 is the mean.
    double q = 0.05;
    /// The elements that count (default: all).
    ElementMask mask{};
    /// dense_score only: the view holds logits, one softmax per element (as acquire::logits).
    bool logits = false;
    /// Value checks of every element's distribution (finite logits), as the flat scorers'.
    CheckOptions checks{};
    /// Class weights w_0 .. w_{K-1}, finite and >= 0 (default: none). Each element's score s_e
    /// becomes w_c s_e, c its predicted class (the argmax over k of p_k, of the logits, or of
    /// the members' mean for a stack; the lowest k on ties), before the reduction: class-balanced
    /// acquisition (Cai et al. 2021; Schachtsiek et al. 2023), e.g. w_c = 1 / (the labelled
    /// pixels of class c + 1), so that uncertain pixels of rare classes count for more.
    std::vector<double> class_weights{};
};

/// The flat scorer dense_score applies to every element (uncertainty.hpp).
enum class ElementScore {
    least_confidence,  ///< 1 - max_k p_k
    margin,            ///< 1 - (p_(1) - p_(2))
    entropy,           ///< -sum_k p_k ln p_k
    ratio,             ///< p_(2) / p_(1)
};
/// The stack scorer dense_stack_score applies to every element (bayesian.hpp, committee.hpp).
enum class StackScore {
    bald,               ///< H(mean) - mean H (mutual information)
    mean_std,           ///< the mean over classes of the members' standard deviation
    variation_ratio,    ///< 1 - the modal vote's share
    vote_entropy,       ///< the entropy of the members' votes
    consensus_entropy,  ///< the entropy of the mean prediction
    kl_disagreement,    ///< the mean KL divergence of the members from their mean
};

/// @}

namespace detail {

inline const char* element_score_name(ElementScore s) {
    switch (s) {
        case ElementScore::least_confidence: return "least_confidence";
        case ElementScore::margin: return "margin";
        case ElementScore::entropy: return "entropy";
        default: return "ratio";
    }
}

inline const char* stack_score_name(StackScore s) {
    switch (s) {
        case StackScore::bald: return "bald";
        case StackScore::mean_std: return "mean_std";
        case StackScore::variation_ratio: return "variation_ratio";
        case StackScore::vote_entropy: return "vote_entropy";
        case StackScore::consensus_entropy: return "consensus_entropy";
        default: return "kl_disagreement";
    }
}

template <class Scalar>
void check_dense_options(const char* fn, const DenseView<Scalar>& v, const DenseOptions& o) {
    check_tolerance(fn, o.checks);
    if (o.reduction == Reduction::top_q && !(o.q > 0 && o.q <= 1))
        fail(fn, "q must be in (0, 1], got ", o.q);
    const ElementMask& m = o.mask;
    if (!m.empty() && (m.samples != v.samples() || m.height != v.height() || m.width != v.width()))
        fail(fn, "mask is ", m.samples, " x ", m.height, " x ", m.width, " but the predictions are ", v.samples(),
             " x ", v.height(), " x ", v.width(), " (N x H x W)");
    const std::vector<double>& w = o.class_weights;
    if (w.empty()) return;
    if (static_cast<Index>(w.size()) != v.classes())
        fail(fn, "class_weights has ", w.size(), " entries but the predictions have ", v.classes(), " classes");
    for (std::size_t k = 0; k < w.size(); ++k)
        if (!std::isfinite(w[k]) || w[k] < 0) fail(fn, "class_weights entry ", k, " is ", w[k], " (must be finite and >= 0)");
}

/// For x < count: where values[x * stride] > best[x], it becomes best[x] and class k becomes
/// predicted[x] (a select, which vectorises; ties keep the lower class).
template <class T, class Value>
void keep_larger(const Value* values, Index stride, Index count, std::int32_t k, T* best, std::int32_t* predicted) {
    const auto update = [&](Index x, T here) {  // branch-free, so that it vectorises
        const T old = best[x];
        const auto above = -static_cast<std::int32_t>(here > old);  // all ones or zero
        predicted[x] = (k & above) | (predicted[x] & ~above);
        best[x] = here > old ? here : old;
    };
    if (stride == 1)  // NCHW planes: the loop the compiler vectorises
        for (Index x = 0; x < count; ++x) update(x, static_cast<T>(values[x]));
    else
        for (Index x = 0; x < count; ++x) update(x, static_cast<T>(values[x * stride]));
}

/// Multiplies each element score of sample n by options.class_weights[c], c the element's
/// predicted class: the argmax over k of p(n, k, y, x), or of sum_t p_t(n, k, y, x) over the
/// `members` of a stack (summed in member order in double), the lowest k on ties. Classes run in
/// the outer loop and pixels in the inner one, so NCHW planes are read in order. O(H W) scratch.
template <class Scalar>
void weight_by_class(const DenseView<Scalar>& v, Index members, Index member_stride, Index n,
                     const std::vector<double>& weights, Vector<Scalar>& scores) {
    const Index H = v.height(), W = v.width(), E = H * W, xs = v.column_stride();
    const Scalar* base = v.data() + n * v.sample_stride();
    std::vector<std::int32_t> predicted(static_cast<std::size_t>(E), 0);
    if (members == 1) {
        std::vector<Scalar> best(static_cast<std::size_t>(E), -std::numeric_limits<Scalar>::infinity());
        for (Index k = 0; k < v.classes(); ++k)
            for (Index y = 0; y < H; ++y)
                keep_larger(base + k * v.class_stride() + y * v.row_stride(), xs, W, static_cast<std::int32_t>(k),
                            best.data() + y * W, predicted.data() + y * W);
    } else {
        std::vector<double> best(static_cast<std::size_t>(E), -std::numeric_limits<double>::infinity());
        std::vector<double> sum(static_cast<std::size_t>(W));
        for (Index k = 0; k < v.classes(); ++k)
            for (Index y = 0; y < H; ++y) {
                const Scalar* p = base + k * v.class_stride() + y * v.row_stride();
                std::fill(sum.begin(), sum.end(), 0.0);
                for (Index t = 0; t < members; ++t)
                    for (Index x = 0; x < W; ++x)
                        sum[static_cast<std::size_t>(x)] += static_cast<double>(p[t * member_stride + x * xs]);
                keep_larger(sum.data(), 1, W, static_cast<std::int32_t>(k), best.data() + y * W,
                            predicted.data() + y * W);
            }
    }
    for (Index e = 0; e < E; ++e)
        scores[e] = static_cast<Scalar>(static_cast<double>(scores[e]) *
                                        weights[static_cast<std::size_t>(predicted[static_cast<std::size_t>(e)])]);
}

/// The reduction of `values` (m >= 1 counted element scores; reordered by top_q) in double.
template <class Scalar>
double reduce_values(std::vector<Scalar>& values, Reduction reduction, double q) {
    const Index m = static_cast<Index>(values.size());
    switch (reduction) {
        case Reduction::max: return static_cast<double>(*std::max_element(values.begin(), values.end()));
        case Reduction::top_q: {
            const Index c = std::max<Index>(1, static_cast<Index>(std::ceil(q * static_cast<double>(m) - 1e-9)));
            // The c highest, then summed from the highest down: one defined order.
            std::nth_element(values.begin(), values.begin() + (c - 1), values.end(), std::greater<Scalar>());
            std::sort(values.begin(), values.begin() + c, std::greater<Scalar>());
            double s = 0;
            for (Index i = 0; i < c; ++i) s += static_cast<double>(values[static_cast<std::size_t>(i)]);
            return s / static_cast<double>(c);
        }
        default: {
            double s = 0;
            for (const Scalar v : values) s += static_cast<double>(v);
            return reduction == Reduction::sum ? s : s / static_cast<double>(m);
        }
    }
}

/// Reduces one sample's element scores (`scores`, E = H W of them, row by row) over the counted
/// elements; `work` is scratch. A sample with no counted element scores -1.
template <class Scalar>
Scalar reduce_sample(const Scalar* scores, Index n, Index H, Index W, const DenseOptions& o,
                     std::vector<Scalar>& work) {
    if (o.mask.empty() && o.reduction != Reduction::top_q) {  // every element counts: no copy
        const Eigen::Map<const Eigen::Array<Scalar, Eigen::Dynamic, 1>> all(scores, H * W);
        if (o.reduction == Reduction::max) return all.maxCoeff();
        const double s = all.template cast<double>().sum();
        return static_cast<Scalar>(o.reduction == Reduction::sum ? s : s / static_cast<double>(H * W));
    }
    work.clear();
    for (Index y = 0; y < H; ++y)
        for (Index x = 0; x < W; ++x)
            if (o.mask.counts(n, y, x)) work.push_back(scores[y * W + x]);
    if (work.empty()) return Scalar(-1);
    return static_cast<Scalar>(reduce_values(work, o.reduction, o.q));
}

/// The engine: for every sample n (in parallel), `score(n, out)` writes its E element scores,
/// row by row, and may throw invalid_input; then `use(n, scores)` writes sample n's outputs. A
/// sample whose scoring threw is re-scanned after the loop by `report(n)`, which throws the
/// message naming its element.
template <class Scalar, class Score, class Report, class Use>
void for_each_scored_sample(const char* fn, const DenseView<Scalar>& v, Score&& score, Report&& report, Use&& use) {
    const Index N = v.samples(), E = v.elements();
    std::vector<char> bad(static_cast<std::size_t>(N), 0);
    parallel_for(N, 2, [&](Index n) {
        Vector<Scalar> scores(E);
        try {
            score(n, scores);
        } catch (const invalid_input&) {
            bad[static_cast<std::size_t>(n)] = 1;
            return;
        }
        use(n, scores);
    });
    for (Index n = 0; n < N; ++n)
        if (bad[static_cast<std::size_t>(n)]) {
            report(n);
            fail(fn, "image ", n, " has a bad distribution");  // report found none: never expected
        }
}

/// Calls f(map, first, count) for the element rows of sample n of member data `base`: one E x K
/// map when the rows of the image follow one another at a uniform element stride, else one
/// W x K map per image row (first = the first element's index). Maps are row-major when classes
/// are contiguous, column-major when elements are, general-strided otherwise.
template <class Scalar, class F>
void for_each_element_block(const DenseView<Scalar>& v, const Scalar* base, F&& f) {
    const Index H = v.height(), W = v.width(), K = v.classes();
    const Index cs = v.class_stride(), xs = v.column_stride();
    const bool uniform = H == 1 || v.row_stride() == W * xs;
    const Index rows = uniform ? H * W : W;
    for (Index y = 0; y < (uniform ? 1 : H); ++y) {
        const Scalar* p = base + y * v.row_stride();
        const Index first = y * W;
        if (cs == 1) {
            f(Eigen::Map<const RowMatrix<Scalar>, Eigen::Unaligned, Eigen::OuterStride<>>(p, rows, K,
                                                                                          Eigen::OuterStride<>(xs)),
              first, rows);
        } else if (xs == 1) {
            f(Eigen::Map<const Matrix<Scalar>, Eigen::Unaligned, Eigen::OuterStride<>>(p, rows, K,
                                                                                       Eigen::OuterStride<>(cs)),
              first, rows);
        } else {
            using Strides = Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>;
            f(Eigen::Map<const RowMatrix<Scalar>, Eigen::Unaligned, Strides>(p, rows, K, Strides(xs, cs)), first,
              rows);
        }
    }
}

/// Names the first bad element of sample n of `v` (member `member` of a stack when >= 0).
template <class Scalar>
void report_dense_element(const char* fn, const char* argument, const DenseView<Scalar>& v, const Scalar* base,
                          Index n, Index member, bool logits, double tolerance) {
    for_each_element_block(v, base, [&](const auto& map, Index first, Index rows) {
        for (Index i = 0; i < rows; ++i) {
            std::string problem;
            if (logits) {
                for (Index k = 0; k < map.cols() && problem.empty(); ++k)
                    if (!std::isfinite(static_cast<double>(map.coeff(i, k))))
                        problem = concat(" class ", k, " is ", map.coeff(i, k), " (must be finite)");
            } else {
                problem = distribution_problem(map, i, tolerance, "class");
            }
            if (problem.empty()) continue;
            const Index e = first + i;
            fail(fn, argument, member >= 0 ? concat(" member ", member) : std::string(), " image ", n, " pixel (",
                 e / v.width(), ", ", e % v.width(), ")", problem);
        }
    });
}

/// The per-sample element scorer of dense_score: score(n, out) and report(n) for
/// for_each_scored_sample.
template <class Scalar>
struct ElementScorer {
    const DenseView<Scalar>& v;
    ElementScore score;
    const DenseOptions& options;
    const char* fn;
    void operator()(Index n, Vector<Scalar>& scores) const {
        const auto apply = [&](const auto& input, auto out) {
            switch (score) {
                case ElementScore::least_confidence: least_confidence(input, out, options.checks); break;
                case ElementScore::margin: margin(input, out, options.checks); break;
                case ElementScore::entropy: entropy(input, out, options.checks); break;
                default: ratio(input, out, options.checks); break;
            }
        };
        for_each_element_block(v, v.data() + n * v.sample_stride(), [&](const auto& map, Index first, Index rows) {
            if (options.logits) apply(logits(map), scores.segment(first, rows));
            else apply(map, scores.segment(first, rows));
        });
        if (!options.class_weights.empty()) weight_by_class(v, 1, 0, n, options.class_weights, scores);
    }
    void report(Index n) const {
        report_dense_element(fn, options.logits ? "logits" : "probabilities", v, v.data() + n * v.sample_stride(), n,
                             -1, options.logits, options.checks.tolerance);
    }
};

/// The per-sample element scorer of dense_stack_score.
template <class Scalar>
struct StackElementScorer {
    const DenseStackView<Scalar>& stack;
    StackScore score;
    const DenseOptions& options;
    const char* fn;
    void operator()(Index n, Vector<Scalar>& scores) const {
        const DenseView<Scalar>& v = stack.view();
        const Index H = v.height(), W = v.width();
        const bool uniform = H == 1 || v.row_stride() == W * v.column_stride();
        for (Index y = 0; y < (uniform ? 1 : H); ++y) {
            const Index rows = uniform ? H * W : W;
            const PredictionStack<Scalar> s(v.data() + n * v.sample_stride() + y * v.row_stride(), stack.members(),
                                            rows, v.classes(), stack.member_stride(), v.column_stride(),
                                            v.class_stride());
            Vector<Scalar> e;
            switch (score) {
                case StackScore::bald: e = bald(s, options.checks); break;
                case StackScore::mean_std: e = mean_std(s, options.checks); break;
                case StackScore::variation_ratio: e = variation_ratio(s, options.checks); break;
                case StackScore::vote_entropy: e = vote_entropy(s, options.checks); break;
                case StackScore::consensus_entropy: e = consensus_entropy(s, options.checks); break;
                default: e = kl_disagreement(s, options.checks); break;
            }
            scores.segment(y * W, rows) = e;
        }
        if (!options.class_weights.empty())
            weight_by_class(v, stack.members(), stack.member_stride(), n, options.class_weights, scores);
    }
    void report(Index n) const {
        const DenseView<Scalar>& v = stack.view();
        for (Index t = 0; t < stack.members(); ++t)
            report_dense_element(fn, "stack", v, v.data() + t * stack.member_stride() + n * v.sample_stride(), n, t,
                                 false, options.checks.tolerance);
    }
};

/// Checks a stack call's options; the stack scorers take probabilities only.
template <class Scalar>
void check_dense_stack_options(const char* fn, const DenseStackView<Scalar>& stack, const DenseOptions& o) {
    check_dense_options(fn, stack.view(), o);
    if (o.logits) fail(fn, "logits: the stack scorers take probabilities");
}

/// dense_score and dense_stack_score once their scorer is chosen.
template <class Scalar, class Scorer>
Vector<Scalar> reduce_per_sample(const DenseView<Scalar>& v, const DenseOptions& o, const Scorer& scorer) {
    Vector<Scalar> result(v.samples());
    for_each_scored_sample(
        scorer.fn, v, scorer, [&](Index n) { scorer.report(n); },
        [&](Index n, const Vector<Scalar>& scores) {
            std::vector<Scalar> work;
            result[n] = reduce_sample(scores.data(), n, v.height(), v.width(), o, work);
        });
    return result;
}


}  // namespace detail

/// \addtogroup dense_scorers
/// @{

/// Scores every element (pixel) of every sample with `score` (least confidence, margin, entropy
/// or ratio: uncertainty.hpp's formulas, higher = query first) and reduces each sample's counted
/// elements by `options.reduction`:
///   mean:  (1/m) sum_e s_e;  max: max_e s_e;  sum: sum_e s_e;
///   top_q: the mean of the c = ceil(q m) highest s_e (q = 1 is the mean, q -> 0 the max),
/// over the m elements the mask counts (all by default); with options.class_weights, s_e is first
/// multiplied by the weight of the element's predicted class. Reductions accumulate in double. A
/// sample whose elements are all masked scores -1, below every real score (all are >= 0), so
/// it is never picked before a sample with a counted element. Equal, to rounding, to baal's
/// heuristics with reduction="mean" / "max" / "sum" on the same probabilities. Entry
/// points for segmentation (CEREALS, Mackowiak et al. 2018, use the mean of per-pixel entropy)
/// and for fixed-length token or box outputs (H = 1).
///
/// Cost: one scorer pass per sample (the flat scorers' kernels: entropy reads the pixels once
/// with its logs in AVX-512F or AVX2), O(H W) scratch per thread. Throws invalid_input (function
/// `dense_<score>`, argument `probabilities` or `logits`) naming the image and the pixel (y, x)
/// of the first bad distribution, a mask whose shape differs from the view's, or q outside (0, 1].
template <class Scalar>
Vector<Scalar> dense_score(const DenseView<Scalar>& probabilities, ElementScore score,
                           const DenseOptions& options = {}) {
    const std::string name = std::string("dense_") + detail::element_score_name(score);
    detail::check_dense_options(name.c_str(), probabilities, options);
    return detail::reduce_per_sample(probabilities, options,
                                     detail::ElementScorer<Scalar>{probabilities, score, options, name.c_str()});
}

/// Scores every element of every sample with the stack scorer `score` over the T members (BALD,
/// mean STD, variation ratio, vote entropy, consensus entropy, KL disagreement: bayesian.hpp's
/// and committee.hpp's formulas, higher = query first) and reduces each sample's counted elements
/// as dense_score does (-1 for a sample with none; class weights by the argmax of the members'
/// mean). baal's BALD with reduction= on a [N][K][H][W][T]
/// stack is `dense_stack_score(DenseStackView::nkhwt(...), StackScore::bald, {mean|max|sum})`.
/// Cost: the stack scorer's pass per sample (its blocks packed to [T][b][K]), O(T H W K / blocks)
/// scratch. Throws invalid_input (function `dense_<score>`, argument `stack`) naming the member,
/// the image and the pixel of the first bad distribution; options.logits must be false.
template <class Scalar>
Vector<Scalar> dense_stack_score(const DenseStackView<Scalar>& stack, StackScore score,
                                 const DenseOptions& options = {}) {
    const std::string name = std::string("dense_") + detail::stack_score_name(score);
    detail::check_dense_stack_options(name.c_str(), stack, options);
    return detail::reduce_per_sample(stack.view(), options,
                                     detail::StackElementScorer<Scalar>{stack, score, options, name.c_str()});
}

/// @}

}  // namespace acquire
