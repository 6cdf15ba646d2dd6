// core/knn.hpp: the exact tiled k-nearest-neighbour search shared by the contrastive score and
// sparse facility location. Brute force over both scalars, tile sizes down to one reference
// row, layouts, ties, thread counts and bad inputs.
#include <acquire/core/knn.hpp>
#include <acquire/synthetic.hpp>

#include "knn_reference.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

#ifdef _OPENMP
#include <omp.h>
#endif

using acquire::Index;
using Catch::Contains;

namespace {

using knn_reference::brute_knn;

}  // namespace

TEMPLATE_TEST_CASE("nearest_neighbors (core/knn.hpp): brute force, any tile, any layout", "[knn]", float, double) {
    using T = TestType;
    // integer coordinates: every distance is exact in float too, so the order is the true one
    Eigen::Matrix<T, -1, -1> Q(70, 3), R(45, 3);
    acquire::Rng rng(4);
    for (Index i = 0; i < Q.size(); ++i) Q.data()[i] = static_cast<T>(rng.below(9));
    for (Index i = 0; i < R.size(); ++i) R.data()[i] = static_cast<T>(rng.below(9));
    const acquire::RowMatrix<T> Rr = R;
    for (const std::size_t memory : {std::size_t(4096), std::size_t(70 * 3 * sizeof(T) * 40), std::size_t(1) << 24}) {
        acquire::KnnOptions o;
        o.memory_bytes = memory;
        const auto nn = acquire::nearest_neighbors(Q, R, 7, o);
        const auto nr = acquire::nearest_neighbors(Q, Rr, 7, o);
        INFO("memory " << memory);
        CHECK(nn.indices == nr.indices);
        for (Index i = 0; i < Q.rows(); ++i) {
            const auto want = brute_knn(R.template cast<double>(), Q.row(i).template cast<double>(), 7);
            for (Index j = 0; j < 7; ++j) {
                INFO("query " << i << " rank " << j);
                CHECK(nn.indices(i, j) == want[static_cast<std::size_t>(j)]);
                CHECK(double(nn.distances(i, j)) == (R.row(want[static_cast<std::size_t>(j)]) - Q.row(i)).squaredNorm());
            }
        }
    }
    INFO("k = M lists every reference row");
    const auto all = acquire::nearest_neighbors(Q, R, 45);
    for (Index i = 0; i < Q.rows(); ++i) {
        std::vector<Index> row(all.indices.row(i).data(), all.indices.row(i).data() + 45);
        std::sort(row.begin(), row.end());
        for (Index j = 0; j < 45; ++j) CHECK(row[static_cast<std::size_t>(j)] == j);
    }
}

TEST_CASE("nearest_neighbors (core/knn.hpp): same on any thread count", "[knn]") {
    const auto H = acquire::synthetic::embeddings<float, Eigen::RowMajor>(3000, 16);
    const auto one = acquire::nearest_neighbors(H.topRows(2000), H.bottomRows(1000), 5);
#ifdef _OPENMP
    const int before = omp_get_max_threads();
    omp_set_num_threads(3);
    const auto three = acquire::nearest_neighbors(H.topRows(2000), H.bottomRows(1000), 5);
    omp_set_num_threads(before);
    CHECK(three.indices == one.indices);
    CHECK(three.distances == one.distances);
#endif
    for (Index i = 0; i < 2000; ++i) CHECK(one.distances(i, 0) <= one.distances(i, 4));
}

TEST_CASE("nearest_neighbors (core/knn.hpp): bad inputs", "[knn][checks]") {
    Eigen::MatrixXd H = Eigen::MatrixXd::Ones(5, 2);
    REQUIRE_THROWS_WITH(acquire::nearest_neighbors(H, H, 0), Contains("acquire::nearest_neighbors: k is 0 but must be in [1, 5]"));
    REQUIRE_THROWS_WITH(acquire::nearest_neighbors(H, H, 6), Contains("k is 6"));
    REQUIRE_THROWS_WITH(acquire::nearest_neighbors(H, Eigen::MatrixXd(3, 3), 1), Contains("query has 2 columns but reference has 3"));
    acquire::KnnOptions o;
    o.memory_bytes = 100;
    REQUIRE_THROWS_WITH(acquire::nearest_neighbors(H, H, 1, o), Contains("options memory_bytes must be >= 4096, got 100"));
    H(3, 1) = std::numeric_limits<double>::infinity();
    REQUIRE_THROWS_WITH(acquire::nearest_neighbors(H, Eigen::MatrixXd::Ones(5, 2), 1), Contains("query row 3 column 1 is inf"));
    o = {};
    o.checks.values = false;
    CHECK_NOTHROW(acquire::nearest_neighbors(H, Eigen::MatrixXd::Ones(5, 2), 1, o));
}
