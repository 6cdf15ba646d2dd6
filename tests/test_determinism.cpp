// Determinism: every scorer and selector gives bit-identical output on 1 thread and on 3, run
// twice. With ACQUIRE_DIGEST_FILE set, the test also writes one hash per function there, so
// tests/run_all.sh can compare a build without OpenMP against the OpenMP build.
#include <acquire/acquire.hpp>
#include <acquire/synthetic.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

using acquire::Index;

namespace {

/// FNV-1a over the bytes of everything a function returned.
class Digest {
public:
    void bytes(const void* p, std::size_t n) {
        const auto* c = static_cast<const unsigned char*>(p);
        for (std::size_t i = 0; i < n; ++i) h_ = (h_ ^ c[i]) * 1099511628211ull;
    }
    template <class Derived>
    Digest& operator<<(const Eigen::DenseBase<Derived>& m) {
        const auto e = m.eval();
        bytes(e.data(), static_cast<std::size_t>(e.size()) * sizeof(typename Derived::Scalar));
        return *this;
    }
    template <class T>
    Digest& operator<<(const std::vector<T>& v) {
        bytes(v.data(), v.size() * sizeof(T));
        return *this;
    }
    Digest& operator<<(const acquire::Selection& s) { return *this << s.indices << s.objective; }
    Digest& operator<<(double v) {
        bytes(&v, sizeof v);
        return *this;
    }
    std::uint64_t value() const { return h_; }

private:
    std::uint64_t h_ = 1469598103934665603ull;
};

using Results = std::vector<std::pair<std::string, std::uint64_t>>;

Results run_everything() {
    namespace syn = acquire::synthetic;
    Results out;
    auto record = [&](const std::string& name, const std::function<void(Digest&)>& f) {
        Digest d;
        f(d);
        out.emplace_back(name, d.value());
    };
    // Large enough that every parallel loop has several blocks.
    const Index n = 20000, k = 10;
    const auto P = syn::probabilities<float, Eigen::RowMajor>(n, k);
    const Eigen::MatrixXf Pc = P;
    const auto L = syn::logits<float, Eigen::RowMajor>(n, k);
    const auto H = syn::embeddings<float, Eigen::RowMajor>(n, 16);
    const Eigen::VectorXf u = acquire::entropy(P);
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
    record("batch_bald", [&](Digest& d) {
        acquire::BatchBaldOptions o;
        o.max_configurations = 100;
        o.samples = 50;
        o.seed = 3;
        // the first 2,000 rows of every member, through the strided view
        d << acquire::batch_bald(acquire::PredictionStack<float>(buf.data(), T, 2000, k, ns * k, k, 1), 4, o);
    });

    const auto X = syn::embeddings<float, Eigen::RowMajor>(5000, 16);
    record("k_center_greedy", [&](Digest& d) {
        acquire::KCenterOptions o;
        o.seed = 5;
        d << acquire::k_center_greedy(X, {}, 50, o) << acquire::k_center_greedy(X, {1, 2}, 20);
    });
    record("kmeans_pp", [&](Digest& d) {
        acquire::KMeansPPOptions o;
        o.seed = 9;
        d << acquire::kmeans_pp(X, 50, o);
    });
    record("badge", [&](Digest& d) { d << acquire::badge(P.topRows(5000), H.topRows(5000), {3}, 40); });
    record("facility_location", [&](Digest& d) {
        std::vector<Index> c;
        for (Index i = 0; i < 300; ++i) c.push_back(i * 7);
        acquire::FacilityLocationOptions o;
        d << acquire::facility_location(X, c, 20, o);
        o.memory_bytes = 64 * 5000 * 4;
        d << acquire::facility_location(X, c, 20, o);
        o.stochastic = true;
        o.seed = 2;
        d << acquire::facility_location(X, c, 20, o) << acquire::max_coverage(X, 1.0, 10, c);
    });
    record("kmeans", [&](Digest& d) {
        acquire::KMeansOptions o;
        o.max_iterations = 5;
        const auto r = acquire::kmeans(X, 20, o);
        d << r.centers << r.assignment << r.inertia;
    });
    record("cluster_select", [&](Digest& d) { d << acquire::cluster_select(H, u, 20); });
    record("information_density", [&](Digest& d) { d << acquire::information_density(H, u, 1.0); });
    record("hybrid", [&](Digest& d) {
        d << acquire::hybrid(u, 200, {0}, 10, [&](const std::vector<Index>& c, Index b) {
            return acquire::facility_location(H, c, b);
        });
    });
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
    record("synthetic", [&](Digest& d) { d << syn::probabilities<double>(3000, 7) << syn::embeddings<double>(3000, 5); });
    return out;
}

Results run_on(int threads) {
#ifdef _OPENMP
    const int before = omp_get_max_threads();
    omp_set_num_threads(threads);
    Results r = run_everything();
    omp_set_num_threads(before);
    return r;
#else
    (void)threads;
    return run_everything();
#endif
}

}  // namespace

TEST_CASE("every function is bit-identical on 1 and 3 threads, run after run", "[determinism]") {
    const Results one = run_on(1), three = run_on(3), again = run_on(3);
    REQUIRE(one.size() == three.size());
    for (std::size_t j = 0; j < one.size(); ++j) {
        INFO(one[j].first);
        CHECK(one[j].second == three[j].second);
        CHECK(three[j].second == again[j].second);
    }
    if (const char* path = std::getenv("ACQUIRE_DIGEST_FILE")) {
        std::ofstream file(path);
        for (const auto& [name, hash] : one) file << name << ' ' << hash << '\n';
    }
}
