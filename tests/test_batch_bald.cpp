// BatchBALD: against a brute-force evaluation of the greedy criterion on tiny pools, b = 1
// against bald(), the sampled estimate against the exact one, the selection invariants, and
// bad inputs.
#include "stack_fixtures.hpp"

#include <acquire/core/top_k.hpp>
#include <acquire/score/bayesian.hpp>
#include <acquire/select/batch_bald.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <set>

using acquire::Index;
using acquire::PredictionStack;
using Catch::Contains;

namespace {

/// I(y_picks ; w) by enumerating every label configuration of the picks, in double.
double joint_mi(const stack_fixtures::Stack& p, const std::vector<Index>& picks) {
    const std::size_t T = p.size(), K = p[0][0].size(), n = picks.size();
    std::vector<std::size_t> y(n, 0);
    double joint_h = 0;
    while (true) {
        double q = 0;
        for (std::size_t t = 0; t < T; ++t) {
            double prod = 1;
            for (std::size_t i = 0; i < n; ++i) prod *= p[t][std::size_t(picks[i])][y[i]];
            q += prod / double(T);
        }
        if (q > 0) joint_h -= q * std::log(q);
        std::size_t i = 0;
        while (i < n && ++y[i] == K) y[i++] = 0;
        if (i == n) break;
    }
    double conditional = 0;
    for (Index x : picks)
        for (std::size_t t = 0; t < T; ++t) conditional += stack_fixtures::entropy(p[t][std::size_t(x)]) / double(T);
    return joint_h - conditional;
}

/// The greedy algorithm, evaluated by brute force.
std::pair<std::vector<Index>, std::vector<double>> brute_greedy(const stack_fixtures::Stack& p, Index b,
                                                                std::vector<Index> labeled) {
    std::vector<Index> picks;
    std::vector<double> objective;
    const Index N = Index(p[0].size());
    for (Index step = 0; step < b; ++step) {
        Index best = -1;
        double best_value = -1;
        for (Index x = 0; x < N; ++x) {
            if (std::count(labeled.begin(), labeled.end(), x) || std::count(picks.begin(), picks.end(), x)) continue;
            auto trial = picks;
            trial.push_back(x);
            const double v = joint_mi(p, trial);
            if (v > best_value) best = x, best_value = v;
        }
        picks.push_back(best);
        objective.push_back(best_value);
    }
    return {picks, objective};
}

}  // namespace

TEMPLATE_TEST_CASE("batch_bald equals the brute-force greedy while exact", "[batch_bald]", float, double) {
    using T = TestType;
    for (std::uint64_t seed : {1u, 2u, 3u}) {
        acquire::synthetic::StackOptions o;
        o.seed = seed;
        o.disagreement = 2;
        const stack_fixtures::Layouts<T> s(5, 9, 3, o);
        const auto p = stack_fixtures::to_double(s.view_tnk());
        acquire::BatchBaldOptions opt;
        opt.labeled = {4, 0};
        const auto got = acquire::batch_bald(s.view_tnk(), 4, opt);  // 3^3 = 27 configurations: exact
        const auto [want, objective] = brute_greedy(p, 4, opt.labeled);
        INFO("seed " << seed);
        CHECK(got.indices == want);
        REQUIRE(got.objective.size() == 4);
        for (std::size_t j = 0; j < 4; ++j) CHECK(got.objective[j] == Approx(objective[j]).margin(1e-9));
        INFO("the joint mutual information never decreases as the batch grows");
        CHECK(std::is_sorted(got.objective.begin(), got.objective.end()));
        INFO("every layout picks the same batch");
        CHECK(acquire::batch_bald(s.view_ntk(), 4, opt).indices == got.indices);
        CHECK(acquire::batch_bald(s.view_nkt(), 4, opt).indices == got.indices);
    }
}

TEMPLATE_TEST_CASE("batch_bald with b = 1 is the top of bald", "[batch_bald]", float, double) {
    using T = TestType;
    const stack_fixtures::Layouts<T> s(20, 500, 10);
    const auto v = s.view_tnk();
    const std::vector<Index> labeled = acquire::top_k(acquire::bald(v), 3);  // the best three are taken
    acquire::BatchBaldOptions opt;
    opt.labeled = labeled;
    const auto one = acquire::batch_bald(v, 1, opt);
    CHECK(one.indices == acquire::top_k(acquire::bald(v), 1, labeled));
    CHECK(one.objective[0] == Approx(double(acquire::bald(v)[one.indices[0]])).epsilon(1e-4));
}

TEST_CASE("batch_bald's sampled estimate tracks the exact joint", "[batch_bald]") {
    acquire::synthetic::StackOptions o;
    o.seed = 11;
    o.disagreement = 2;
    const stack_fixtures::Layouts<double> s(8, 12, 3, o);
    acquire::BatchBaldOptions exact, sampled;
    exact.max_configurations = 1 << 20;
    sampled.max_configurations = 1;  // sample from the second pick on
    sampled.samples = 20000;
    sampled.seed = 5;
    const auto a = acquire::batch_bald(s.view_tnk(), 4, exact);
    const auto b = acquire::batch_bald(s.view_tnk(), 4, sampled);
    CHECK(b.indices == a.indices);
    for (std::size_t j = 0; j < 4; ++j) CHECK(b.objective[j] == Approx(a.objective[j]).epsilon(0.02));
    INFO("the same seed draws the same configurations");
    const auto c = acquire::batch_bald(s.view_tnk(), 4, sampled);
    CHECK(c.indices == b.indices);
    CHECK(c.objective == b.objective);
}

TEMPLATE_TEST_CASE("batch_bald: invariants and bad inputs", "[batch_bald][checks]", float, double) {
    using T = TestType;
    stack_fixtures::Layouts<T> s(6, 40, 4);
    acquire::BatchBaldOptions opt;
    opt.labeled = {3, 7, 39};
    opt.max_configurations = 16;
    opt.samples = 200;
    const auto sel = acquire::batch_bald(s.view_nkt(), 10, opt);
    REQUIRE(sel.size() == 10);
    std::set<Index> seen(sel.indices.begin(), sel.indices.end());
    CHECK(seen.size() == 10);
    for (Index i : sel.indices) {
        CHECK(i >= 0);
        CHECK(i < 40);
        CHECK(std::count(opt.labeled.begin(), opt.labeled.end(), i) == 0);
    }
    CHECK(acquire::batch_bald(s.view_nkt(), 0, opt).size() == 0);
    INFO("all 37 unlabeled, through the sampled regime");
    CHECK(acquire::batch_bald(s.view_nkt(), 37, opt).size() == 37);
    REQUIRE_THROWS_WITH(acquire::batch_bald(s.view_nkt(), 38, opt), Contains("acquire::batch_bald: b is 38 but only 37"));
    auto dup = opt;
    dup.labeled = {1, 2, 1};
    REQUIRE_THROWS_WITH(acquire::batch_bald(s.view_nkt(), 2, dup), Contains("labeled entry 2 repeats index 1"));
    dup.labeled = {40};
    REQUIRE_THROWS_WITH(acquire::batch_bald(s.view_nkt(), 2, dup), Contains("out of range [0, 40)"));
    auto bad = opt;
    bad.samples = 0;
    REQUIRE_THROWS_WITH(acquire::batch_bald(s.view_nkt(), 2, bad), Contains("options samples must be >= 1"));
    bad = opt;
    bad.max_configurations = 0;
    REQUIRE_THROWS_WITH(acquire::batch_bald(s.view_nkt(), 2, bad), Contains("max_configurations must be >= 1"));
    s.nkt[static_cast<std::size_t>((21 * 4 + 2) * 6 + 5)] = std::numeric_limits<T>::quiet_NaN();
    REQUIRE_THROWS_WITH(acquire::batch_bald(s.view_nkt(), 2, opt),
                        Contains("acquire::batch_bald: predictions member 5 row 21 column 2 is nan"));
}

// Found by fuzz_batch_bald: with the value checks off, a row without positive mass made the
// configuration sampler index class -1 (a heap overflow under ASan). Now any class is drawn and
// the picks stay valid.
TEST_CASE("batch_bald: a zero row with checks off stays in bounds (fuzz regression)", "[batch_bald][fuzz]") {
    std::vector<Eigen::MatrixXd> members(2, Eigen::MatrixXd::Constant(4, 3, 1.0 / 3));
    members[0].row(1).setZero();
    members[1].row(1).setZero();
    members[1].row(2) << 0.8, 0.1, 0.1;
    const acquire::PredictionStack<double> s(members);
    acquire::BatchBaldOptions opt;
    opt.checks.values = false;
    opt.max_configurations = 1;  // sampled from the second pick on
    opt.samples = 8;
    const auto sel = acquire::batch_bald(s, 4, opt);
    REQUIRE(sel.size() == 4);
    std::set<Index> seen(sel.indices.begin(), sel.indices.end());
    CHECK(seen.size() == 4);
    CHECK(*seen.rbegin() < 4);
    opt.checks.values = true;
    REQUIRE_THROWS_WITH(acquire::batch_bald(s, 4, opt), Catch::Contains("member 0 row 1"));
}
