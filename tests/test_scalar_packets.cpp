// The stack scorers built without Eigen's SIMD packets (EIGEN_DONT_VECTORIZE, as on a target
// Eigen does not vectorise): every layout must still give the [T][N][K] scores. The [N][K][T]
// gather once left every entry to its SIMD tiles and, with packets of one entry, copied nothing.
#define EIGEN_DONT_VECTORIZE 1

#include "stack_fixtures.hpp"

#include <acquire/score/bayesian.hpp>
#include <acquire/score/committee.hpp>

#include <catch2/catch.hpp>

using acquire::Index;

TEMPLATE_TEST_CASE("without SIMD packets every stack layout gives the same scores", "[stack]", float, double) {
    using T = TestType;
    for (Index members : {Index(1), Index(6), Index(9)})
        for (Index k : {Index(1), Index(5), Index(10), Index(40)}) {
            INFO("T = " << members << ", K = " << k);
            const stack_fixtures::Layouts<T> s(members, 101, k);
            auto same = [&](auto score) {
                const auto want = score(s.view_tnk());
                CHECK((score(s.view_ntk()).array() == want.array()).all());
                CHECK((score(s.view_nkt()).array() == want.array()).all());
            };
            same([](const auto& v) { return acquire::consensus_entropy(v); });
            same([](const auto& v) { return acquire::vote_entropy(v); });
            same([](const auto& v) { return acquire::variation_ratio(v); });
            same([](const auto& v) { return acquire::kl_disagreement(v); });
            same([](const auto& v) { return acquire::bald(v); });
            same([](const auto& v) { return acquire::mean_std(v); });
        }
}
