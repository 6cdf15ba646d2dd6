// k-means++ seeding: D^2 sampling frequencies, the potential trace, initial centers, seeds,
// layouts, thread counts, bad inputs.
#include <acquire/select/kmeans_pp.hpp>
#include <acquire/synthetic.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <limits>
#include <set>
#ifdef _OPENMP
#include <omp.h>
#endif

using acquire::Index;
using acquire::KMeansPPOptions;
using Catch::Contains;

TEST_CASE("kmeans_pp draws with probability proportional to D^2", "[kmeans_pp]") {
    Eigen::MatrixXd X(3, 1);
    X << 0, 1, 2;  // from the first center 0: D^2 = 0, 1, 4, so P(1) = 0.2 and P(2) = 0.8
    KMeansPPOptions o;
    o.first = 0;
    int twos = 0;
    const int draws = 4000;
    for (int seed = 0; seed < draws; ++seed) {
        o.seed = std::uint64_t(seed);
        const auto sel = acquire::kmeans_pp(X, 2, o);
        REQUIRE(sel.indices[0] == 0);
        twos += sel.indices[1] == 2;
    }
    CHECK(double(twos) / draws == Approx(0.8).margin(0.025));
}

TEMPLATE_TEST_CASE("kmeans_pp: potential trace, initial centers, invariants", "[kmeans_pp]", float, double) {
    using T = TestType;
    const auto X = acquire::synthetic::embeddings<T, Eigen::RowMajor>(400, 6);
    KMeansPPOptions o;
    o.initial = {3, 50, 399};
    o.seed = 4;
    const auto sel = acquire::kmeans_pp(X, 30, o);
    REQUIRE(sel.size() == 30);
    std::set<Index> seen(sel.indices.begin(), sel.indices.end());
    CHECK(seen.size() == 30);
    for (Index i : sel.indices) CHECK((i >= 0 && i < 400 && !std::count(o.initial.begin(), o.initial.end(), i)));
    INFO("objective = sum over points of the squared distance to the nearest center");
    std::vector<Index> centers = o.initial;
    for (std::size_t j = 0; j < 30; ++j) {
        centers.push_back(sel.indices[j]);
        double potential = 0;
        for (Index i = 0; i < 400; ++i) {
            double d = std::numeric_limits<double>::infinity();
            for (Index c : centers) d = std::min(d, (X.row(i) - X.row(c)).template cast<double>().squaredNorm());
            potential += d;
        }
        CHECK(sel.objective[j] == Approx(potential).epsilon(1e-5));
    }
    CHECK(std::is_sorted(sel.objective.rbegin(), sel.objective.rend()));
    INFO("same seed, same picks; column-major the same");
    CHECK(acquire::kmeans_pp(X, 30, o).indices == sel.indices);
    const Eigen::Matrix<T, -1, -1> col = X;
    CHECK(acquire::kmeans_pp(col, 30, o).indices == sel.indices);
    INFO("all points: b = N - |initial|, then duplicates of centers are taken lowest first");
    CHECK(acquire::kmeans_pp(X, 397, o).size() == 397);
    Eigen::Matrix<T, -1, -1> same = Eigen::Matrix<T, -1, -1>::Ones(5, 2);
    KMeansPPOptions first;
    first.first = 2;
    CHECK(acquire::kmeans_pp(same, 3, first).indices == std::vector<Index>{2, 0, 1});
#ifdef _OPENMP
    const int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    const auto one = acquire::kmeans_pp(X, 30, o);
    omp_set_num_threads(2);
    const auto two = acquire::kmeans_pp(X, 30, o);
    omp_set_num_threads(threads);
    CHECK(one.indices == two.indices);
    CHECK(one.objective == two.objective);
#endif
}

TEMPLATE_TEST_CASE("kmeans_pp rejects bad input by name", "[kmeans_pp][checks]", float, double) {
    using T = TestType;
    acquire::RowMatrix<T> X = acquire::synthetic::embeddings<T, Eigen::RowMajor>(20, 3);
    KMeansPPOptions o;
    o.initial = {1, 1};
    REQUIRE_THROWS_WITH(acquire::kmeans_pp(X, 2, o), Contains("acquire::kmeans_pp: options initial entry 1 repeats index 1"));
    o.initial = {1};
    REQUIRE_THROWS_WITH(acquire::kmeans_pp(X, 20, o), Contains("b is 20 but only 19"));
    o.first = 1;
    REQUIRE_THROWS_WITH(acquire::kmeans_pp(X, 2, o), Contains("options first 1 is an initial center"));
    X(4, 1) = std::numeric_limits<T>::infinity();
    REQUIRE_THROWS_WITH(acquire::kmeans_pp(X, 2), Contains("X row 4 column 1 is inf"));
}
