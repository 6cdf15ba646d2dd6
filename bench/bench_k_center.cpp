// Greedy k-center on clustered synthetic embeddings: the default (checked) call and the pruned
// algorithm with checks off, against the naive one
// (every point's distance to every new center) in the same binary, with the distance
// evaluations counted, and a reference that reads X once (its sum) to price one naive pick.
//
// Flags: --n=100000 --d=256 --b=1000 --labeled=0 --layouts=0,1 (0 row-major, 1 column-major),
// --smoke=1 for tiny sizes. Float.
#include "common.hpp"

#include <acquire/core/random.hpp>
#include <acquire/select/k_center.hpp>
#include <acquire/synthetic.hpp>

#include <string>

namespace {

using acquire::Index;

template <int Storage>
void register_pool(Index n, Index d, Index b, Index labeled_count) {
    using Pool = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Storage>;
    const std::string suffix = std::string(Storage == Eigen::RowMajor ? "/row" : "/col") + "/n:" +
                               std::to_string(n) + "/d:" + std::to_string(d) + "/b:" + std::to_string(b);
    auto pool = [=]() -> const Pool& {
        return acquire_bench::Fixture::get<Pool>(acquire_bench::key({n, d, Storage}, "embeddings"),
                                                 [=] { return acquire::synthetic::embeddings<float, Storage>(n, d); });
    };
    const auto labeled = acquire::random_select(n, labeled_count, 3);
    auto add = [&](const std::string& name, bool prune, bool checked = false) {
        benchmark::RegisterBenchmark((name + suffix).c_str(), [=](benchmark::State& state) {
            const auto& X = pool();
            acquire::KCenterStats stats;
            acquire::KCenterOptions o;
            o.prune = prune;
            o.stats = &stats;
            o.checks.values = checked;
            for (auto _ : state) benchmark::DoNotOptimize(acquire::k_center_greedy(X, labeled, b, o));
            state.counters["distances"] = double(stats.distance_evaluations);
            state.counters["s_per_pick"] = benchmark::Counter(double(b), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
        })->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
    };
    add("k_center/checked", true, true);  // the default call: one finite-check pass over X first
    add("k_center/pruned", true);
    add("k_center/naive", false);
    benchmark::RegisterBenchmark(("reference/read" + suffix).c_str(), [=](benchmark::State& state) {
        const auto& X = pool();
        for (auto _ : state) benchmark::DoNotOptimize(X.sum());
        state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * n * d * 4);
    })->Unit(benchmark::kMillisecond)->UseRealTime();
}

}  // namespace

int main(int argc, char** argv) {
    acquire_bench::Args args(argc, argv);
    const auto n = args.value("n", 100000, 2000);
    const auto d = args.value("d", 256, 16);
    const auto b = args.value("b", 1000, 20);
    const auto labeled = args.value("labeled", 0, 5);
    const auto layouts = args.list("layouts", {0, 1}, {0, 1});
    args.check_all_used();
    for (auto layout : layouts) {
        if (layout == 0) register_pool<Eigen::RowMajor>(n, d, b, labeled);
        else register_pool<Eigen::ColMajor>(n, d, b, labeled);
    }
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
}
