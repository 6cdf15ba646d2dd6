// Facility location on clustered synthetic embeddings: lazy greedy against plain greedy in the
// same binary (the same picks; gains evaluated are counted), lazy greedy with the similarity
// block recomputed in tiles under a small memory bound, and stochastic greedy.
//
// Flags: --n=50000 --d=128 --candidates=2000 --b=100, --smoke=1 for tiny sizes. Float.
#include "common.hpp"

#include <acquire/core/random.hpp>
#include <acquire/select/facility_location.hpp>
#include <acquire/synthetic.hpp>

#include <string>

namespace {

using acquire::Index;

void register_pool(Index n, Index d, Index m, Index b) {
    const std::string suffix = "/n:" + std::to_string(n) + "/d:" + std::to_string(d) + "/candidates:" +
                               std::to_string(m) + "/b:" + std::to_string(b);
    auto pool = [=]() -> const acquire::RowMatrix<float>& {
        return acquire_bench::Fixture::get<acquire::RowMatrix<float>>(
            acquire_bench::key({n, d}, "embeddings"), [=] { return acquire::synthetic::embeddings<float, Eigen::RowMajor>(n, d); });
    };
    const auto candidates = acquire::random_select(n, m, 5);
    auto add = [&](const std::string& name, acquire::FacilityLocationOptions o) {
        benchmark::RegisterBenchmark((name + suffix).c_str(), [=](benchmark::State& state) mutable {
            Index evaluations = 0;
            o.evaluations = &evaluations;
            o.checks.values = false;
            const auto& X = pool();
            for (auto _ : state) benchmark::DoNotOptimize(acquire::facility_location(X, candidates, b, o));
            state.counters["gains"] = double(evaluations);
        })->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
    };
    acquire::FacilityLocationOptions lazy, plain, tiled, stochastic;
    plain.lazy = false;
    tiled.memory_bytes = std::size_t(64) << 20;
    stochastic.stochastic = true;
    add("facility_location/lazy", lazy);
    add("facility_location/lazy_tiled_64MB", tiled);
    add("facility_location/stochastic", stochastic);
    add("reference/plain_greedy", plain);
}

}  // namespace

int main(int argc, char** argv) {
    acquire_bench::Args args(argc, argv);
    const auto n = args.value("n", 50000, 500);
    const auto d = args.value("d", 128, 8);
    const auto m = args.value("candidates", 2000, 50);
    const auto b = args.value("b", 100, 5);
    args.check_all_used();
    register_pool(n, d, m, b);
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
}
