// test_determinism's scorers: the uncertainty and committee scorers, top-k, and the toolbox.
#include "digest.hpp"

#include <acquire/acquire.hpp>

namespace determinism {

void record_scorers(const Pool& pool, const Record& record) {
    namespace syn = acquire::synthetic;
    const auto &P = pool.P, &L = pool.L, &H = pool.H;
    const auto& u = pool.u;
    const Index n = Pool::n, k = Pool::k;
    const Eigen::MatrixXf Pc = P;
    record("least_confidence", [&](Digest& d) { d << acquire::least_confidence(P) << acquire::least_confidence(Pc); });
    record("margin", [&](Digest& d) { d << acquire::margin(P) << acquire::margin(acquire::logits(L)); });
    record("entropy", [&](Digest& d) { d << acquire::entropy(Pc) << acquire::entropy(acquire::logits(L)); });
    record("ratio", [&](Digest& d) { d << acquire::ratio(P) << acquire::ratio(Pc); });
    record("top_k", [&](Digest& d) { d << acquire::top_k(u, 500, {1, 2, 3}); });
    record("random_select", [&](Digest& d) { d << acquire::random_select(n, 100, 7, {4, 5}); });

    const Index T = 8, ns = 6000;
    const auto buf = syn::stack_buffer<float>(T, ns, k);
    const auto S = acquire::PredictionStack<float>::tnk(buf.data(), T, ns, k);
    record("vote_entropy", [&](Digest& d) { d << acquire::vote_entropy(S); });
    record("consensus_entropy", [&](Digest& d) { d << acquire::consensus_entropy(S); });
    record("kl_disagreement", [&](Digest& d) { d << acquire::kl_disagreement(S) << acquire::max_kl_disagreement(S); });
    record("bald", [&](Digest& d) { d << acquire::bald(S); });
    record("mean_std", [&](Digest& d) { d << acquire::mean_std(S); });
    record("variation_ratio", [&](Digest& d) { d << acquire::variation_ratio(S); });
    record("egl", [&](Digest& d) {
        d << acquire::egl(P, H) << acquire::egl_from_norms(P, P);
    });
    record("ceal_pseudo_labels", [&](Digest& d) {
        const auto r = acquire::ceal_pseudo_labels(P, {0, 1}, 0.2);
        d << r.indices << r.labels << r.entropy;
    });
    record("contrastive_score", [&](Digest& d) {
        const auto nn = acquire::nearest_neighbors(H.topRows(4000), H.bottomRows(1500), 5);
        d << nn.indices << nn.distances
          << acquire::contrastive_score(P.topRows(4000), H.topRows(4000), P.bottomRows(1500), H.bottomRows(1500), 5);
    });
    record("ranking_loss", [&](Digest& d) {
        const auto r = acquire::ranking_loss(u, Eigen::VectorXf(P.col(0)));
        d << r.loss << r.gradient;
    });
    record("discriminator_select", [&](Digest& d) {
        d << acquire::discriminator_select(Eigen::VectorXf(P.col(1)), {2}, 100)
          << acquire::rank_combine({u, Eigen::VectorXf(-P.col(1))}, {0.3, 0.7});
    });
    record("trackers", [&](Digest& d) {
        acquire::LabelDispersion ld(n, k);
        acquire::ForgettingEvents fe(n);
        for (int e = 0; e < 3; ++e) {
            Eigen::VectorXi labels(n);
            Eigen::Array<bool, Eigen::Dynamic, 1> ok(n);
            for (Index i = 0; i < n; ++i) {
                labels[i] = int((i * (e + 3)) % k);
                ok[i] = (i + e) % 3 != 0;
            }
            ld.observe(labels);
            fe.observe(ok);
        }
        d << ld.scores() << fe.scores();
    });
    // Dense outputs: the same stack as 24 images of 10 x 25 pixels, [T][N][K][H][W] through the
    // general strides (member t, image i, class c, pixel e at buf[((t * ns) + i * 250 + e) * k + c]).
    const acquire::DenseStackView<float> images(buf.data(), T, 24, k, 10, 25, ns * k, 250 * k, 1, 25 * k, k);
    record("dense", [&](Digest& d) {
        acquire::DenseOptions o;
        o.reduction = acquire::Reduction::top_q;
        d << acquire::dense_score(images.view(), acquire::ElementScore::entropy, o)
          << acquire::dense_stack_score(images, acquire::StackScore::bald);
        const auto r = acquire::select_regions(
            acquire::region_scores(images.view(), acquire::ElementScore::margin, acquire::Regions::grid(5)), 20, 2);
        d << r.image << r.region << r.score;
        std::vector<Index> offsets;
        for (Index i = 0; i <= ns; i += 60) offsets.push_back(i);
        d << acquire::ragged_score(S.member(0), offsets, acquire::ElementScore::entropy, acquire::RaggedReduction::mean)
          << acquire::sequence_score(S.member(1), offsets, acquire::SequenceScore::mnlp);
    });
    record("synthetic", [&](Digest& d) { d << syn::probabilities<double>(3000, 7) << syn::embeddings<double>(3000, 5); });
}

}  // namespace determinism
