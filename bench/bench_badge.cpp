// BADGE on synthetic pools: the implicit gradient-embedding distances against the explicit
// form (materialise the N x K d gradient embeddings, then k-means++ on them) in the same
// binary, and k-means++ seeding itself. A large case shows the implicit form running where the
// explicit matrix could not exist (K = 1000, d = 2048, N = 50,000: 409 GB as floats). badge and
// kmeans_pp also run with pruning off (every distance at every pick) as the same-binary
// reference; `skipped` is the fraction of point-to-center distances pruning left out.
//
// Flags: --n=20000 --k=10 --d=128 --b=100, --big=1 (0 skips the large case), --smoke=1.
#include "common.hpp"

#include <acquire/select/badge.hpp>
#include <acquire/select/kmeans_pp.hpp>
#include <acquire/synthetic.hpp>

#include <string>

namespace {

using acquire::Index;
using Rows = acquire::RowMatrix<float>;

struct Pool {
    Rows P, H;
};

const Pool& pool(Index n, Index k, Index d) {
    return acquire_bench::Fixture::get<Pool>(acquire_bench::key({n, k, d}, "badge"), [=] {
        return Pool{acquire::synthetic::probabilities<float, Eigen::RowMajor>(n, k),
                    acquire::synthetic::embeddings<float, Eigen::RowMajor>(n, d)};
    });
}

void register_pool(Index n, Index k, Index d, Index b, bool with_explicit) {
    const std::string suffix = "/n:" + std::to_string(n) + "/k:" + std::to_string(k) + "/d:" +
                               std::to_string(d) + "/b:" + std::to_string(b);
    const double explicit_gb = double(n) * double(k) * double(d) * 4 / 1e9;
    const double implicit_mb = (double(n) * (double(k) * 8 + 6 * 8) ) / 1e6;  // a (double) + N-vectors
    benchmark::RegisterBenchmark(("badge/implicit" + suffix).c_str(), [=](benchmark::State& state) {
        const auto& p = pool(n, k, d);
        acquire::BadgeOptions o;
        o.checks.values = false;
        acquire::D2Stats stats;
        o.stats = &stats;
        for (auto _ : state) benchmark::DoNotOptimize(acquire::badge(p.P, p.H, {}, b, o));
        state.counters["skipped"] = double(stats.skipped) / double(stats.skipped + stats.distance_evaluations);
        state.counters["extra_MB"] = implicit_mb;
        state.counters["explicit_GB"] = explicit_gb;
    })->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
    benchmark::RegisterBenchmark(("badge/default" + suffix).c_str(), [=](benchmark::State& state) {
        const auto& p = pool(n, k, d);  // what users run: default options, checks on
        for (auto _ : state) benchmark::DoNotOptimize(acquire::badge(p.P, p.H, {}, b));
    })->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
    benchmark::RegisterBenchmark(("reference/unpruned" + suffix).c_str(), [=](benchmark::State& state) {
        const auto& p = pool(n, k, d);
        acquire::BadgeOptions o;
        o.checks.values = false;
        o.prune = false;
        for (auto _ : state) benchmark::DoNotOptimize(acquire::badge(p.P, p.H, {}, b, o));
    })->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
    if (!with_explicit) return;
    benchmark::RegisterBenchmark(("reference/explicit" + suffix).c_str(), [=](benchmark::State& state) {
        const auto& p = pool(n, k, d);
        for (auto _ : state) {
            const Rows g = acquire::gradient_embedding(p.P, p.H);
            Index first = 0;
            const Eigen::VectorXf norms = g.rowwise().squaredNorm();
            norms.maxCoeff(&first);
            acquire::KMeansPPOptions o;
            o.first = first;
            o.checks.values = false;
            benchmark::DoNotOptimize(acquire::kmeans_pp(g, b, o));
        }
        state.counters["explicit_GB"] = explicit_gb;
    })->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
}

}  // namespace

// k-means++ seeding on clustered embeddings: pruned against every distance at every pick.
void register_kmeans_pp(Index n, Index d, Index b) {
    const std::string suffix = "/n:" + std::to_string(n) + "/d:" + std::to_string(d) + "/b:" + std::to_string(b);
    auto X = [=]() -> const Rows& {
        return acquire_bench::Fixture::get<Rows>(acquire_bench::key({n, d}, "kmeans_pp"), [=] {
            return acquire::synthetic::embeddings<float, Eigen::RowMajor>(n, d);
        });
    };
    for (bool prune : {true, false})
        benchmark::RegisterBenchmark(((prune ? "kmeans_pp" : "reference/kmeans_pp_unpruned") + suffix).c_str(),
                                     [=](benchmark::State& state) {
                                         acquire::KMeansPPOptions o;
                                         o.checks.values = false;
                                         o.prune = prune;
                                         acquire::D2Stats stats;
                                         o.stats = &stats;
                                         const Rows& x = X();  // built once, outside the timing
                                         for (auto _ : state) benchmark::DoNotOptimize(acquire::kmeans_pp(x, b, o));
                                         state.counters["skipped"] =
                                             double(stats.skipped) / double(stats.skipped + stats.distance_evaluations);
                                     })
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime()
            ->Iterations(1);
}

int main(int argc, char** argv) {
    acquire_bench::Args args(argc, argv);
    const auto n = args.value("n", 20000, 300);
    const auto k = args.value("k", 10, 4);
    const auto d = args.value("d", 128, 8);
    const auto b = args.value("b", 100, 10);
    const auto big = args.value("big", 1, 0);
    args.check_all_used();
    register_pool(n, k, d, b, true);
    register_kmeans_pp(n, d, b);
    if (big) register_pool(50000, 1000, 2048, 20, false);
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
}
