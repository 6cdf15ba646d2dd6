// Dense outputs (score/dense.hpp) on synthetic segmentation outputs, against references in the
// same binary:
//   reference/read        one streaming read of the [N][K][H][W] buffer (its sum): the bar for
//                         the per-pixel uncertainty scores (issue target: entropy, mean
//                         reduction, checked, within 1.5x of it);
//   reference/flat_bald   acquire::bald on a [T][N H W][K] stack of the same size: the bar for
//                         dense_stack_score's BALD (target: within 1.3x).
// Per-pixel distributions are softmaxes of 3 x standard normal logits (synthetic::probabilities),
// so the pixels hold nothing an image-level prior could exploit. Scorers run checked (the default
// call) and unchecked, and the checked entropy with class weights. NCHW and NHWC for dense_score; [T][N][K][H][W] and baal's [N][K][H][W][T]
// for dense_stack_score.
//
// Regions (score/regions.hpp): region_scores over 14 x 14 patches of the same NCHW pixels
// beside dense_entropy/mean (the image-level call on the same pixels), and select_regions of
// b = 1,000 patches (at most 4 per image) against reference/sort_scores, a plain std::sort of
// the region scores. Ragged outputs (score/ragged.hpp): ragged_score and sequence_score over
// --tokens rows of K classes in sequences of --length rows, against reference/flat_entropy,
// acquire::entropy on the same rows (the per-sample reduction is what they add). On the stack:
// region_stack_scores over 16 x 16 patches and ragged_stack_score (each image's pixels as one
// ragged sample) beside reference/flat_bald.
//
// Flags: --n=256 --k=10 --side=128 (images of side x side), --stack_n=16 --stack_side=64 --t=20,
// --tokens=1000000 --length=100; --smoke=1 for tiny sizes. Float throughout.
#include "common.hpp"

#include <acquire/score/bayesian.hpp>
#include <acquire/score/dense.hpp>
#include <acquire/score/ragged.hpp>
#include <acquire/score/regions.hpp>
#include <acquire/synthetic.hpp>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

namespace {

using acquire::Index;

/// [N][K][H][W] (nchw = true) or [N][H][W][K] float pixels.
std::vector<float> pixels(Index n, Index k, Index side, bool nchw, std::uint64_t seed = 1) {
    const Index e = side * side;
    acquire::synthetic::ProbabilityOptions o;
    o.seed = seed;
    const acquire::RowMatrix<float> rows = acquire::synthetic::probabilities<float, Eigen::RowMajor>(n * e, k, o);
    if (!nchw) return std::vector<float>(rows.data(), rows.data() + rows.size());
    std::vector<float> out(static_cast<std::size_t>(n * k * e));
    for (Index i = 0; i < n; ++i)
        for (Index c = 0; c < k; ++c)
            for (Index p = 0; p < e; ++p) out[static_cast<std::size_t>((i * k + c) * e + p)] = rows(i * e + p, c);
    return out;
}

void register_pixels(Index n, Index k, Index side) {
    const std::string suffix = "/n:" + std::to_string(n) + "/k:" + std::to_string(k) + "/side:" + std::to_string(side);
    const auto bytes = n * k * side * side * Index(sizeof(float));
    auto add = [&](const std::string& name, bool nchw, auto kernel) {
        benchmark::RegisterBenchmark((name + suffix).c_str(), [=](benchmark::State& state) {
            const auto& b = acquire_bench::Fixture::get<std::vector<float>>(
                acquire_bench::key({n, k, side, nchw}, "pixels"), [=] { return pixels(n, k, side, nchw); });
            const auto v = nchw ? acquire::DenseView<float>::nchw(b.data(), n, k, side, side)
                                : acquire::DenseView<float>::nhwc(b.data(), n, side, side, k);
            for (auto _ : state) benchmark::DoNotOptimize(kernel(v, b));
            state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * bytes);
        })->Unit(benchmark::kMillisecond)->UseRealTime();
    };
    for (const bool nchw : {true, false}) {
        const std::string layout = nchw ? "/nchw" : "/nhwc";
        add("reference/read" + layout, nchw, [](const auto&, const std::vector<float>& b) {
            return Eigen::Map<const Eigen::ArrayXf>(b.data(), static_cast<Index>(b.size())).sum();
        });
        const std::pair<const char*, acquire::ElementScore> scores[] = {
            {"entropy", acquire::ElementScore::entropy}, {"margin", acquire::ElementScore::margin}};
        const std::pair<const char*, acquire::Reduction> reductions[] = {{"mean", acquire::Reduction::mean},
                                                                          {"top_q", acquire::Reduction::top_q}};
        for (const auto& [sname, score] : scores)
            for (const auto& [rname, reduction] : reductions)
                for (const bool checked : {true, false}) {
                    acquire::DenseOptions o;
                    o.reduction = reduction;
                    o.checks.values = checked;
                    add(std::string("dense_") + sname + "/" + rname + (checked ? "/checked" : "/unchecked") + layout,
                        nchw, [o, score = score](const auto& v, const auto&) { return acquire::dense_score(v, score, o); });
                }
        // Class-balanced: the same call weighing each pixel by its predicted class (one more
        // argmax pass over the image's planes).
        acquire::DenseOptions weighted;
        for (Index c = 0; c < k; ++c) weighted.class_weights.push_back(1.0 / double(c + 1));
        add("dense_entropy/mean/class_weights/checked" + layout, nchw, [weighted](const auto& v, const auto&) {
            return acquire::dense_score(v, acquire::ElementScore::entropy, weighted);
        });
    }
}

void register_regions(Index n, Index k, Index side) {
    const std::string suffix = "/n:" + std::to_string(n) + "/k:" + std::to_string(k) + "/side:" + std::to_string(side);
    const auto pixels_of = [=] {
        return acquire_bench::Fixture::get<std::vector<float>>(acquire_bench::key({n, k, side, 1}, "pixels"),
                                                               [=] { return pixels(n, k, side, true); });
    };
    for (const bool checked : {true, false}) {
        acquire::DenseOptions o;
        o.checks.values = checked;
        benchmark::RegisterBenchmark(("region_entropy/grid14" + std::string(checked ? "/checked" : "/unchecked") + suffix).c_str(),
                                     [=](benchmark::State& state) {
                                         const auto& b = pixels_of();
                                         const auto v = acquire::DenseView<float>::nchw(b.data(), n, k, side, side);
                                         for (auto _ : state)
                                             benchmark::DoNotOptimize(acquire::region_scores(
                                                 v, acquire::ElementScore::entropy, acquire::Regions::grid(14), o));
                                     })
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime();
    }
    const auto scored = [=] {
        const auto& b = pixels_of();
        return acquire::region_scores(acquire::DenseView<float>::nchw(b.data(), n, k, side, side),
                                      acquire::ElementScore::entropy, acquire::Regions::grid(14));
    };
    benchmark::RegisterBenchmark(("reference/sort_scores" + suffix).c_str(), [=](benchmark::State& state) {
        const acquire::RegionScores r = scored();
        for (auto _ : state) {
            std::vector<double> s = r.score;
            std::sort(s.begin(), s.end(), std::greater<double>());
            benchmark::DoNotOptimize(s.data());
        }
    })->Unit(benchmark::kMillisecond)->UseRealTime();
    // b = 1,000 picks (fewer on tiny pools: half of what 4 per image leaves), reported as a counter.
    benchmark::RegisterBenchmark(("select_regions/per_image:4" + suffix).c_str(), [=](benchmark::State& state) {
        const acquire::RegionScores r = scored();
        const Index b = std::min<Index>(1000, std::min<Index>(r.size(), 4 * n) / 2);
        for (auto _ : state) benchmark::DoNotOptimize(acquire::select_regions(r, b, 4));
        state.counters["b"] = static_cast<double>(b);
        state.counters["regions"] = static_cast<double>(r.size());
    })->Unit(benchmark::kMillisecond)->UseRealTime();
}

void register_ragged(Index tokens, Index length, Index k) {
    const std::string suffix = "/tokens:" + std::to_string(tokens) + "/length:" + std::to_string(length) + "/k:" + std::to_string(k);
    std::vector<Index> offsets;
    for (Index i = 0; i < tokens; i += length) offsets.push_back(i);
    offsets.push_back(tokens);
    const auto rows = [=] {
        return acquire_bench::Fixture::get<acquire::RowMatrix<float>>(acquire_bench::key({tokens, k}, "tokens"), [=] {
            return acquire::synthetic::probabilities<float, Eigen::RowMajor>(tokens, k);
        });
    };
    auto add = [&](const std::string& name, auto kernel) {
        benchmark::RegisterBenchmark((name + suffix).c_str(), [=](benchmark::State& state) {
            const auto& P = rows();
            for (auto _ : state) benchmark::DoNotOptimize(kernel(P));
            state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * tokens * k * Index(sizeof(float)));
        })->Unit(benchmark::kMillisecond)->UseRealTime();
    };
    add("reference/flat_entropy", [](const auto& P) { return acquire::entropy(P); });
    for (const bool checked : {true, false}) {
        acquire::CheckOptions c;
        c.values = checked;
        const std::string tag = checked ? "/checked" : "/unchecked";
        add("ragged_entropy/max" + tag, [=](const auto& P) {
            return acquire::ragged_score(P, offsets, acquire::ElementScore::entropy, acquire::RaggedReduction::max, c);
        });
        add("sequence_score/mnlp" + tag,
            [=](const auto& P) { return acquire::sequence_score(P, offsets, acquire::SequenceScore::mnlp, c); });
    }
}

void register_stack(Index t, Index n, Index k, Index side) {
    const Index e = side * side;
    const std::string suffix = "/t:" + std::to_string(t) + "/n:" + std::to_string(n) + "/k:" + std::to_string(k) +
                               "/side:" + std::to_string(side);
    const auto bytes = t * n * k * e * Index(sizeof(float));
    // The same T x N E x K numbers in the flat [T][N E][K] layout, [T][N][K][H][W] and [N][K][H][W][T].
    enum Layout { flat, tnkhw, nkhwt };
    const auto buffer = [=](Layout layout) {
        return acquire_bench::Fixture::get<std::vector<float>>(acquire_bench::key({t, n, k, side, layout}, "stack"), [=] {
            auto tnk = acquire::synthetic::stack_buffer<float>(t, n * e, k);
            if (layout == flat) return tnk;
            std::vector<float> out(tnk.size());
            for (Index m = 0; m < t; ++m)
                for (Index i = 0; i < n; ++i)
                    for (Index c = 0; c < k; ++c)
                        for (Index p = 0; p < e; ++p) {
                            const Index from = (m * n * e + i * e + p) * k + c;
                            const Index to = layout == tnkhw ? ((m * n + i) * k + c) * e + p : ((i * k + c) * e + p) * t + m;
                            out[static_cast<std::size_t>(to)] = tnk[static_cast<std::size_t>(from)];
                        }
            return out;
        });
    };
    auto add = [&](const std::string& name, Layout layout, auto kernel) {
        benchmark::RegisterBenchmark((name + suffix).c_str(), [=](benchmark::State& state) {
            const auto& b = buffer(layout);
            for (auto _ : state) benchmark::DoNotOptimize(kernel(b));
            state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * bytes);
        })->Unit(benchmark::kMillisecond)->UseRealTime();
    };
    for (const bool checked : {true, false}) {
        acquire::DenseOptions o;
        o.checks.values = checked;
        const std::string c = checked ? "/checked" : "/unchecked";
        add("reference/flat_bald" + c, flat, [=](const std::vector<float>& b) {
            return acquire::bald(acquire::PredictionStack<float>::tnk(b.data(), t, n * e, k), o.checks);
        });
        add("dense_bald/mean" + c + "/tnkhw", tnkhw, [=](const std::vector<float>& b) {
            return acquire::dense_stack_score(acquire::DenseStackView<float>::tnkhw(b.data(), t, n, k, side, side),
                                              acquire::StackScore::bald, o);
        });
        add("dense_bald/mean" + c + "/nkhwt", nkhwt, [=](const std::vector<float>& b) {
            return acquire::dense_stack_score(acquire::DenseStackView<float>::nkhwt(b.data(), n, k, side, side, t),
                                              acquire::StackScore::bald, o);
        });
        add("region_bald/grid16" + c, tnkhw, [=](const std::vector<float>& b) {
            return acquire::region_stack_scores(acquire::DenseStackView<float>::tnkhw(b.data(), t, n, k, side, side),
                                                acquire::StackScore::bald, acquire::Regions::grid(16), o);
        });
        // The flat stack's rows as N ragged samples of E rows each (an image's pixels as tokens).
        std::vector<Index> offsets;
        for (Index i = 0; i <= n; ++i) offsets.push_back(i * e);
        add("ragged_bald/mean" + c, flat, [=](const std::vector<float>& b) {
            return acquire::ragged_stack_score(acquire::PredictionStack<float>::tnk(b.data(), t, n * e, k), offsets,
                                               acquire::StackScore::bald, acquire::RaggedReduction::mean, o.checks);
        });
    }
}

}  // namespace

int main(int argc, char** argv) {
    acquire_bench::Args args(argc, argv);
    const Index n = args.value("n", 256, 4), k = args.value("k", 10, 3), side = args.value("side", 128, 8);
    const Index stack_n = args.value("stack_n", 16, 2), stack_side = args.value("stack_side", 64, 8);
    const Index t = args.value("t", 20, 3);
    const Index tokens = args.value("tokens", 1000000, 1000), length = args.value("length", 100, 10);
    args.check_all_used();
    register_pixels(n, k, side);
    register_regions(n, k, side);
    register_stack(t, stack_n, k, stack_side);
    register_ragged(tokens, length, k);
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
}
