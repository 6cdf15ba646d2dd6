// dense_score and dense_stack_score: float or double, NCHW, NHWC or a crop with its own strides,
// masks that count some, none or all of an image's pixels (sometimes of the wrong shape), every
// reduction with q in or out of (0, 1], logits, checks on or off. On an accepted call with the
// value checks on, an image with no counted pixel scores -1 and every other image >= 0.
#include "fuzz.hpp"

#include <acquire/score/dense.hpp>

#include <vector>

namespace {

template <class V>
void expect_dense(const V& s, const std::vector<std::uint8_t>& mask, Index N, Index E, bool masked, bool checked,
                  bool logits) {
    fuzz::expect_scores(s, N, checked);
    if (!checked) return;
    for (Index n = 0; n < N; ++n) {
        bool any = !masked;
        for (Index e = 0; e < E && !any; ++e) any = mask[static_cast<std::size_t>(n * E + e)] != 0;
        if (!any && s[n] != -1) fuzz::contract_broken("an image with no counted pixel did not score -1");
        // Logits' margins and ratios are exact; every score of a counted image is >= 0.
        if (any && !(s[n] >= 0) && !logits) fuzz::contract_broken("an image with counted pixels scored below 0");
    }
}

template <class Scalar>
void run(fuzz::Bytes& in) {
    const Index N = 1 + in.upto(4), K = 1 + in.upto(5), H = 1 + in.upto(4), W = 1 + in.upto(4), T = 1 + in.upto(3);
    const Index E = H * W;
    const bool hostile = in.flag(), stack = in.flag(), masked = in.flag();
    acquire::DenseOptions o;
    o.checks.values = !in.rarely(4);
    o.reduction = static_cast<acquire::Reduction>(in.byte() % 4);
    o.q = in.rarely(5) ? double(in.upto(4)) - 1.5 : double(1 + in.upto(9)) / 10.0;  // sometimes outside (0, 1]
    o.logits = !stack && in.rarely(4);
    // Every pixel's distribution as a row, member after member: [T][N E][K].
    const auto rows = o.logits ? in.matrix<Scalar, Eigen::RowMajor>(T * N * E, K, hostile)
                               : in.probabilities<Scalar, Eigen::RowMajor>(T * N * E, K, hostile);
    std::vector<std::uint8_t> mask(static_cast<std::size_t>(N * E), 1);
    for (auto& m : mask) m = in.rarely(3) ? 0 : 1;
    const Index mask_height = hostile && in.rarely(4) ? H + 1 : H;  // a wrong shape is refused
    if (masked) o.mask = acquire::ElementMask::dense(mask.data(), N, mask_height, W);
    // The layout: NCHW, NHWC, or NCHW inside a buffer one pixel wider per row (a crop).
    const int layout = in.byte() % 3;
    const Index pad = layout == 2 ? 1 : 0, row = W + pad;
    std::vector<Scalar> buffer(static_cast<std::size_t>(T * N * K * H * row), Scalar(0.25));
    for (Index t = 0; t < T; ++t)
        for (Index n = 0; n < N; ++n)
            for (Index k = 0; k < K; ++k)
                for (Index e = 0; e < E; ++e) {
                    const Index y = e / W, x = e % W;
                    const Index at = layout == 1 ? ((t * N + n) * E + e) * K + k : (((t * N + n) * K + k) * H + y) * row + x;
                    buffer[static_cast<std::size_t>(at)] = rows((t * N + n) * E + e, k);
                }
    const Index member = N * K * H * row;
    const acquire::DenseView<Scalar> v = layout == 1 ? acquire::DenseView<Scalar>::nhwc(buffer.data(), N, H, W, K)
                                                     : acquire::DenseView<Scalar>(buffer.data(), N, K, H, W, K * H * row,
                                                                                 H * row, row, 1);
    fuzz::accept_invalid([&] {
        if (mask_height != H && masked) {
            if (stack) acquire::dense_stack_score(acquire::DenseStackView<Scalar>(
                buffer.data(), T, N, K, H, W, member, v.sample_stride(), v.class_stride(), v.row_stride(),
                v.column_stride()), acquire::StackScore::bald, o);
            else acquire::dense_score(v, acquire::ElementScore::entropy, o);
            fuzz::contract_broken("accepted a mask of the wrong shape");
        }
        if (stack) {
            const acquire::DenseStackView<Scalar> s(buffer.data(), T, N, K, H, W, member, v.sample_stride(),
                                                    v.class_stride(), v.row_stride(), v.column_stride());
            const auto score = static_cast<acquire::StackScore>(in.byte() % 6);
            expect_dense(acquire::dense_stack_score(s, score, o), mask, N, E, masked, o.checks.values, false);
        } else {
            const auto score = static_cast<acquire::ElementScore>(in.byte() % 4);
            expect_dense(acquire::dense_score(v, score, o), mask, N, E, masked, o.checks.values, o.logits);
        }
        if (o.reduction == acquire::Reduction::top_q && !(o.q > 0 && o.q <= 1))
            fuzz::contract_broken("accepted q outside (0, 1]");
    });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Bytes in(data, size);
    if (in.flag()) run<float>(in);
    else run<double>(in);
    return 0;
}
