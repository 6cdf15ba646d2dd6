// Committee and Bayesian scorers on synthetic prediction stacks, in the three layouts, against
// references that read the same stack in the same binary:
//   reference/read   one pure streaming read of the T x N x K buffer (its sum);
//   reference/plogp  a plain vectorised sum(p ln p) over the whole buffer: the BALD bar (BALD
//                    needs exactly these logs plus the consensus's, N K more).
// Scorers run with value checks off (`/unchecked`) and on (`/checked`, the default call), and
// `interleaved/<scorer>` alternates the two in every iteration and reports their ratio
// (acquire_bench::alternate_checked): separate runs of the same call differ by up to 25% here.
//
// Flags: --n=100000 --t=20 --k=10,100, --smoke=1 for tiny sizes. Float throughout.
#include "common.hpp"

#include <acquire/score/bayesian.hpp>
#include <acquire/score/committee.hpp>
#include <acquire/synthetic.hpp>

#include <string>
#include <vector>

namespace {

using acquire::Index;
using Stack = acquire::PredictionStack<float>;

enum class Layout { tnk, ntk, nkt };

// The same synthetic stack, stored in the requested layout.
const std::vector<float>& buffer(Index t, Index n, Index k, Layout layout) {
    return acquire_bench::Fixture::get<std::vector<float>>(
        acquire_bench::key({t, n, k, static_cast<std::int64_t>(layout)}, "stack"), [=] {
            auto tnk = acquire::synthetic::stack_buffer<float>(t, n, k);
            if (layout == Layout::tnk) return tnk;
            std::vector<float> out(tnk.size());
            for (Index m = 0; m < t; ++m)
                for (Index i = 0; i < n; ++i)
                    for (Index c = 0; c < k; ++c) {
                        const auto to = layout == Layout::ntk ? (i * t + m) * k + c : (i * k + c) * t + m;
                        out[static_cast<std::size_t>(to)] = tnk[static_cast<std::size_t>((m * n + i) * k + c)];
                    }
            return out;
        });
}

Stack view(const std::vector<float>& b, Index t, Index n, Index k, Layout layout) {
    switch (layout) {
        case Layout::tnk: return Stack::tnk(b.data(), t, n, k);
        case Layout::ntk: return Stack::ntk(b.data(), n, t, k);
        default: return Stack::nkt(b.data(), n, k, t);
    }
}

void register_stack(Index t, Index n, Index k, Layout layout) {
    const char* names[] = {"tnk", "ntk", "nkt"};
    const std::string suffix = std::string("/") + names[static_cast<int>(layout)] + "/t:" +
                               std::to_string(t) + "/n:" + std::to_string(n) + "/k:" + std::to_string(k);
    auto add = [&](const std::string& name, auto kernel) {
        benchmark::RegisterBenchmark((name + suffix).c_str(), [=](benchmark::State& state) {
            const auto& b = buffer(t, n, k, layout);
            const Stack s = view(b, t, n, k, layout);
            for (auto _ : state) benchmark::DoNotOptimize(kernel(s, b));
            state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * t * n * k * 4);
        })->Unit(benchmark::kMillisecond)->UseRealTime();
    };
    if (layout == Layout::tnk) {  // the references read a flat buffer: one layout is enough
        add("reference/read", [](const Stack&, const std::vector<float>& b) {
            return Eigen::Map<const Eigen::ArrayXf>(b.data(), static_cast<Index>(b.size())).sum();
        });
        add("reference/plogp", [](const Stack&, const std::vector<float>& b) {
            const Eigen::Map<const Eigen::ArrayXf> p(b.data(), static_cast<Index>(b.size()));
            return (p * p.max(std::numeric_limits<float>::min()).log()).sum();
        });
    }
    acquire::CheckOptions off;
    off.values = false;
    const acquire::CheckOptions on;
    // Each scorer as users call it (checked, the default) beside its kernel alone, and the two
    // alternating in every iteration (15 rounds) for their ratio.
    using Score = acquire::Vector<float> (*)(const Stack&, const acquire::CheckOptions&);
    const std::pair<const char*, Score> scorers[] = {
        {"bald", &acquire::bald<float>},
        {"consensus_entropy", &acquire::consensus_entropy<float>},
        {"kl_disagreement", &acquire::kl_disagreement<float>},
        {"max_kl_disagreement", &acquire::max_kl_disagreement<float>},
        {"vote_entropy", &acquire::vote_entropy<float>},
        {"variation_ratio", &acquire::variation_ratio<float>},
        {"mean_std", &acquire::mean_std<float>},
    };
    for (const auto& [name, score] : scorers) {
        const std::string scorer = name;
        add(scorer + "/unchecked", [score = score, off](const Stack& s, const auto&) { return score(s, off); });
        add(scorer + "/checked", [score = score, on](const Stack& s, const auto&) { return score(s, on); });
        benchmark::RegisterBenchmark(("interleaved/" + scorer + suffix).c_str(), [=, score = score](benchmark::State& state) {
            const Stack s = view(buffer(t, n, k, layout), t, n, k, layout);
            acquire_bench::alternate_checked(state, [&](bool checked) {
                benchmark::DoNotOptimize(score(s, checked ? on : off));
            });
        })->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(15);
    }
}

}  // namespace

int main(int argc, char** argv) {
    acquire_bench::Args args(argc, argv);
    const auto ns = args.list("n", {100000}, {500});
    const auto ts = args.list("t", {20}, {4});
    const auto ks = args.list("k", {10, 100}, {3});
    args.check_all_used();
    for (auto k : ks)
        for (auto t : ts)
            for (auto n : ns)
                for (Layout layout : {Layout::tnk, Layout::ntk, Layout::nkt}) register_stack(t, n, k, layout);
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
}
