// PredictionStack in every layout (and from a vector of matrices) and the six committee and
// Bayesian scorers. All layouts of the same stack must give bit-identical scores.
#include "fuzz.hpp"

#include <acquire/score/bayesian.hpp>
#include <acquire/score/committee.hpp>

namespace {

using Stack = acquire::PredictionStack<float>;

Eigen::VectorXf score(int which, const Stack& s, const acquire::CheckOptions& c) {
    switch (which) {
        case 0: return acquire::vote_entropy(s, c);
        case 1: return acquire::consensus_entropy(s, c);
        case 2: return acquire::kl_disagreement(s, c);
        case 3: return acquire::max_kl_disagreement(s, c);
        case 4: return acquire::bald(s, c);
        case 5: return acquire::mean_std(s, c);
        default: return acquire::variation_ratio(s, c);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Bytes in(data, size);
    const Index T = in.upto(5), n = in.upto(24), K = in.upto(7);
    const bool hostile = in.flag();
    acquire::CheckOptions checks;
    checks.values = !in.rarely(4);
    std::vector<acquire::RowMatrix<float>> members;
    for (Index t = 0; t < T; ++t) members.push_back(in.probabilities<float, Eigen::RowMajor>(n, K, hostile));
    const int which = in.byte() % 7;
    // the same stack as [T][N][K], [N][T][K] and [N][K][T] buffers
    std::vector<float> tnk(static_cast<std::size_t>(T * n * K)), ntk(tnk.size()), nkt(tnk.size());
    for (Index t = 0; t < T; ++t)
        for (Index i = 0; i < n; ++i)
            for (Index k = 0; k < K; ++k) {
                const float v = members[static_cast<std::size_t>(t)](i, k);
                tnk[static_cast<std::size_t>((t * n + i) * K + k)] = v;
                ntk[static_cast<std::size_t>((i * T + t) * K + k)] = v;
                nkt[static_cast<std::size_t>((i * K + k) * T + t)] = v;
            }
    std::vector<Eigen::VectorXf> results;
    for (int layout = 0; layout < 4; ++layout) {
        fuzz::accept_invalid([&] {
            const Stack s = layout == 0 ? Stack::tnk(tnk.data(), T, n, K)
                          : layout == 1 ? Stack::ntk(ntk.data(), n, T, K)
                          : layout == 2 ? Stack::nkt(nkt.data(), n, K, T)
                                        : Stack(members);
            const Eigen::VectorXf r = score(which, s, checks);
            fuzz::expect_scores(r, n, checks.values);
            results.push_back(r);
        });
    }
    if (!results.empty() && results.size() != 4) fuzz::contract_broken("layouts disagree on accepting the input");
    for (const auto& r : results)
        if (!(r.array() == results[0].array() || (r.array().isNaN() && results[0].array().isNaN())).all())
            fuzz::contract_broken("layouts give different scores");
    return 0;
}
