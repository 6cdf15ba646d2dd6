// kmeans and cluster_select: separated blobs are found, Lloyd never increases the inertia,
// determinism, picks nearest the centers among the most uncertain, bad inputs.
#include <acquire/core/random.hpp>
#include <acquire/select/cluster.hpp>
#include <acquire/synthetic.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <limits>
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

namespace {

/// 25 well-separated Gaussian blobs, 80 points each, d = 8: centres uniform in [-10, 10]^8
/// (at least ~9 apart), points at standard deviation `sd` around them; row i is in blob i % 25.
template <class T>
acquire::RowMatrix<T> blobs(std::uint64_t seed, double sd) {
    acquire::Rng rng(seed);
    acquire::RowMatrix<double> c(25, 8);
    acquire::RowMatrix<T> X(2000, 8);
    for (Index k = 0; k < 25; ++k)
        for (Index j = 0; j < 8; ++j) c(k, j) = 20 * rng.uniform() - 10;
    for (Index i = 0; i < 2000; ++i)
        for (Index j = 0; j < 8; ++j) X(i, j) = T(c(i % 25, j) + sd * rng.normal());
    return X;
}

/// Whether the clustering is the blobs (one cluster per blob, one blob per cluster).
bool recovers_blobs(const std::vector<Index>& assignment) {
    std::set<std::pair<Index, Index>> pairs;
    for (Index i = 0; i < 2000; ++i) pairs.insert({i % 25, assignment[std::size_t(i)]});
    return pairs.size() == 25;
}

}  // namespace

TEMPLATE_TEST_CASE("kmeans: restarts recover 25 well-separated blobs for every seed", "[cluster]", float, double) {
    using T = TestType;
    for (std::uint64_t pool : {7, 8}) {
        const auto X = blobs<T>(pool, 0.7);
        for (std::uint64_t seed = 0; seed < 40; ++seed) {
            acquire::KMeansOptions o;
            o.seed = seed;
            const auto km = acquire::kmeans(X, 25, o);
            INFO("pool " << pool << " seed " << seed << ": the default restarts find the 25 blobs");
            CHECK(recovers_blobs(km.assignment));
        }
    }
}

TEMPLATE_TEST_CASE("kmeans: the lowest-inertia start is kept; start 0 is the seed's single run", "[cluster]", float,
                   double) {
    using T = TestType;
    const auto X = blobs<T>(9, 1.0);  // blobs close enough that single starts differ
    acquire::KMeansOptions one;
    one.restarts = 1;
    int improved = 0;
    for (std::uint64_t seed = 0; seed < 10; ++seed) {
        one.seed = seed;
        acquire::KMeansOptions three = one;
        three.restarts = 3;
        const auto a = acquire::kmeans(X, 25, one), c = acquire::kmeans(X, 25, three);
        double best = a.inertia;
        for (Index r = 1; r < 3; ++r) {
            acquire::KMeansOptions single = one;
            single.seed = acquire::detail::kmeans_start_seed(seed, r);
            best = std::min(best, acquire::kmeans(X, 25, single).inertia);
        }
        INFO("seed " << seed << ": restarts = 3 keeps the best of its three starts");
        CHECK(c.inertia == best);
        CHECK(c.inertia <= a.inertia);
        improved += c.inertia < a.inertia ? 1 : 0;
        CHECK(acquire::kmeans(X, 25, three).assignment == c.assignment);
    }
    INFO("on this pool some single starts are worse than the best of three");
    CHECK(improved > 0);
    one.restarts = 0;
    REQUIRE_THROWS_WITH(acquire::kmeans(X, 25, one), Contains("acquire::kmeans: options restarts must be >= 1, got 0"));
}

TEMPLATE_TEST_CASE("kmeans: unchecked NaN rows give a clustering, never undefined behaviour", "[cluster][checks]", float,
                   double) {
    using T = TestType;
    acquire::RowMatrix<T> X = acquire::synthetic::embeddings<T, Eigen::RowMajor>(60, 3);
    X(4, 1) = std::numeric_limits<T>::quiet_NaN();
    acquire::KMeansOptions o;
    o.checks.values = false;
    for (Index k : {1, 3, 10}) {
        const auto km = acquire::kmeans(X, k, o);
        REQUIRE(km.assignment.size() == 60);
        for (Index a : km.assignment) CHECK((a >= 0 && a < k));
    }
    X.col(0).setConstant(std::numeric_limits<T>::quiet_NaN());  // every distance NaN
    const auto km = acquire::kmeans(X, 5, o);
    for (Index a : km.assignment) CHECK((a >= 0 && a < 5));
    REQUIRE_THROWS_WITH(acquire::kmeans(X, 5), Contains("acquire::kmeans: X row 0 column 0 is nan"));
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
