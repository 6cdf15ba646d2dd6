// prefilter, hybrid (with a selector that sometimes misbehaves) and information_density.
#include "fuzz.hpp"

#include <acquire/score/density.hpp>
#include <acquire/select/hybrid.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Bytes in(data, size);
    const Index n = in.upto(40), d = in.upto(5);
    const bool hostile = in.flag();
    Eigen::VectorXf s(n);
    for (Index i = 0; i < n; ++i) s[i] = hostile && in.rarely(6) ? in.value<float>() : in.plain<float>();
    const auto labeled = in.indices(n, 6, hostile);
    const Index m = in.upto(n + 1), b = in.upto(m + 1);
    const int misbehave = in.rarely(3) ? in.byte() % 3 : -1;
    fuzz::accept_invalid([&] {
        const auto sel = acquire::hybrid(s, m, labeled, b, [&](const std::vector<Index>& c, Index k) {
            acquire::Selection out;
            for (Index j = 0; j < k && j < static_cast<Index>(c.size()); ++j) out.indices.push_back(c[j]);
            if (misbehave == 0 && !out.indices.empty()) out.indices.back() = n;             // not a candidate
            if (misbehave == 1 && out.indices.size() > 1) out.indices[1] = out.indices[0];  // repeat
            if (misbehave == 2) out.indices.push_back(0);                                   // one too many
            out.objective.assign(out.indices.size(), 0.0);
            return out;
        });
        fuzz::expect_selection(sel, n, b, labeled);
    });
    const auto X = in.matrix<float>(n, d, hostile);
    const double beta = in.rarely(6) ? -1.0 : in.upto(3);
    acquire::CheckOptions checks;
    checks.values = !in.rarely(4);
    fuzz::accept_invalid([&] { fuzz::expect_scores(acquire::information_density(X, s, beta, checks), n, checks.values); });
    return 0;
}
