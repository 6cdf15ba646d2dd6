// LabelDispersion and ForgettingEvents: hand-traced sequences, a brute-force recount, every
// accepted input type, and bad inputs leaving the tracker unchanged.
#include <acquire/score/dynamics.hpp>
#include <acquire/core/random.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

using acquire::Index;
using Catch::Contains;

TEST_CASE("LabelDispersion: hand-traced epochs", "[dynamics]") {
    acquire::LabelDispersion d(3, 4);
    d.observe(std::vector<int>{0, 1, 2});
    d.observe(Eigen::VectorXi((Eigen::VectorXi(3) << 0, 2, 2).finished()));
    const std::vector<std::int64_t> third{0, 3, 1};
    d.observe(Eigen::Map<const Eigen::Matrix<std::int64_t, 1, Eigen::Dynamic>>(third.data(), 3));
    d.observe(std::vector<unsigned char>{0, 1, 2});
    CHECK(d.epochs() == 4);
    const Eigen::VectorXd s = d.scores();
    // sample 0 always 0: f = 4; sample 1: 1, 2, 3, 1 -> f = 2; sample 2: 2, 2, 1, 2 -> f = 3
    CHECK(s[0] == 0.0);
    CHECK(s[1] == 0.5);
    CHECK(s[2] == 0.25);
    CHECK(d.modal_label(1) == 1);
    CHECK(d.modal_count(2) == 3);
    CHECK(d.modal_label(2) == 2);
}

TEST_CASE("LabelDispersion: matches a recount from the full history", "[dynamics]") {
    const Index n = 200, k = 5, epochs = 17;
    acquire::Rng rng(5);
    acquire::LabelDispersion d(n, k);
    std::vector<std::vector<int>> history;
    for (Index e = 0; e < epochs; ++e) {
        std::vector<int> labels(n);
        for (auto& l : labels) l = int(rng.below(rng.uniform() < 0.5 ? 2 : k));
        history.push_back(labels);
        d.observe(labels);
    }
    const Eigen::VectorXd s = d.scores();
    for (Index i = 0; i < n; ++i) {
        std::map<int, int> count;
        for (const auto& h : history) ++count[h[i]];
        int f = 0;
        for (auto [c, v] : count) f = std::max(f, v);
        CHECK(s[i] == 1.0 - double(f) / epochs);
    }
}

TEST_CASE("LabelDispersion: bad inputs", "[dynamics]") {
    acquire::LabelDispersion d(3, 2);
    d.observe(std::vector<int>{0, 1, 1});
    REQUIRE_THROWS_WITH(d.observe(std::vector<int>{0, 1}),
                        Contains("acquire::LabelDispersion::observe: labels has 2 entries but the tracker was built for 3"));
    REQUIRE_THROWS_WITH(d.observe(std::vector<int>{0, 2, 1}), Contains("labels row 1 is 2, out of range [0, 2)"));
    REQUIRE_THROWS_WITH(d.observe(std::vector<int>{0, 1, -1}), Contains("labels row 2 is -1"));
    REQUIRE_THROWS_WITH(d.observe(Eigen::MatrixXi::Zero(3, 2)), Contains("labels must be a vector"));
    CHECK(d.epochs() == 1);  // nothing recorded by the failed calls
    CHECK(d.scores() == Eigen::VectorXd::Zero(3));
    REQUIRE_THROWS_WITH(acquire::LabelDispersion(3, 2).scores(), Contains("no epoch observed yet"));
    REQUIRE_THROWS_WITH(acquire::LabelDispersion(0, 2), Contains("n must be >= 1"));
    REQUIRE_THROWS_WITH(acquire::LabelDispersion(2, 0), Contains("classes must be >= 1"));
    REQUIRE_THROWS_WITH(d.modal_label(3), Contains("out of range"));
}

TEST_CASE("ForgettingEvents: hand-traced presentations", "[dynamics]") {
    acquire::ForgettingEvents f(5);
    // sample: 0 always right, 1 right-wrong-right-wrong, 2 never right, 3 wrong-right, 4 unseen
    f.observe(std::vector<Index>{0, 1, 2, 3}, std::vector<bool>{true, true, false, false});
    f.observe(std::vector<Index>{3, 2, 1, 0}, std::vector<bool>{true, false, false, true});
    f.observe(std::vector<Index>{1, 0}, Eigen::Array<bool, Eigen::Dynamic, 1>::Constant(2, true));
    f.observe(std::vector<int>{1}, std::vector<std::uint8_t>{0});
    CHECK(f.count(0) == 0);
    CHECK(f.count(1) == 2);
    CHECK(f.count(2) == 0);
    CHECK(f.count(3) == 0);
    CHECK(f.presentations(1) == 4);
    CHECK(f.presentations(4) == 0);
    CHECK(f.never_learned() == std::vector<Index>{2});
    CHECK(f.unforgettable() == std::vector<Index>{0, 3});
    CHECK(!f.learned(2));
    CHECK(f.learned(3));
    const Eigen::VectorXd s = f.scores();
    CHECK(s[1] == 2.0);
    CHECK(std::isinf(s[2]));
    CHECK(s[4] == 0.0);
    CHECK(f.counts() == (Eigen::VectorXi(5) << 0, 2, 0, 0, 0).finished());
    // whole-pool form
    f.observe(Eigen::VectorXi((Eigen::VectorXi(5) << 0, 1, 1, 0, 0).finished()));
    CHECK(f.count(0) == 1);
    CHECK(f.count(3) == 1);
    CHECK(f.never_learned() == std::vector<Index>{4});
    CHECK(f.unforgettable() == std::vector<Index>{2});  // 1 was forgotten twice before
}

TEST_CASE("ForgettingEvents: matches a recount from the full history", "[dynamics]") {
    const Index n = 100;
    acquire::Rng rng(9);
    acquire::ForgettingEvents f(n);
    std::vector<std::vector<int>> history(n);  // per sample: its sequence of correctness
    for (int epoch = 0; epoch < 12; ++epoch) {
        const auto order = acquire::random_select(n, n, 100 + epoch);
        for (Index start = 0; start < n; start += 16) {
            std::vector<Index> batch(order.begin() + start, order.begin() + std::min(n, start + 16));
            std::vector<bool> ok;
            for (Index i : batch) {
                ok.push_back(rng.uniform() < 0.1 + 0.8 * double(i) / n);
                history[i].push_back(ok.back());
            }
            f.observe(batch, ok);
        }
    }
    for (Index i = 0; i < n; ++i) {
        int events = 0;
        bool ever = false;
        for (std::size_t t = 0; t < history[i].size(); ++t) {
            ever = ever || history[i][t];
            if (t > 0 && history[i][t - 1] && !history[i][t]) ++events;
        }
        CHECK(f.count(i) == events);
        CHECK(f.learned(i) == ever);
    }
}

TEST_CASE("ForgettingEvents: bad inputs", "[dynamics]") {
    acquire::ForgettingEvents f(3);
    REQUIRE_THROWS_WITH(f.observe(std::vector<bool>{true}),
                        Contains("acquire::ForgettingEvents::observe: correct has 1 entries but the tracker was built for 3"));
    REQUIRE_THROWS_WITH(f.observe(std::vector<Index>{0, 3}, std::vector<bool>{true, false}),
                        Contains("indices entry 1 is 3, out of range [0, 3)"));
    REQUIRE_THROWS_WITH(f.observe(std::vector<Index>{1, 1}, std::vector<bool>{true, false}),
                        Contains("indices repeats index 1"));
    REQUIRE_THROWS_WITH(f.observe(std::vector<Index>{1}, std::vector<bool>{true, false}),
                        Contains("indices has 1 entries but correct has 2"));
    REQUIRE_THROWS_WITH(f.observe(std::vector<int>{0, 2, 1}), Contains("correct entry 1 is 2 (must be 0 or 1)"));
    CHECK(f.presentations(0) == 0);  // nothing recorded by the failed calls
    REQUIRE_THROWS_WITH(acquire::ForgettingEvents(0), Contains("n must be >= 1"));
}
