// top_k against the streaming TopK fed in random chunks and merged: same answer, or
// invalid_input. Scores have NaN, infinities and many exact ties.
#include "fuzz.hpp"

#include <acquire/core/top_k.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Bytes in(data, size);
    const Index n = in.upto(60);
    const bool hostile = in.flag();
    Eigen::VectorXf s(n);
    for (Index i = 0; i < n; ++i) s[i] = hostile ? in.value<float>() : in.plain<float>();
    const auto exclude = in.indices(n, 8, hostile);
    const Index k = in.upto(n + 1);
    std::vector<Index> picks;
    bool accepted = false;
    fuzz::accept_invalid([&] {
        picks = acquire::top_k(s, k, exclude);
        accepted = true;
    });
    if (!accepted) return 0;
    fuzz::expect_picks(picks, n, k, exclude);
    for (std::size_t j = 1; j < picks.size(); ++j)  // highest first, ties by lowest index
        if (s[picks[j - 1]] < s[picks[j]] || (s[picks[j - 1]] == s[picks[j]] && picks[j - 1] > picks[j]))
            fuzz::contract_broken("top_k out of order");
    // Streaming: chunks of random length, two workers merged, same answer (no excludes here).
    if (!exclude.empty()) return 0;
    acquire::TopK<float> a(k), b(k);
    for (Index begin = 0; begin < n;) {
        const Index len = std::min<Index>(n - begin, 1 + in.upto(9));
        (in.flag() ? a : b).push(s.segment(begin, len), begin);
        begin += len;
    }
    a.merge(b);
    if (a.indices() != picks) fuzz::contract_broken("TopK merge differs from top_k");
    return 0;
}
