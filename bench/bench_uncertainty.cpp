// Uncertainty scorers and top-k on synthetic pools, each against references that read the same
// matrix in the same binary, so the figures read as ratios:
//   reference/row_sum   one streaming read of P (Eigen's rowwise sum), the reference;
//   reference/read      P.sum(): one pure streaming read with no output traffic (Eigen's
//                       column-major rowwise sum re-reads its N-vector once per column, so at
//                       K = 1000 this is the honest bandwidth ceiling);
//   reference/plogp     Eigen's plain vectorised (P * log P).rowwise().sum(): the entropy bar.
// Scorers run with value checks off (`/unchecked`, the kernel alone) and on (`/checked`, the
// default: validated in the scoring pass), and `interleaved/<scorer>` alternates the two in every
// iteration (7 rounds) and reports checked_over_unchecked, best time against best time, and
// paired_median, the median of the rounds' own ratios (acquire_bench::alternate_checked).
//
// Flags: --n=1000000 --k=10,100,1000 --scalars=0,1 (0 float, 1 double) --top_n=10000000
//        --top_k=1000, and --smoke=1 for tiny sizes. Google Benchmark flags pass through.
#include "common.hpp"

#include <acquire/core/top_k.hpp>
#include <acquire/score/uncertainty.hpp>
#include <acquire/synthetic.hpp>

#include <algorithm>
#include <string>

namespace {

using acquire::Index;

template <class Scalar, int Storage>
using Pool = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Storage>;

template <class Scalar, int Storage>
const Pool<Scalar, Storage>& pool(Index n, Index k) {
    const bool row = Storage == Eigen::RowMajor;
    return acquire_bench::Fixture::get<Pool<Scalar, Storage>>(
        acquire_bench::key({n, k, row, sizeof(Scalar)}, "probabilities"),
        [=] { return acquire::synthetic::probabilities<Scalar, Storage>(n, k); });
}

template <class Scalar, int Storage, class Kernel>
void run(benchmark::State& state, Index n, Index k, Kernel kernel) {
    const auto& p = pool<Scalar, Storage>(n, k);
    acquire::Vector<Scalar> out(n);
    for (auto _ : state) {
        kernel(p, out);
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * n * k *
                            static_cast<std::int64_t>(sizeof(Scalar)));
}

template <class Scalar, int Storage>
void register_pool(Index n, Index k) {
    const std::string suffix = std::string(sizeof(Scalar) == 4 ? "/float" : "/double") +
                               (Storage == Eigen::RowMajor ? "/row" : "/col") + "/n:" +
                               std::to_string(n) + "/k:" + std::to_string(k);
    auto add = [&](const std::string& name, auto kernel) {
        benchmark::RegisterBenchmark((name + suffix).c_str(), [=](benchmark::State& state) {
            run<Scalar, Storage>(state, n, k, kernel);
        })->Unit(benchmark::kMillisecond)->UseRealTime();
    };
    add("reference/row_sum", [](const auto& p, auto& out) { out = p.rowwise().sum(); });
    add("reference/read", [](const auto& p, auto& out) { out[0] = p.sum(); });
    add("reference/plogp", [](const auto& p, auto& out) {
        out = (p.array() * p.array().log()).rowwise().sum().matrix();
    });
    acquire::CheckOptions off;
    off.values = false;
    const acquire::CheckOptions on;
    for (const auto& [checks, tag] : {std::pair{off, "/unchecked"}, std::pair{on, "/checked"}}) {
        const std::string t = tag;
        add("least_confidence" + t, [c = checks](const auto& p, auto& out) { acquire::least_confidence(p, out, c); });
        add("margin" + t, [c = checks](const auto& p, auto& out) { acquire::margin(p, out, c); });
        add("entropy" + t, [c = checks](const auto& p, auto& out) { acquire::entropy(p, out, c); });
        add("ratio" + t, [c = checks](const auto& p, auto& out) { acquire::ratio(p, out, c); });
    }
    // Checked over unchecked with the two calls alternating in every iteration, best of each:
    // on a shared machine, separate benchmarks of the same call can differ by 25%.
    auto ratio_of = [&](const std::string& name, auto call) {
        benchmark::RegisterBenchmark(("interleaved/" + name + suffix).c_str(), [=](benchmark::State& state) {
            const auto& p = pool<Scalar, Storage>(n, k);
            acquire::Vector<Scalar> out(n);
            acquire_bench::alternate_checked(state, [&](bool checked) {
                call(p, out, checked);
                benchmark::DoNotOptimize(out.data());
            });
        })->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(7);
    };
    auto with = [](bool checked) {
        acquire::CheckOptions c;
        c.values = checked;
        return c;
    };
    ratio_of("least_confidence", [with](const auto& p, auto& out, bool c) { acquire::least_confidence(p, out, with(c)); });
    ratio_of("margin", [with](const auto& p, auto& out, bool c) { acquire::margin(p, out, with(c)); });
    ratio_of("entropy", [with](const auto& p, auto& out, bool c) { acquire::entropy(p, out, with(c)); });
    ratio_of("ratio", [with](const auto& p, auto& out, bool c) { acquire::ratio(p, out, with(c)); });
    add("entropy_logits/unchecked", [off](const auto& p, auto& out) {
        acquire::entropy(acquire::logits(p), out, off);
    });
    add("margin_logits/unchecked", [off](const auto& p, auto& out) {
        acquire::margin(acquire::logits(p), out, off);
    });
}

void register_top_k(Index n, Index k) {
    const std::string suffix = "/n:" + std::to_string(n) + "/k:" + std::to_string(k);
    auto scores = [n] {
        return acquire_bench::Fixture::get<Eigen::VectorXf>(
            acquire_bench::key({n}, "scores"), [n] {
                Eigen::VectorXf s(n);
                acquire::Rng rng(3);
                for (Index i = 0; i < n; ++i) s[i] = static_cast<float>(rng.uniform());
                return s;
            });
    };
    benchmark::RegisterBenchmark(("top_k" + suffix).c_str(), [=](benchmark::State& state) {
        const auto& s = scores();
        for (auto _ : state) benchmark::DoNotOptimize(acquire::top_k(s, k));
        state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * n * 4);
    })->Unit(benchmark::kMillisecond)->UseRealTime();
    benchmark::RegisterBenchmark(("reference/max" + suffix).c_str(), [=](benchmark::State& state) {
        const auto& s = scores();
        for (auto _ : state) benchmark::DoNotOptimize(s.maxCoeff());
        state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * n * 4);
    })->Unit(benchmark::kMillisecond)->UseRealTime();
}

}  // namespace

int main(int argc, char** argv) {
    acquire_bench::Args args(argc, argv);
    const auto ns = args.list("n", {1000000}, {3000});
    const auto ks = args.list("k", {10, 100, 1000}, {3, 10});
    const auto scalars = args.list("scalars", {0, 1}, {0, 1});
    const auto top_n = args.value("top_n", 10000000, 20000);
    const auto top_k = args.value("top_k", 1000, 10);
    args.check_all_used();

    // Grouped by pool so each multi-GB input is generated once and freed before the next.
    for (auto scalar : scalars)
        for (auto k : ks)
            for (auto n : ns) {
                if (scalar == 0) {
                    register_pool<float, Eigen::RowMajor>(n, k);
                    register_pool<float, Eigen::ColMajor>(n, k);
                } else {
                    register_pool<double, Eigen::RowMajor>(n, k);
                    register_pool<double, Eigen::ColMajor>(n, k);
                }
            }
    register_top_k(top_n, top_k);

    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
}
