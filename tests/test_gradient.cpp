// Expected gradient length: the closed form against explicit per-label gradients (outer
// products), hand values, layouts, permutation, and bad inputs.
#include <acquire/score/gradient.hpp>
#include <acquire/synthetic.hpp>

#include <catch2/catch.hpp>

#include <cmath>

using acquire::Index;
using Catch::Contains;

namespace {

/// sum_y p_y ||grad_{W,b} L(x, y)||_F with the gradients built as explicit matrices:
/// grad_W = (p - e_y) h^T (K x d), grad_b = p - e_y.
Eigen::VectorXd brute_force(const Eigen::MatrixXd& P, const Eigen::MatrixXd& H, bool bias) {
    Eigen::VectorXd out(P.rows());
    for (Index i = 0; i < P.rows(); ++i) {
        double s = 0;
        for (Index y = 0; y < P.cols(); ++y) {
            Eigen::VectorXd g = P.row(i).transpose();
            g[y] -= 1;
            const Eigen::MatrixXd gw = g * H.row(i);
            double norm2 = gw.squaredNorm();
            if (bias) norm2 += g.squaredNorm();
            s += P(i, y) * std::sqrt(norm2);
        }
        out[i] = s;
    }
    return out;
}

}  // namespace

TEST_CASE("egl: hand-computed values", "[gradient]") {
    Eigen::MatrixXd P(3, 2);
    P << 0.5, 0.5,  //
        1.0, 0.0,   //
        0.8, 0.2;
    Eigen::MatrixXd H(3, 2);
    H << 3, 4,  //
        1, 1,   //
        0, 0;
    // Row 0: ||p - e_y|| = sqrt(0.5) for both labels, ||h|| = 5: with bias sqrt(26) sqrt(0.5).
    // Row 1: one-hot, 0. Row 2: h = 0, so only the bias gradient: ||p - e_0|| = 0.2 sqrt(2),
    // ||p - e_1|| = 0.8 sqrt(2): 0.8 * 0.2 sqrt(2) + 0.2 * 0.8 sqrt(2) = 0.32 sqrt(2).
    const Eigen::VectorXd s = acquire::egl(P, H);
    CHECK(s[0] == Approx(std::sqrt(26.0) * std::sqrt(0.5)));
    CHECK(s[1] == 0.0);
    CHECK(s[2] == Approx(0.32 * std::sqrt(2.0)));
    acquire::EglOptions no_bias;
    no_bias.bias = false;
    const Eigen::VectorXd t = acquire::egl(P, H, no_bias);
    CHECK(t[0] == Approx(5 * std::sqrt(0.5)));
    CHECK(t[2] == 0.0);
    // K = 1: the only label is certain; nothing to learn.
    CHECK(acquire::egl(Eigen::MatrixXd::Ones(2, 1), H.topRows(2))[0] == 0.0);
}

TEST_CASE("egl: equals explicit outer-product gradients", "[gradient]") {
    for (const bool bias : {true, false}) {
        const Eigen::MatrixXd P = acquire::synthetic::probabilities<double, Eigen::ColMajor>(40, 7);
        const Eigen::MatrixXd H = acquire::synthetic::embeddings<double, Eigen::ColMajor>(40, 5);
        const Eigen::VectorXd want = brute_force(P, H, bias);
        acquire::EglOptions o;
        o.bias = bias;
        const Eigen::VectorXd col = acquire::egl(P, H, o);
        const acquire::RowMatrix<double> Pr = P, Hr = H;
        const Eigen::VectorXd row = acquire::egl(Pr, Hr, o);
        for (Index i = 0; i < P.rows(); ++i) {
            CHECK(col[i] == Approx(want[i]).epsilon(1e-12));
            CHECK(row[i] == Approx(want[i]).epsilon(1e-12));
        }
        // float against the double reference
        const acquire::RowMatrix<float> Pf = P.cast<float>(), Hf = H.cast<float>();
        const Eigen::VectorXf f = acquire::egl(Pf, Hf, o);
        for (Index i = 0; i < P.rows(); ++i) CHECK(f[i] == Approx(want[i]).epsilon(1e-5));
    }
}

TEST_CASE("egl: permuting rows permutes scores", "[gradient]") {
    const acquire::RowMatrix<float> P = acquire::synthetic::probabilities<float>(9000, 10);
    const acquire::RowMatrix<float> H = acquire::synthetic::embeddings<float>(9000, 16);
    const Eigen::VectorXf s = acquire::egl(P, H);
    Eigen::PermutationMatrix<Eigen::Dynamic> perm(9000);
    perm.setIdentity();
    std::reverse(perm.indices().data(), perm.indices().data() + 9000);
    const acquire::RowMatrix<float> Pp = perm * P, Hp = perm * H;
    const Eigen::VectorXf sp = acquire::egl(Pp, Hp);
    CHECK(sp == perm * s);
}

TEST_CASE("egl_from_norms: p-weighted norms", "[gradient]") {
    Eigen::MatrixXd P(2, 3);
    P << 0.2, 0.3, 0.5,  //
        0, 1, 0;
    Eigen::MatrixXd G(2, 3);
    G << 1, 2, 4,  //
        7, 3, 9;
    const Eigen::VectorXd s = acquire::egl_from_norms(P, G);
    CHECK(s[0] == Approx(0.2 + 0.6 + 2.0));
    CHECK(s[1] == Approx(3.0));
    // agrees with the closed form when G holds the softmax-linear norms
    const Eigen::MatrixXd Q = acquire::synthetic::probabilities<double, Eigen::ColMajor>(20, 4);
    const Eigen::MatrixXd H = acquire::synthetic::embeddings<double, Eigen::ColMajor>(20, 3);
    Eigen::MatrixXd N(20, 4);
    for (Index i = 0; i < 20; ++i)
        for (Index y = 0; y < 4; ++y) {
            Eigen::VectorXd g = Q.row(i).transpose();
            g[y] -= 1;
            N(i, y) = g.norm() * std::sqrt(H.row(i).squaredNorm() + 1);
        }
    const Eigen::VectorXd a = acquire::egl_from_norms(Q, N), b = acquire::egl(Q, H);
    for (Index i = 0; i < 20; ++i) CHECK(a[i] == Approx(b[i]).epsilon(1e-9));
}

TEST_CASE("egl: bad inputs name the argument and row", "[gradient]") {
    Eigen::MatrixXd P(2, 2);
    P << 0.5, 0.5, 0.3, 0.7;
    Eigen::MatrixXd H = Eigen::MatrixXd::Ones(2, 3);
    REQUIRE_THROWS_WITH(acquire::egl(P, Eigen::MatrixXd::Ones(3, 3)),
                        Contains("acquire::egl: probabilities has 2 rows but features has 3"));
    REQUIRE_THROWS_WITH(acquire::egl(P, Eigen::MatrixXd(2, 0)), Contains("features must have at least one"));
    Eigen::MatrixXd bad = H;
    bad(1, 2) = std::nan("");
    REQUIRE_THROWS_WITH(acquire::egl(P, bad), Contains("features row 1 column 2"));
    Eigen::MatrixXd Pb = P;
    Pb(1, 0) = 0.5;
    REQUIRE_THROWS_WITH(acquire::egl(Pb, H), Contains("probabilities row 1 sums to 1.2"));
    Eigen::MatrixXd G = Eigen::MatrixXd::Ones(2, 2);
    G(1, 1) = -1;
    REQUIRE_THROWS_WITH(acquire::egl_from_norms(P, G), Contains("norms row 1 column 1 is -1"));
    REQUIRE_THROWS_WITH(acquire::egl_from_norms(P, Eigen::MatrixXd::Ones(2, 3)),
                        Contains("norms is 2 x 3 but probabilities is 2 x 2"));
    G(1, 1) = INFINITY;
    REQUIRE_THROWS_WITH(acquire::egl_from_norms(P, G), Contains("norms row 1 column 1"));
}
