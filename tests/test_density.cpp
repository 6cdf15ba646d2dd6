// information_density against the pairwise definition, beta, and bad inputs.
#include <acquire/score/density.hpp>
#include <acquire/synthetic.hpp>

#include <catch2/catch.hpp>

#include <cmath>

using acquire::Index;
using Catch::Contains;

TEMPLATE_TEST_CASE("information_density equals the pairwise mean-cosine definition", "[density]", float, double) {
    using T = TestType;
    const auto X = acquire::synthetic::embeddings<T, Eigen::RowMajor>(120, 4);
    acquire::Vector<T> s(120);
    for (Index i = 0; i < 120; ++i) s[i] = T(i % 7) / 7;
    for (double beta : {0.0, 1.0, 2.5}) {
        const auto id = acquire::information_density(X, s, beta);
        for (Index i = 0; i < 120; ++i) {
            double mean = 0;
            for (Index u = 0; u < 120; ++u)
                mean += double(X.row(i).dot(X.row(u))) / double(X.row(i).norm() * X.row(u).norm()) / 120;
            INFO("beta " << beta << " row " << i);
            CHECK(double(id[i]) == Approx(double(s[i]) * std::pow(std::max(0.0, mean), beta)).epsilon(1e-4).margin(1e-6));
        }
    }
    Eigen::Matrix<T, -1, -1> Y(3, 2);
    Y << 1, 0, 1, 0, -1, 0;  // mean cosine of row 2: (-1 - 1 + 1) / 3 < 0, counted as 0
    acquire::Vector<T> ones = acquire::Vector<T>::Ones(3);
    const auto id = acquire::information_density(Y, ones, 1.0);
    CHECK(id[0] == Approx(1.0 / 3));
    CHECK(id[2] == 0);
    REQUIRE_THROWS_WITH(acquire::information_density(Y, ones, -1.0), Contains("beta must be finite and >= 0"));
    REQUIRE_THROWS_WITH(acquire::information_density(Y, acquire::Vector<T>::Ones(2), 1.0), Contains("scores has 2 entries but X has 3 rows"));
    Y.row(1).setZero();
    REQUIRE_THROWS_WITH(acquire::information_density(Y, ones, 1.0), Contains("X row 1 has zero norm"));
}
