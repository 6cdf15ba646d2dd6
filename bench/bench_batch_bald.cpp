// BatchBALD on synthetic prediction stacks (disagreement 2), exact while K^(n-1) <= --configs
// configurations, then --samples drawn configurations per pick. Variants:
//   batch_bald/lazy     the default (lazy greedy)
//   batch_bald/full     options.lazy = false: every candidate at every pick
//   reference/before    the implementation before the GEMM + lazy rewrite (tests/
//                       batch_bald_oracle.hpp), when --reference=1: the speed-up is its ratio
//   reference/bald_top_k  bald() + top_k, the batch that ignores the joint
// Counters: s_per_pick; evaluated = candidates evaluated per pick after the first (the first
// evaluates every candidate); bounded = bounds from grouped configurations computed per pick
// after the first (all levels); decided = candidates re-evaluated in double per pick; differ =
// picks of lazy that full evaluation did not make, first_differ = picks before the first
// difference, seed_differ = picks of full evaluation that full evaluation with the next seed did
// not make (the sampling noise floor) (--differ=1: runs full twice per pool, slow on large pools).
//
// Flags: --n=1000 (double) --fn=10000,100000 (float) --t=20 --k=10 --b=10 --configs=10000
//        --samples=10000 --copies=1 (each sample repeated, as in Repeated MNIST) --reference=1
//        --differ=1 --full=1 (time batch_bald/full too); --smoke=1 for tiny sizes.
#include "common.hpp"

#include "../tests/batch_bald_oracle.hpp"

#include <acquire/core/top_k.hpp>
#include <acquire/score/bayesian.hpp>
#include <acquire/select/batch_bald.hpp>
#include <acquire/synthetic.hpp>

#include <algorithm>
#include <string>

namespace {

using acquire::Index;

struct Pool {
    Index n, t, k, b, configs, samples, copies;
    bool reference, differ, full;
};

template <class Scalar>
void register_pool(const Pool& p, const std::string& scalar) {
    const std::string suffix = "/" + scalar + "/n:" + std::to_string(p.n * p.copies) + "/t:" + std::to_string(p.t) +
                               "/k:" + std::to_string(p.k) + "/b:" + std::to_string(p.b) +
                               "/C:" + std::to_string(p.configs) + "/M:" + std::to_string(p.samples) +
                               (p.copies > 1 ? "/copies:" + std::to_string(p.copies) : "");
    const Index n = p.n * p.copies;
    auto stack = [=]() -> const std::vector<Scalar>& {
        return acquire_bench::Fixture::get<std::vector<Scalar>>(
            acquire_bench::key({p.t, p.n, p.k, p.copies, Index(sizeof(Scalar))}, "stack"), [=] {
                acquire::synthetic::StackOptions o;
                o.disagreement = 2;
                const auto base = acquire::synthetic::stack_buffer<Scalar>(p.t, p.n, p.k, o);
                std::vector<Scalar> out(static_cast<std::size_t>(p.t * n * p.k));
                for (Index m = 0; m < p.t; ++m)
                    for (Index i = 0; i < n; ++i)
                        for (Index c = 0; c < p.k; ++c)
                            out[std::size_t((m * n + i) * p.k + c)] = base[std::size_t((m * p.n + i / p.copies) * p.k + c)];
                return out;
            });
    };
    acquire::BatchBaldOptions o;
    o.max_configurations = p.configs;
    o.samples = p.samples;
    auto per_pick = [=](benchmark::State& state) {
        state.counters["s_per_pick"] = benchmark::Counter(double(p.b), benchmark::Counter::kIsIterationInvariantRate |
                                                                              benchmark::Counter::kInvert);
    };
    auto add = [&](const std::string& name, bool lazy) {
        benchmark::RegisterBenchmark((name + suffix).c_str(), [=](benchmark::State& state) {
            const auto s = acquire::PredictionStack<Scalar>::tnk(stack().data(), p.t, n, p.k);
            auto opt = o;
            opt.lazy = lazy;
            acquire::BatchBaldStats stats;
            acquire::Selection sel;
            for (auto _ : state) benchmark::DoNotOptimize(sel = acquire::batch_bald(s, p.b, opt, &stats));
            per_pick(state);
            double later = 0;
            for (std::size_t j = 1; j < stats.evaluated.size(); ++j) later += double(stats.evaluated[j]);
            state.counters["evaluated"] = later / double(std::max<Index>(1, p.b - 1));
            double bounded = 0;
            for (std::size_t j = 1; j < stats.bounded.size(); ++j) bounded += double(stats.bounded[j]);
            state.counters["bounded"] = bounded / double(std::max<Index>(1, p.b - 1));
            double decided = 0;
            for (Index d : stats.decided) decided += double(d);
            state.counters["decided"] = decided / double(p.b);
            if (lazy && p.differ) {
                auto full = opt;
                full.lazy = false;
                const auto want = acquire::batch_bald(s, p.b, full);
                double differ = 0;
                for (std::size_t j = 0; j < sel.indices.size(); ++j)
                    differ += std::count(want.indices.begin(), want.indices.end(), sel.indices[j]) ? 0 : 1;
                state.counters["differ"] = differ;
                state.counters["first_differ"] = double(std::mismatch(sel.indices.begin(), sel.indices.end(),
                                                                      want.indices.begin()).first - sel.indices.begin());
                // The noise floor: full evaluation against itself with the next seed's draws.
                full.seed += 1;
                const auto other = acquire::batch_bald(s, p.b, full);
                double seed_differ = 0;
                for (Index i : other.indices) seed_differ += std::count(want.indices.begin(), want.indices.end(), i) ? 0 : 1;
                state.counters["seed_differ"] = seed_differ;
            }
        })->Unit(benchmark::kMillisecond)->UseRealTime();
    };
    add("batch_bald/lazy", true);
    if (p.full) add("batch_bald/full", false);
    if (p.reference)
        benchmark::RegisterBenchmark(("reference/before" + suffix).c_str(), [=](benchmark::State& state) {
            const auto s = acquire::PredictionStack<Scalar>::tnk(stack().data(), p.t, n, p.k);
            for (auto _ : state) benchmark::DoNotOptimize(batch_bald_oracle::batch_bald(s, p.b, o));
            per_pick(state);
        })->Unit(benchmark::kMillisecond)->UseRealTime();
    benchmark::RegisterBenchmark(("reference/bald_top_k" + suffix).c_str(), [=](benchmark::State& state) {
        const auto s = acquire::PredictionStack<Scalar>::tnk(stack().data(), p.t, n, p.k);
        for (auto _ : state) benchmark::DoNotOptimize(acquire::top_k(acquire::bald(s), p.b));
    })->Unit(benchmark::kMillisecond)->UseRealTime();
}

}  // namespace

int main(int argc, char** argv) {
    acquire_bench::Args args(argc, argv);
    const auto ns = args.list("n", {1000}, {60});
    const auto fns = args.list("fn", {10000, 100000}, {60});
    Pool p{};
    p.t = args.value("t", 20, 4);
    p.k = args.value("k", 10, 3);
    p.b = args.value("b", 10, 4);
    p.configs = args.value("configs", 10000, 9);
    p.samples = args.value("samples", 10000, 50);
    p.copies = args.value("copies", 1, 2);
    p.reference = args.value("reference", 0, 1) != 0;
    p.differ = args.value("differ", 0, 1) != 0;
    p.full = args.value("full", 0, 1) != 0;
    args.check_all_used();
    for (auto n : ns)
        if (n > 0) register_pool<double>({n, p.t, p.k, p.b, p.configs, p.samples, p.copies, p.reference, p.differ, p.full}, "double");
    for (auto n : fns)
        if (n > 0) register_pool<float>({n, p.t, p.k, p.b, p.configs, p.samples, p.copies, false, false, p.full}, "float");
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
}
