// Facility location (lazy must equal plain greedy), stochastic greedy, max coverage; candidate
// sets with bad indices, tiny memory bounds that force tiling.
#include "fuzz.hpp"

#include <acquire/select/facility_location.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Bytes in(data, size);
    const Index n = in.upto(30), d = in.upto(5);
    const bool hostile = in.flag();
    const auto X = in.matrix<float, Eigen::RowMajor>(n, d, hostile);
    const auto candidates = in.indices(n, 12, hostile);
    const Index available = candidates.empty() ? n : static_cast<Index>(candidates.size());
    const Index b = in.upto(available + 1);
    acquire::FacilityLocationOptions o;
    o.memory_bytes = in.flag() ? std::size_t(4) * std::size_t(in.upto(3 * n + 1)) : o.memory_bytes;
    o.seed = in.byte();
    o.checks.values = !in.rarely(4);
    const int mode = in.byte() % 3;
    fuzz::accept_invalid([&] {
        if (mode == 0) {
            const auto lazy = acquire::facility_location(X, candidates, b, o);
            fuzz::expect_selection(lazy, n, b, {});
            o.lazy = false;
            const auto plain = acquire::facility_location(X, candidates, b, o);
            // Same picks until the first near-tie of two gains (see FacilityLocationOptions::lazy),
            // where the two objectives must agree to rounding.
            if (o.checks.values)
                for (std::size_t j = 0; j < lazy.indices.size(); ++j) {
                    if (lazy.indices[j] == plain.indices[j]) continue;
                    const double a = lazy.objective[j], c = plain.objective[j];
                    if (std::abs(a - c) > 1e-5 * std::max(1.0, std::abs(c)))
                        fuzz::contract_broken("lazy and plain greedy differ beyond a rounding tie");
                    break;
                }
        } else if (mode == 1) {
            o.stochastic = true;
            o.epsilon = in.rarely(6) ? 0.0 : 0.01 + in.upto(50) / 100.0;
            fuzz::expect_selection(acquire::facility_location(X, candidates, b, o), n, b, {});
        } else {
            const double radius = in.rarely(6) ? -1.0 : in.upto(40) / 10.0;
            fuzz::expect_selection(acquire::max_coverage(X, radius, b, candidates, o), n, b, {});
        }
    });
    return 0;
}
