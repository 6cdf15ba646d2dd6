// The rest of the toolbox on pools users meet: EGL, label dispersion, forgetting events, CEAL,
// the ranking loss, discriminator selection and rank_combine at N = 1,000,000, and CAL with a
// 100,000 pool against 10,000 labeled in d = 128. Each has a reference in the same binary:
// a streaming read of the same inputs, top_k on the same scores, one std::sort, or for CAL the
// tiled matrix products alone (the floor of any exact kNN by the expanded distance).
//
// Flags: --n=1000000 --k=10 --d=128 --pool=100000 --labeled=10000 --neighbors=10, --smoke=1.
// Float, row-major (the layout frameworks hand out).
#include "common.hpp"

#include <acquire/core/top_k.hpp>
#include <acquire/score/contrastive.hpp>
#include <acquire/score/dynamics.hpp>
#include <acquire/score/gradient.hpp>
#include <acquire/score/loss_prediction.hpp>
#include <acquire/select/ceal.hpp>
#include <acquire/select/discriminator.hpp>
#include <acquire/synthetic.hpp>

#include <algorithm>
#include <string>

namespace {

using acquire::Index;
using Rows = acquire::RowMatrix<float>;

struct Pool {
    Rows P, H, G;
    Eigen::VectorXf s1, s2;
    Eigen::VectorXi labels;
    Eigen::Array<bool, Eigen::Dynamic, 1> correct;
};

const Pool& pool(Index n, Index k, Index d) {
    return acquire_bench::Fixture::get<Pool>(acquire_bench::key({n, k, d}, "toolbox"), [=] {
        Pool p{acquire::synthetic::probabilities<float, Eigen::RowMajor>(n, k),
               acquire::synthetic::embeddings<float, Eigen::RowMajor>(n, d), Rows(n, k), Eigen::VectorXf(n),
               Eigen::VectorXf(n), Eigen::VectorXi(n), Eigen::Array<bool, Eigen::Dynamic, 1>(n)};
        acquire::Rng rng(3);
        for (Index i = 0; i < n; ++i) {
            for (Index c = 0; c < k; ++c) p.G(i, c) = float(rng.uniform() * 10);
            p.s1[i] = float(rng.uniform());
            p.s2[i] = float(rng.normal());
            p.labels[i] = int(rng.below(std::uint64_t(k)));
            p.correct[i] = rng.uniform() < 0.7;
        }
        return p;
    });
}

struct CalPool {
    Rows Pp, Hp, Pl, Hl;
};

const CalPool& cal_pool(Index n, Index m, Index k, Index d) {
    return acquire_bench::Fixture::get<CalPool>(acquire_bench::key({n, m, k, d}, "cal"), [=] {
        acquire::synthetic::EmbeddingOptions e;
        CalPool c{acquire::synthetic::probabilities<float, Eigen::RowMajor>(n, k, {3.0, 0.0, 5}),
                  acquire::synthetic::embeddings<float, Eigen::RowMajor>(n, d, e),
                  acquire::synthetic::probabilities<float, Eigen::RowMajor>(m, k, {3.0, 0.0, 6}), Rows()};
        e.seed = 7;
        c.Hl = acquire::synthetic::embeddings<float, Eigen::RowMajor>(m, d, e);
        return c;
    });
}

template <class F>
void add(const std::string& name, F&& f, std::int64_t bytes = 0, bool once = false) {
    auto* b = benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& state) {
        for (auto _ : state) f();
        if (bytes) state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * bytes);
    });
    b->Unit(benchmark::kMillisecond)->UseRealTime();
    if (once) b->Iterations(1);
}

}  // namespace

int main(int argc, char** argv) {
    acquire_bench::Args args(argc, argv);
    const Index n = args.value("n", 1000000, 5000);
    const Index k = args.value("k", 10, 10);
    const Index d = args.value("d", 128, 16);
    const Index cal_n = args.value("pool", 100000, 2000);
    const Index cal_m = args.value("labeled", 10000, 500);
    const Index neighbors = args.value("neighbors", 10, 5);
    args.check_all_used();
    const std::string sz = "/n:" + std::to_string(n) + "/k:" + std::to_string(k);
    const std::string szd = sz + "/d:" + std::to_string(d);
    const auto pk = n * k * 4, hd = n * d * 4;
    acquire::CheckOptions unchecked;
    unchecked.values = false;

    // EGL: one pass over P and H.
    add("reference/read_P_H" + szd, [=] {
        const auto& p = pool(n, k, d);
        benchmark::DoNotOptimize(p.P.sum() + p.H.sum());
    }, pk + hd);
    add("egl" + szd, [=] {
        acquire::EglOptions o;
        o.checks = unchecked;
        benchmark::DoNotOptimize(acquire::egl(pool(n, k, d).P, pool(n, k, d).H, o));
    }, pk + hd);
    add("egl/checked" + szd, [=] { benchmark::DoNotOptimize(acquire::egl(pool(n, k, d).P, pool(n, k, d).H)); },
        pk + hd);
    add("reference/read_P_G" + sz, [=] {
        const auto& p = pool(n, k, d);
        benchmark::DoNotOptimize(p.P.sum() + p.G.sum());
    }, 2 * pk);
    add("egl_from_norms" + sz, [=] {
        benchmark::DoNotOptimize(acquire::egl_from_norms(pool(n, k, d).P, pool(n, k, d).G, unchecked));
    }, 2 * pk);

    // Trackers: one epoch of N labels / flags; the reference reads the same vector once.
    add("reference/read_labels" + sz, [=] { benchmark::DoNotOptimize(pool(n, k, d).labels.sum()); }, n * 4);
    add("label_dispersion/observe" + sz, [=] {
        static acquire::LabelDispersion tracker(n, k);
        tracker.observe(pool(n, k, d).labels);
    }, n * 4);
    add("label_dispersion/scores" + sz, [=] {
        static acquire::LabelDispersion tracker = [&] {
            acquire::LabelDispersion t(n, k);
            for (int e = 0; e < 5; ++e) t.observe(pool(n, k, d).labels);
            return t;
        }();
        benchmark::DoNotOptimize(tracker.scores());
    });
    add("reference/read_flags" + sz, [=] { benchmark::DoNotOptimize(pool(n, k, d).correct.count()); }, n);
    add("forgetting_events/observe" + sz, [=] {
        static acquire::ForgettingEvents tracker(n);
        tracker.observe(pool(n, k, d).correct);
    }, n);

    // CEAL: the reference is the vectorised entropy alone.
    add("reference/entropy" + sz, [=] { benchmark::DoNotOptimize(acquire::entropy(pool(n, k, d).P, unchecked)); },
        pk);
    add("ceal_pseudo_labels" + sz, [=] {
        benchmark::DoNotOptimize(acquire::ceal_pseudo_labels(pool(n, k, d).P, {}, 0.05, unchecked));
    }, pk);

    // Ranking loss over a whole pool-sized batch; the reference reads both vectors.
    add("reference/read_two_vectors" + sz, [=] {
        benchmark::DoNotOptimize(pool(n, k, d).s1.sum() + pool(n, k, d).s2.sum());
    }, n * 8);
    add("ranking_loss" + sz, [=] { benchmark::DoNotOptimize(acquire::ranking_loss(pool(n, k, d).s1, pool(n, k, d).s2)); },
        n * 8);

    // Discriminator selection against top_k on the same scores; rank_combine against one sort.
    const Index b = std::min<Index>(1000, n / 2);
    add("reference/top_k" + sz + "/b:" + std::to_string(b),
        [=] { benchmark::DoNotOptimize(acquire::top_k(pool(n, k, d).s1, b)); });
    add("discriminator_select" + sz + "/b:" + std::to_string(b),
        [=] { benchmark::DoNotOptimize(acquire::discriminator_select(pool(n, k, d).s1, {}, b)); });
    add("reference/sort_one_score" + sz, [=] {
        std::vector<float> v(pool(n, k, d).s1.data(), pool(n, k, d).s1.data() + n);
        std::sort(v.begin(), v.end());
        benchmark::DoNotOptimize(v.data());
    });
    add("rank_combine/two_scores" + sz, [=] {
        benchmark::DoNotOptimize(acquire::rank_combine({pool(n, k, d).s1, pool(n, k, d).s2}, {0.5, 0.5}));
    });

    // CAL: 100k pool x 10k labeled, d = 128.
    const std::string cal = "/pool:" + std::to_string(cal_n) + "/labeled:" + std::to_string(cal_m) +
                            "/k:" + std::to_string(k) + "/d:" + std::to_string(d) + "/neighbors:" +
                            std::to_string(neighbors);
    add("reference/tiled_products" + cal, [=] {
        const auto& c = cal_pool(cal_n, cal_m, k, d);
        const auto tile = acquire::detail::knn_tile(cal_n, cal_m, sizeof(float), acquire::ContrastiveOptions{}.memory_bytes);
        float acc = 0;
        acquire::detail::parallel_for((cal_n + tile.query_rows - 1) / tile.query_rows, 2, [&](Index q) {
            const Index q0 = q * tile.query_rows, nq = std::min(tile.query_rows, cal_n - q0);
            Rows dot(nq, tile.reference_rows);
            float local = 0;
            for (Index r0 = 0; r0 < cal_m; r0 += tile.reference_rows) {
                const Index nr = std::min(tile.reference_rows, cal_m - r0);
                dot.leftCols(nr).noalias() = c.Hp.middleRows(q0, nq) * c.Hl.middleRows(r0, nr).transpose();
                local += dot(0, 0);
            }
            if (local == 12345.f) acc = local;  // keeps the products alive
        });
        benchmark::DoNotOptimize(acc);
    }, 0, true);
    add("nearest_neighbors" + cal, [=] {
        const auto& c = cal_pool(cal_n, cal_m, k, d);
        benchmark::DoNotOptimize(acquire::nearest_neighbors(c.Hp, c.Hl, neighbors));
    }, 0, true);
    add("contrastive_score" + cal, [=] {
        const auto& c = cal_pool(cal_n, cal_m, k, d);
        acquire::ContrastiveOptions o;
        o.checks = unchecked;
        benchmark::DoNotOptimize(acquire::contrastive_score(c.Pp, c.Hp, c.Pl, c.Hl, neighbors, o));
    }, 0, true);

    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
}
