// BatchBALD on synthetic prediction stacks, exact-then-sampled (the defaults: exact while
// K^(n-1) <= 4096 configurations) and sampled from the second pick on (M = 1000), with
// counters for the time per pick and the working memory of the largest configuration table
// plus one candidate tile. The reference in the same binary is bald() + top_k, the batch
// that ignores the joint: the ratio is what the joint costs.
//
// Flags: --n=1000,10000 --t=20 --k=10 --b=10 --samples=1000, --smoke=1 for tiny sizes.
#include "common.hpp"

#include <acquire/core/top_k.hpp>
#include <acquire/score/bayesian.hpp>
#include <acquire/select/batch_bald.hpp>
#include <acquire/synthetic.hpp>

#include <algorithm>
#include <string>

namespace {

using acquire::Index;

void register_pool(Index n, Index t, Index k, Index b, Index samples) {
    const std::string suffix = "/n:" + std::to_string(n) + "/t:" + std::to_string(t) + "/k:" +
                               std::to_string(k) + "/b:" + std::to_string(b);
    auto stack = [=]() -> const std::vector<float>& {
        return acquire_bench::Fixture::get<std::vector<float>>(
            acquire_bench::key({t, n, k}, "stack"), [=] {
                acquire::synthetic::StackOptions o;
                o.disagreement = 2;
                return acquire::synthetic::stack_buffer<float>(t, n, k, o);
            });
    };
    auto add = [&](const std::string& name, Index max_configurations) {
        benchmark::RegisterBenchmark((name + suffix).c_str(), [=](benchmark::State& state) {
            const auto s = acquire::PredictionStack<float>::tnk(stack().data(), t, n, k);
            acquire::BatchBaldOptions o;
            o.max_configurations = max_configurations;
            o.samples = samples;
            for (auto _ : state) benchmark::DoNotOptimize(acquire::batch_bald(s, b, o));
            // The largest configuration table the run holds (same rule as batch_bald), and
            // one candidate tile beside it: the working memory on top of the stack.
            Index c = 1, largest = 1;
            bool exact = true;
            for (Index step = 1; step < b; ++step) {
                if (exact && c * k <= max_configurations) {
                    c *= k;
                } else {
                    exact = false;
                    c = samples;
                }
                largest = std::max(largest, c);
            }
            const double tile_rows = double(std::min<Index>(n, std::max<Index>(1, (1 << 20) / (largest * k))));
            const double bytes = 8.0 * (double(t) * double(largest) + tile_rows * double(k) * double(largest + t));
            state.counters["s_per_pick"] = benchmark::Counter(double(b), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
            state.counters["work_MB"] = bytes / 1e6;
        })->Unit(benchmark::kMillisecond)->UseRealTime();
    };
    add("batch_bald/exact_then_sampled", acquire::BatchBaldOptions{}.max_configurations);
    add("batch_bald/sampled", 1);
    benchmark::RegisterBenchmark(("reference/bald_top_k" + suffix).c_str(), [=](benchmark::State& state) {
        const auto s = acquire::PredictionStack<float>::tnk(stack().data(), t, n, k);
        for (auto _ : state) benchmark::DoNotOptimize(acquire::top_k(acquire::bald(s), b));
    })->Unit(benchmark::kMillisecond)->UseRealTime();
}

}  // namespace

int main(int argc, char** argv) {
    acquire_bench::Args args(argc, argv);
    const auto ns = args.list("n", {1000, 10000}, {60});
    const auto t = args.value("t", 20, 4);
    const auto k = args.value("k", 10, 3);
    const auto b = args.value("b", 10, 4);
    const auto samples = args.value("samples", 1000, 50);
    args.check_all_used();
    for (auto n : ns) register_pool(n, t, k, b, samples);
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
}
