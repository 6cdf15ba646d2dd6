// prefilter and hybrid: top-m unlabeled, then a selector restricted to those candidates.
#include <acquire/score/uncertainty.hpp>
#include <acquire/select/facility_location.hpp>
#include <acquire/select/hybrid.hpp>
#include <acquire/synthetic.hpp>

#include <catch2/catch.hpp>

#include <algorithm>

using acquire::Index;
using Catch::Contains;

TEST_CASE("prefilter: top-m unlabeled, highest first", "[hybrid]") {
    Eigen::VectorXd s(6);
    s << 0.1, 0.9, 0.5, 0.9, 0.3, 0.7;
    CHECK(acquire::prefilter(s, 3, {}) == std::vector<Index>{1, 3, 5});
    CHECK(acquire::prefilter(s, 3, {3}) == std::vector<Index>{1, 5, 2});
    REQUIRE_THROWS_WITH(acquire::prefilter(s, 6, {0}), Contains("k is 6 but only 5"));
}

TEST_CASE("hybrid: uncertainty then facility location", "[hybrid]") {
    const auto P = acquire::synthetic::probabilities<float, Eigen::RowMajor>(1000, 5);
    const auto H = acquire::synthetic::embeddings<float, Eigen::RowMajor>(1000, 8);
    const std::vector<Index> labeled{2, 4, 8};
    const Eigen::VectorXf u = acquire::entropy(P);
    const auto batch = acquire::hybrid(u, 100, labeled, 10, [&](const std::vector<Index>& c, Index k) {
        return acquire::facility_location(H, c, k);
    });
    const auto top = acquire::prefilter(u, 100, labeled);
    REQUIRE(batch.size() == 10);
    for (Index i : batch.indices) CHECK(std::count(top.begin(), top.end(), i) == 1);
    CHECK(batch.indices == acquire::facility_location(H, top, 10).indices);
    REQUIRE_THROWS_WITH(acquire::hybrid(u, 5, labeled, 10, [&](const std::vector<Index>& c, Index k) {
                            return acquire::facility_location(H, c, k);
                        }),
                        Contains("acquire::hybrid: b is 10 but only 5"));
    REQUIRE_THROWS_WITH(acquire::hybrid(u, 20, labeled, 2, [](const std::vector<Index>&, Index) {
                            return acquire::Selection{{2, 3}, {0, 0}};
                        }),
                        Contains("is not a candidate"));
}
