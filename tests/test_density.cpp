// information_density against the pairwise definition, beta, and bad inputs.
#include <acquire/score/density.hpp>
#include <acquire/synthetic.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

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

TEMPLATE_TEST_CASE("information_density: many chunks, both layouts, every beta path", "[density]", float, double) {
    using T = TestType;
    // 5000 rows: three chunks of 2048 rows with partial blocks, so the per-chunk means, the
    // reverse second pass and the block edges all count.
    const Index n = 5000, d = 9;
    const auto X = acquire::synthetic::embeddings<T, Eigen::RowMajor>(n, d);
    acquire::Vector<T> s(n);
    for (Index i = 0; i < n; ++i) s[i] = T(1 + i % 5) / 5;
    Eigen::VectorXd mean = Eigen::VectorXd::Zero(d);
    for (Index u = 0; u < n; ++u) mean += X.row(u).template cast<double>().transpose() / X.row(u).template cast<double>().norm();
    mean /= double(n);
    const Eigen::Matrix<T, -1, -1> col = X;
    for (double beta : {0.0, 0.5, 1.0, 2.0, 3.0, 8.0, 1.7, 9.0}) {
        const auto row_id = acquire::information_density(X, s, beta);
        const auto col_id = acquire::information_density(col, s, beta);
        for (Index i = 0; i < n; i += 7) {
            const Eigen::VectorXd x = X.row(i).template cast<double>().transpose();
            const double similarity = std::max(0.0, x.dot(mean) / x.norm());
            const double expected = double(s[i]) * std::pow(similarity, beta);
            INFO("beta " << beta << " row " << i);
            CHECK(double(row_id[i]) == Approx(expected).epsilon(sizeof(T) == 4 ? 2e-4 : 1e-10).margin(1e-30));
            CHECK(double(col_id[i]) == Approx(expected).epsilon(sizeof(T) == 4 ? 2e-4 : 1e-10).margin(1e-30));
        }
        if (beta == 0.0) CHECK(row_id == s);
    }
}

TEMPLATE_TEST_CASE("information_density: huge rows, error order", "[density][checks]", float, double) {
    using T = TestType;
    Eigen::Matrix<T, -1, -1> Y(4, 2);
    const T big = std::numeric_limits<T>::max() / 4;
    Y << 1, 0, big, big, 0, 1, 1, 1;  // row 1's squared norm overflows; its direction is (1, 1)
    const acquire::Vector<T> ones = acquire::Vector<T>::Ones(4);
    const auto id = acquire::information_density(Y, ones, 1.0);
    const double r = std::sqrt(0.5);
    // mean unit row: ((1 + r + 0 + r) / 4, (0 + r + 1 + r) / 4)
    const double m = (1 + 2 * r) / 4;
    CHECK(double(id[0]) == Approx(m).epsilon(1e-5));
    CHECK(double(id[1]) == Approx(2 * r * m).epsilon(1e-5));
    INFO("a non-finite X entry is reported before bad scores and zero rows");
    Y(3, 1) = std::numeric_limits<T>::quiet_NaN();
    Y.row(2).setZero();
    acquire::Vector<T> bad = ones;
    bad[0] = std::numeric_limits<T>::infinity();
    REQUIRE_THROWS_WITH(acquire::information_density(Y, bad, 1.0), Contains("X row 3 column 1 is nan"));
    Y(3, 1) = 1;
    REQUIRE_THROWS_WITH(acquire::information_density(Y, bad, 1.0), Contains("scores row 0"));
    REQUIRE_THROWS_WITH(acquire::information_density(Y, ones, 1.0), Contains("X row 2 has zero norm"));
    acquire::CheckOptions off;
    off.values = false;
    REQUIRE_THROWS_WITH(acquire::information_density(Y, bad, 1.0, off), Contains("X row 2 has zero norm"));
}

TEMPLATE_TEST_CASE("information_density's row products have the bits of Eigen's product", "[density][simd]", float,
                   double) {
    using T = TestType;
    using RowMajor = Eigen::Matrix<T, -1, -1, Eigen::RowMajor>;
    // Rows of a wider matrix (stride past d), every row count a group of 4 leaves a remainder
    // for, and d on both sides of the 16-byte packet and the prefetched cache line.
    const RowMajor wide = acquire::synthetic::embeddings<T, Eigen::RowMajor>(13, 140);
    for (Index d : {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 64, 100, 128, 130}) {
        const acquire::Vector<T> m = wide.row(12).head(d).transpose() / T(3);
        for (Index rows : {1, 2, 3, 4, 5, 7, 8, 11}) {
            const auto block = wide.topLeftCorner(rows, d);
            acquire::Vector<T> eigen(rows), ours = acquire::Vector<T>::Constant(rows, T(-7));
            eigen.noalias() = block * m;
            acquire::detail::row_dots(block, m, ours);
            INFO("d = " << d << ", rows = " << rows);
            CHECK(ours == eigen);
#ifdef ACQUIRE_AVX2
            // The kernel called directly (row_dots leaves one row, a dot product, to Eigen).
            if (acquire::detail::eigen_sse2_order<T> && acquire::detail::cpu_has_avx2() && rows > 1) {
                ours.setConstant(T(-7));
                acquire::detail::row_dots_avx2(block.data(), block.outerStride(), rows, d, m.data(), ours.data());
                CHECK(ours == eigen);
            }
#endif
        }
    }
}

TEMPLATE_TEST_CASE("information_density's first pass has the bits of Eigen's norms and product", "[density][simd]",
                   float, double) {
    using T = TestType;
    using RowMajor = Eigen::Matrix<T, -1, -1, Eigen::RowMajor>;
    // Blocks of every length around Eigen's grouping of the product's columns (all of them
    // below 128 rows, else 16; 4 for rows 32,000 bytes apart or more), d around the packets,
    // a zero row (its inverse norm is 0), and rows far apart.
    for (Index stride : {Index(140), Index(8100)}) {
        RowMajor wide = acquire::synthetic::embeddings<T, Eigen::RowMajor>(260, stride);
        wide.row(5).setZero();
        for (Index d : {2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 64, 100, 128, 130}) {
            for (Index len : {1, 2, 3, 16, 17, 127, 128, 130, 259}) {
                if (stride > 140 && d > 9) continue;
                const auto rows = wide.topLeftCorner(len, d);
                auto invert = [](Index k, T s) { return s > 0 ? T(1) / std::sqrt(s) + T(k % 3) : T(0); };
                acquire::Vector<T> inverse(len), sum = acquire::Vector<T>::Constant(d, T(0.25));
                inverse = rows.rowwise().squaredNorm();
                for (Index k = 0; k < len; ++k) inverse[k] = invert(k, inverse[k]);
                sum.noalias() += rows.transpose() * inverse;
                acquire::Vector<T> our_inverse = acquire::Vector<T>::Constant(len, T(-7)),
                                   our_sum = acquire::Vector<T>::Constant(d, T(0.25));
                acquire::detail::norms_and_sum(rows, our_inverse, our_sum, invert);
                INFO("stride = " << stride << ", d = " << d << ", rows = " << len);
                CHECK(our_inverse == inverse);
                CHECK(our_sum == sum);
            }
        }
    }
}
