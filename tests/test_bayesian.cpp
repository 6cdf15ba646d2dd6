// BALD and mean STD: hand-computed values, a brute-force double reference, every layout,
// T = 1, and the identity between BALD and the mean KL to the consensus.
#include "stack_fixtures.hpp"

#include <acquire/score/bayesian.hpp>

#include <catch2/catch.hpp>

#include <cmath>

using acquire::Index;
using acquire::PredictionStack;
using Catch::Contains;

TEMPLATE_TEST_CASE("bald and mean_std: hand-computed values", "[bayesian]", float, double) {
    using T = TestType;
    const std::vector<T> buf{1, 0, 0.7f, 0.3f, 0.5f, 0.5f,    // member 0
                             0, 1, 0.7f, 0.3f, 0.2f, 0.8f};   // member 1
    const auto s = PredictionStack<T>::tnk(buf.data(), 2, 3, 2);
    const auto b = acquire::bald(s), m = acquire::mean_std(s);
    const auto h = [](double p) { return p > 0 && p < 1 ? -(p * std::log(p) + (1 - p) * std::log(1 - p)) : 0.0; };
    INFO("opposite sure members: BALD = ln 2, each class has std 1/2");
    CHECK(b[0] == Approx(std::log(2.0)).margin(1e-6));
    CHECK(m[0] == Approx(0.5).margin(1e-6));
    INFO("identical members: no mutual information, no spread");
    CHECK(b[1] == Approx(0).margin(1e-6));
    CHECK(b[1] >= 0);
    CHECK(m[1] == Approx(0).margin(1e-7));
    CHECK(b[2] == Approx(h(0.35) - (h(0.5) + h(0.2)) / 2).margin(1e-6));
    CHECK(m[2] == Approx(0.15).margin(1e-6));
}

TEMPLATE_TEST_CASE("bald and mean_std match a brute-force double reference in every layout",
                   "[bayesian]", float, double) {
    using T = TestType;
    for (Index K : {1, 2, 10, 37}) {
        acquire::synthetic::StackOptions o;
        o.seed = static_cast<std::uint64_t>(K);
        const stack_fixtures::Layouts<T> s(20, 257, K, o);
        const auto ref = stack_fixtures::reference(stack_fixtures::to_double(s.view_tnk()));
        const auto b = acquire::bald(s.view_tnk()), m = acquire::mean_std(s.view_tnk());
        INFO("K = " << K << ": the layouts are bit-identical");
        CHECK(acquire::bald(s.view_ntk()) == b);
        CHECK(acquire::bald(s.view_nkt()) == b);
        CHECK(acquire::mean_std(s.view_ntk()) == m);
        CHECK(acquire::mean_std(s.view_nkt()) == m);
        const double tol = sizeof(T) == 4 ? 1e-5 : 1e-12;
        for (Index i = 0; i < s.rows; ++i) {
            CHECK(double(b[i]) == Approx(ref.bald[std::size_t(i)]).epsilon(tol).margin(tol));
            CHECK(double(m[i]) == Approx(ref.mean_std[std::size_t(i)]).epsilon(tol).margin(tol));
            CHECK(b[i] >= 0);
        }
        INFO("the mean KL to the consensus is the mutual information");
        const auto kl = acquire::kl_disagreement(s.view_tnk());
        for (Index i = 0; i < s.rows; ++i) CHECK(double(kl[i]) == Approx(double(b[i])).margin(10 * tol));
    }
}

TEMPLATE_TEST_CASE("bald and mean_std: one member gives 0; bad stacks are named", "[bayesian][checks]", float, double) {
    using T = TestType;
    stack_fixtures::Layouts<T> one(1, 100, 6);
    CHECK(acquire::bald(one.view_nkt()).maxCoeff() == 0);
    CHECK(acquire::mean_std(one.view_nkt()).maxCoeff() == 0);
    one.tnk[5 * 6 + 2] = T(2);
    REQUIRE_THROWS_WITH(acquire::bald(one.view_tnk()), Contains("acquire::bald: predictions member 0 row 5 column 2 is 2 (must be in [0, 1])"));
    REQUIRE_THROWS_WITH(acquire::mean_std(one.view_tnk()), Contains("acquire::mean_std: predictions member 0 row 5"));
}
