// Greedy k-center: both metrics, random or fixed first pick, labeled sets, budgets; the pruned
// run must pick exactly what the naive run picks.
#include "fuzz.hpp"

#include <acquire/select/k_center.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Bytes in(data, size);
    const Index n = in.upto(40), d = in.upto(6);
    const bool hostile = in.flag();
    const auto X = in.flag() ? acquire::Matrix<float>(in.matrix<float, Eigen::RowMajor>(n, d, hostile))
                             : in.matrix<float>(n, d, hostile);
    acquire::KCenterOptions o;
    o.metric = in.flag() ? acquire::Metric::cosine : acquire::Metric::euclidean;
    o.first = in.rarely(3) ? in.upto(n) - 1 : -1;
    o.seed = in.byte();
    o.checks.values = !in.rarely(4);
    const auto labeled = in.indices(n, 6, hostile);
    const Index b = in.upto(n + 1);
    fuzz::accept_invalid([&] {
        const auto pruned = acquire::k_center_greedy(X, labeled, b, o);
        fuzz::expect_selection(pruned, n, b, labeled);
        o.prune = false;
        const auto naive = acquire::k_center_greedy(X, labeled, b, o);
        if (o.checks.values && naive.indices != pruned.indices) fuzz::contract_broken("pruned and naive picks differ");
    });
    return 0;
}
