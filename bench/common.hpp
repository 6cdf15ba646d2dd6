// Shared by every benchmark binary: pool sizes from the command line, and a fixture cache that
// keeps one large synthetic input alive at a time.
//
// Size flags are ours and are removed before Google Benchmark sees argv:
//   ./bench_uncertainty --n=200000 --k=10,100 --benchmark_min_time=0.5
// `--smoke=1` swaps every default for a tiny size: CI runs each binary that way once.
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace acquire_bench {

/// Parses and strips `--name=v1,v2,...` flags. Unknown flags are left for Google Benchmark.
class Args {
public:
    Args(int& argc, char** argv) {
        int out = 1;
        for (int i = 1; i < argc; ++i) {
            const std::string arg = argv[i];
            const auto eq = arg.find('=');
            if (arg.rfind("--", 0) == 0 && eq != std::string::npos &&
                arg.rfind("--benchmark_", 0) != 0) {
                values_[arg.substr(2, eq - 2)] = arg.substr(eq + 1);
            } else {
                argv[out++] = argv[i];
            }
        }
        argc = out;
    }

    /// True when run as `--smoke=1`: tiny default sizes, for CI.
    bool smoke() const {
        const auto it = values_.find("smoke");
        return it != values_.end() && it->second != "0";
    }

    /// The comma-separated integers given as --name=..., else `fallback` (`smoke_fallback` under
    /// --smoke=1).
    std::vector<std::int64_t> list(const std::string& name, std::vector<std::int64_t> fallback,
                                   std::vector<std::int64_t> smoke_fallback) {
        documented_.push_back(name);
        const auto it = values_.find(name);
        if (it == values_.end()) return smoke() ? smoke_fallback : fallback;
        std::vector<std::int64_t> out;
        std::stringstream in(it->second);
        for (std::string item; std::getline(in, item, ',');) out.push_back(std::atoll(item.c_str()));
        return out;
    }

    std::int64_t value(const std::string& name, std::int64_t fallback, std::int64_t smoke_fallback) {
        return list(name, {fallback}, {smoke_fallback}).front();
    }

    /// Fails on size flags nobody asked for (a typo would otherwise run the default sizes).
    void check_all_used() const {
        for (const auto& [name, v] : values_) {
            bool known = name == "smoke";
            for (const auto& d : documented_) known = known || d == name;
            if (!known) {
                std::cerr << "unknown size flag --" << name << "; this binary takes:";
                for (const auto& d : documented_) std::cerr << " --" << d;
                std::cerr << "\n";
                std::exit(2);
            }
        }
    }

private:
    std::map<std::string, std::string> values_;
    std::vector<std::string> documented_;
};

/// Keeps the most recently requested input alive and frees the previous one, so a binary that
/// walks through several multi-GB pools never holds two at once. Register benchmarks grouped by
/// input so each input is built once.
class Fixture {
public:
    template <class T>
    static const T& get(const std::string& key, const std::function<T()>& make) {
        if (current != key || !held) {
            held.reset();
            held = std::make_shared<T>(make());
            current = key;
        }
        return *static_cast<const T*>(held.get());
    }

private:
    inline static std::string current;
    inline static std::shared_ptr<void> held;
};

inline std::string key(std::initializer_list<std::int64_t> parts, const std::string& tag = "") {
    std::string out = tag;
    for (auto p : parts) out += "/" + std::to_string(p);
    return out;
}

/// Checked over unchecked, measured so that a shared machine's drift cancels: every iteration
/// runs call(false) (unchecked) and call(true) (checked), alternating which goes first, and the
/// counters report checked_over_unchecked (best time over best time), paired_median (the median
/// of the iterations' own ratios) and unchecked_s (the best unchecked time). Separate benchmarks
/// of the same call differ by up to 25% on the project's shared machines; these two agree
/// within a few percent.
template <class Call>
void alternate_checked(benchmark::State& state, Call&& call) {
    double best[2] = {1e300, 1e300};
    std::vector<double> ratios;
    for (auto _ : state) {
        double took[2];
        const int first = static_cast<int>(ratios.size() % 2);
        for (int turn = 0; turn < 2; ++turn) {
            const int checked = turn == 0 ? first : 1 - first;
            const auto start = std::chrono::steady_clock::now();
            call(checked != 0);
            benchmark::ClobberMemory();
            took[checked] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            best[checked] = std::min(best[checked], took[checked]);
        }
        ratios.push_back(took[1] / took[0]);
    }
    std::nth_element(ratios.begin(), ratios.begin() + ratios.size() / 2, ratios.end());
    state.counters["checked_over_unchecked"] = best[1] / best[0];
    state.counters["paired_median"] = ratios[ratios.size() / 2];
    state.counters["unchecked_s"] = best[0];
}

}  // namespace acquire_bench
