// The synthetic pools: well-formed, seeded, and identical on any thread count.
#include <acquire/score/uncertainty.hpp>
#include <acquire/synthetic.hpp>

#include <catch2/catch.hpp>

#ifdef _OPENMP
#include <omp.h>
#endif

using acquire::Index;

namespace {

/// Runs `make` on one thread and on every thread available; both results must be identical.
template <class Make>
void check_thread_independent(Make make) {
#ifdef _OPENMP
    const int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    const auto one = make();
    omp_set_num_threads(std::max(2, threads));
    const auto many = make();
    omp_set_num_threads(threads);
    CHECK(one == many);
#else
    CHECK(make() == make());
#endif
}

}  // namespace

TEMPLATE_TEST_CASE("synthetic probabilities are distributions with the asked-for ties", "[synthetic]",
                   float, double) {
    using T = TestType;
    acquire::synthetic::ProbabilityOptions options;
    options.tie_fraction = 0.5;
    const auto p = acquire::synthetic::probabilities<T>(3000, 6, options);
    CHECK(p.minCoeff() >= 0);
    CHECK(((p.rowwise().sum().array() - 1).abs() < T(1e-5)).all());
    INFO("about half of the rows have an exact top-2 tie");
    const auto r = acquire::ratio(p);
    const auto ties = (r.array() == T(1)).count();
    CHECK(ties > 1300);
    CHECK(ties < 1700);
    CHECK(acquire::synthetic::probabilities<T>(50, 6, options) ==
          acquire::synthetic::probabilities<T>(50, 6, options));
    options.seed = 2;
    CHECK(acquire::synthetic::probabilities<T>(50, 6, options) !=
          acquire::synthetic::probabilities<T>(50, 6));
}

TEST_CASE("synthetic pools and scores do not depend on the thread count", "[synthetic][determinism]") {
    check_thread_independent([] { return acquire::synthetic::probabilities<float>(20000, 5); });
    check_thread_independent([] { return acquire::synthetic::embeddings<double>(5000, 8); });
    check_thread_independent([] { return acquire::synthetic::stack_buffer<float>(3, 5000, 4); });
    const auto p = acquire::synthetic::probabilities<float>(40000, 7);
    const acquire::Matrix<float> c = p;
    check_thread_independent([&] { return acquire::entropy(p); });
    check_thread_independent([&] { return acquire::margin(c); });
    check_thread_independent([&] { return acquire::entropy(acquire::logits(c)); });
}

TEMPLATE_TEST_CASE("synthetic stacks and embeddings have the documented shapes", "[synthetic]", float,
                   double) {
    using T = TestType;
    acquire::synthetic::StackOptions options;
    options.disagreement = 0;
    const auto same = acquire::synthetic::stack_buffer<T>(4, 10, 3, options);
    REQUIRE(same.size() == 120);
    INFO("no disagreement: every member equals the first");
    for (Index m = 1; m < 4; ++m)
        for (Index j = 0; j < 30; ++j) CHECK(same[static_cast<std::size_t>(m * 30 + j)] == same[static_cast<std::size_t>(j)]);
    const auto x = acquire::synthetic::embeddings<T>(100, 7);
    CHECK(x.rows() == 100);
    CHECK(x.cols() == 7);
    CHECK(x.allFinite());
    REQUIRE_THROWS_AS(acquire::synthetic::embeddings<T>(10, 0), acquire::invalid_input);
    REQUIRE_THROWS_AS(acquire::synthetic::stack_buffer<T>(0, 10, 3), acquire::invalid_input);
}
