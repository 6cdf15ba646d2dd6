// The strategies that beat random: stochastic_batch, typiclust, probcover, agglomerative
// clustering and cluster_margin, each beside a reference in the same binary:
//   stochastic_batch, cluster_margin   top_k on the same scores (one streaming pass)
//   typiclust                          kmeans alone with the same cluster count
//   probcover                          the bare Gram product X X^T (the dense graph's floor)
//   agglomerative_clustering           the naive O(N^3) greedy (options.naive)
// The checked default call runs beside the unchecked one (checks.values = false) where the
// function has value checks.
//
// Flags: --n=1000000 (scores) --m=20000 (embeddings for typiclust) --g=5000 (probcover and HAC)
// --d=64 --b=100, --smoke=1 for tiny sizes. Float.
#include "common.hpp"

#include <acquire/core/top_k.hpp>
#include <acquire/select/cluster_margin.hpp>
#include <acquire/select/hierarchical.hpp>
#include <acquire/select/probcover.hpp>
#include <acquire/select/stochastic.hpp>
#include <acquire/select/typiclust.hpp>
#include <acquire/synthetic.hpp>

#include <string>

namespace {

using acquire::Index;

}  // namespace

int main(int argc, char** argv) {
    acquire_bench::Args args(argc, argv);
    const auto n = args.value("n", 1000000, 5000);
    const auto m = args.value("m", 20000, 600);
    const auto g = args.value("g", 5000, 300);
    const auto d = args.value("d", 64, 8);
    const auto b = args.value("b", 100, 5);
    args.check_all_used();

    Eigen::VectorXf s(n);
    {
        acquire::Rng rng(2);
        for (Index i = 0; i < n; ++i) s[i] = float(rng.uniform());
    }
    const std::string ns = "/n:" + std::to_string(n) + "/b:" + std::to_string(b);
    benchmark::RegisterBenchmark(("reference/top_k" + ns).c_str(), [=](benchmark::State& state) {
        for (auto _ : state) benchmark::DoNotOptimize(acquire::top_k(s, b));
    })->Unit(benchmark::kMillisecond)->UseRealTime();
    for (auto mode : {acquire::StochasticMode::power, acquire::StochasticMode::softmax, acquire::StochasticMode::soft_rank}) {
        const char* name = mode == acquire::StochasticMode::power ? "power" : mode == acquire::StochasticMode::softmax ? "softmax" : "soft_rank";
        for (bool checked : {true, false}) {
            benchmark::RegisterBenchmark(("stochastic_batch/" + std::string(name) + (checked ? "" : "/unchecked") + ns).c_str(),
                                         [=](benchmark::State& state) {
                                             acquire::StochasticOptions o;
                                             o.mode = mode;
                                             o.checks.values = checked;
                                             for (auto _ : state) benchmark::DoNotOptimize(acquire::stochastic_batch(s, b, o));
                                         })->Unit(benchmark::kMillisecond)->UseRealTime();
        }
    }
    // Cluster-Margin on the score vector with a fixed clustering (1000 clusters, round-robin ids).
    std::vector<Index> assignment(static_cast<std::size_t>(n));
    for (Index i = 0; i < n; ++i) assignment[static_cast<std::size_t>(i)] = (i * 7919) % std::min<Index>(n, 1000);
    const std::string cm = "/n:" + std::to_string(n) + "/b:" + std::to_string(10 * b) + "/k_m:" + std::to_string(100 * b);
    benchmark::RegisterBenchmark(("reference/top_k" + cm).c_str(), [=](benchmark::State& state) {
        for (auto _ : state) benchmark::DoNotOptimize(acquire::top_k(s, 100 * b));
    })->Unit(benchmark::kMillisecond)->UseRealTime();
    benchmark::RegisterBenchmark(("cluster_margin" + cm).c_str(), [=](benchmark::State& state) {
        acquire::ClusterMarginOptions o;
        o.margin_pool = 100 * b;
        for (auto _ : state) benchmark::DoNotOptimize(acquire::cluster_margin(s, assignment, 10 * b, o));
    })->Unit(benchmark::kMillisecond)->UseRealTime();

    // TypiClust: |labeled| = b, so kmeans with 2 b clusters.
    const std::string ms = "/m:" + std::to_string(m) + "/d:" + std::to_string(d) + "/b:" + std::to_string(b);
    auto pool = [=]() -> const acquire::RowMatrix<float>& {
        return acquire_bench::Fixture::get<acquire::RowMatrix<float>>(
            acquire_bench::key({m, d}, "embeddings"), [=] { return acquire::synthetic::embeddings<float, Eigen::RowMajor>(m, d); });
    };
    std::vector<Index> labeled;
    for (Index i = 0; i < b; ++i) labeled.push_back(i * (m / b));
    benchmark::RegisterBenchmark(("reference/kmeans" + ms + "/k:" + std::to_string(2 * b)).c_str(), [=](benchmark::State& state) {
        const auto& X = pool();
        for (auto _ : state) benchmark::DoNotOptimize(acquire::kmeans(X, 2 * b));
    })->Unit(benchmark::kMillisecond)->UseRealTime();
    for (bool checked : {true, false}) {
        benchmark::RegisterBenchmark(("typiclust" + std::string(checked ? "" : "/unchecked") + ms).c_str(), [=](benchmark::State& state) {
            acquire::TypiClustOptions o;
            o.labeled = labeled;
            o.kmeans.checks.values = checked;
            const auto& X = pool();
            for (auto _ : state) benchmark::DoNotOptimize(acquire::typiclust(X, b, o));
        })->Unit(benchmark::kMillisecond)->UseRealTime();
    }

    // ProbCover and HAC on a smaller pool: both are O(N^2) in distances.
    const std::string gs = "/g:" + std::to_string(g) + "/d:" + std::to_string(d);
    auto small = [=]() -> const acquire::RowMatrix<float>& {
        return acquire_bench::Fixture::get<acquire::RowMatrix<float>>(
            acquire_bench::key({g, d}, "small"), [=] { return acquire::synthetic::embeddings<float, Eigen::RowMajor>(g, d); });
    };
    benchmark::RegisterBenchmark(("reference/gram" + gs).c_str(), [=](benchmark::State& state) {
        const auto& X = small();
        acquire::RowMatrix<float> G(g, g);
        for (auto _ : state) {
            G.noalias() = X * X.transpose();
            benchmark::DoNotOptimize(G.data());
        }
    })->Unit(benchmark::kMillisecond)->UseRealTime();
    // delta from the paper's rule with 10 pseudo-classes, computed once.
    const double delta = [&] {
        acquire::ProbCoverDeltaOptions o;
        return acquire::probcover_delta(small(), Index(10), o);
    }();
    benchmark::RegisterBenchmark(("probcover_delta" + gs + "/clusters:10").c_str(), [=](benchmark::State& state) {
        const auto& X = small();
        for (auto _ : state) benchmark::DoNotOptimize(acquire::probcover_delta(X, Index(10)));
    })->Unit(benchmark::kMillisecond)->UseRealTime();
    for (bool checked : {true, false}) {
        benchmark::RegisterBenchmark(("probcover" + std::string(checked ? "" : "/unchecked") + gs + "/b:" + std::to_string(b)).c_str(),
                                     [=](benchmark::State& state) {
                                         acquire::ProbCoverOptions o;
                                         o.checks.values = checked;
                                         const auto& X = small();
                                         acquire::Selection sel;
                                         for (auto _ : state) benchmark::DoNotOptimize(sel = acquire::probcover(X, delta, b, o));
                                         state.counters["delta"] = delta;
                                         state.counters["coverage"] = sel.objective.back() / double(g);
                                     })->Unit(benchmark::kMillisecond)->UseRealTime();
    }
    for (bool naive : {false, true}) {
        auto* bm = benchmark::RegisterBenchmark(((naive ? "reference/agglomerative_naive" : "agglomerative_clustering") + gs).c_str(),
                                     [=](benchmark::State& state) {
                                         acquire::AgglomerativeOptions o;
                                         o.naive = naive;
                                         const auto& X = small();
                                         acquire::Clustering c;
                                         for (auto _ : state) benchmark::DoNotOptimize(c = acquire::agglomerative_clustering(X, 4.0, o));
                                         state.counters["clusters"] = double(c.clusters);
                                     });
        bm->Unit(benchmark::kMillisecond)->UseRealTime();
        if (naive) bm->Iterations(1);
    }
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
}
