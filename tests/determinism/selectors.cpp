// test_determinism's selectors: k-center, k-means++, BADGE, facility location, clustering, density.
#include "digest.hpp"

#include <acquire/score/density.hpp>
#include <acquire/select/badge.hpp>
#include <acquire/select/cluster.hpp>
#include <acquire/select/facility_location.hpp>
#include <acquire/select/hybrid.hpp>
#include <acquire/select/k_center.hpp>
#include <acquire/select/kmeans_pp.hpp>

#include <vector>

namespace determinism {

void record_selectors(const Pool& pool, const Record& record) {
    namespace syn = acquire::synthetic;
    const auto &P = pool.P, &H = pool.H;
    const auto& u = pool.u;
    const auto X = syn::embeddings<float, Eigen::RowMajor>(5000, 16);
    record("k_center_greedy", [&](Digest& d) {
        acquire::KCenterOptions o;
        o.seed = 5;
        d << acquire::k_center_greedy(X, {}, 50, o) << acquire::k_center_greedy(X, {1, 2}, 20);
    });
    record("kmeans_pp", [&](Digest& d) {
        acquire::KMeansPPOptions o;
        o.seed = 9;
        d << acquire::kmeans_pp(X, 50, o);
    });
    record("badge", [&](Digest& d) { d << acquire::badge(P.topRows(5000), H.topRows(5000), {3}, 40); });
    record("facility_location", [&](Digest& d) {
        std::vector<Index> c;
        for (Index i = 0; i < 300; ++i) c.push_back(i * 7);
        acquire::FacilityLocationOptions o;
        d << acquire::facility_location(X, c, 20, o);
        o.memory_bytes = 64 * 5000 * 4;
        d << acquire::facility_location(X, c, 20, o);
        o.stochastic = true;
        o.seed = 2;
        d << acquire::facility_location(X, c, 20, o) << acquire::max_coverage(X, 1.0, 10, c);
    });
    record("kmeans", [&](Digest& d) {
        acquire::KMeansOptions o;
        o.max_iterations = 5;
        const auto r = acquire::kmeans(X, 20, o);
        d << r.centers << r.assignment << r.inertia;
    });
    record("cluster_select", [&](Digest& d) { d << acquire::cluster_select(H, u, 20); });
    record("information_density", [&](Digest& d) { d << acquire::information_density(H, u, 1.0); });
    record("hybrid", [&](Digest& d) {
        d << acquire::hybrid(u, 200, {0}, 10, [&](const std::vector<Index>& c, Index b) {
            return acquire::facility_location(H, c, b);
        });
    });
}

}  // namespace determinism
