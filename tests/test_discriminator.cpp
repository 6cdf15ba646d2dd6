// discriminator_select and rank_combine.
#include <acquire/score/uncertainty.hpp>
#include <acquire/select/discriminator.hpp>
#include <acquire/synthetic.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>

using acquire::Index;
using Catch::Contains;

TEST_CASE("discriminator_select: lowest D first, ties by lowest index, labeled skipped", "[discriminator]") {
    Eigen::VectorXf D(6);
    D << 0.9f, 0.2f, 0.5f, 0.2f, 0.1f, 0.7f;
    const auto s = acquire::discriminator_select(D, {4}, 3);
    CHECK(s.indices == std::vector<Index>{1, 3, 2});
    CHECK(s.objective == std::vector<double>{double(0.2f), double(0.2f), 0.5});
    CHECK(acquire::discriminator_select(D, {}, 0).indices.empty());
    CHECK(acquire::discriminator_select(D, {0, 1, 2, 3, 4}, 1).indices == std::vector<Index>{5});
    // brute force: sort (D, index) ascending among the unlabeled
    const Eigen::VectorXd R = acquire::synthetic::probabilities<double, Eigen::ColMajor>(500, 2).col(0);
    const std::vector<Index> labeled{3, 7, 100};
    std::vector<Index> order;
    for (Index i = 0; i < 500; ++i)
        if (std::find(labeled.begin(), labeled.end(), i) == labeled.end()) order.push_back(i);
    std::sort(order.begin(), order.end(), [&](Index a, Index b) { return R[a] < R[b] || (R[a] == R[b] && a < b); });
    order.resize(40);
    CHECK(acquire::discriminator_select(R, labeled, 40).indices == order);
}

TEST_CASE("discriminator_select: bad inputs", "[discriminator]") {
    Eigen::VectorXd D = Eigen::VectorXd::Constant(4, 0.5);
    REQUIRE_THROWS_WITH(acquire::discriminator_select(D, {1}, 4),
                        Contains("acquire::discriminator_select: b is 4 but only 3 candidates are available"));
    REQUIRE_THROWS_WITH(acquire::discriminator_select(D, {1, 1}, 1), Contains("labeled repeats index 1"));
    REQUIRE_THROWS_WITH(acquire::discriminator_select(D, {9}, 1), Contains("labeled entry 0 is 9"));
    D[2] = NAN;
    REQUIRE_THROWS_WITH(acquire::discriminator_select(D, {}, 1), Contains("D entry 2 is nan"));
    REQUIRE_THROWS_WITH(acquire::discriminator_select(Eigen::MatrixXd::Zero(2, 2), {}, 1), Contains("D must be a vector"));
}

TEST_CASE("rank_combine: normalised ranks, ties share their mean rank", "[discriminator]") {
    Eigen::VectorXd a(5), b(5);
    a << 10, 20, 20, 5, 30;  // ranks: 1, 2.5, 2.5, 0, 4 -> / 4
    b << 0.1, 0.2, 0.3, 0.4, 0.5;
    const acquire::Ranks r(a);
    CHECK(r.values() == (Eigen::VectorXd(5) << 0.25, 0.625, 0.625, 0.0, 1.0).finished());
    const Eigen::VectorXd c = acquire::rank_combine({a, b}, {1.0, 3.0});
    const Eigen::VectorXd rb = (Eigen::VectorXd(5) << 0, 0.25, 0.5, 0.75, 1).finished();
    for (Index i = 0; i < 5; ++i) CHECK(c[i] == Approx(0.25 * r.values()[i] + 0.75 * rb[i]));
    // all tied: everyone gets 0.5; a single sample gets 0.5
    CHECK(acquire::Ranks(Eigen::VectorXd::Constant(4, 1.0)).values() == Eigen::VectorXd::Constant(4, 0.5));
    CHECK(acquire::Ranks(Eigen::VectorXd::Constant(1, 1.0)).values()[0] == 0.5);
    // infinities rank like any value (forgetting scores use +inf)
    Eigen::VectorXd inf(3);
    inf << INFINITY, 1, -INFINITY;
    CHECK(acquire::Ranks(inf).values() == (Eigen::VectorXd(3) << 1, 0.5, 0).finished());
}

TEST_CASE("rank_combine: invariant to monotone transforms and to sample order", "[discriminator]") {
    const acquire::RowMatrix<float> P = acquire::synthetic::probabilities<float>(300, 4);
    const Eigen::VectorXf h = acquire::entropy(P);
    const Eigen::VectorXf m = acquire::margin(P);
    const Eigen::VectorXd base = acquire::rank_combine({h, m}, {0.5, 0.5});
    const Eigen::VectorXf h3 = h.array().exp() * 7.0f;  // monotone
    CHECK(acquire::rank_combine({h3, m}, {2.0, 2.0}) == base);
    Eigen::PermutationMatrix<Eigen::Dynamic> perm(300);
    perm.setIdentity();
    std::reverse(perm.indices().data(), perm.indices().data() + 300);
    const Eigen::VectorXf hp = perm * h, mp = perm * m;
    CHECK(acquire::rank_combine({hp, mp}, {0.5, 0.5}) == perm * base);
    // MAL-style mix: discriminator (lower = query first) and entropy
    const Eigen::VectorXf D = P.col(0);
    const Eigen::VectorXd mix = acquire::rank_combine({-D, h}, {1.0, 0.0});
    CHECK(mix == acquire::Ranks(-D).values());
}

TEST_CASE("rank_combine: bad inputs", "[discriminator]") {
    Eigen::VectorXd a = Eigen::VectorXd::Zero(3), b = Eigen::VectorXd::Zero(4);
    REQUIRE_THROWS_WITH(acquire::rank_combine({a, b}, {1, 1}),
                        Contains("acquire::rank_combine: scores entry 1 has 4 rows but entry 0 has 3"));
    REQUIRE_THROWS_WITH(acquire::rank_combine({a}, {1, 1}), Contains("got 1 scores but 2 weights"));
    REQUIRE_THROWS_WITH(acquire::rank_combine({a}, {-1}), Contains("weights entry 0 is -1"));
    REQUIRE_THROWS_WITH(acquire::rank_combine({a, a}, {0, 0}), Contains("the weights sum to 0"));
    REQUIRE_THROWS_WITH(acquire::rank_combine({}, {}), Contains("no scores given"));
    a[1] = NAN;
    REQUIRE_THROWS_WITH(acquire::rank_combine({b, a}, {1, 1}), Contains("scores entry 1 row 1 is NaN"));
    REQUIRE_THROWS_WITH(acquire::rank_combine({Eigen::MatrixXd::Zero(2, 2)}, {1}), Contains("must be a vector"));
    REQUIRE_THROWS_WITH(acquire::rank_combine({Eigen::VectorXd(0)}, {1}), Contains("the scores are empty"));
}
