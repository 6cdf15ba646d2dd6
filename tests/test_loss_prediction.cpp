// Loss-prediction ranking loss: hand values, the paper's tie rule, and the gradient against
// central finite differences.
#include <acquire/score/loss_prediction.hpp>
#include <acquire/core/random.hpp>

#include <catch2/catch.hpp>

using acquire::Index;
using Catch::Contains;

TEST_CASE("ranking_loss: hand-computed pairs", "[loss_prediction]") {
    // pairs (0, 2) and (1, 3)
    Eigen::VectorXd lhat(4), l(4);
    lhat << 0.5, 0.1, 0.2, 0.9;
    l << 2.0, 1.0, 1.0, 3.0;
    // pair 0: l0 > l2, s = +1, hinge = 1 - (0.5 - 0.2) = 0.7
    // pair 1: l1 < l3, s = -1, hinge = 1 + (0.1 - 0.9) = 0.2
    const auto r = acquire::ranking_loss(lhat, l);
    CHECK(r.loss == Approx((0.7 + 0.2) / 2));
    CHECK(r.gradient[0] == -0.5);
    CHECK(r.gradient[2] == 0.5);
    CHECK(r.gradient[1] == 0.5);
    CHECK(r.gradient[3] == -0.5);
    // a wide enough predicted gap in the right direction: hinge inactive, zero gradient
    Eigen::VectorXd far(4);
    far << 3.0, -2.0, 1.0, 0.0;
    const auto z = acquire::ranking_loss(far, l, 1.0);
    CHECK(z.loss == 0.0);
    CHECK(z.gradient == Eigen::VectorXd::Zero(4));
    // equal targets count as s = -1 (the paper's indicator)
    Eigen::VectorXd lt(2), lh(2);
    lt << 1.0, 1.0;
    lh << 0.3, 0.0;
    CHECK(acquire::ranking_loss(lh, lt, 0.5).loss == Approx(0.8));
    CHECK(acquire::ranking_loss(lh, lt, 0.0).loss == Approx(0.3));
}

TEST_CASE("ranking_loss: gradient matches finite differences", "[loss_prediction]") {
    acquire::Rng rng(4);
    const Index b = 64;
    Eigen::VectorXd lhat(b), l(b);
    for (Index i = 0; i < b; ++i) {
        lhat[i] = rng.normal();
        l[i] = rng.uniform() * 3;
    }
    const auto r = acquire::ranking_loss(lhat, l, 1.0);
    const double h = 1e-6;
    for (Index i = 0; i < b; ++i) {
        Eigen::VectorXd up = lhat, down = lhat;
        up[i] += h;
        down[i] -= h;
        const double fd = (acquire::ranking_loss(up, l, 1.0).loss - acquire::ranking_loss(down, l, 1.0).loss) / (2 * h);
        CHECK(r.gradient[i] == Approx(fd).margin(1e-6));
    }
    // float predictions, double targets
    const Eigen::VectorXf lf = lhat.cast<float>();
    const auto rf = acquire::ranking_loss(lf, l, 1.0);
    CHECK(rf.loss == Approx(r.loss).epsilon(1e-6));
}

TEST_CASE("ranking_loss: bad inputs", "[loss_prediction]") {
    Eigen::VectorXd a = Eigen::VectorXd::Zero(3), b = Eigen::VectorXd::Zero(3);
    REQUIRE_THROWS_WITH(acquire::ranking_loss(a, b),
                        Contains("acquire::ranking_loss: the batch size must be even and > 0 to form pairs (i, i + b/2), got 3"));
    REQUIRE_THROWS_WITH(acquire::ranking_loss(Eigen::VectorXd(0), Eigen::VectorXd(0)), Contains("got 0"));
    REQUIRE_THROWS_WITH(acquire::ranking_loss(Eigen::VectorXd::Zero(4), Eigen::VectorXd::Zero(2)),
                        Contains("predicted has 4 entries but target has 2"));
    Eigen::VectorXd c = Eigen::VectorXd::Zero(4);
    c[2] = NAN;
    REQUIRE_THROWS_WITH(acquire::ranking_loss(c, Eigen::VectorXd::Zero(4)), Contains("predicted entry 2 is nan"));
    REQUIRE_THROWS_WITH(acquire::ranking_loss(Eigen::VectorXd::Zero(4), c), Contains("target entry 2"));
    REQUIRE_THROWS_WITH(acquire::ranking_loss(Eigen::VectorXd::Zero(4), Eigen::VectorXd::Zero(4), -1.0),
                        Contains("margin must be finite and >= 0"));
    REQUIRE_THROWS_WITH(acquire::ranking_loss(Eigen::MatrixXd::Zero(2, 2), Eigen::VectorXd::Zero(4)),
                        Contains("predicted must be a vector"));
}
