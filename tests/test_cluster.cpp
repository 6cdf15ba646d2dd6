// kmeans and cluster_select: separated blobs are found, Lloyd never increases the inertia,
// determinism, picks nearest the centers among the most uncertain, bad inputs.
#include <acquire/select/cluster.hpp>
#include <acquire/synthetic.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

using acquire::Index;
using Catch::Contains;

TEMPLATE_TEST_CASE("kmeans finds well-separated blobs", "[cluster]", float, double) {
    using T = TestType;
    acquire::synthetic::EmbeddingOptions eo;
    eo.clusters = 4;
    eo.spread = 0.05;
    const auto X = acquire::synthetic::embeddings<T, Eigen::RowMajor>(400, 6, eo);
    const auto km = acquire::kmeans(X, 4);
    INFO("points close together share a cluster, far apart do not");
    for (Index i = 0; i < 400; i += 7)
        for (Index j = 0; j < 400; j += 11) {
            const bool near = (X.row(i) - X.row(j)).norm() < T(1);
            CHECK(near == (km.assignment[std::size_t(i)] == km.assignment[std::size_t(j)]));
        }
    double inertia = 0;
    for (Index i = 0; i < 400; ++i) inertia += double((X.row(i) - km.centers.row(km.assignment[std::size_t(i)])).squaredNorm());
    CHECK(km.inertia == Approx(inertia).epsilon(1e-4));
    INFO("more Lloyd steps never hurt; the same seed gives the same clustering");
    acquire::KMeansOptions none;
    none.max_iterations = 0;
    CHECK(acquire::kmeans(X, 4, none).inertia >= km.inertia);
    CHECK(acquire::kmeans(X, 4).assignment == km.assignment);
    REQUIRE_THROWS_WITH(acquire::kmeans(X, 401), Contains("acquire::kmeans: k must be in [1, 400], got 401"));
}

TEMPLATE_TEST_CASE("cluster_select: nearest to centers among the top beta b", "[cluster]", float, double) {
    using T = TestType;
    const auto X = acquire::synthetic::embeddings<T, Eigen::RowMajor>(1000, 5);
    acquire::Vector<T> scores(1000);
    for (Index i = 0; i < 1000; ++i) scores[i] = T((i * 37) % 1000) / 1000;
    acquire::ClusterSelectOptions o;
    o.beta = 5;
    o.labeled = {1, 2, 3};
    const auto sel = acquire::cluster_select(X, scores, 20, o);
    REQUIRE(sel.size() == 20);
    const auto top = acquire::top_k(scores, 100, o.labeled);
    std::set<Index> seen(sel.indices.begin(), sel.indices.end());
    CHECK(seen.size() == 20);
    for (Index i : sel.indices) CHECK(std::count(top.begin(), top.end(), i) == 1);
    INFO("each pick is the member nearest its cluster's center");
    const auto rows = X(top, Eigen::all);
    const auto km = acquire::kmeans(rows, 20, o.kmeans);
    for (std::size_t c = 0; c < 20; ++c) {
        const auto q = std::size_t(std::find(top.begin(), top.end(), sel.indices[c]) - top.begin());
        for (std::size_t r = 0; r < top.size(); ++r)
            if (km.assignment[r] == km.assignment[q])
                CHECK((rows.row(Index(r)) - km.centers.row(km.assignment[q])).norm() >= T(sel.objective[c]) * T(1 - 1e-5));
    }
    CHECK(acquire::cluster_select(X, scores, 20, o).indices == sel.indices);
    REQUIRE_THROWS_WITH(acquire::cluster_select(X, scores, 998, o), Contains("b is 998 but only 997"));
    o.beta = 0;
    REQUIRE_THROWS_WITH(acquire::cluster_select(X, scores, 2, o), Contains("options beta must be in [1, 50], got 0"));
    o.beta = 10;
    scores[5] = std::numeric_limits<T>::quiet_NaN();
    REQUIRE_THROWS_WITH(acquire::cluster_select(X, scores, 2, o), Contains("acquire::cluster_select: scores entry 5 is NaN"));
}
