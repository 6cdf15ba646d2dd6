// BatchBALD on tiny stacks: exact and sampled regimes (small max_configurations and samples,
// sometimes enough of them for the grouped bounds), lazy and full evaluation, labeled sets with
// bad indices, budgets past the pool. Oracle: on checked input lazy greedy picks exactly what
// full evaluation picks.
#include "fuzz.hpp"

#include <acquire/select/batch_bald.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Bytes in(data, size);
    const Index T = in.upto(4), n = in.upto(12), K = in.upto(4);
    const bool hostile = in.flag();
    std::vector<acquire::RowMatrix<double>> members;
    for (Index t = 0; t < T; ++t) members.push_back(in.probabilities<double, Eigen::RowMajor>(n, K, hostile));
    acquire::BatchBaldOptions o;
    o.labeled = in.indices(n, 4, hostile);
    o.max_configurations = in.rarely(8) ? -1 + in.upto(2) : 1 + in.upto(64);
    o.samples = in.rarely(8) ? in.upto(1) - 1 : (1 + in.upto(16)) * (in.flag() ? 16 : 1);
    o.seed = in.byte();
    o.checks.values = !in.rarely(4);
    o.lazy = !in.rarely(2);
    const Index b = in.upto(n + 1);
    fuzz::accept_invalid([&] {
        const acquire::PredictionStack<double> s(members);
        acquire::BatchBaldStats stats;
        const auto sel = acquire::batch_bald(s, b, o, &stats);
        fuzz::expect_selection(sel, n, b, o.labeled);
        if (stats.evaluated.size() != static_cast<std::size_t>(b) || stats.decided.size() != stats.evaluated.size())
            fuzz::contract_broken("one stats entry per pick");
        for (std::size_t j = 0; j < stats.evaluated.size(); ++j)
            if (stats.evaluated[j] < 1 || stats.decided[j] < 1 || stats.decided[j] > stats.evaluated[j])
                fuzz::contract_broken("every pick evaluates and decides at least its own candidate");
        if (o.checks.values) {
            for (double v : sel.objective)
                if (!std::isfinite(v)) fuzz::contract_broken("non-finite joint MI on checked input");
            auto other = o;
            other.lazy = !o.lazy;
            if (acquire::batch_bald(s, b, other).indices != sel.indices)
                fuzz::contract_broken("lazy greedy and full evaluation picked differently");
        }
    });
    return 0;
}
