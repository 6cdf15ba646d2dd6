// core/neighbor_graph.hpp: the exact graph against brute force, check_graph's errors naming the
// row, and every selector that reads a graph: with the full exact graph (every other row
// listed) each makes the picks of its exact search; with a short graph it never invents a
// neighbour (ProbCover's balls are subsets of the exact ones).
#include <acquire/core/neighbor_graph.hpp>
#include <acquire/score/contrastive.hpp>
#include <acquire/select/facility_location.hpp>
#include <acquire/select/probcover.hpp>
#include <acquire/select/typiclust.hpp>
#include <acquire/synthetic.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

using acquire::Index;
using acquire::NeighborGraph;
using Catch::Contains;

namespace {

Eigen::MatrixXd pool(Index n, Index d, std::uint64_t seed, Index clusters = 6) {
    acquire::synthetic::EmbeddingOptions o;
    o.seed = seed;
    o.clusters = clusters;
    return acquire::synthetic::embeddings<double, Eigen::ColMajor>(n, d, o);
}

/// Row i's other rows by (squared distance, index), from the definition.
std::vector<std::pair<double, Index>> brute_row(const Eigen::MatrixXd& X, Index i) {
    std::vector<std::pair<double, Index>> out;
    for (Index j = 0; j < X.rows(); ++j)
        if (j != i) out.emplace_back((X.row(i) - X.row(j)).squaredNorm(), j);
    std::sort(out.begin(), out.end());
    return out;
}

Eigen::MatrixXd unit_rows(Eigen::MatrixXd X) {
    X.rowwise().normalize();
    return X;
}

/// The first k entries of each row of g.
NeighborGraph truncated(const NeighborGraph& g, Index k) {
    NeighborGraph t;
    t.offsets.push_back(0);
    for (Index i = 0; i < g.rows(); ++i) {
        for (Index e = g.offsets[std::size_t(i)]; e < std::min(g.offsets[std::size_t(i) + 1], g.offsets[std::size_t(i)] + k);
             ++e) {
            t.indices.push_back(g.indices[std::size_t(e)]);
            t.distances.push_back(g.distances[std::size_t(e)]);
        }
        t.offsets.push_back(Index(t.indices.size()));
    }
    return t;
}

}  // namespace

TEST_CASE("knn_graph is the exact k-nearest-neighbour graph without self loops", "[neighbor_graph]") {
    const Eigen::MatrixXd X = pool(60, 5, 3);
    const NeighborGraph g = acquire::knn_graph(X, 7);
    REQUIRE(g.rows() == 60);
    for (Index i = 0; i < 60; ++i) {
        REQUIRE(g.degree(i) == 7);
        const auto want = brute_row(X, i);
        for (Index t = 0; t < 7; ++t) {
            const auto e = std::size_t(g.offsets[std::size_t(i)] + t);
            CHECK(g.indices[e] == want[std::size_t(t)].second);
            CHECK(g.distances[e] == Approx(want[std::size_t(t)].first).epsilon(1e-9).margin(1e-9));
        }
    }
    // k is capped at N - 1; one row has no neighbour.
    CHECK(acquire::knn_graph(X.topRows(4), 10).indices.size() == 4 * 3);
    CHECK(acquire::knn_graph(X.topRows(1), 3).indices.empty());
    CHECK_THROWS_WITH(acquire::knn_graph(X, 0), Contains("knn_graph") && Contains("k must be >= 1"));
    Eigen::MatrixXd bad = X;
    bad(5, 2) = std::numeric_limits<double>::quiet_NaN();
    CHECK_THROWS_WITH(acquire::knn_graph(bad, 3), Contains("knn_graph") && Contains("row 5"));
}

TEST_CASE("check_graph names the argument and the row of every defect", "[neighbor_graph][checks]") {
    const Eigen::MatrixXd X = pool(12, 3, 5);
    const NeighborGraph good = acquire::knn_graph(X, 3);
    acquire::ProbCoverOptions o;
    const auto run = [&](const NeighborGraph& g) {
        o.graph = &g;
        return acquire::probcover(X, 1.0, 2, o);
    };
    CHECK_NOTHROW(run(good));
    NeighborGraph g = good;
    g.offsets.pop_back();
    CHECK_THROWS_WITH(run(g), Contains("probcover") && Contains("options graph has 12 offsets but needs 13"));
    g = good;
    g.offsets[0] = 1;
    CHECK_THROWS_WITH(run(g), Contains("offsets[0] is 1"));
    g = good;
    g.offsets[4] = 20;
    CHECK_THROWS_WITH(run(g), Contains("row 4: offsets decrease"));
    g = good;
    g.distances.pop_back();
    CHECK_THROWS_WITH(run(g), Contains("36 indices and 35 distances"));
    g = good;
    g.indices[7] = 12;
    CHECK_THROWS_WITH(run(g), Contains("row 2 neighbour 1 is 12, outside [0, 12)"));
    g = good;
    g.indices[7] = 2;
    CHECK_THROWS_WITH(run(g), Contains("row 2 lists itself"));
    g = good;
    g.indices[7] = g.indices[6];
    CHECK_THROWS_WITH(run(g), Contains("row 2 lists ") && Contains(" twice"));
    for (const double d : {-1.0, std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN()}) {
        g = good;
        g.distances[7] = d;
        CHECK_THROWS_WITH(run(g), Contains("row 2 neighbour 1 has distance"));
    }
    g = good;
    std::swap(g.distances[6], g.distances[8]);
    CHECK_THROWS_WITH(run(g), Contains("row 2 neighbour 1: distances must ascend"));
    // Rows of different lengths and empty rows are fine.
    g = truncated(good, 1);
    g.offsets.assign(13, 0);
    g.indices.clear();
    g.distances.clear();
    CHECK_NOTHROW(run(g));
}

TEST_CASE("sparse facility location and max coverage on the full graph make the exact picks", "[neighbor_graph]") {
    const Eigen::MatrixXd X = pool(150, 6, 7);
    for (const Index k : {5, 20}) {
        INFO("k " << k);
        acquire::FacilityLocationOptions exact;
        exact.neighbors = k;
        const NeighborGraph cosine = acquire::knn_graph(unit_rows(X), 149);
        acquire::FacilityLocationOptions from_graph = exact;
        from_graph.graph = &cosine;
        std::vector<Index> candidates;
        for (Index i = 0; i < 150; i += 2) candidates.push_back(i);
        for (const auto& c : {std::vector<Index>{}, candidates}) {
            const auto a = acquire::facility_location(X, c, 15, exact);
            const auto b = acquire::facility_location(X, c, 15, from_graph);
            CHECK(a.indices == b.indices);
            for (std::size_t j = 0; j < a.objective.size(); ++j)
                CHECK(a.objective[j] == Approx(b.objective[j]).epsilon(1e-9));
        }
        const NeighborGraph euclidean = acquire::knn_graph(X, 149);
        from_graph.graph = &euclidean;
        const auto a = acquire::max_coverage(X, 1.2, 10, {}, exact);
        const auto b = acquire::max_coverage(X, 1.2, 10, {}, from_graph);
        CHECK(a.indices == b.indices);
        CHECK(a.objective == b.objective);
    }
    // A graph needs sparse mode, and its shape is checked.
    acquire::FacilityLocationOptions dense;
    const NeighborGraph g = acquire::knn_graph(X, 3);
    dense.graph = &g;
    CHECK_THROWS_WITH(acquire::facility_location(X, {}, 3, dense), Contains("options graph needs sparse mode"));
    dense.neighbors = 3;
    CHECK_THROWS_WITH(acquire::facility_location(X.topRows(100), {}, 3, dense), Contains("options graph has 151 offsets"));
}

TEST_CASE("ProbCover and its delta on a graph: the full graph is exact, a short one only misses", "[neighbor_graph]") {
    const Eigen::MatrixXd X = pool(200, 4, 9);
    const NeighborGraph full = acquire::knn_graph(X, 199);
    for (const double delta : {0.3, 0.6, 1.0}) {
        INFO("delta " << delta);
        acquire::ProbCoverOptions exact;
        exact.labeled = {3, 50};
        acquire::ProbCoverOptions o = exact;
        o.graph = &full;
        const auto a = acquire::probcover(X, delta, 12, exact);
        const auto b = acquire::probcover(X, delta, 12, o);
        CHECK(a.indices == b.indices);
        CHECK(a.objective == b.objective);
        // Four neighbours per row: balls are subsets of the exact ones, so each pick covers at
        // most what the exact ball holds; the covered count after the picks can only be lower
        // than the exact balls' cover of the same picks.
        const NeighborGraph short_graph = truncated(full, 4);
        o.graph = &short_graph;
        const auto c = acquire::probcover(X, delta, 12, o);
        std::vector<char> covered(200, 0);
        Index count = 0;
        std::vector<Index> seeds = c.indices;
        seeds.insert(seeds.end(), exact.labeled.begin(), exact.labeled.end());
        for (const Index s : seeds)
            for (Index j = 0; j < 200; ++j)
                if ((j == s || (X.row(s) - X.row(j)).norm() < delta) && !covered[std::size_t(j)]) covered[std::size_t(j)] = 1, ++count;
        CHECK(c.objective.back() <= double(count));
    }
    std::vector<Index> labels(200);
    for (Index i = 0; i < 200; ++i) labels[std::size_t(i)] = (X(i, 0) > 0) + 2 * (X(i, 1) > 0);
    acquire::ProbCoverDeltaOptions d;
    const double exact_delta = acquire::probcover_delta(X, labels, d);
    d.graph = &full;
    CHECK(acquire::probcover_delta(X, labels, d) == Approx(exact_delta).epsilon(1e-6));
    // Rows listing no neighbour of another label take their last listed distance (a lower bound).
    const NeighborGraph two = truncated(full, 2);
    d.graph = &two;
    const double short_delta = acquire::probcover_delta(X, labels, d);
    CHECK(short_delta <= exact_delta + 1e-9);
}

TEST_CASE("TypiClust on the full graph equals the exact typicality", "[neighbor_graph]") {
    const Eigen::MatrixXd X = pool(180, 5, 11, 4);
    const NeighborGraph full = acquire::knn_graph(X, 179);
    acquire::TypiClustOptions exact;
    exact.neighbors = 6;
    exact.labeled = {0, 1};
    acquire::TypiClustOptions o = exact;
    o.graph = &full;
    const auto a = acquire::typiclust(X, 8, exact);
    const auto b = acquire::typiclust(X, 8, o);
    CHECK(a.indices == b.indices);
    for (std::size_t j = 0; j < a.objective.size(); ++j) CHECK(a.objective[j] == Approx(b.objective[j]).epsilon(1e-9));
    const NeighborGraph g = acquire::knn_graph(X.topRows(50), 3);
    o.graph = &g;
    CHECK_THROWS_WITH(acquire::typiclust(X, 8, o), Contains("typiclust") && Contains("options graph has 51 offsets"));
}

TEST_CASE("CAL on a pool-to-labeled graph equals the exact search", "[neighbor_graph]") {
    const Eigen::MatrixXd H = pool(90, 4, 13);
    const Eigen::MatrixXd P = acquire::synthetic::probabilities<double, Eigen::ColMajor>(90, 3);
    const Eigen::MatrixXd Hl = H.bottomRows(30), Pl = P.bottomRows(30);
    const Eigen::MatrixXd Hp = H.topRows(60), Pp = P.topRows(60);
    const auto nn = acquire::nearest_neighbors(Hp, Hl, 5);
    NeighborGraph g;
    g.offsets.push_back(0);
    for (Index i = 0; i < 60; ++i) {
        for (Index t = 0; t < 5; ++t) {
            g.indices.push_back(nn.indices(i, t));
            g.distances.push_back(nn.distances(i, t));
        }
        g.offsets.push_back(Index(g.indices.size()));
    }
    const Eigen::VectorXd a = acquire::contrastive_score(Pp, Hp, Pl, Hl, 5);
    const Eigen::VectorXd b = acquire::contrastive_score(Pp, Pl, g);
    CHECK((a - b).cwiseAbs().maxCoeff() < 1e-12);
    g.indices.erase(g.indices.begin(), g.indices.begin() + 5);  // row 0 lists nothing
    g.distances.erase(g.distances.begin(), g.distances.begin() + 5);
    for (std::size_t i = 1; i < g.offsets.size(); ++i) g.offsets[i] -= 5;
    CHECK_THROWS_WITH(acquire::contrastive_score(Pp, Pl, g), Contains("contrastive_score") && Contains("row 0 lists no labeled"));
}
