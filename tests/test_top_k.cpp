// top_k, the streaming TopK, and the seeded random baseline.
#include <acquire/core/random.hpp>
#include <acquire/core/top_k.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <vector>

using acquire::Index;
using acquire::invalid_input;
using Catch::Contains;

namespace {

/// Sort every index by (score desc, index asc) and keep the first k not excluded.
template <class V>
std::vector<Index> brute_top_k(const V& s, Index k, const std::vector<Index>& exclude) {
    std::vector<Index> order;
    for (Index i = 0; i < s.size(); ++i)
        if (std::find(exclude.begin(), exclude.end(), i) == exclude.end()) order.push_back(i);
    std::stable_sort(order.begin(), order.end(), [&](Index a, Index b) { return s[a] > s[b]; });
    order.resize(static_cast<std::size_t>(k));
    return order;
}

}  // namespace

TEMPLATE_TEST_CASE("top_k: highest first, ties by lowest index, exclusions", "[top_k]", float,
                   double) {
    using T = TestType;
    Eigen::Matrix<T, -1, 1> s(7);
    s << 3, 1, 4, 1, 5, 4, -2;
    CHECK(acquire::top_k(s, 3) == std::vector<Index>{4, 2, 5});
    CHECK(acquire::top_k(s, 3, {4}) == std::vector<Index>{2, 5, 0});
    CHECK(acquire::top_k(s, 2, {2, 4}) == std::vector<Index>{5, 0});
    INFO("ties at the boundary: the lower index wins");
    CHECK(acquire::top_k(s, 5) == std::vector<Index>{4, 2, 5, 0, 1});
    CHECK(acquire::top_k(s, 0).empty());
    CHECK(acquire::top_k(s, 7).size() == 7);
    CHECK(acquire::top_k(s, 5, {0, 1}) == std::vector<Index>{4, 2, 5, 3, 6});
    INFO("a row vector and an expression work too");
    CHECK(acquire::top_k(s.transpose(), 2) == std::vector<Index>{4, 2});
    CHECK(acquire::top_k(-s, 2) == std::vector<Index>{6, 1});
    const Eigen::Matrix<T, -1, -1> column = s;
    CHECK(acquire::top_k(column, 1) == std::vector<Index>{4});
}

TEMPLATE_TEST_CASE("top_k matches a brute-force sort on random scores with many ties", "[top_k]",
                   float, double) {
    using T = TestType;
    acquire::Rng rng(11);
    for (int trial = 0; trial < 20; ++trial) {
        const Index n = 1 + static_cast<Index>(rng.below(400));
        Eigen::Matrix<T, -1, 1> s(n);
        for (Index i = 0; i < n; ++i) s[i] = static_cast<T>(rng.below(13));  // many exact ties
        std::vector<Index> exclude = acquire::random_select(n, static_cast<Index>(rng.below(static_cast<std::uint64_t>(n))), rng.next());
        const Index k = static_cast<Index>(rng.below(static_cast<std::uint64_t>(n - static_cast<Index>(exclude.size()) + 1)));
        INFO("trial " << trial << " n " << n << " k " << k);
        CHECK(acquire::top_k(s, k, exclude) == brute_top_k(s, k, exclude));
    }
}

TEMPLATE_TEST_CASE("TopK chunked and merged equals top_k on the whole", "[top_k]", float, double) {
    using T = TestType;
    acquire::Rng rng(3);
    const Index n = 10000;
    Eigen::Matrix<T, -1, 1> s(n);
    for (Index i = 0; i < n; ++i) s[i] = static_cast<T>(rng.below(100)) / 10;
    for (Index k : {0, 1, 17, 1000, 10000}) {
        INFO("k = " << k);
        const auto whole = acquire::top_k(s, k);
        // Chunks of uneven size pushed in reverse order into one accumulator.
        acquire::TopK<T> streamed(k);
        for (Index end = n; end > 0;) {
            const Index begin = std::max<Index>(0, end - 1 - static_cast<Index>(rng.below(900)));
            streamed.push(s.segment(begin, end - begin), begin);
            end = begin;
        }
        CHECK(streamed.indices() == whole);
        // Three workers over interleaved stripes, merged in an arbitrary order.
        std::vector<acquire::TopK<T>> workers(3, acquire::TopK<T>(k));
        for (Index i = 0; i < n; ++i) workers[static_cast<std::size_t>(i % 3)].push(i, s[i]);
        acquire::TopK<T> merged(k);
        merged.merge(workers[2]);
        merged.merge(workers[0]);
        merged.merge(workers[1]);
        CHECK(merged.indices() == whole);
        CHECK(merged.size() == k);
    }
}

TEMPLATE_TEST_CASE("top_k and TopK reject bad input", "[top_k][checks]", float, double) {
    using T = TestType;
    Eigen::Matrix<T, -1, 1> s(4);
    s << 1, 2, 3, 4;
    REQUIRE_THROWS_WITH(acquire::top_k(s, 5), Contains("acquire::top_k: k is 5 but only 4"));
    REQUIRE_THROWS_WITH(acquire::top_k(s, 3, {0, 1}), Contains("k is 3 but only 2"));
    REQUIRE_THROWS_WITH(acquire::top_k(s, -1), Contains("k must be >= 0"));
    REQUIRE_THROWS_WITH(acquire::top_k(s, 1, {4}), Contains("exclude entry 0 is 4, out of range [0, 4)"));
    REQUIRE_THROWS_WITH(acquire::top_k(s, 1, {-1}), Contains("out of range"));
    REQUIRE_THROWS_WITH(acquire::top_k(s, 1, {2, 1, 2}), Contains("exclude repeats index 2"));
    s[2] = std::numeric_limits<T>::quiet_NaN();
    REQUIRE_THROWS_WITH(acquire::top_k(s, 1), Contains("acquire::top_k: scores entry 2 is NaN"));
    acquire::TopK<T> best(2);
    REQUIRE_THROWS_WITH(best.push(s, 10), Contains("TopK::push: scores entry 2 (index 12) is NaN"));
    REQUIRE_THROWS_WITH(best.push(3, std::numeric_limits<T>::quiet_NaN()), Contains("index 3 is NaN"));
    REQUIRE_THROWS_AS(acquire::TopK<T>(-2), invalid_input);
    {
        INFO("a NaN in a later chunk, all below the full heap's k-th best, is still found");
        Eigen::Matrix<T, -1, 1> low = Eigen::Matrix<T, -1, 1>::Zero(1000);
        low[0] = 5;
        low[700] = std::numeric_limits<T>::quiet_NaN();
        acquire::TopK<T> one(1);
        REQUIRE_THROWS_WITH(one.push(low), Contains("scores entry 700 (index 700) is NaN"));
        acquire::TopK<T> none(0);
        REQUIRE_THROWS_WITH(none.push(low), Contains("entry 700"));
    }
    const Eigen::Matrix<T, -1, -1> square = Eigen::Matrix<T, -1, -1>::Ones(2, 2);
    REQUIRE_THROWS_WITH(acquire::top_k(square, 1), Contains("scores must be a vector, got 2 x 2"));
    INFO("infinities are ordered like any other value");
    s[2] = std::numeric_limits<T>::infinity();
    s[0] = -std::numeric_limits<T>::infinity();
    CHECK(acquire::top_k(s, 4) == std::vector<Index>{2, 3, 1, 0});
}

TEST_CASE("Rng streams are fixed across platforms", "[random]") {
    // Golden values: xoshiro256** seeded through splitmix64 is pure integer arithmetic, so these
    // must never change. A change here breaks every user's reproducible selections.
    acquire::Rng rng(42);
    const std::uint64_t first = rng.next(), second = rng.next();
    acquire::Rng again(42);
    CHECK(again.next() == first);
    CHECK(again.next() == second);
    CHECK(acquire::Rng(43).next() != first);
    CHECK(acquire::random_select(20, 5, 42) == acquire::random_select(20, 5, 42));
    const auto golden = acquire::random_select(1000, 6, 2024);
    INFO("golden picks for (1000, 6, seed 2024)");
    CHECK(golden == std::vector<Index>{518, 391, 517, 305, 967, 277});
    const double u = acquire::Rng(7).uniform();
    CHECK(u >= 0.0);
    CHECK(u < 1.0);
}

TEST_CASE("Rng::below is uniform and in range", "[random]") {
    acquire::Rng rng(9);
    std::vector<int> counts(7, 0);
    for (int i = 0; i < 70000; ++i) ++counts[rng.below(7)];
    double chi2 = 0;
    for (int c : counts) chi2 += (c - 10000.0) * (c - 10000.0) / 10000.0;
    INFO("chi-square with 6 degrees of freedom: " << chi2);
    CHECK(chi2 < 22.5);  // p = 0.001
    for (int i = 0; i < 1000; ++i) CHECK(rng.below(1) == 0);
    double sum = 0, sum2 = 0;
    for (int i = 0; i < 20000; ++i) {
        const double z = rng.normal();
        sum += z;
        sum2 += z * z;
    }
    CHECK(std::abs(sum / 20000) < 0.05);
    CHECK(std::abs(sum2 / 20000 - 1) < 0.05);
}

TEST_CASE("random_select: unique, in range, never excluded, reproducible", "[random]") {
    const std::vector<Index> exclude = {0, 5, 9, 13};
    for (std::uint64_t seed = 0; seed < 50; ++seed) {
        const auto picks = acquire::random_select(20, 16, seed, exclude);
        REQUIRE(picks.size() == 16);
        std::set<Index> unique(picks.begin(), picks.end());
        CHECK(unique.size() == 16);
        for (Index i : picks) {
            CHECK(i >= 0);
            CHECK(i < 20);
            CHECK(std::find(exclude.begin(), exclude.end(), i) == exclude.end());
        }
    }
    CHECK(acquire::random_select(20, 5, 1) != acquire::random_select(20, 5, 2));
    CHECK(acquire::random_select(0, 0, 1).empty());
    REQUIRE_THROWS_WITH(acquire::random_select(20, 17, 1, exclude),
                        Contains("acquire::random_select: k is 17 but only 16"));
    REQUIRE_THROWS_WITH(acquire::random_select(20, 1, 1, {20}), Contains("exclude entry 0 is 20"));
    REQUIRE_THROWS_WITH(acquire::random_select(20, 1, 1, {3, 3}), Contains("repeats index 3"));
    REQUIRE_THROWS_WITH(acquire::random_select(-1, 0, 1), Contains("n must be >= 0"));
}
