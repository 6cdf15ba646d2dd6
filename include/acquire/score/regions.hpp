/// \file
/// Region scores and region selection: label a part of an image (superpixels or patches).
// Regions: in segmentation an annotator can outline one part of an image, so the unit of
// acquisition is a region, not an image (Mackowiak et al. 2018, CEREALS: 128 x 128 patches;
// Kasarla et al. 2019 and Cai et al. 2021: superpixels). A region's score is the reduction of its
// pixels' scores (mean, max, sum, top-q: dense.hpp's), and the b best (image, region) pairs are
// picked, optionally at most r per image:
//
//     auto P = acquire::DenseView<float>::nchw(buf, N, K, H, W);
//     acquire::RegionScores all = acquire::region_scores(P, acquire::ElementScore::entropy,
//                                                        acquire::Regions::grid(14));
//     acquire::RegionScores picked = acquire::select_regions(all, 50, 2);  // 50 pairs, <= 2 per image
//     // superpixels: an [N][H][W] int32 map of region ids per image
//     auto superpixels = acquire::Regions::map(ids, N, H, W);
//
// Regions are given by a grid of p x p patches (the last row and column of patches may be
// smaller) or by the user's per-pixel region ids. Pixels a mask leaves out count in no region;
// a region with no counted pixel is not scored and cannot be picked.
#pragma once

#include "acquire/score/dense.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <vector>

namespace acquire {

/// \addtogroup dense_scorers
/// @{

/// The regions of every image: a grid of p x p patches (Regions::grid), or per-pixel region ids
/// (Regions::map) with entry (n, y, x) at labels[n * sample_stride + y * row_stride + x *
/// column_stride], ids >= 0 and below H W, numbered within each image.
struct Regions {
    /// Per-pixel region ids, or null for a grid.
    const std::int32_t* labels = nullptr;
    /// N, which must be the predictions'.
    Index samples = 0;
    /// H, which must be the predictions'.
    Index height = 0;
    /// W, which must be the predictions'.
    Index width = 0;
    /// Entries between images of `labels`.
    Index sample_stride = 0;
    /// Entries between rows of `labels`.
    Index row_stride = 0;
    /// Entries between neighbouring pixels of `labels`.
    Index column_stride = 0;
    /// The grid's patch side p (0 with labels).
    Index patch = 0;

    /// p x p patches, numbered row by row: patch (i, j) is region i ceil(W / p) + j.
    static Regions grid(Index p) {
        Regions r;
        r.patch = p;
        return r;
    }
    /// [N][H][W] int32 region ids, contiguous.
    static Regions map(const std::int32_t* labels, Index N, Index H, Index W) {
        return {labels, N, H, W, H * W, W, 1, 0};
    }
};

/// Scored regions, one entry per region with a counted pixel, by image and then region id.
struct RegionScores {
    /// The image of each region.
    std::vector<Index> image;
    /// Its id within the image (the patch number of a grid).
    std::vector<Index> region;
    /// Its counted pixels: the labelling cost of the region.
    std::vector<Index> pixels;
    /// Its score, the reduction of its pixels' scores (higher = query first).
    std::vector<double> score;
    /// How many regions.
    Index size() const { return static_cast<Index>(score.size()); }
};

/// @}

namespace detail {

/// Checks `regions` against the view; returns the number of region ids per image (an upper bound).
template <class Scalar>
Index check_regions(const char* fn, const DenseView<Scalar>& v, const Regions& r) {
    const Index H = v.height(), W = v.width();
    if (r.labels == nullptr) {
        if (r.patch < 1) fail(fn, "regions: a grid needs a patch side >= 1, got ", r.patch);
        return ((H + r.patch - 1) / r.patch) * ((W + r.patch - 1) / r.patch);
    }
    if (r.patch != 0) fail(fn, "regions: give either a label map or a patch side, not both");
    if (r.samples != v.samples() || r.height != H || r.width != W)
        fail(fn, "regions is ", r.samples, " x ", r.height, " x ", r.width, " but the predictions are ", v.samples(),
             " x ", H, " x ", W, " (N x H x W)");
    for (Index n = 0; n < r.samples; ++n)
        for (Index y = 0; y < H; ++y)
            for (Index x = 0; x < W; ++x) {
                const std::int32_t id = r.labels[n * r.sample_stride + y * r.row_stride + x * r.column_stride];
                if (id < 0 || id >= H * W)
                    fail(fn, "regions image ", n, " pixel (", y, ", ", x, ") has id ", id, ", must be in [0, H W = ",
                         H * W, ")");
            }
    return H * W;
}

/// The region of pixel (y, x) of image n.
inline Index region_of(const Regions& r, Index n, Index y, Index x, Index W) {
    if (r.labels == nullptr) return (y / r.patch) * ((W + r.patch - 1) / r.patch) + x / r.patch;
    return r.labels[n * r.sample_stride + y * r.row_stride + x * r.column_stride];
}

/// Region scores once the per-pixel scorer is chosen: per image (in parallel), the counted pixels
/// grouped by region (a counting sort) and each group reduced.
template <class Scalar, class Scorer>
RegionScores score_regions(const DenseView<Scalar>& v, const Regions& regions, Index ids, const DenseOptions& o,
                           const Scorer& scorer) {
    const Index N = v.samples(), H = v.height(), W = v.width();
    std::vector<RegionScores> per_image(static_cast<std::size_t>(N));
    for_each_scored_sample(
        scorer.fn, v, scorer, [&](Index n) { scorer.report(n); },
        [&](Index n, const Vector<Scalar>& scores) {
            std::vector<Index> count(static_cast<std::size_t>(ids) + 1, 0);
            for (Index y = 0; y < H; ++y)
                for (Index x = 0; x < W; ++x)
                    if (o.mask.counts(n, y, x)) ++count[static_cast<std::size_t>(region_of(regions, n, y, x, W)) + 1];
            std::partial_sum(count.begin(), count.end(), count.begin());  // count[r]: where region r starts
            std::vector<Scalar> grouped(static_cast<std::size_t>(count.back()));
            std::vector<Index> next(count.begin(), count.end() - 1);
            for (Index y = 0; y < H; ++y)
                for (Index x = 0; x < W; ++x)
                    if (o.mask.counts(n, y, x)) {
                        auto& at = next[static_cast<std::size_t>(region_of(regions, n, y, x, W))];
                        grouped[static_cast<std::size_t>(at++)] = scores[y * W + x];
                    }
            RegionScores& out = per_image[static_cast<std::size_t>(n)];
            std::vector<Scalar> values;
            for (Index id = 0; id < ids; ++id) {
                const auto first = count[static_cast<std::size_t>(id)], last = count[static_cast<std::size_t>(id) + 1];
                if (first == last) continue;
                values.assign(grouped.begin() + first, grouped.begin() + last);
                out.image.push_back(n);
                out.region.push_back(id);
                out.pixels.push_back(last - first);
                out.score.push_back(reduce_values(values, o.reduction, o.q));
            }
        });
    RegionScores all;
    for (auto& r : per_image) {
        all.image.insert(all.image.end(), r.image.begin(), r.image.end());
        all.region.insert(all.region.end(), r.region.begin(), r.region.end());
        all.pixels.insert(all.pixels.end(), r.pixels.begin(), r.pixels.end());
        all.score.insert(all.score.end(), r.score.begin(), r.score.end());
    }
    return all;
}

}  // namespace detail

/// \addtogroup dense_scorers
/// @{

/// Scores every region of every image: the pixels' scores by `score` (dense_score's, higher =
/// query first), reduced over the region's counted pixels by `options.reduction` (mean, max,
/// sum or top-q, in double). Regions with no counted pixel are left out. Region selection for
/// segmentation: Mackowiak et al. 2018 (CEREALS, the mean of per-pixel entropy over patches),
/// Kasarla et al. 2019 and Cai et al. 2021 (superpixels). Cost: dense_score's, plus O(H W) per
/// image to group the pixels. Throws invalid_input (function `region_<score>`) as dense_score
/// does, and for a grid side < 1, a label map of the wrong shape or an id outside [0, H W)
/// (naming the image and the pixel).
template <class Scalar>
RegionScores region_scores(const DenseView<Scalar>& probabilities, ElementScore score, const Regions& regions,
                           const DenseOptions& options = {}) {
    const std::string name = std::string("region_") + detail::element_score_name(score);
    detail::check_dense_options(name.c_str(), probabilities, options);
    const Index ids = detail::check_regions(name.c_str(), probabilities, regions);
    return detail::score_regions(probabilities, regions, ids, options,
                                 detail::ElementScorer<Scalar>{probabilities, score, options, name.c_str()});
}

/// region_scores with a stack scorer over T members (BALD, mean STD, ...: dense_stack_score's).
/// Throws invalid_input (function `region_<score>`) as dense_stack_score and region_scores do.
template <class Scalar>
RegionScores region_stack_scores(const DenseStackView<Scalar>& stack, StackScore score, const Regions& regions,
                                 const DenseOptions& options = {}) {
    const std::string name = std::string("region_") + detail::stack_score_name(score);
    detail::check_dense_stack_options(name.c_str(), stack, options);
    const Index ids = detail::check_regions(name.c_str(), stack.view(), regions);
    return detail::score_regions(stack.view(), regions, ids, options,
                                 detail::StackElementScorer<Scalar>{stack, score, options, name.c_str()});
}

/// The b highest-scoring regions of `scored`, at most `per_image` from any image (0: no limit),
/// highest first; ties go to the lower image, then the lower region id, so the picks are the
/// same on every run. Greedy by score: a region is skipped once its image has `per_image`
/// picks. Cost O(R log R) for R regions. Throws invalid_input (function `select_regions`) when
/// `scored`'s columns differ in length, b < 0, per_image < 0, or b exceeds the regions the
/// per-image limit leaves available, or an image below 0.
inline RegionScores select_regions(const RegionScores& scored, Index b, Index per_image = 0) {
    const char* fn = "select_regions";
    const Index R = scored.size();
    if (static_cast<Index>(scored.image.size()) != R || static_cast<Index>(scored.region.size()) != R ||
        static_cast<Index>(scored.pixels.size()) != R)
        detail::fail(fn, "scored has columns of different lengths (image ", scored.image.size(), ", region ",
                     scored.region.size(), ", pixels ", scored.pixels.size(), ", score ", R, ")");
    if (per_image < 0) detail::fail(fn, "per_image must be >= 0 (0: no limit), got ", per_image);
    Index images = 0;  // one more than the highest image
    for (Index i = 0; i < R; ++i) {
        const Index n = scored.image[static_cast<std::size_t>(i)];
        if (n < 0) detail::fail(fn, "scored entry ", i, " has image ", n, ", must be >= 0");
        images = std::max(images, n + 1);
    }
    std::vector<Index> per(static_cast<std::size_t>(images), 0);  // regions, then picks, per image
    for (const Index n : scored.image) ++per[static_cast<std::size_t>(n)];
    Index available = R;
    if (per_image > 0) {
        available = 0;
        for (const Index c : per) available += std::min(per_image, c);
    }
    detail::check_budget(fn, "b", b, available);
    // Highest score first (a NaN, possible only from unchecked input, as the lowest), then the
    // lower image, then the lower region id: a strict order, the same on every run.
    const auto key = [&](std::size_t i) {
        const double v = scored.score[i];
        return std::isnan(v) ? -std::numeric_limits<double>::infinity() : v;
    };
    std::vector<Index> order(static_cast<std::size_t>(R));
    std::iota(order.begin(), order.end(), Index(0));
    std::sort(order.begin(), order.end(), [&](Index a, Index c) {
        const auto i = static_cast<std::size_t>(a), j = static_cast<std::size_t>(c);
        if (key(i) != key(j)) return key(i) > key(j);
        if (scored.image[i] != scored.image[j]) return scored.image[i] < scored.image[j];
        return scored.region[i] < scored.region[j];
    });
    std::fill(per.begin(), per.end(), Index(0));
    RegionScores picked;
    for (const Index k : order) {
        if (picked.size() == b) break;
        const auto i = static_cast<std::size_t>(k);
        Index& taken = per[static_cast<std::size_t>(scored.image[i])];
        if (per_image > 0 && taken == per_image) continue;
        ++taken;
        picked.image.push_back(scored.image[i]);
        picked.region.push_back(scored.region[i]);
        picked.pixels.push_back(scored.pixels[i]);
        picked.score.push_back(scored.score[i]);
    }
    return picked;
}

/// @}

}  // namespace acquire
