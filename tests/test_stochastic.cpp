// stochastic_batch: draw frequencies match the distribution (chi-square at fixed seeds), b > 1
// matches sequential sampling without replacement, beta = +inf is top_k, zeros and labeled rows,
// determinism, bad inputs.
#include <acquire/select/stochastic.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

using acquire::Index;
using acquire::StochasticMode;
using Catch::Contains;

namespace {

// Pearson's chi-square statistic of observed counts against expected probabilities.
double chi_square(const std::vector<double>& observed, const std::vector<double>& p, double draws) {
    double x2 = 0;
    for (std::size_t c = 0; c < p.size(); ++c) {
        const double e = p[c] * draws;
        x2 += (observed[c] - e) * (observed[c] - e) / e;
    }
    return x2;
}

std::vector<double> weights(const std::vector<double>& s, StochasticMode mode, double beta) {
    std::vector<double> w(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (mode == StochasticMode::power) w[i] = std::pow(s[i], beta);
        if (mode == StochasticMode::softmax) w[i] = std::exp(beta * s[i]);
        if (mode == StochasticMode::soft_rank) {
            std::size_t rank = 1;  // scores below are distinct
            for (double o : s) rank += o > s[i];
            w[i] = std::pow(double(rank), -beta);
        }
    }
    double total = 0;
    for (double v : w) total += v;
    for (double& v : w) v /= total;
    return w;
}

}  // namespace

TEMPLATE_TEST_CASE("stochastic_batch: b = 1 draws follow the distribution", "[stochastic]", float, double) {
    using T = TestType;
    const std::vector<double> s = {0.1, 0.4, 0.05, 0.9, 0.3};
    acquire::Vector<T> scores(5);
    for (Index i = 0; i < 5; ++i) scores[i] = T(s[std::size_t(i)]);
    // 5 cells, 4 degrees of freedom: the 0.999 quantile of chi-square(4) is 18.467. The seeds are
    // fixed, so this either always passes or always fails; a correct sampler fails with
    // probability 0.001 over the choice of seeds.
    const double critical = 18.467;
    const int draws = 20000;
    for (auto [mode, beta] : {std::pair{StochasticMode::power, 1.0}, std::pair{StochasticMode::power, 2.5},
                              std::pair{StochasticMode::softmax, 3.0}, std::pair{StochasticMode::soft_rank, 1.0}}) {
        acquire::StochasticOptions o;
        o.mode = mode;
        o.beta = beta;
        std::vector<double> counts(5, 0);
        for (int seed = 0; seed < draws; ++seed) {
            o.seed = std::uint64_t(seed);
            const auto pick = acquire::stochastic_batch(scores, 1, o);
            REQUIRE(pick.size() == 1);
            counts[std::size_t(pick[0])] += 1;
        }
        const auto p = weights(s, mode, beta);
        INFO("mode " << int(mode) << " beta " << beta);
        CHECK(chi_square(counts, p, draws) < critical);
    }
}

TEMPLATE_TEST_CASE("stochastic_batch: soft_rank gives tied scores their mean rank", "[stochastic]", float, double) {
    using T = TestType;
    // Ranks 1, then 2-4 tied (mean rank 3), then 5: weights 1, 1/3, 1/3, 1/3, 1/5 (sum 11/5).
    acquire::Vector<T> scores(5);
    scores << T(0.2), T(0.9), T(0.2), T(0.1), T(0.2);
    const std::vector<double> p = {5.0 / 33, 15.0 / 33, 5.0 / 33, 3.0 / 33, 5.0 / 33};
    acquire::StochasticOptions o;
    o.mode = StochasticMode::soft_rank;
    std::vector<double> counts(5, 0);
    const int draws = 20000;
    for (int seed = 0; seed < draws; ++seed) {
        o.seed = std::uint64_t(seed);
        counts[std::size_t(acquire::stochastic_batch(scores, 1, o)[0])] += 1;
    }
    INFO("the three tied rows are drawn equally often (chi-square, 4 degrees of freedom, 0.999 quantile)");
    CHECK(chi_square(counts, p, draws) < 18.467);
    INFO("three equal scores alone: a uniform draw");
    acquire::Vector<T> tied = acquire::Vector<T>::Constant(3, T(0.5));
    std::vector<double> thirds(3, 0);
    for (int seed = 0; seed < 6000; ++seed) {
        o.seed = std::uint64_t(seed);
        thirds[std::size_t(acquire::stochastic_batch(tied, 1, o)[0])] += 1;
    }
    CHECK(chi_square(thirds, {1.0 / 3, 1.0 / 3, 1.0 / 3}, 6000) < 13.816);  // 2 degrees of freedom
}

TEST_CASE("stochastic_batch: b > 1 matches sequential sampling without replacement", "[stochastic]") {
    const std::vector<double> s = {0.5, 1.0, 2.0, 0.25};
    const Eigen::VectorXd scores = Eigen::Map<const Eigen::VectorXd>(s.data(), 4);
    acquire::StochasticOptions o;  // power, beta 1: p = s / sum s
    const auto p = weights(s, StochasticMode::power, 1.0);
    // The ordered pair (i, j): P = p_i p_j / (1 - p_i). 12 cells, 11 degrees of freedom, 0.999
    // quantile 31.264.
    std::map<std::pair<Index, Index>, double> counts;
    const int draws = 30000;
    for (int seed = 0; seed < draws; ++seed) {
        o.seed = std::uint64_t(seed) + 1000000;
        const auto pick = acquire::stochastic_batch(scores, 2, o);
        REQUIRE(pick.size() == 2);
        counts[{pick[0], pick[1]}] += 1;
    }
    std::vector<double> observed, expected;
    for (Index i = 0; i < 4; ++i)
        for (Index j = 0; j < 4; ++j)
            if (i != j) {
                observed.push_back(counts[{i, j}]);
                expected.push_back(p[std::size_t(i)] * p[std::size_t(j)] / (1 - p[std::size_t(i)]));
            }
    CHECK(chi_square(observed, expected, draws) < 31.264);
}

TEMPLATE_TEST_CASE("stochastic_batch: beta = +inf is top_k, large beta approaches it, 0 is uniform", "[stochastic]", float, double) {
    using T = TestType;
    acquire::Vector<T> scores(200);
    for (Index i = 0; i < 200; ++i) scores[i] = T((i * 53) % 200) / T(200) + T(0.01);
    scores[7] = scores[8];  // a tie (below the top 20)
    acquire::StochasticOptions o;
    o.labeled = {3, 150};
    for (auto mode : {StochasticMode::power, StochasticMode::softmax, StochasticMode::soft_rank}) {
        o.mode = mode;
        o.beta = std::numeric_limits<double>::infinity();
        const auto top = acquire::top_k(scores, 20, o.labeled);
        CHECK(acquire::stochastic_batch(scores, 20, o) == top);
        INFO("with the scores 0.005 apart, a Gumbel gap of beta x 0.005 (or beta ln rank) never flips them");
        o.beta = mode == StochasticMode::soft_rank ? 5e4 : 1e6;
        CHECK(acquire::stochastic_batch(scores, 20, o) == top);
    }
    INFO("beta = 0: the batch is a uniform draw, so the low scores are drawn as often as the high");
    o.mode = StochasticMode::power;
    o.beta = 0;
    double low = 0, high = 0;
    for (std::uint64_t seed = 0; seed < 200; ++seed) {
        o.seed = seed;
        for (Index i : acquire::stochastic_batch(scores, 10, o)) (scores[i] < T(0.5) ? low : high) += 1;
    }
    CHECK(std::abs(low - high) < 0.15 * (low + high));
}

TEMPLATE_TEST_CASE("stochastic_batch: labeled rows, zeros, determinism", "[stochastic]", float, double) {
    using T = TestType;
    acquire::Vector<T> scores = acquire::Vector<T>::Zero(50);
    for (Index i = 0; i < 50; i += 5) scores[i] = T(1 + i);  // 10 positives at 0, 5, ..., 45
    acquire::StochasticOptions o;
    o.labeled = {0, 45, 12};
    for (std::uint64_t seed = 0; seed < 50; ++seed) {
        o.seed = seed;
        const auto pick = acquire::stochastic_batch(scores, 20, o);
        REQUIRE(pick.size() == 20);
        INFO("distinct, never labeled, the 8 unlabeled positives first, then zeros");
        CHECK(std::set<Index>(pick.begin(), pick.end()).size() == 20);
        for (std::size_t j = 0; j < pick.size(); ++j) {
            CHECK(std::find(o.labeled.begin(), o.labeled.end(), pick[j]) == o.labeled.end());
            CHECK((scores[pick[j]] > 0) == (j < 8));
        }
        CHECK(acquire::stochastic_batch(scores, 20, o) == pick);
    }
    INFO("the noise of a row does not depend on which other rows are labeled or their order");
    o.seed = 9;
    o.mode = StochasticMode::softmax;
    o.labeled = {};
    auto all = acquire::stochastic_batch(scores, 47, o);
    o.labeled = {all[1], all[0]};
    auto rest = acquire::stochastic_batch(scores, 45, o);
    all.erase(all.begin(), all.begin() + 2);
    CHECK(rest == all);
    INFO("b = 0 and the whole pool");
    CHECK(acquire::stochastic_batch(scores, 0, o).empty());
    o.labeled = {};
    auto every = acquire::stochastic_batch(scores, 50, o);
    std::sort(every.begin(), every.end());
    for (Index i = 0; i < 50; ++i) CHECK(every[std::size_t(i)] == i);
    INFO("row and column vectors, and a different seed, give different draws");
    o.seed = 1;
    const auto a = acquire::stochastic_batch(scores, 10, o);
    CHECK(acquire::stochastic_batch(scores.transpose(), 10, o) == a);
    o.seed = 2;
    CHECK(acquire::stochastic_batch(scores, 10, o) != a);
}

TEMPLATE_TEST_CASE("stochastic_batch: softmax stays finite for huge scores", "[stochastic]", float, double) {
    using T = TestType;
    acquire::Vector<T> scores(4);
    scores << T(1e30), T(-1e30), T(1e30), T(0);
    acquire::StochasticOptions o;
    o.mode = StochasticMode::softmax;
    const auto pick = acquire::stochastic_batch(scores, 4, o);
    CHECK(std::set<Index>(pick.begin(), pick.end()).size() == 4);
    CHECK(std::set<Index>(pick.begin(), pick.begin() + 2) == std::set<Index>{0, 2});
}

TEST_CASE("stochastic_batch: bad input", "[stochastic]") {
    Eigen::VectorXd s(4);
    s << 0.1, 0.2, -0.3, 0.4;
    acquire::StochasticOptions o;
    REQUIRE_THROWS_WITH(acquire::stochastic_batch(s, 1, o),
                        Contains("acquire::stochastic_batch: scores entry 2 is -0.3 (power sampling needs scores >= 0)"));
    o.mode = StochasticMode::softmax;
    CHECK(acquire::stochastic_batch(s, 1, o).size() == 1);
    s[1] = std::nan("");
    REQUIRE_THROWS_WITH(acquire::stochastic_batch(s, 1, o), Contains("scores entry 1 is nan"));
    s[1] = std::numeric_limits<double>::infinity();
    REQUIRE_THROWS_WITH(acquire::stochastic_batch(s, 1, o), Contains("scores entry 1 is inf (must be finite)"));
    INFO("with the value checks off, +Inf is drawn first and -Inf last; softmax 0 x Inf throws");
    o.checks.values = false;
    s[0] = -std::numeric_limits<double>::infinity();
    CHECK(acquire::stochastic_batch(s, 4, o).front() == 1);
    CHECK(acquire::stochastic_batch(s, 4, o).back() == 0);
    o.beta = 0;
    REQUIRE_THROWS_WITH(acquire::stochastic_batch(s, 1, o), Contains("scores entry 0 gives no weight"));
    o.checks.values = true;
    s[0] = 0.1;
    s[1] = 0.2;
    o.beta = -1;
    REQUIRE_THROWS_WITH(acquire::stochastic_batch(s, 1, o), Contains("options beta must be >= 0"));
    o.beta = std::nan("");
    REQUIRE_THROWS_WITH(acquire::stochastic_batch(s, 1, o), Contains("options beta must be >= 0"));
    o.beta = 1;
    o.labeled = {1, 4};
    REQUIRE_THROWS_WITH(acquire::stochastic_batch(s, 1, o), Contains("options labeled entry 1 is 4, out of range [0, 4)"));
    o.labeled = {1, 1};
    REQUIRE_THROWS_WITH(acquire::stochastic_batch(s, 1, o), Contains("options labeled entry 1 repeats index 1"));
    o.labeled = {1};
    REQUIRE_THROWS_WITH(acquire::stochastic_batch(s, 4, o), Contains("b is 4 but only 3 candidates are available"));
    REQUIRE_THROWS_WITH(acquire::stochastic_batch(s, -1, o), Contains("b must be >= 0, got -1"));
    REQUIRE_THROWS_WITH(acquire::stochastic_batch(Eigen::MatrixXd::Ones(2, 2), 1, o), Contains("scores must be a vector, got 2 x 2"));
}
