// kmeans, cluster_select and information_density on clustered synthetic embeddings, with a
// reference that reads X once (its sum), one that reads it twice (information_density's two
// passes' floor) and, for cluster_select, the prefilter alone (top_k).
//
// Flags: --n=100000 --d=128 --b=100 --beta=10 --k=100, --smoke=1 for tiny sizes. Float.
#include "common.hpp"

#include <acquire/core/top_k.hpp>
#include <acquire/score/density.hpp>
#include <acquire/select/cluster.hpp>
#include <acquire/synthetic.hpp>

#include <string>

namespace {

using acquire::Index;

}  // namespace

int main(int argc, char** argv) {
    acquire_bench::Args args(argc, argv);
    const auto n = args.value("n", 100000, 2000);
    const auto d = args.value("d", 128, 8);
    const auto b = args.value("b", 100, 5);
    const auto beta = args.value("beta", 10, 4);
    const auto k = args.value("k", 100, 5);
    args.check_all_used();
    const std::string suffix = "/n:" + std::to_string(n) + "/d:" + std::to_string(d);
    auto pool = [=]() -> const acquire::RowMatrix<float>& {
        return acquire_bench::Fixture::get<acquire::RowMatrix<float>>(
            acquire_bench::key({n, d}, "embeddings"), [=] { return acquire::synthetic::embeddings<float, Eigen::RowMajor>(n, d); });
    };
    auto scores = [=] {
        Eigen::VectorXf s(n);
        acquire::Rng rng(2);
        for (Index i = 0; i < n; ++i) s[i] = float(rng.uniform());
        return s;
    };
    const Eigen::VectorXf s = scores();
    benchmark::RegisterBenchmark(("reference/read" + suffix).c_str(), [=](benchmark::State& state) {
        const auto& X = pool();
        for (auto _ : state) benchmark::DoNotOptimize(X.sum());
        state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * n * d * 4);
    })->Unit(benchmark::kMillisecond)->UseRealTime();
    // The floor of any two-pass method: X read forward, then backward (as information_density's
    // second pass walks it, so the rows read last may still be cached).
    benchmark::RegisterBenchmark(("reference/read_twice" + suffix).c_str(), [=](benchmark::State& state) {
        const auto& X = pool();
        for (auto _ : state) {
            benchmark::DoNotOptimize(X.sum());
            float back = 0;
            for (Index r1 = n; r1 > 0;) {
                const Index r0 = std::max<Index>(0, r1 - 256);
                back += X.middleRows(r0, r1 - r0).sum();
                r1 = r0;
            }
            benchmark::DoNotOptimize(back);
        }
        state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * n * d * 4);
    })->Unit(benchmark::kMillisecond)->UseRealTime();
    benchmark::RegisterBenchmark(("information_density" + suffix).c_str(), [=](benchmark::State& state) {
        const auto& X = pool();
        for (auto _ : state) benchmark::DoNotOptimize(acquire::information_density(X, s, 1.0));
        state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * n * d * 4);
    })->Unit(benchmark::kMillisecond)->UseRealTime();
    benchmark::RegisterBenchmark(("information_density/unchecked" + suffix).c_str(), [=](benchmark::State& state) {
        const auto& X = pool();
        acquire::CheckOptions off;
        off.values = false;
        for (auto _ : state) benchmark::DoNotOptimize(acquire::information_density(X, s, 1.0, off));
        state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * n * d * 4);
    })->Unit(benchmark::kMillisecond)->UseRealTime();
    // The bare product the second pass computes (Eigen's matrix-vector product, X times a vector).
    benchmark::RegisterBenchmark(("reference/eigen_product" + suffix).c_str(), [=](benchmark::State& state) {
        const auto& X = pool();
        const Eigen::VectorXf v = Eigen::VectorXf::Constant(d, 1.0f / float(d));
        Eigen::VectorXf out(n);
        for (auto _ : state) {
            out.noalias() = X * v;
            benchmark::DoNotOptimize(out.data());
        }
        state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * n * d * 4);
    })->Unit(benchmark::kMillisecond)->UseRealTime();
    benchmark::RegisterBenchmark(("reference/prefilter_top_k" + suffix + "/m:" + std::to_string(beta * b)).c_str(),
                                 [=](benchmark::State& state) {
                                     for (auto _ : state) benchmark::DoNotOptimize(acquire::top_k(s, beta * b));
                                 })->Unit(benchmark::kMillisecond)->UseRealTime();
    benchmark::RegisterBenchmark(("cluster_select" + suffix + "/b:" + std::to_string(b) + "/beta:" + std::to_string(beta)).c_str(),
                                 [=](benchmark::State& state) {
                                     acquire::ClusterSelectOptions o;
                                     o.beta = beta;
                                     const auto& X = pool();
                                     for (auto _ : state) benchmark::DoNotOptimize(acquire::cluster_select(X, s, b, o));
                                 })->Unit(benchmark::kMillisecond)->UseRealTime();
    benchmark::RegisterBenchmark(("kmeans" + suffix + "/k:" + std::to_string(k)).c_str(), [=](benchmark::State& state) {
        acquire::KMeansOptions o;
        o.max_iterations = 10;
        const auto& X = pool();
        for (auto _ : state) benchmark::DoNotOptimize(acquire::kmeans(X, k, o));
        state.counters["iterations"] = 10;
    })->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
}
