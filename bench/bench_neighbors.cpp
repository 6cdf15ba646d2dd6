// Neighbour graphs (core/neighbor_graph.hpp, acquire/hnsw.hpp) and the selectors that read
// them, on a clustered synthetic float pool (synthetic::embeddings, 100 clusters, spread 0.3):
//   reference/exact_graph   acquire::knn_graph(X, k): the exact tiled search, the bar;
//   hnsw_graph              acquire::hnsw::knn_graph(X, k), default options (deterministic
//                           build), with recall@k against the exact graph as a counter;
//   hnsw_graph/ef:42/refine:1  a cheaper query (ef 42) and one round of refinement instead;
// and each neighbour selector end to end (graph included) with the exact search and with the
// HNSW graph: sparse facility location (cosine graph, --b picks, k = --k), ProbCover (delta =
// the median distance to the 5th exact neighbour), TypiClust (--b picks, a graph of 2 k), and
// CAL (the first --labeled_fraction of rows labeled, 10 classes).
//
// Flags: --n=20000 --d=64 --k=20 --b=100; --smoke=1 for tiny sizes. Pools of 10^6 and 10^7 are
// measured by bench/scale_neighbors.py (one process per run, peak memory), not here.
#include "common.hpp"

#include <acquire/hnsw.hpp>
#include <acquire/score/contrastive.hpp>
#include <acquire/select/facility_location.hpp>
#include <acquire/select/probcover.hpp>
#include <acquire/select/typiclust.hpp>
#include <acquire/synthetic.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace {

using acquire::Index;
using acquire::NeighborGraph;
using Pool = acquire::RowMatrix<float>;

struct Inputs {
    Pool X;
    NeighborGraph exact, exact_cosine;
    double delta = 0;
};

const Inputs& inputs(Index n, Index d, Index k) {
    return acquire_bench::Fixture::get<Inputs>(acquire_bench::key({n, d, k}, "pool"), [=] {
        Inputs in;
        acquire::synthetic::EmbeddingOptions o;
        o.clusters = 100;
        in.X = acquire::synthetic::embeddings<float, Eigen::RowMajor>(n, d, o);
        in.exact = acquire::knn_graph(in.X, k);
        Pool unit = in.X;
        unit.rowwise().normalize();
        in.exact_cosine = acquire::knn_graph(unit, k);
        std::vector<double> fifth;
        for (Index i = 0; i < n; ++i)
            fifth.push_back(in.exact.distances[static_cast<std::size_t>(in.exact.offsets[static_cast<std::size_t>(i)] +
                                                                         std::min<Index>(4, in.exact.degree(i) - 1))]);
        std::nth_element(fifth.begin(), fifth.begin() + n / 2, fifth.end());
        in.delta = std::sqrt(fifth[static_cast<std::size_t>(n / 2)]);
        return in;
    });
}

double recall(const NeighborGraph& approximate, const NeighborGraph& exact) {
    Index hit = 0;
    for (Index i = 0; i < exact.rows(); ++i) {
        const std::set<Index> truth(exact.indices.begin() + exact.offsets[static_cast<std::size_t>(i)],
                                    exact.indices.begin() + exact.offsets[static_cast<std::size_t>(i) + 1]);
        for (Index e = approximate.offsets[static_cast<std::size_t>(i)];
             e < approximate.offsets[static_cast<std::size_t>(i) + 1]; ++e)
            hit += static_cast<Index>(truth.count(approximate.indices[static_cast<std::size_t>(e)]));
    }
    return static_cast<double>(hit) / static_cast<double>(std::max<std::size_t>(1, exact.indices.size()));
}

void register_all(Index n, Index d, Index k, Index b) {
    const std::string suffix = "/n:" + std::to_string(n) + "/d:" + std::to_string(d) + "/k:" + std::to_string(k);
    auto add = [&](const std::string& name, auto body) {
        benchmark::RegisterBenchmark((name + suffix).c_str(), [=](benchmark::State& state) {
            const Inputs& in = inputs(n, d, k);
            for (auto _ : state) body(state, in);
        })->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
    };
    add("reference/exact_graph", [=](benchmark::State&, const Inputs& in) {
        benchmark::DoNotOptimize(acquire::knn_graph(in.X, k).indices.data());
    });
    add("hnsw_graph", [=](benchmark::State& state, const Inputs& in) {
        const NeighborGraph g = acquire::hnsw::knn_graph(in.X, k);
        state.counters["recall"] = recall(g, in.exact);
    });
    add("hnsw_graph/ef:42/refine:1", [=](benchmark::State& state, const Inputs& in) {
        acquire::hnsw::Options o;
        o.ef_search = 42;
        o.refine = 1;
        const NeighborGraph g = acquire::hnsw::knn_graph(in.X, k, o);
        state.counters["recall"] = recall(g, in.exact);
    });

    acquire::FacilityLocationOptions sparse;
    sparse.neighbors = k;
    add("facility_location/exact", [=](benchmark::State&, const Inputs& in) {
        benchmark::DoNotOptimize(acquire::facility_location(in.X, {}, b, sparse).indices.data());
    });
    add("facility_location/hnsw", [=](benchmark::State& state, const Inputs& in) {
        acquire::hnsw::Options cosine;
        cosine.cosine = true;
        const NeighborGraph g = acquire::hnsw::knn_graph(in.X, k, cosine);
        acquire::FacilityLocationOptions o = sparse;
        o.graph = &g;
        benchmark::DoNotOptimize(acquire::facility_location(in.X, {}, b, o).indices.data());
        state.counters["recall"] = recall(g, in.exact_cosine);
    });

    add("probcover/exact", [=](benchmark::State&, const Inputs& in) {
        benchmark::DoNotOptimize(acquire::probcover(in.X, in.delta, b).indices.data());
    });
    add("probcover/hnsw", [=](benchmark::State&, const Inputs& in) {
        const NeighborGraph g = acquire::hnsw::knn_graph(in.X, k);
        acquire::ProbCoverOptions o;
        o.graph = &g;
        benchmark::DoNotOptimize(acquire::probcover(in.X, in.delta, b, o).indices.data());
    });

    acquire::TypiClustOptions typical;
    typical.neighbors = k;
    add("typiclust/exact", [=](benchmark::State&, const Inputs& in) {
        benchmark::DoNotOptimize(acquire::typiclust(in.X, b, typical).indices.data());
    });
    add("typiclust/hnsw", [=](benchmark::State&, const Inputs& in) {
        const NeighborGraph g = acquire::hnsw::knn_graph(in.X, 2 * k);
        acquire::TypiClustOptions o = typical;
        o.graph = &g;
        benchmark::DoNotOptimize(acquire::typiclust(in.X, b, o).indices.data());
    });

    // CAL: the last tenth of the rows labeled, 10-class probabilities.
    const Index labeled = std::max<Index>(1, n / 10), pool = n - labeled;
    const auto probabilities = [=] { return acquire::synthetic::probabilities<float, Eigen::RowMajor>(n, 10); };
    add("contrastive/exact", [=](benchmark::State& state, const Inputs& in) {
        state.PauseTiming();
        const acquire::RowMatrix<float> P = probabilities();
        state.ResumeTiming();
        benchmark::DoNotOptimize(acquire::contrastive_score(P.topRows(pool), in.X.topRows(pool), P.bottomRows(labeled),
                                                            in.X.bottomRows(labeled), 10)
                                     .data());
    });
    add("contrastive/hnsw", [=](benchmark::State& state, const Inputs& in) {
        state.PauseTiming();
        const acquire::RowMatrix<float> P = probabilities();
        state.ResumeTiming();
        const NeighborGraph g = acquire::hnsw::knn_graph(in.X.topRows(pool), in.X.bottomRows(labeled), 10);
        benchmark::DoNotOptimize(acquire::contrastive_score(P.topRows(pool), P.bottomRows(labeled), g).data());
    });
}

}  // namespace

int main(int argc, char** argv) {
    acquire_bench::Args args(argc, argv);
    const Index n = args.value("n", 20000, 300), d = args.value("d", 64, 8), k = args.value("k", 20, 5);
    const Index b = args.value("b", 100, 5);
    args.check_all_used();
    register_all(n, d, k, b);
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
}
