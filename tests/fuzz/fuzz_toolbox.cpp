// EGL, CEAL, CAL (with nearest_neighbors against brute force), the ranking loss,
// discriminator_select and rank_combine.
#include "fuzz.hpp"

#include <acquire/score/contrastive.hpp>
#include <acquire/score/gradient.hpp>
#include <acquire/score/loss_prediction.hpp>
#include <acquire/select/ceal.hpp>
#include <acquire/select/discriminator.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Bytes in(data, size);
    const Index n = in.upto(30), K = in.upto(5), d = in.upto(5);
    const bool hostile = in.flag();
    acquire::CheckOptions checks;
    checks.values = !in.rarely(4);
    const auto P = in.probabilities<double, Eigen::RowMajor>(n, K, hostile);
    switch (in.byte() % 6) {
        case 0: {
            const auto H = in.matrix<double>(in.rarely(8) ? in.upto(n + 1) : n, d, hostile);
            acquire::EglOptions o;
            o.bias = in.flag();
            o.checks = checks;
            fuzz::accept_invalid([&] { fuzz::expect_scores(acquire::egl(P, H, o), n, checks.values); });
            const auto G = in.matrix<double>(n, in.rarely(8) ? in.upto(K + 1) : K, hostile);
            fuzz::accept_invalid([&] { fuzz::expect_scores(acquire::egl_from_norms(P, G, checks), n, checks.values); });
            break;
        }
        case 1: {
            const auto exclude = in.indices(n, 6, hostile);
            const double threshold = in.rarely(6) ? -1.0 : in.upto(30) / 10.0;
            fuzz::accept_invalid([&] {
                const auto r = acquire::ceal_pseudo_labels(P, exclude, threshold, checks);
                fuzz::expect_picks(r.indices, n, static_cast<Index>(r.indices.size()), exclude);
                if (r.labels.size() != r.indices.size() || r.entropy.size() != r.indices.size())
                    fuzz::contract_broken("pseudo-label vectors differ in length");
                for (Index l : r.labels)
                    if (l < 0 || l >= K) fuzz::contract_broken("pseudo-label out of range");
            });
            break;
        }
        case 2: {
            const Index m = in.upto(12);
            const auto H = in.matrix<float>(n, d, hostile);
            const auto Hl = in.matrix<float>(m, in.rarely(8) ? in.upto(6) : d, hostile);
            const auto Pf = P.cast<float>().eval();
            const auto Pl = in.probabilities<float>(m, K, hostile);
            acquire::ContrastiveOptions o;
            o.checks = checks;
            o.memory_bytes = in.flag() ? 4096 : o.memory_bytes;
            o.epsilon = in.rarely(8) ? 0.0 : 1e-12;
            const Index k = in.upto(m + 1);
            fuzz::accept_invalid([&] { fuzz::expect_scores(acquire::contrastive_score(Pf, H, Pl, Hl, k, o), n, checks.values); });
            fuzz::accept_invalid([&] {
                const auto nn = acquire::nearest_neighbors(H, Hl, k, o);
                for (Index i = 0; i < n; ++i) {
                    fuzz::expect_picks(std::vector<Index>(nn.indices.row(i).data(), nn.indices.row(i).data() + k), m, k, {});
                    for (Index j = 1; j < k; ++j)
                        if (nn.distances(i, j) < nn.distances(i, j - 1)) fuzz::contract_broken("neighbours out of order");
                }
            });
            break;
        }
        case 3: {
            const Index b = in.upto(20);
            Eigen::VectorXf lhat(b), l(in.rarely(8) ? in.upto(20) : b);
            for (Index i = 0; i < lhat.size(); ++i) lhat[i] = hostile && in.rarely(8) ? in.value<float>() : in.plain<float>();
            for (Index i = 0; i < l.size(); ++i) l[i] = hostile && in.rarely(8) ? in.value<float>() : in.plain<float>();
            const double margin = in.rarely(8) ? -1.0 : in.upto(4) / 2.0;
            fuzz::accept_invalid([&] {
                const auto r = acquire::ranking_loss(lhat, l, margin);
                if (!std::isfinite(r.loss) || r.loss < 0) fuzz::contract_broken("ranking loss not finite and >= 0");
                fuzz::expect_scores(r.gradient, b, true);
            });
            break;
        }
        case 4: {
            Eigen::VectorXd D(n);
            for (Index i = 0; i < n; ++i) D[i] = hostile && in.rarely(8) ? in.value<double>() : in.plain<double>();
            const auto labeled = in.indices(n, 6, hostile);
            const Index b = in.upto(n + 1);
            fuzz::accept_invalid([&] { fuzz::expect_selection(acquire::discriminator_select(D, labeled, b), n, b, labeled); });
            break;
        }
        default: {
            Eigen::VectorXd a(n), c(in.rarely(8) ? in.upto(n + 1) : n);
            for (Index i = 0; i < a.size(); ++i) a[i] = hostile && in.rarely(8) ? in.value<double>() : in.plain<double>();
            for (Index i = 0; i < c.size(); ++i) c[i] = hostile && in.rarely(8) ? in.value<double>() : in.plain<double>();
            const std::vector<double> w{in.rarely(8) ? -1.0 : in.upto(3), double(in.upto(3))};
            fuzz::accept_invalid([&] {
                const Eigen::VectorXd r = acquire::rank_combine({a, c}, w);
                fuzz::expect_scores(r, n, true);
                if ((r.array() < 0).any() || (r.array() > 1).any()) fuzz::contract_broken("combined rank outside [0, 1]");
            });
        }
    }
    return 0;
}
