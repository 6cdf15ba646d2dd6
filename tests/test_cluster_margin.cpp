// cluster_margin: the k_m most uncertain, clusters smallest first in round-robin, uniform member
// draws (chi-square at fixed seeds), labeled rows, default k_m, with agglomerative_clustering and
// kmeans assignments, determinism, bad inputs.
#include <acquire/select/cluster.hpp>
#include <acquire/select/cluster_margin.hpp>
#include <acquire/synthetic.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>

using acquire::Index;
using Catch::Contains;

namespace {

bool in(const std::vector<Index>& v, Index x) { return std::find(v.begin(), v.end(), x) != v.end(); }

}  // namespace

TEMPLATE_TEST_CASE("cluster_margin: smallest cluster first, round-robin", "[cluster_margin]", float, double) {
    using T = TestType;
    // Scores (higher = smaller margin). The 6 highest are rows 0..5; clusters within them:
    // cluster 4 = {2} (size 1), cluster 1 = {0, 5} (size 2), cluster 0 = {1, 3, 4} (size 3).
    acquire::Vector<T> scores(10);
    scores << T(0.9), T(0.95), T(0.8), T(0.85), T(0.99), T(0.7), T(0.1), T(0.2), T(0.3), T(0.05);
    const std::vector<Index> assignment = {1, 0, 4, 0, 0, 1, 4, 1, 0, 2};
    acquire::ClusterMarginOptions o;
    o.margin_pool = 6;
    const std::vector<Index> c4 = {2}, c1 = {0, 5}, c0 = {1, 3, 4};
    for (std::uint64_t seed = 0; seed < 30; ++seed) {
        o.seed = seed;
        auto sel = acquire::cluster_margin(scores, assignment, 3, o);
        REQUIRE(sel.size() == 3);
        CHECK(sel.indices[0] == 2);
        CHECK(in(c1, sel.indices[1]));
        CHECK(in(c0, sel.indices[2]));
        for (std::size_t j = 0; j < 3; ++j) CHECK(sel.objective[j] == double(scores[sel.indices[j]]));
        INFO("b = 5: the singleton cluster runs out; rounds 2 visit clusters 1 then 0");
        sel = acquire::cluster_margin(scores, assignment, 5, o);
        REQUIRE(sel.size() == 5);
        CHECK(sel.indices[0] == 2);
        CHECK(in(c1, sel.indices[1]));
        CHECK(in(c0, sel.indices[2]));
        CHECK(in(c1, sel.indices[3]));
        CHECK(in(c0, sel.indices[4]));
        CHECK(std::set<Index>(sel.indices.begin(), sel.indices.end()).size() == 5);
        INFO("b = k_m: the whole margin pool");
        sel = acquire::cluster_margin(scores, assignment, 6, o);
        CHECK(std::set<Index>(sel.indices.begin(), sel.indices.end()) == std::set<Index>{0, 1, 2, 3, 4, 5});
        CHECK(acquire::cluster_margin(scores, assignment, 6, o).indices == sel.indices);
    }
    INFO("labeled rows leave the pool: k_m = 6 now reaches row 8 (cluster 0)");
    o.labeled = {2, 4};
    const auto sel = acquire::cluster_margin(scores, assignment, 6, o);
    CHECK(std::set<Index>(sel.indices.begin(), sel.indices.end()) == std::set<Index>{0, 1, 3, 5, 7, 8});
    INFO("clusters 1 = {0, 5, 7} and 0 = {1, 3, 8} tie at 3: the lower id (0) goes first");
    CHECK(in({1, 3, 8}, sel.indices[0]));
    CHECK(in({0, 5, 7}, sel.indices[1]));
    INFO("the default k_m is min(10 b, unlabeled): all 8 unlabeled rows for b = 1");
    o.margin_pool = 0;
    std::set<Index> firsts;
    for (std::uint64_t seed = 0; seed < 40; ++seed) {
        o.seed = seed;
        firsts.insert(acquire::cluster_margin(scores, assignment, 1, o).indices[0]);
    }
    INFO("with all 8 rows, cluster 2 = {9} is the smallest");
    CHECK(firsts == std::set<Index>{9});
    CHECK(acquire::cluster_margin(scores, assignment, 0, o).indices.empty());
}

TEST_CASE("cluster_margin: the member drawn is uniform", "[cluster_margin]") {
    Eigen::VectorXd scores(6);
    scores << 0.5, 0.6, 0.7, 0.8, 0.1, 0.2;
    const std::vector<Index> assignment = {3, 3, 3, 3, 0, 1};
    acquire::ClusterMarginOptions o;
    o.margin_pool = 4;  // rows 0..3, one cluster
    std::map<Index, double> counts;
    const int draws = 8000;
    for (int seed = 0; seed < draws; ++seed) {
        o.seed = std::uint64_t(seed);
        counts[acquire::cluster_margin(scores, assignment, 1, o).indices[0]] += 1;
    }
    REQUIRE(counts.size() == 4);
    // 3 degrees of freedom, 0.999 quantile 16.266; fixed seeds, so deterministic.
    double x2 = 0;
    for (auto [i, c] : counts) x2 += (c - draws / 4.0) * (c - draws / 4.0) / (draws / 4.0);
    CHECK(x2 < 16.266);
}

TEMPLATE_TEST_CASE("cluster_margin with agglomerative and kmeans clusterings", "[cluster_margin]", float, double) {
    using T = TestType;
    acquire::synthetic::EmbeddingOptions eo;
    eo.clusters = 8;
    eo.spread = 0.1;
    const auto X = acquire::synthetic::embeddings<T, Eigen::RowMajor>(400, 5, eo);
    acquire::Vector<T> scores(400);
    for (Index i = 0; i < 400; ++i) scores[i] = T((i * 191) % 400) / 400;
    const auto hac = acquire::agglomerative_clustering(X, 1.0);
    const auto km = acquire::kmeans(X, 8);
    for (const auto* a : {&hac.assignment, &km.assignment}) {
        acquire::ClusterMarginOptions o;
        o.labeled = {1, 2, 3};
        o.seed = 5;
        const auto sel = acquire::cluster_margin(scores, *a, 40, o);
        REQUIRE(sel.size() == 40);
        const auto top = acquire::top_k(scores, 397, o.labeled);  // k_m = min(10 b, 397)
        std::set<Index> seen;
        std::map<Index, int> per_cluster, in_pool;
        for (Index i : top) ++in_pool[(*a)[std::size_t(i)]];
        for (Index i : sel.indices) {
            CHECK(seen.insert(i).second);
            CHECK(!in(o.labeled, i));
            ++per_cluster[(*a)[std::size_t(i)]];
        }
        INFO("round-robin: every cluster gets min(its size in M, the level all reach) picks, "
             "so any two clusters differ by at most one unless the smaller ran out");
        for (auto [c, k] : per_cluster)
            for (auto [c2, k2] : per_cluster)
                CHECK((k <= k2 + 1 || k2 == in_pool[c2]));
        CHECK(acquire::cluster_margin(scores, *a, 40, o).indices == sel.indices);
    }
}

TEST_CASE("cluster_margin: bad input", "[cluster_margin]") {
    Eigen::VectorXd s = Eigen::VectorXd::LinSpaced(5, 0, 1);
    std::vector<Index> a = {0, 0, 1, 1, 2};
    acquire::ClusterMarginOptions o;
    REQUIRE_THROWS_WITH(acquire::cluster_margin(s, std::vector<Index>(4, 0), 1, o),
                        Contains("acquire::cluster_margin: assignment has 4 entries but scores has 5"));
    a[3] = 5;
    REQUIRE_THROWS_WITH(acquire::cluster_margin(s, a, 1, o), Contains("assignment entry 3 is 5, out of range [0, 5)"));
    a[3] = 1;
    REQUIRE_THROWS_WITH(acquire::cluster_margin(s, a, 6, o), Contains("b is 6 but only 5 candidates are available"));
    o.margin_pool = 1;
    REQUIRE_THROWS_WITH(acquire::cluster_margin(s, a, 2, o), Contains("options margin_pool is 1 but must be 0 or in [b = 2, 5]"));
    o.margin_pool = 6;
    REQUIRE_THROWS_WITH(acquire::cluster_margin(s, a, 2, o), Contains("options margin_pool is 6"));
    o.margin_pool = 0;
    o.labeled = {7};
    REQUIRE_THROWS_WITH(acquire::cluster_margin(s, a, 2, o), Contains("options labeled entry 0 is 7, out of range [0, 5)"));
    o.labeled = {};
    s[2] = std::nan("");
    REQUIRE_THROWS_WITH(acquire::cluster_margin(s, a, 2, o), Contains("scores entry 2 is NaN"));
    REQUIRE_THROWS_WITH(acquire::cluster_margin(Eigen::MatrixXd::Zero(2, 3), std::vector<Index>(6, 0), 1, o),
                        Contains("scores must be a vector"));
}
