// Dense outputs: per-pixel scores reduced per image equal the flat scorers applied pixel by
// pixel and reduced by hand; every layout reads the same numbers; masks, top_q, the all-masked
// rule and the errors that name the image and the pixel.
#include <acquire/score/dense.hpp>
#include <acquire/score/regions.hpp>
#include <acquire/synthetic.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <numeric>
#include <vector>

using acquire::DenseOptions;
using acquire::DenseStackView;
using acquire::DenseView;
using acquire::ElementMask;
using acquire::ElementScore;
using acquire::Index;
using acquire::Reduction;
using acquire::StackScore;
using Catch::Contains;

namespace {

/// N images of H x W pixels with K classes: the pixels' distributions as rows (pixel e = y W + x
/// of image n is row n H W + e), and the same numbers in NCHW and NHWC buffers.
template <class T>
struct Pool {
    Index N, K, H, W;
    acquire::RowMatrix<T> rows;
    std::vector<T> nchw, nhwc;
    Pool(Index n, Index k, Index h, Index w, std::uint64_t seed) : N(n), K(k), H(h), W(w) {
        acquire::synthetic::ProbabilityOptions o;
        o.seed = seed;
        rows = acquire::synthetic::probabilities<T, Eigen::RowMajor>(N * H * W, K, o);
        nchw.resize(static_cast<std::size_t>(N * K * H * W));
        nhwc.resize(nchw.size());
        for (Index i = 0; i < N; ++i)
            for (Index e = 0; e < H * W; ++e)
                for (Index c = 0; c < K; ++c) {
                    nchw[static_cast<std::size_t>((i * K + c) * H * W + e)] = rows(i * H * W + e, c);
                    nhwc[static_cast<std::size_t>((i * H * W + e) * K + c)] = rows(i * H * W + e, c);
                }
    }
    DenseView<T> view_nchw() const { return DenseView<T>::nchw(nchw.data(), N, K, H, W); }
    DenseView<T> view_nhwc() const { return DenseView<T>::nhwc(nhwc.data(), N, H, W, K); }
};

template <class T>
acquire::Vector<T> flat(ElementScore s, const acquire::RowMatrix<T>& p) {
    switch (s) {
        case ElementScore::least_confidence: return acquire::least_confidence(p);
        case ElementScore::margin: return acquire::margin(p);
        case ElementScore::entropy: return acquire::entropy(p);
        default: return acquire::ratio(p);
    }
}

/// The reduction by hand, from the definitions.
double reduce(std::vector<double> v, Reduction r, double q) {
    if (v.empty()) return -1;
    const double sum = std::accumulate(v.begin(), v.end(), 0.0);
    switch (r) {
        case Reduction::mean: return sum / double(v.size());
        case Reduction::sum: return sum;
        case Reduction::max: return *std::max_element(v.begin(), v.end());
        default: {
            std::sort(v.begin(), v.end(), std::greater<double>());
            const std::size_t c = std::max<std::size_t>(1, std::size_t(std::ceil(q * double(v.size()) - 1e-9)));
            return std::accumulate(v.begin(), v.begin() + std::ptrdiff_t(c), 0.0) / double(c);
        }
    }
}

const ElementScore element_scores[] = {ElementScore::least_confidence, ElementScore::margin, ElementScore::entropy,
                                       ElementScore::ratio};
const Reduction reductions[] = {Reduction::mean, Reduction::max, Reduction::sum, Reduction::top_q};

}  // namespace

TEMPLATE_TEST_CASE("dense scores equal the flat scorers pixel by pixel, reduced by hand", "[dense]", float,
                   double) {
    using T = TestType;
    const Pool<T> pool(4, 5, 6, 7, 11);
    std::vector<std::uint8_t> mask(static_cast<std::size_t>(4 * 6 * 7), 1);
    for (std::size_t i = 0; i < mask.size(); i += 3) mask[i] = 0;
    for (const ElementScore s : element_scores) {
        const acquire::Vector<T> per_pixel = flat<T>(s, pool.rows);
        for (const Reduction r : reductions)
            for (const bool masked : {false, true}) {
                INFO("score " << int(s) << ", reduction " << int(r) << (masked ? ", masked" : ""));
                DenseOptions o;
                o.reduction = r;
                o.q = 0.3;
                if (masked) o.mask = ElementMask::dense(mask.data(), 4, 6, 7);
                const acquire::Vector<T> a = acquire::dense_score(pool.view_nchw(), s, o);
                const acquire::Vector<T> b = acquire::dense_score(pool.view_nhwc(), s, o);
                for (Index n = 0; n < 4; ++n) {
                    std::vector<double> v;
                    for (Index e = 0; e < 42; ++e)
                        if (!masked || mask[static_cast<std::size_t>(n * 42 + e)])
                            v.push_back(double(per_pixel[n * 42 + e]));
                    const double want = reduce(v, r, 0.3);
                    const double eps = std::is_same_v<T, float> ? 1e-5 : 1e-12;
                    CHECK(double(a[n]) == Approx(want).epsilon(eps).margin(eps));
                    CHECK(double(b[n]) == Approx(want).epsilon(eps).margin(eps));
                }
            }
    }
}

TEST_CASE("dense views read strided crops and logits", "[dense]") {
    // A crop of rows 1..4 and columns 2..6 of each image (rows no longer follow one another)
    // equals the same pixels copied into a contiguous NCHW buffer.
    const Pool<double> pool(3, 4, 6, 8, 5);
    const Index h = 4, w = 5;
    std::vector<double> copy(static_cast<std::size_t>(3 * 4 * h * w));
    for (Index n = 0; n < 3; ++n)
        for (Index c = 0; c < 4; ++c)
            for (Index y = 0; y < h; ++y)
                for (Index x = 0; x < w; ++x)
                    copy[static_cast<std::size_t>(((n * 4 + c) * h + y) * w + x)] =
                        pool.nchw[static_cast<std::size_t>(((n * 4 + c) * 6 + y + 1) * 8 + x + 2)];
    const DenseView<double> crop(pool.nchw.data() + 8 + 2, 3, 4, h, w, 4 * 6 * 8, 6 * 8, 8, 1);
    const auto contiguous = DenseView<double>::nchw(copy.data(), 3, 4, h, w);
    for (const ElementScore s : element_scores)
        for (const Reduction r : reductions) {
            DenseOptions o;
            o.reduction = r;
            const auto a = acquire::dense_score(crop, s, o), b = acquire::dense_score(contiguous, s, o);
            for (Index n = 0; n < 3; ++n) CHECK(a[n] == Approx(b[n]).epsilon(1e-13));
        }
    // Logits: the scores of their softmax.
    std::vector<double> logits(copy.size()), soft(copy.size());
    for (std::size_t i = 0; i < logits.size(); ++i) logits[i] = std::log(copy[i] + 0.01) * 3;
    for (Index n = 0; n < 3; ++n)
        for (Index e = 0; e < h * w; ++e) {
            double z = 0;
            for (Index c = 0; c < 4; ++c) z += std::exp(logits[static_cast<std::size_t>((n * 4 + c) * h * w + e)]);
            for (Index c = 0; c < 4; ++c) {
                const auto i = static_cast<std::size_t>((n * 4 + c) * h * w + e);
                soft[i] = std::exp(logits[i]) / z;
            }
        }
    DenseOptions lo;
    lo.logits = true;
    for (const ElementScore s : element_scores) {
        const auto a = acquire::dense_score(DenseView<double>::nchw(logits.data(), 3, 4, h, w), s, lo);
        const auto b = acquire::dense_score(DenseView<double>::nchw(soft.data(), 3, 4, h, w), s);
        for (Index n = 0; n < 3; ++n) CHECK(a[n] == Approx(b[n]).epsilon(1e-12));
    }
}

TEST_CASE("top_q runs from the max to the mean; masks; the all-masked rule; permutations", "[dense]") {
    const Pool<double> pool(5, 3, 4, 4, 9);
    const auto v = pool.view_nchw();
    DenseOptions mean, max, top;
    max.reduction = Reduction::max;
    top.reduction = Reduction::top_q;
    top.q = 1;
    const auto m = acquire::dense_score(v, ElementScore::entropy, mean);
    CHECK(acquire::dense_score(v, ElementScore::entropy, top).isApprox(m, 1e-14));  // summed in another order
    top.q = 1e-6;  // one element
    CHECK(acquire::dense_score(v, ElementScore::entropy, top) == acquire::dense_score(v, ElementScore::entropy, max));

    std::vector<std::uint8_t> mask(static_cast<std::size_t>(5 * 16), 1);
    std::fill(mask.begin() + 16, mask.begin() + 32, std::uint8_t(0));  // image 1: nothing counts
    mask[40] = 0;
    DenseOptions o;
    o.mask = ElementMask::dense(mask.data(), 5, 4, 4);
    for (const Reduction r : reductions) {
        o.reduction = r;
        const auto s = acquire::dense_score(v, ElementScore::margin, o);
        CHECK(s[1] == -1);
        for (Index n : {0, 2, 3, 4}) CHECK(s[n] >= 0);
    }

    // Permuting the images permutes the scores.
    const Index perm[] = {3, 0, 4, 1, 2};
    std::vector<double> shuffled(pool.nchw.size());
    const std::size_t per = 3 * 16;
    for (Index n = 0; n < 5; ++n)
        std::copy_n(pool.nchw.begin() + std::ptrdiff_t(per) * perm[n], per, shuffled.begin() + std::ptrdiff_t(per) * n);
    for (const ElementScore s : element_scores) {
        const auto a = acquire::dense_score(v, s), b = acquire::dense_score(DenseView<double>::nchw(shuffled.data(), 5, 3, 4, 4), s);
        for (Index n = 0; n < 5; ++n) CHECK(b[n] == a[perm[n]]);
    }
}

TEMPLATE_TEST_CASE("dense stack scores equal the stack scorers pixel by pixel", "[dense]", float, double) {
    using T = TestType;
    const Index Tm = 3, N = 3, K = 4, H = 3, W = 5, E = H * W;
    std::vector<Pool<T>> members;
    for (Index t = 0; t < Tm; ++t) members.emplace_back(N, K, H, W, 40 + std::uint64_t(t));
    std::vector<T> tnkhw, nkhwt(static_cast<std::size_t>(Tm * N * K * E));
    for (const auto& m : members) tnkhw.insert(tnkhw.end(), m.nchw.begin(), m.nchw.end());
    for (Index t = 0; t < Tm; ++t)
        for (std::size_t i = 0; i < members[std::size_t(t)].nchw.size(); ++i)
            nkhwt[i * std::size_t(Tm) + std::size_t(t)] = members[std::size_t(t)].nchw[i];
    std::vector<acquire::RowMatrix<T>> flat_members;
    for (const auto& m : members) flat_members.push_back(m.rows);
    const acquire::PredictionStack<T> flat_stack(flat_members);
    const auto a = DenseStackView<T>::tnkhw(tnkhw.data(), Tm, N, K, H, W);
    const auto b = DenseStackView<T>::nkhwt(nkhwt.data(), N, K, H, W, Tm);
    for (const StackScore s : {StackScore::bald, StackScore::mean_std, StackScore::variation_ratio,
                               StackScore::vote_entropy, StackScore::consensus_entropy, StackScore::kl_disagreement}) {
        acquire::Vector<T> per_pixel;
        switch (s) {
            case StackScore::bald: per_pixel = acquire::bald(flat_stack); break;
            case StackScore::mean_std: per_pixel = acquire::mean_std(flat_stack); break;
            case StackScore::variation_ratio: per_pixel = acquire::variation_ratio(flat_stack); break;
            case StackScore::vote_entropy: per_pixel = acquire::vote_entropy(flat_stack); break;
            case StackScore::consensus_entropy: per_pixel = acquire::consensus_entropy(flat_stack); break;
            default: per_pixel = acquire::kl_disagreement(flat_stack); break;
        }
        for (const Reduction r : reductions) {
            INFO("stack score " << int(s) << ", reduction " << int(r));
            DenseOptions o;
            o.reduction = r;
            o.q = 0.2;
            const auto x = acquire::dense_stack_score(a, s, o), y = acquire::dense_stack_score(b, s, o);
            for (Index n = 0; n < N; ++n) {
                std::vector<double> v;
                for (Index e = 0; e < E; ++e) v.push_back(double(per_pixel[n * E + e]));
                const double want = reduce(v, r, 0.2);
                const double eps = std::is_same_v<T, float> ? 1e-5 : 1e-12;
                CHECK(double(x[n]) == Approx(want).epsilon(eps).margin(eps));
                CHECK(double(y[n]) == Approx(want).epsilon(eps).margin(eps));
            }
        }
    }
}

TEMPLATE_TEST_CASE("class weights scale each pixel's score by its predicted class's weight", "[dense]", float,
                   double) {
    using T = TestType;
    const Pool<T> pool(3, 4, 5, 6, 21);
    const std::vector<double> w = {0.5, 2.0, 0.0, 1.25};
    const Index E = 30;
    const auto predicted = [](const auto& row) {  // the argmax, the lowest class on ties
        Index c = 0;
        for (Index k = 1; k < row.size(); ++k)
            if (double(row[k]) > double(row[c])) c = k;
        return c;
    };
    for (const ElementScore s : element_scores) {
        const acquire::Vector<T> per_pixel = flat<T>(s, pool.rows);
        for (const Reduction r : reductions) {
            INFO("score " << int(s) << ", reduction " << int(r));
            DenseOptions o;
            o.reduction = r;
            o.q = 0.25;
            o.class_weights = w;
            const acquire::Vector<T> a = acquire::dense_score(pool.view_nchw(), s, o);
            const acquire::Vector<T> b = acquire::dense_score(pool.view_nhwc(), s, o);
            for (Index n = 0; n < 3; ++n) {
                std::vector<double> v;
                for (Index e = 0; e < E; ++e) {
                    const Index i = n * E + e;
                    v.push_back(double(T(double(per_pixel[i]) * w[std::size_t(predicted(pool.rows.row(i)))])));
                }
                const double want = reduce(v, r, 0.25);
                const double eps = std::is_same_v<T, float> ? 1e-5 : 1e-12;
                CHECK(double(a[n]) == Approx(want).epsilon(eps).margin(eps));
                CHECK(double(b[n]) == Approx(want).epsilon(eps).margin(eps));
            }
        }
        // Weights of 1 change nothing, bit for bit; logits weigh by the logits' argmax.
        DenseOptions ones;
        ones.class_weights.assign(4, 1.0);
        CHECK((acquire::dense_score(pool.view_nchw(), s, ones).array() ==
               acquire::dense_score(pool.view_nchw(), s).array())
                  .all());
    }
    // Logits: log p has p's argmax, so log-probabilities as logits weigh as the probabilities do.
    std::vector<T> logs = pool.nchw;
    for (T& x : logs) x = std::log(x);
    DenseOptions lo;
    lo.class_weights = w;
    lo.logits = true;
    DenseOptions po;
    po.class_weights = w;
    const auto from_logits = acquire::dense_score(DenseView<T>::nchw(logs.data(), 3, 4, 5, 6), ElementScore::entropy, lo);
    const auto from_probabilities = acquire::dense_score(pool.view_nchw(), ElementScore::entropy, po);
    for (Index n = 0; n < 3; ++n) CHECK(double(from_logits[n]) == Approx(double(from_probabilities[n])).epsilon(1e-4));

    // A stack weighs by the argmax of the members' mean, which no single member need share.
    // Two members of one 1 x 2 image, K = 2: pixel 0 (0.9, 0.1) and (0.2, 0.8), mean (0.55, 0.45):
    // class 0; pixel 1 (0.6, 0.4) and (0.1, 0.9), mean (0.35, 0.65): class 1.
    const std::vector<T> stack = {T(0.9), T(0.6), T(0.1), T(0.4), T(0.2), T(0.1), T(0.8), T(0.9)};
    const auto S = DenseStackView<T>::tnkhw(stack.data(), 2, 1, 2, 1, 2);
    DenseOptions so;
    so.reduction = Reduction::sum;
    const double plain0 = double(acquire::dense_stack_score(S, StackScore::bald, so)[0]);
    so.class_weights = {3.0, 0.0};  // pixel 1 drops out of the sum, pixel 0 triples
    const double weighted = double(acquire::dense_stack_score(S, StackScore::bald, so)[0]);
    so.class_weights = {1.0, 0.0};
    const double pixel0 = double(acquire::dense_stack_score(S, StackScore::bald, so)[0]);
    CHECK(pixel0 > 0);
    CHECK(pixel0 < plain0);
    CHECK(weighted == Approx(3 * pixel0).epsilon(1e-6));

    // Regions weigh the same pixels: the regions' sums are the weighted image sums.
    DenseOptions rs;
    rs.reduction = Reduction::sum;
    rs.class_weights = w;
    const auto image = acquire::dense_score(pool.view_nchw(), ElementScore::entropy, rs);
    const acquire::RegionScores regions =
        acquire::region_scores(pool.view_nchw(), ElementScore::entropy, acquire::Regions::grid(2), rs);
    std::vector<double> total(3, 0.0);
    for (std::size_t i = 0; i < regions.score.size(); ++i)
        total[std::size_t(regions.image[i])] += regions.score[i];
    for (Index n = 0; n < 3; ++n) CHECK(total[std::size_t(n)] == Approx(double(image[n])).epsilon(1e-5));

    // Bad weights: the wrong count, negative, not finite.
    DenseOptions bad;
    bad.class_weights = {1.0, 1.0, 1.0};
    CHECK_THROWS_WITH(acquire::dense_score(pool.view_nchw(), ElementScore::entropy, bad),
                      Contains("dense_entropy") && Contains("class_weights has 3 entries but the predictions have 4"));
    for (const double x : {-1.0, std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN()}) {
        bad.class_weights = {1.0, 1.0, x, 1.0};
        CHECK_THROWS_WITH(acquire::dense_stack_score(S, StackScore::bald, bad), Contains("class_weights has 4"));
        CHECK_THROWS_WITH(acquire::dense_score(pool.view_nchw(), ElementScore::margin, bad),
                          Contains("dense_margin") && Contains("class_weights entry 2 is") &&
                              Contains("must be finite and >= 0"));
    }
}

TEST_CASE("bad dense input names the image and the pixel", "[dense][checks]") {
    Pool<float> pool(3, 4, 5, 6, 2);
    auto& p = pool.nchw;
    p[static_cast<std::size_t>(((2 * 4 + 1) * 5 + 3) * 6 + 4)] = std::numeric_limits<float>::quiet_NaN();
    CHECK_THROWS_WITH(acquire::dense_score(pool.view_nchw(), ElementScore::entropy),
                      Contains("dense_entropy") && Contains("probabilities") && Contains("image 2 pixel (3, 4)") &&
                          Contains("class 1 is nan"));
    DenseOptions off;
    off.checks.values = false;
    CHECK_NOTHROW(acquire::dense_score(pool.view_nchw(), ElementScore::entropy, off));
    p[static_cast<std::size_t>(((2 * 4 + 1) * 5 + 3) * 6 + 4)] = 0.5f;  // the pixel now sums to about 1.5
    CHECK_THROWS_WITH(acquire::dense_score(pool.view_nchw(), ElementScore::margin),
                      Contains("dense_margin") && Contains("image 2 pixel (3, 4) sums to"));

    const Pool<float> good(3, 4, 5, 6, 3);
    DenseOptions q;
    q.reduction = Reduction::top_q;
    for (const double bad : {0.0, -0.5, 1.5, std::numeric_limits<double>::quiet_NaN()}) {
        q.q = bad;
        CHECK_THROWS_WITH(acquire::dense_score(good.view_nchw(), ElementScore::entropy, q), Contains("q must be in (0, 1]"));
    }
    std::vector<std::uint8_t> mask(static_cast<std::size_t>(3 * 5 * 5), 1);
    DenseOptions m;
    m.mask = ElementMask::dense(mask.data(), 3, 5, 5);
    CHECK_THROWS_WITH(acquire::dense_score(good.view_nchw(), ElementScore::entropy, m), Contains("mask is 3 x 5 x 5"));
    CHECK_THROWS_WITH(DenseView<float>::nchw(good.nchw.data(), 0, 4, 5, 6), Contains("DenseView"));

    // A stack: the member is named too.
    std::vector<float> stack = good.nchw;
    stack.insert(stack.end(), pool.nchw.begin(), pool.nchw.end());
    CHECK_THROWS_WITH(acquire::dense_stack_score(DenseStackView<float>::tnkhw(stack.data(), 2, 3, 4, 5, 6), StackScore::bald),
                      Contains("dense_bald") && Contains("member 1 image 2 pixel (3, 4)"));
}

TEST_CASE("region scores group the pixels by patch or by label map", "[dense][regions]") {
    // One image of 4 x 4 pixels, K = 2, pixel (y, x) holding (a, 1 - a) with a = (y * 4 + x) / 16:
    // least confidence 1 - max(a, 1 - a), so the 2 x 2 patches' means are known by hand.
    std::vector<double> p(2 * 16);
    for (Index e = 0; e < 16; ++e) {
        p[static_cast<std::size_t>(e)] = double(e) / 16;
        p[static_cast<std::size_t>(16 + e)] = 1 - double(e) / 16;
    }
    const auto v = DenseView<double>::nchw(p.data(), 1, 2, 4, 4);
    const auto lc = [](Index e) { return 1 - std::max(double(e) / 16, 1 - double(e) / 16); };
    const acquire::RegionScores g = acquire::region_scores(v, ElementScore::least_confidence, acquire::Regions::grid(2));
    REQUIRE(g.size() == 4);
    for (Index r = 0; r < 4; ++r) {
        const Index y0 = (r / 2) * 2, x0 = (r % 2) * 2;
        const double want = (lc(y0 * 4 + x0) + lc(y0 * 4 + x0 + 1) + lc((y0 + 1) * 4 + x0) + lc((y0 + 1) * 4 + x0 + 1)) / 4;
        CHECK(g.image[std::size_t(r)] == 0);
        CHECK(g.region[std::size_t(r)] == r);
        CHECK(g.pixels[std::size_t(r)] == 4);
        CHECK(g.score[std::size_t(r)] == Approx(want).epsilon(1e-14));
    }
    // A 3 x 3 grid leaves smaller patches at the edges: 9, 3, 3 and 1 pixels.
    const auto g3 = acquire::region_scores(v, ElementScore::least_confidence, acquire::Regions::grid(3));
    CHECK(g3.pixels == std::vector<Index>{9, 3, 3, 1});
    // The same patches as a label map, and a mask that empties region 3 and halves region 0.
    std::vector<std::int32_t> ids(16);
    for (Index e = 0; e < 16; ++e) ids[std::size_t(e)] = std::int32_t(((e / 4) / 2) * 2 + (e % 4) / 2);
    const auto m = acquire::region_scores(v, ElementScore::least_confidence, acquire::Regions::map(ids.data(), 1, 4, 4));
    CHECK(m.score == g.score);
    std::vector<std::uint8_t> mask(16, 1);
    mask[10] = mask[11] = mask[14] = mask[15] = 0;  // region 3
    mask[0] = mask[4] = 0;                          // half of region 0
    DenseOptions o;
    o.mask = ElementMask::dense(mask.data(), 1, 4, 4);
    o.reduction = Reduction::sum;
    const auto k = acquire::region_scores(v, ElementScore::least_confidence, acquire::Regions::grid(2), o);
    CHECK(k.region == std::vector<Index>{0, 1, 2});
    CHECK(k.pixels == std::vector<Index>{2, 4, 4});
    CHECK(k.score[0] == Approx(lc(1) + lc(5)).epsilon(1e-14));
}

TEST_CASE("region scores sum to the image sums; stack regions; region errors", "[dense][regions]") {
    const Pool<double> pool(3, 4, 6, 7, 21);
    DenseOptions sum;
    sum.reduction = Reduction::sum;
    const auto images = acquire::dense_score(pool.view_nchw(), ElementScore::entropy, sum);
    const auto regions = acquire::region_scores(pool.view_nhwc(), ElementScore::entropy, acquire::Regions::grid(4), sum);
    std::vector<double> total(3, 0.0);
    for (Index r = 0; r < regions.size(); ++r) total[std::size_t(regions.image[std::size_t(r)])] += regions.score[std::size_t(r)];
    for (Index n = 0; n < 3; ++n) CHECK(total[std::size_t(n)] == Approx(images[n]).epsilon(1e-12));

    std::vector<double> stack = pool.nchw;
    const Pool<double> other(3, 4, 6, 7, 22);
    stack.insert(stack.end(), other.nchw.begin(), other.nchw.end());
    const auto s = DenseStackView<double>::tnkhw(stack.data(), 2, 3, 4, 6, 7);
    const auto bald_regions = acquire::region_stack_scores(s, StackScore::bald, acquire::Regions::grid(4), sum);
    const auto bald_images = acquire::dense_stack_score(s, StackScore::bald, sum);
    std::fill(total.begin(), total.end(), 0.0);
    for (Index r = 0; r < bald_regions.size(); ++r) total[std::size_t(bald_regions.image[std::size_t(r)])] += bald_regions.score[std::size_t(r)];
    for (Index n = 0; n < 3; ++n) CHECK(total[std::size_t(n)] == Approx(bald_images[n]).epsilon(1e-12));

    CHECK_THROWS_WITH(acquire::region_scores(pool.view_nchw(), ElementScore::entropy, acquire::Regions::grid(0)),
                      Contains("region_entropy") && Contains("patch side >= 1"));
    std::vector<std::int32_t> ids(3 * 6 * 7, 0);
    ids[std::size_t((2 * 6 + 4) * 7 + 5)] = -3;
    CHECK_THROWS_WITH(acquire::region_scores(pool.view_nchw(), ElementScore::margin, acquire::Regions::map(ids.data(), 3, 6, 7)),
                      Contains("region_margin") && Contains("image 2 pixel (4, 5) has id -3"));
    CHECK_THROWS_WITH(acquire::region_scores(pool.view_nchw(), ElementScore::margin, acquire::Regions::map(ids.data(), 3, 7, 6)),
                      Contains("regions is 3 x 7 x 6"));
}

TEST_CASE("select_regions takes the best regions, at most r per image, ties in a fixed order", "[dense][regions]") {
    acquire::RegionScores s;
    s.image = {0, 0, 0, 1, 1, 2};
    s.region = {0, 1, 2, 0, 1, 0};
    s.pixels = {4, 4, 4, 4, 4, 4};
    s.score = {0.9, 0.8, 0.7, 0.8, 0.1, 0.85};
    const auto top = acquire::select_regions(s, 3);
    CHECK(top.image == std::vector<Index>{0, 2, 0});  // 0.9, 0.85, then 0.8: image 0 before image 1
    CHECK(top.region == std::vector<Index>{0, 0, 1});
    const auto one = acquire::select_regions(s, 3, 1);
    CHECK(one.image == std::vector<Index>{0, 2, 1});
    CHECK(one.score == std::vector<double>{0.9, 0.85, 0.8});
    CHECK(acquire::select_regions(s, 0).size() == 0);
    CHECK_THROWS_WITH(acquire::select_regions(s, 4, 1), Contains("select_regions") && Contains("only 3"));
    CHECK_THROWS_WITH(acquire::select_regions(s, 7), Contains("only 6"));
    CHECK_THROWS_WITH(acquire::select_regions(s, 1, -1), Contains("per_image must be >= 0"));
    s.score[2] = std::numeric_limits<double>::quiet_NaN();  // unchecked input: last, never first
    CHECK(acquire::select_regions(s, 6).region.back() == 2);
    s.pixels.pop_back();
    CHECK_THROWS_WITH(acquire::select_regions(s, 1), Contains("columns of different lengths"));
}
