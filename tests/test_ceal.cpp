// CEAL pseudo-labels and threshold schedule.
#include <acquire/select/ceal.hpp>
#include <acquire/synthetic.hpp>

#include <catch2/catch.hpp>

#include <cmath>

using acquire::Index;
using Catch::Contains;

TEST_CASE("ceal_pseudo_labels: entropy strictly below the threshold, argmax labels", "[ceal]") {
    Eigen::MatrixXd P(5, 3);
    P << 0.98, 0.01, 0.01,  // H = 0.112
        0.2, 0.3, 0.5,      // H = 1.03
        0, 1, 0,            // H = 0
        0.01, 0.01, 0.98,   // H = 0.112, excluded below
        0.5, 0.5, 0;        // H = ln 2
    const double h0 = -(0.98 * std::log(0.98) + 2 * 0.01 * std::log(0.01));
    const auto r = acquire::ceal_pseudo_labels(P, {3}, 0.2);
    CHECK(r.indices == std::vector<Index>{0, 2});
    CHECK(r.labels == std::vector<Index>{0, 1});
    CHECK(r.entropy[0] == Approx(h0));
    CHECK(r.entropy[1] == 0.0);
    CHECK(acquire::ceal_pseudo_labels(P, {}, 0.2).indices == std::vector<Index>{0, 2, 3});
    CHECK(acquire::ceal_pseudo_labels(P, {}, 0.0).indices.empty());                    // strict
    CHECK(acquire::ceal_pseudo_labels(P, {}, std::log(2.0)).indices.size() == 3);      // ln 2 not below ln 2
    CHECK(acquire::ceal_pseudo_labels(P, {}, 10.0).labels == std::vector<Index>{0, 2, 1, 2, 0});  // tie: lowest
    CHECK(acquire::ceal_pseudo_labels(Eigen::MatrixXd::Ones(4, 1), {1}, 1e-9).indices == std::vector<Index>{0, 2, 3});
}

TEST_CASE("ceal_pseudo_labels: agrees with a plain loop on a synthetic pool, any layout", "[ceal]") {
    const acquire::RowMatrix<float> P = acquire::synthetic::probabilities<float>(3000, 10, {6.0});
    const Eigen::MatrixXf Pc = P;
    const std::vector<Index> exclude{5, 17, 2999};
    const auto a = acquire::ceal_pseudo_labels(P, exclude, 0.3);
    const auto b = acquire::ceal_pseudo_labels(Pc, exclude, 0.3);
    CHECK(a.indices == b.indices);
    CHECK(a.labels == b.labels);
    std::vector<Index> want;
    for (Index i = 0; i < P.rows(); ++i) {
        if (i == 5 || i == 17 || i == 2999) continue;
        double h = 0;
        for (Index k = 0; k < 10; ++k)
            if (P(i, k) > 0) h -= double(P(i, k)) * std::log(double(P(i, k)));
        if (std::abs(h - 0.3) < 1e-5) continue;  // too close to call in float
        if (h < 0.3) want.push_back(i);
    }
    for (Index i : want) CHECK(std::count(a.indices.begin(), a.indices.end(), i) == 1);
    CHECK(a.indices.size() >= want.size());
    CHECK(a.indices.size() <= want.size() + 2);
    CHECK(!a.indices.empty());
}

TEST_CASE("CealSchedule: linear decay, floored at 0", "[ceal]") {
    const acquire::CealSchedule s{0.05, 0.0033};
    CHECK(s.threshold(0) == 0.05);
    CHECK(s.threshold(10) == Approx(0.05 - 0.033));
    CHECK(s.threshold(100) == 0.0);
    REQUIRE_THROWS_WITH(s.threshold(-1), Contains("round must be >= 0"));
    REQUIRE_THROWS_WITH((acquire::CealSchedule{-1, 0}.threshold(0)), Contains("delta0 must be finite and >= 0"));
    REQUIRE_THROWS_WITH((acquire::CealSchedule{1, NAN}.threshold(0)), Contains("decay must be finite"));
}

TEST_CASE("ceal_pseudo_labels: bad inputs", "[ceal]") {
    Eigen::MatrixXd P(2, 2);
    P << 0.5, 0.5, 0.9, 0.1;
    REQUIRE_THROWS_WITH(acquire::ceal_pseudo_labels(P, {2}, 0.1),
                        Contains("acquire::ceal_pseudo_labels: exclude entry 0 is 2, out of range [0, 2)"));
    REQUIRE_THROWS_WITH(acquire::ceal_pseudo_labels(P, {1, 1}, 0.1), Contains("exclude entry 1 repeats index 1"));
    REQUIRE_THROWS_WITH(acquire::ceal_pseudo_labels(P, {}, -0.1), Contains("threshold must be finite and >= 0"));
    REQUIRE_THROWS_WITH(acquire::ceal_pseudo_labels(P, {}, NAN), Contains("threshold must be finite"));
    P(1, 1) = NAN;
    REQUIRE_THROWS_WITH(acquire::ceal_pseudo_labels(P, {}, 0.1), Contains("probabilities row 1 column 1 is nan"));
}
