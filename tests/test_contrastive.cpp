// nearest_neighbors and the CAL contrastive score: brute force on small pools, hand values,
// tile sizes down to one row, layouts, zeros in p_x, thread counts and bad inputs.
#include <acquire/score/contrastive.hpp>
#include <acquire/synthetic.hpp>

#include "knn_reference.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#ifdef _OPENMP
#include <omp.h>
#endif

using acquire::Index;
using Catch::Contains;

namespace {

using knn_reference::brute_knn;

double kl(const Eigen::RowVectorXd& p, const Eigen::RowVectorXd& q, double eps) {
    double s = 0;
    for (Index c = 0; c < p.size(); ++c)
        if (p[c] > 0) s += p[c] * (std::log(p[c]) - std::log(std::max(q[c], eps)));
    return s;
}

}  // namespace

TEST_CASE("nearest_neighbors: exact, any tile size, ties by lowest index", "[contrastive]") {
    const Eigen::MatrixXd Q = acquire::synthetic::embeddings<double, Eigen::ColMajor>(300, 6, {4, 0.3, 11});
    const Eigen::MatrixXd R = acquire::synthetic::embeddings<double, Eigen::ColMajor>(120, 6, {4, 0.3, 12});
    for (const std::size_t memory : {std::size_t(4096), std::size_t(50000), std::size_t(1) << 26}) {
        acquire::ContrastiveOptions o;
        o.memory_bytes = memory;
        const auto nn = acquire::nearest_neighbors(Q, R, 5, o);
        for (Index i = 0; i < Q.rows(); ++i) {
            const auto want = brute_knn(R, Q.row(i), 5);
            for (Index j = 0; j < 5; ++j) {
                CHECK(nn.indices(i, j) == want[j]);
                CHECK(nn.distances(i, j) == Approx((R.row(want[j]) - Q.row(i)).squaredNorm()).margin(1e-9));
            }
        }
    }
    // duplicated reference rows: equal distances come lowest index first
    Eigen::MatrixXd D(4, 2);
    D << 1, 1, 0, 0, 1, 1, 0, 0;
    Eigen::MatrixXd q(1, 2);
    q << 0.9, 0.9;
    const auto nn = acquire::nearest_neighbors(q, D, 4);
    CHECK(nn.indices.row(0) == (Eigen::Matrix<Index, 1, 4>() << 0, 2, 1, 3).finished());
    const auto tile = acquire::detail::knn_tile(100000, 10000, 4, std::size_t(32) << 20);
    CHECK(tile.query_rows * tile.reference_rows * 4 <= (Index(32) << 20));
    CHECK(acquire::detail::knn_tile(10, 10000, 8, 4096).reference_rows == 51);
}

TEST_CASE("contrastive_score: mean KL(p_labeled || p_x) over the k nearest labeled", "[contrastive]") {
    // two labeled points far apart; pool points next to each
    Eigen::MatrixXd Hl(2, 2), Pl(2, 2), Hp(3, 2), Pp(3, 2);
    Hl << 0, 0, 10, 10;
    Pl << 0.9, 0.1, 0.2, 0.8;
    Hp << 0.1, 0, 9.9, 10, 0, 0.2;
    Pp << 0.9, 0.1, 0.9, 0.1, 0.5, 0.5;
    const Eigen::VectorXd s = acquire::contrastive_score(Pp, Hp, Pl, Hl, 1);
    CHECK(s[0] == Approx(0.0).margin(1e-15));  // agrees with its neighbour
    CHECK(s[1] == Approx(0.2 * std::log(0.2 / 0.9) + 0.8 * std::log(0.8 / 0.1)));
    CHECK(s[2] == Approx(0.9 * std::log(0.9 / 0.5) + 0.1 * std::log(0.1 / 0.5)));
    const Eigen::VectorXd s2 = acquire::contrastive_score(Pp, Hp, Pl, Hl, 2);
    CHECK(s2[2] == Approx(0.5 * (kl(Pl.row(0), Pp.row(2), 1e-12) + kl(Pl.row(1), Pp.row(2), 1e-12))));
}

TEST_CASE("contrastive_score: brute force on a synthetic pool, layouts, threads", "[contrastive]") {
    const Index n = 400, m = 150, K = 6, d = 8, k = 7;
    const Eigen::MatrixXd Pp = acquire::synthetic::probabilities<double, Eigen::ColMajor>(n, K, {3.0, 0.0, 21});
    const Eigen::MatrixXd Pl = acquire::synthetic::probabilities<double, Eigen::ColMajor>(m, K, {3.0, 0.0, 22});
    const Eigen::MatrixXd Hp = acquire::synthetic::embeddings<double, Eigen::ColMajor>(n, d, {5, 0.5, 23});
    const Eigen::MatrixXd Hl = acquire::synthetic::embeddings<double, Eigen::ColMajor>(m, d, {5, 0.5, 24});
    Eigen::VectorXd want(n);
    for (Index i = 0; i < n; ++i) {
        double s = 0;
        for (Index l : brute_knn(Hl, Hp.row(i), k)) s += kl(Pl.row(l), Pp.row(i), 1e-12);
        want[i] = s / k;
    }
    acquire::ContrastiveOptions o;
    o.memory_bytes = 8192;  // many tiles
    const Eigen::VectorXd a = acquire::contrastive_score(Pp, Hp, Pl, Hl, k, o);
    for (Index i = 0; i < n; ++i) CHECK(a[i] == Approx(want[i]).epsilon(1e-10).margin(1e-12));
    const acquire::RowMatrix<double> Ppr = Pp, Hpr = Hp, Plr = Pl, Hlr = Hl;
    const Eigen::VectorXd ar = acquire::contrastive_score(Ppr, Hpr, Plr, Hlr, k, o);  // other GEMM rounding
    for (Index i = 0; i < n; ++i) CHECK(ar[i] == Approx(a[i]).epsilon(1e-12).margin(1e-14));
    // float
    const acquire::RowMatrix<float> Pf = Pp.cast<float>(), Hf = Hp.cast<float>(), Plf = Pl.cast<float>(),
                                    Hlf = Hl.cast<float>();
    const Eigen::VectorXf f = acquire::contrastive_score(Pf, Hf, Plf, Hlf, k);
    for (Index i = 0; i < n; ++i) CHECK(f[i] == Approx(want[i]).epsilon(1e-4).margin(1e-5));
    // permuting pool rows permutes scores
    Eigen::PermutationMatrix<Eigen::Dynamic> perm(n);
    perm.setIdentity();
    std::reverse(perm.indices().data(), perm.indices().data() + n);
    const Eigen::MatrixXd Ppp = perm * Pp, Hpp = perm * Hp;
    CHECK(acquire::contrastive_score(Ppp, Hpp, Pl, Hl, k, o) == perm * a);
#ifdef _OPENMP
    const int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    const Eigen::VectorXf one = acquire::contrastive_score(Pf, Hf, Plf, Hlf, k);
    omp_set_num_threads(3);
    const Eigen::VectorXf three = acquire::contrastive_score(Pf, Hf, Plf, Hlf, k);
    omp_set_num_threads(threads);
    CHECK(one == f);
    CHECK(three == f);
#endif
}

TEST_CASE("contrastive_score: zeros in p_x give a finite, documented value", "[contrastive]") {
    Eigen::MatrixXd Hl(1, 1), Pl(1, 2), Hp(1, 1), Pp(1, 2);
    Hl << 0;
    Pl << 0.5, 0.5;
    Hp << 1;
    Pp << 1, 0;
    const double want = 0.5 * std::log(0.5) + 0.5 * (std::log(0.5) - std::log(1e-12));
    const Eigen::VectorXd s = acquire::contrastive_score(Pp, Hp, Pl, Hl, 1);
    CHECK(std::isfinite(s[0]));
    CHECK(s[0] == Approx(want));
    acquire::ContrastiveOptions o;
    o.epsilon = 1e-3;
    CHECK(acquire::contrastive_score(Pp, Hp, Pl, Hl, 1, o)[0] ==
          Approx(0.5 * std::log(0.5) + 0.5 * (std::log(0.5) - std::log(1e-3))));
    const Eigen::MatrixXf Pf = Pp.cast<float>(), Hf = Hp.cast<float>(), Plf = Pl.cast<float>(), Hlf = Hl.cast<float>();
    CHECK(std::isfinite(acquire::contrastive_score(Pf, Hf, Plf, Hlf, 1)[0]));
    // zero in p_labeled: 0 ln 0 = 0
    Pl << 1, 0;
    Pp << 0.5, 0.5;
    CHECK(acquire::contrastive_score(Pp, Hp, Pl, Hl, 1)[0] == Approx(std::log(2.0)));
}

TEST_CASE("contrastive_score and nearest_neighbors: bad inputs", "[contrastive]") {
    const Eigen::MatrixXd P = Eigen::MatrixXd::Constant(3, 2, 0.5), H = Eigen::MatrixXd::Zero(3, 4);
    REQUIRE_THROWS_WITH(acquire::contrastive_score(P, H, P, H, 4),
                        Contains("acquire::contrastive_score: k is 4 but must be in [1, 3]"));
    REQUIRE_THROWS_WITH(acquire::contrastive_score(P, H, P, H, 0), Contains("k is 0"));
    REQUIRE_THROWS_WITH(acquire::contrastive_score(P, H, P, Eigen::MatrixXd::Zero(3, 5), 1),
                        Contains("pool features has 4 columns but labeled features has 5"));
    REQUIRE_THROWS_WITH(acquire::contrastive_score(P, H.topRows(2), P, H, 1),
                        Contains("pool probabilities has 3 rows but pool features has 2"));
    REQUIRE_THROWS_WITH(acquire::contrastive_score(P, H, Eigen::MatrixXd::Constant(3, 3, 1.0 / 3), H, 1),
                        Contains("has 2 classes but labeled probabilities has 3"));
    Eigen::MatrixXd Hb = H;
    Hb(2, 1) = INFINITY;
    REQUIRE_THROWS_WITH(acquire::contrastive_score(P, H, P, Hb, 1), Contains("labeled features row 2 column 1"));
    Eigen::MatrixXd Pb = P;
    Pb(1, 0) = -0.5;
    REQUIRE_THROWS_WITH(acquire::contrastive_score(Pb, H, P, H, 1), Contains("pool probabilities row 1 column 0 is -0.5"));
    acquire::ContrastiveOptions o;
    o.epsilon = 0;
    REQUIRE_THROWS_WITH(acquire::contrastive_score(P, H, P, H, 1, o), Contains("epsilon must be in (0, 1)"));
    o = {};
    o.memory_bytes = 100;
    REQUIRE_THROWS_WITH(acquire::nearest_neighbors(H, H, 1, o),
                        Contains("acquire::nearest_neighbors: options memory_bytes must be >= 4096"));
    REQUIRE_THROWS_WITH(acquire::nearest_neighbors(Eigen::MatrixXd(0, 4), H, 1), Contains("query must have at least one row"));
}
