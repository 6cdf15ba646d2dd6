// acquire/hnsw.hpp: the approximate graph at full recall (ef at the pool size) equals the exact
// one, and the selectors reading it make the exact picks; it is the same graph on any thread
// count and on every run; what it lists is always true (real rows at re-measured distances);
// recall on a clustered pool at the default options; and its errors.
#include <acquire/core/random.hpp>
#include <acquire/hnsw.hpp>
#include <acquire/score/contrastive.hpp>
#include <acquire/select/facility_location.hpp>
#include <acquire/select/probcover.hpp>
#include <acquire/select/typiclust.hpp>
#include <acquire/synthetic.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <limits>
#include <set>
#include <utility>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

using acquire::Index;
using acquire::NeighborGraph;
using Catch::Contains;

namespace {

template <class T = double>
Eigen::Matrix<T, -1, -1, Eigen::RowMajor> pool(Index n, Index d, std::uint64_t seed, Index clusters = 8) {
    acquire::synthetic::EmbeddingOptions o;
    o.seed = seed;
    o.clusters = clusters;
    return acquire::synthetic::embeddings<T, Eigen::RowMajor>(n, d, o);
}

/// Options that make HNSW exhaustive on a small pool.
acquire::hnsw::Options full_recall(Index n) {
    acquire::hnsw::Options o;
    o.ef_construction = n;
    o.ef_search = n;
    o.M = 32;
    return o;
}

double recall(const NeighborGraph& approximate, const NeighborGraph& exact) {
    Index hit = 0;
    for (Index i = 0; i < exact.rows(); ++i) {
        const std::set<Index> truth(exact.indices.begin() + exact.offsets[std::size_t(i)],
                                    exact.indices.begin() + exact.offsets[std::size_t(i) + 1]);
        for (Index e = approximate.offsets[std::size_t(i)]; e < approximate.offsets[std::size_t(i) + 1]; ++e)
            hit += Index(truth.count(approximate.indices[std::size_t(e)]));
    }
    return double(hit) / double(exact.indices.size());
}

}  // namespace

TEMPLATE_TEST_CASE("hnsw::knn_graph at full recall is the exact graph", "[hnsw]", float, double) {
    const auto X = pool<TestType>(300, 8, 1);
    const NeighborGraph exact = acquire::knn_graph(X, 10);
    const NeighborGraph approximate = acquire::hnsw::knn_graph(X, 10, full_recall(300));
    CHECK(approximate.offsets == exact.offsets);
    CHECK(approximate.indices == exact.indices);
    for (std::size_t e = 0; e < exact.distances.size(); ++e)
        CHECK(approximate.distances[e] == Approx(exact.distances[e]).epsilon(1e-4).margin(1e-5));
    // Listed distances are the true ones, re-measured in double: symmetric to the bit.
    for (Index i = 0; i < 300; ++i)
        for (Index e = approximate.offsets[std::size_t(i)]; e < approximate.offsets[std::size_t(i) + 1]; ++e) {
            const Index j = approximate.indices[std::size_t(e)];
            CHECK(approximate.distances[std::size_t(e)] ==
                  acquire::detail::squared_distance(X.row(i), X.row(j)));
        }
}

TEST_CASE("hnsw::knn_graph: the same graph on every run and thread count; recall at the defaults", "[hnsw]") {
    const auto X = pool<float>(4000, 16, 2, 40);
    const NeighborGraph a = acquire::hnsw::knn_graph(X, 20);
#ifdef _OPENMP
    const int threads = omp_get_max_threads();
    omp_set_num_threads(1);
#endif
    const NeighborGraph b = acquire::hnsw::knn_graph(X, 20);
#ifdef _OPENMP
    omp_set_num_threads(threads);
#endif
    CHECK(a.indices == b.indices);
    CHECK(a.distances == b.distances);
    CHECK(a.offsets == b.offsets);
    // Recall@20 on a clustered pool at the default options (bench_neighbors reports it per size).
    const double r = recall(a, acquire::knn_graph(X, 20));
    INFO("recall@20 " << r);
    CHECK(r >= 0.95);
    // Every listed neighbour is another row, nearest first.
    for (Index i = 0; i < a.rows(); ++i)
        for (Index e = a.offsets[std::size_t(i)]; e < a.offsets[std::size_t(i) + 1]; ++e) {
            CHECK(a.indices[std::size_t(e)] != i);
            if (e > a.offsets[std::size_t(i)]) CHECK(a.distances[std::size_t(e)] >= a.distances[std::size_t(e) - 1]);
        }
}

TEST_CASE("selectors on a full-recall HNSW graph make the exact picks", "[hnsw]") {
    const auto X = pool(250, 6, 3);
    const auto o = full_recall(250);

    acquire::FacilityLocationOptions exact;
    exact.neighbors = 10;
    acquire::hnsw::Options cosine = o;
    cosine.cosine = true;
    const NeighborGraph by_cosine = acquire::hnsw::knn_graph(X, 30, cosine);
    acquire::FacilityLocationOptions approximate = exact;
    approximate.graph = &by_cosine;
    CHECK(acquire::facility_location(X, {}, 20, exact).indices ==
          acquire::facility_location(X, {}, 20, approximate).indices);

    const NeighborGraph by_distance = acquire::hnsw::knn_graph(X, 249, o);
    acquire::ProbCoverOptions p;
    p.labeled = {7};
    const auto pe = acquire::probcover(X, 0.8, 10, p);
    p.graph = &by_distance;
    const auto pa = acquire::probcover(X, 0.8, 10, p);
    CHECK(pe.indices == pa.indices);
    CHECK(pe.objective == pa.objective);

    acquire::TypiClustOptions t;
    t.neighbors = 5;
    const auto te = acquire::typiclust(X, 6, t);
    t.graph = &by_distance;
    CHECK(te.indices == acquire::typiclust(X, 6, t).indices);

    // CAL: pool rows to labeled rows.
    const Eigen::MatrixXd P = acquire::synthetic::probabilities<double, Eigen::RowMajor>(250, 4);
    const Eigen::MatrixXd Hp = X.topRows(200), Hl = X.bottomRows(50), Pp = P.topRows(200), Pl = P.bottomRows(50);
    const NeighborGraph to_labeled = acquire::hnsw::knn_graph(Hp, Hl, 5, full_recall(50));
    const Eigen::VectorXd ce = acquire::contrastive_score(Pp, Hp, Pl, Hl, 5);
    const Eigen::VectorXd ca = acquire::contrastive_score(Pp, Pl, to_labeled);
    CHECK((ce - ca).cwiseAbs().maxCoeff() < 1e-12);
}

TEST_CASE("hnsw::knn_graph errors", "[hnsw][checks]") {
    auto X = pool(50, 4, 4);
    CHECK_THROWS_WITH(acquire::hnsw::knn_graph(X, 0), Contains("hnsw::knn_graph") && Contains("k must be >= 1"));
    acquire::hnsw::Options o;
    o.M = 1;
    CHECK_THROWS_WITH(acquire::hnsw::knn_graph(X, 3, o), Contains("options M must be >= 2"));
    X(17, 1) = std::numeric_limits<double>::infinity();
    CHECK_THROWS_WITH(acquire::hnsw::knn_graph(X, 3), Contains("hnsw::knn_graph") && Contains("row 17"));
    X(17, 1) = 0;
    X.row(9).setZero();
    acquire::hnsw::Options c;
    c.cosine = true;
    CHECK_THROWS_WITH(acquire::hnsw::knn_graph(X, 3, c), Contains("X row 9 has zero norm"));
    CHECK_THROWS_WITH(acquire::hnsw::knn_graph(X, X.leftCols(3), 3), Contains("query has 4 columns but reference has 3"));
    // k is capped: at N - 1 over one set, at M between two.
    CHECK(acquire::hnsw::knn_graph(X.topRows(5), 10).indices.size() == 5 * 4);
    CHECK(acquire::hnsw::knn_graph(X.topRows(5), X.bottomRows(3), 10).indices.size() == 5 * 3);
}

TEST_CASE("the index's distance has the same bits on every CPU path", "[hnsw]") {
    acquire::Rng rng(5);
    for (const std::size_t d : {1, 7, 8, 13, 64, 100}) {
        std::vector<float> a(d), b(d);
        for (int trial = 0; trial < 50; ++trial) {
            for (std::size_t f = 0; f < d; ++f) {
                a[f] = float(rng.normal() * 10);
                b[f] = float(rng.normal());
            }
            const float generic = acquire::hnsw::detail::l2_generic(a.data(), b.data(), &d);
            double exact = 0;
            for (std::size_t f = 0; f < d; ++f) exact += (double(a[f]) - double(b[f])) * (double(a[f]) - double(b[f]));
            CHECK(double(generic) == Approx(exact).epsilon(1e-5));
#if defined(ACQUIRE_AVX2)
            CHECK(acquire::hnsw::detail::l2_sse2(a.data(), b.data(), &d) == generic);
            if (acquire::detail::cpu_has_avx2()) CHECK(acquire::hnsw::detail::l2_avx2(a.data(), b.data(), &d) == generic);
#endif
        }
    }
}

TEST_CASE("shards: one index or several give the exact graph at full recall", "[hnsw]") {
    const auto X = pool(120, 5, 6);
    const NeighborGraph exact = acquire::knn_graph(X, 6);
    for (const Index shards : {1, 3, 200}) {
        acquire::hnsw::Options o = full_recall(120);
        o.shards = shards;
        CHECK(acquire::hnsw::knn_graph(X, 6, o).indices == exact.indices);
    }
    acquire::hnsw::Options bad;
    bad.shards = -1;
    CHECK_THROWS_WITH(acquire::hnsw::knn_graph(X, 6, bad), Contains("options shards must be >= 0"));
}

TEST_CASE("shards: 0 means two indexes up to 10^6 rows, then one per 500,000", "[hnsw]") {
    using acquire::hnsw::detail::shard_count;
    const acquire::hnsw::Options automatic;
    CHECK(automatic.shards == 0);
    CHECK(shard_count(automatic, 1) == 1);
    CHECK(shard_count(automatic, 3) == 2);
    CHECK(shard_count(automatic, 1000000) == 2);
    CHECK(shard_count(automatic, 1000001) == 3);
    CHECK(shard_count(automatic, 3000000) == 6);
    CHECK(shard_count(automatic, 10000000) == 20);
    acquire::hnsw::Options five;
    five.shards = 5;
    CHECK(shard_count(five, 10000000) == 5);
    CHECK(shard_count(five, 3) == 3);
    // Below 10^6 rows the default graph is the two-shard graph, bit for bit.
    const auto X = pool(3000, 8, 7);
    acquire::hnsw::Options two;
    two.shards = 2;
    const NeighborGraph a = acquire::hnsw::knn_graph(X, 10), b = acquire::hnsw::knn_graph(X, 10, two);
    CHECK(a.indices == b.indices);
    CHECK(a.distances == b.distances);
}


TEST_CASE("refine: one round is the brute-force local join; rows only move nearer", "[hnsw]") {
    // Under 4096 rows the round is one block: every row reads the graph before the round, so
    // the brute force is direct. Row i's new list: the nearest k, by (distance, row), of its
    // list, its neighbourhood N(i) and N(N(i)), where N(v) is v's list and the (at most k
    // nearest) rows listing v.
    const auto X = pool(600, 8, 9, 6);
    const Index n = 600, k = 8;
    acquire::hnsw::Options weak;  // a deliberately poor index, so that refining has work to do
    weak.M = 2;
    weak.ef_construction = 4;
    weak.ef_search = k + 1;
    const NeighborGraph g0 = acquire::hnsw::knn_graph(X, k, weak);
    REQUIRE(g0.indices.size() == std::size_t(n * k));
    using Edge = std::pair<double, Index>;
    std::vector<std::vector<Index>> around(n);
    std::vector<std::vector<Edge>> listing(n);
    for (Index i = 0; i < n; ++i)
        for (Index e = 0; e < k; ++e) {
            const Index j = g0.indices[std::size_t(i * k + e)];
            around[std::size_t(i)].push_back(j);
            listing[std::size_t(j)].emplace_back(g0.distances[std::size_t(i * k + e)], i);
        }
    for (Index v = 0; v < n; ++v) {
        auto& in = listing[std::size_t(v)];
        std::sort(in.begin(), in.end());
        for (std::size_t t = 0; t < in.size() && Index(t) < k; ++t) around[std::size_t(v)].push_back(in[t].second);
    }
    acquire::hnsw::Options once = weak;
    once.refine = 1;
    const NeighborGraph g1 = acquire::hnsw::knn_graph(X, k, once);
    REQUIRE(g1.indices.size() == std::size_t(n * k));
    Index moved = 0;
    for (Index i = 0; i < n; ++i) {
        std::set<Index> candidates;
        for (const Index j : around[std::size_t(i)]) {
            candidates.insert(j);
            for (const Index c : around[std::size_t(j)]) candidates.insert(c);
        }
        candidates.erase(i);
        std::vector<Edge> best;
        for (const Index c : candidates) best.emplace_back(acquire::detail::squared_distance(X.row(i), X.row(c)), c);
        std::sort(best.begin(), best.end());
        for (Index t = 0; t < k; ++t) {
            INFO("row " << i << " slot " << t);
            CHECK(g1.indices[std::size_t(i * k + t)] == best[std::size_t(t)].second);
            CHECK(g1.distances[std::size_t(i * k + t)] == best[std::size_t(t)].first);  // exact, to the bit
            CHECK(g1.distances[std::size_t(i * k + t)] <= g0.distances[std::size_t(i * k + t)]);
            moved += g1.indices[std::size_t(i * k + t)] != g0.indices[std::size_t(i * k + t)];
        }
    }
    CHECK(moved > n);  // the test has teeth: refining changed many lists
    const NeighborGraph exact = acquire::knn_graph(X, k);
    CHECK(recall(g1, exact) > recall(g0, exact) + 0.05);
    // The exact graph is a fixed point.
    acquire::hnsw::Options full = full_recall(n);
    full.refine = 2;
    CHECK(acquire::hnsw::knn_graph(X, k, full).indices == exact.indices);
    acquire::hnsw::Options bad;
    bad.refine = -1;
    CHECK_THROWS_WITH(acquire::hnsw::knn_graph(X, k, bad), Contains("options refine must be >= 0"));
    bad.refine = 1;
    CHECK_THROWS_WITH(acquire::hnsw::knn_graph(X.topRows(100), X.bottomRows(100), k, bad),
                      Contains("options refine applies to the graph of one set"));
}

TEST_CASE("refine over several blocks: the same graph on any thread count, recall up, cosine exact", "[hnsw]") {
    const auto X = pool<float>(9000, 12, 10, 30);  // three blocks of the round
    acquire::hnsw::Options o;
    o.M = 4;
    o.ef_construction = 10;
    o.ef_search = 11;
    o.cosine = true;
    const NeighborGraph g0 = acquire::hnsw::knn_graph(X, 10, o);
    o.refine = 2;
    const NeighborGraph a = acquire::hnsw::knn_graph(X, 10, o);
#ifdef _OPENMP
    const int threads = omp_get_max_threads();
    omp_set_num_threads(1);
#endif
    const NeighborGraph b = acquire::hnsw::knn_graph(X, 10, o);
#ifdef _OPENMP
    omp_set_num_threads(threads);
#endif
    CHECK(a.indices == b.indices);
    CHECK(a.distances == b.distances);
    const Eigen::MatrixXf column_major = X;  // the same graph from either layout
    const NeighborGraph c = acquire::hnsw::knn_graph(column_major, 10, o);
    CHECK(c.indices == a.indices);
    CHECK(c.distances == a.distances);
    Eigen::Matrix<float, -1, -1, Eigen::RowMajor> unit = X;
    unit.rowwise().normalize();
    const NeighborGraph exact = acquire::knn_graph(unit, 10);
    const double r0 = recall(g0, exact), r2 = recall(a, exact);
    INFO("recall@10 " << r0 << " -> " << r2);
    CHECK(r2 > r0);
    CHECK(r2 >= 0.95);
    const std::vector<double> inverse = acquire::hnsw::detail::inverse_norms("t", "X", X, true);
    for (Index i = 0; i < a.rows(); i += 7)
        for (Index e = a.offsets[std::size_t(i)]; e < a.offsets[std::size_t(i) + 1]; ++e) {
            const Index j = a.indices[std::size_t(e)];
            CHECK(j != i);
            CHECK(a.distances[std::size_t(e)] == acquire::hnsw::detail::exact_distance(X, inverse, i, X, inverse, j));
            if (e > a.offsets[std::size_t(i)]) CHECK(a.distances[std::size_t(e)] >= a.distances[std::size_t(e) - 1]);
        }
}
