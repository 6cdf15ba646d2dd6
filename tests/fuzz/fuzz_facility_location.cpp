// Facility location (lazy must equal plain greedy, and sparse with every candidate kept must
// equal dense), stochastic greedy, max coverage dense and sparse; candidate sets with bad
// indices, tiny memory bounds that force tiling.
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
            // Similarity rows have the same bits in any batch: the same picks, exactly (with
            // finite values; NaN gains have no order).
            if (o.checks.values && lazy.indices != plain.indices)
                fuzz::contract_broken("lazy and plain greedy picked differently");
            // Sparse with every candidate kept is the dense objective: the same picks.
            o.lazy = true;
            o.neighbors = available + static_cast<Index>(in.upto(3));
            if (o.checks.values && acquire::facility_location(X, candidates, b, o).indices != lazy.indices)
                fuzz::contract_broken("sparse with k >= |candidates| differs from dense");
        } else if (mode == 1) {
            o.stochastic = true;
            o.epsilon = in.rarely(6) ? 0.0 : 0.01 + in.upto(50) / 100.0;
            fuzz::expect_selection(acquire::facility_location(X, candidates, b, o), n, b, {});
        } else {
            const double radius = in.rarely(6) ? -1.0 : in.upto(40) / 10.0;
            o.neighbors = in.flag() ? static_cast<Index>(in.upto(available + 2)) - (in.rarely(8) ? 2 : 0) : 0;
            fuzz::expect_selection(acquire::max_coverage(X, radius, b, candidates, o), n, b, {});
        }
    });
    return 0;
}
