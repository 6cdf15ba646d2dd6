// Facility location on clustered synthetic embeddings.
//
// 1. The gain loop alone, sum_j max(0, s_j - cover_j) over a row in cache, float and double,
//    against the scalar sequential double loop it replaced (items = pool points).
// 2. The similarity-row kernel (rows whose bits do not depend on their batch) against Eigen's
//    matrix product of the same rows with the pool (items = multiply-adds).
// 3. The default call, N = --default_n (10,000), d = 64, double, every row a candidate, b = 100,
//    default options, beside the bare X X^T product it must at least pay for (the first gains).
// 4. A pool (--n, --d, --candidates, --b; float): lazy greedy (cached block), lazy under a 64 MB
//    bound (rows recomputed in batches), the sparse k-NN mode (--neighbors), stochastic greedy,
//    and plain greedy as the reference, all with the same picks except sparse and stochastic.
//
// --smoke=1 for tiny sizes. Figures with OMP_NUM_THREADS=1; no -march flags unless stated.
#include "common.hpp"

#include <acquire/core/random.hpp>
#include <acquire/select/facility_location.hpp>
#include <acquire/synthetic.hpp>

#include <string>

namespace {

using acquire::Index;

template <class T>
void register_gain_loop(Index n) {
    const std::string suffix = std::string(sizeof(T) == 4 ? "/float" : "/double") + "/n:" + std::to_string(n);
    auto data = [n] {
        const Index padded = (n + 15) / 16 * 16;
        std::vector<T> s(static_cast<std::size_t>(padded), T(0)), cover(s);
        acquire::Rng rng(1);
        for (Index j = 0; j < n; ++j) {
            s[static_cast<std::size_t>(j)] = static_cast<T>(rng.uniform());
            cover[static_cast<std::size_t>(j)] = static_cast<T>(rng.uniform());
        }
        return std::make_pair(s, cover);
    };
    benchmark::RegisterBenchmark(("gain_loop" + suffix).c_str(), [=](benchmark::State& state) {
        const auto [s, cover] = data();
        for (auto _ : state) {
            benchmark::DoNotOptimize(acquire::detail::dense_gain(s.data(), cover.data(), static_cast<Index>(s.size())));
            benchmark::ClobberMemory();
        }
        state.SetItemsProcessed(state.iterations() * n);
    });
    benchmark::RegisterBenchmark(("reference/scalar_gain_loop" + suffix).c_str(), [=](benchmark::State& state) {
        const auto [s, cover] = data();
        for (auto _ : state) {
            double g = 0;
            for (Index j = 0; j < n; ++j)
                g += std::max(0.0, double(s[static_cast<std::size_t>(j)]) - double(cover[static_cast<std::size_t>(j)]));
            benchmark::DoNotOptimize(g);
            benchmark::ClobberMemory();
        }
        state.SetItemsProcessed(state.iterations() * n);
    });
}

template <class T>
void register_kernel(Index n, Index d, Index rows) {
    const std::string suffix = std::string(sizeof(T) == 4 ? "/float" : "/double") + "/n:" + std::to_string(n) +
                               "/d:" + std::to_string(d) + "/rows:" + std::to_string(rows);
    auto pool = [=] { return acquire::synthetic::embeddings<T, Eigen::RowMajor>(n, d); };
    benchmark::RegisterBenchmark(("similarity_rows" + suffix).c_str(), [=](benchmark::State& state) {
        const acquire::RowMatrix<T> X = pool();
        const acquire::detail::PackedPool<T> packed(X);
        std::vector<T> out(static_cast<std::size_t>(rows * packed.padded));
        std::vector<T*> dest(static_cast<std::size_t>(rows));
        for (Index r = 0; r < rows; ++r) dest[static_cast<std::size_t>(r)] = out.data() + r * packed.padded;
        for (auto _ : state) {
            acquire::detail::dot_rows(packed, X.data(), rows, 0, packed.padded / acquire::detail::facility_width, dest.data());
            benchmark::ClobberMemory();
        }
        state.SetItemsProcessed(state.iterations() * rows * n * d);
    })->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("reference/eigen_product" + suffix).c_str(), [=](benchmark::State& state) {
        const acquire::RowMatrix<T> X = pool();
        acquire::RowMatrix<T> out(rows, n);
        for (auto _ : state) {
            out.noalias() = X.topRows(rows) * X.transpose();
            benchmark::ClobberMemory();
        }
        state.SetItemsProcessed(state.iterations() * rows * n * d);
    })->Unit(benchmark::kMillisecond);
}

void register_default(Index n, Index b) {
    const std::string suffix = "/double/n:" + std::to_string(n) + "/d:64/b:" + std::to_string(b);
    auto pool = [=]() -> const acquire::RowMatrix<double>& {
        return acquire_bench::Fixture::get<acquire::RowMatrix<double>>(
            acquire_bench::key({n, 64}, "default"), [=] { return acquire::synthetic::embeddings<double, Eigen::RowMajor>(n, 64); });
    };
    benchmark::RegisterBenchmark(("facility_location/default" + suffix).c_str(), [=](benchmark::State& state) {
        Index evaluations = 0;
        acquire::FacilityLocationOptions o;
        o.evaluations = &evaluations;
        const auto& X = pool();
        for (auto _ : state) benchmark::DoNotOptimize(acquire::facility_location(X, {}, b, o));
        state.counters["gains"] = double(evaluations);
    })->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
    benchmark::RegisterBenchmark(("facility_location/default_unchecked" + suffix).c_str(), [=](benchmark::State& state) {
        acquire::FacilityLocationOptions o;
        o.checks.values = false;
        const auto& X = pool();
        for (auto _ : state) benchmark::DoNotOptimize(acquire::facility_location(X, {}, b, o));
    })->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
    benchmark::RegisterBenchmark(("reference/x_xt_product" + suffix).c_str(), [=](benchmark::State& state) {
        const auto& X = pool();
        acquire::RowMatrix<double> S(n, n);
        for (auto _ : state) {
            S.noalias() = X * X.transpose();
            benchmark::ClobberMemory();
        }
    })->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
}

void register_pool(Index n, Index d, Index m, Index b, Index k) {
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
    acquire::FacilityLocationOptions lazy, plain, tiled, sparse, stochastic;
    plain.lazy = false;
    tiled.memory_bytes = std::size_t(64) << 20;
    sparse.neighbors = k;
    stochastic.stochastic = true;
    add("facility_location/lazy", lazy);
    add("facility_location/lazy_tiled_64MB", tiled);
    add("facility_location/sparse_k:" + std::to_string(k), sparse);
    add("facility_location/stochastic", stochastic);
    add("reference/plain_greedy", plain);
}

}  // namespace

int main(int argc, char** argv) {
    acquire_bench::Args args(argc, argv);
    const auto loop = args.value("gain_n", 4096, 256);
    const auto default_n = args.value("default_n", 10000, 300);
    const auto n = args.value("n", 50000, 500);
    const auto d = args.value("d", 128, 8);
    const auto m = args.value("candidates", 2000, 50);
    const auto b = args.value("b", 100, 5);
    const auto k = args.value("neighbors", 20, 5);
    args.check_all_used();
    register_gain_loop<float>(loop);
    register_gain_loop<double>(loop);
    register_kernel<float>(default_n, 64, 64);
    register_kernel<double>(default_n, 64, 64);
    register_default(default_n, args.smoke() ? 10 : 100);
    register_pool(n, d, m, b, k);
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
}
