// BADGE: probabilities and embeddings with hostile values, labeled sets, budgets; and the
// explicit gradient embedding.
#include "fuzz.hpp"

#include <acquire/select/badge.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Bytes in(data, size);
    const Index n = in.upto(30), K = in.upto(5), d = in.upto(5);
    const bool hostile = in.flag();
    const auto P = in.probabilities<float, Eigen::RowMajor>(n, K, hostile);
    const auto H = in.matrix<float>(in.rarely(8) ? in.upto(n + 1) : n, d, hostile);
    acquire::BadgeOptions o;
    o.seed = in.byte();
    o.checks.values = !in.rarely(4);
    const auto labeled = in.indices(n, 5, hostile);
    const Index b = in.upto(n + 1);
    fuzz::accept_invalid([&] {
        const auto s = acquire::badge(P, H, labeled, b, o);
        fuzz::expect_selection(s, n, b, labeled);
    });
    fuzz::accept_invalid([&] {
        const auto g = acquire::gradient_embedding(P, H);
        if (g.rows() != n || g.cols() != K * d) fuzz::contract_broken("gradient embedding has the wrong shape");
    });
    return 0;
}
