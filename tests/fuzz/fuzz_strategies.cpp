// stochastic_batch, typiclust, probcover (+ delta), agglomerative_clustering and cluster_margin:
// hostile scores (negative under power, NaN, Inf), duplicate rows, tiny clusters, delta 0 and
// huge, thresholds 0 and +inf, bad assignments and margin pools.
#include "fuzz.hpp"

#include <acquire/select/cluster_margin.hpp>
#include <acquire/select/hierarchical.hpp>
#include <acquire/select/probcover.hpp>
#include <acquire/select/stochastic.hpp>
#include <acquire/select/typiclust.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Bytes in(data, size);
    const Index n = in.upto(24), d = in.upto(3);
    const bool hostile = in.flag();
    const auto X = in.matrix<double, Eigen::RowMajor>(n, d, hostile);
    const auto labeled = in.indices(n, 5, hostile);
    Eigen::VectorXd s(n);
    for (Index i = 0; i < n; ++i) s[i] = hostile && in.rarely(6) ? in.value<double>() : in.plain<double>();
    const Index b = in.upto(n + 1);

    acquire::StochasticOptions so;
    so.mode = static_cast<acquire::StochasticMode>(in.upto(2));
    const std::uint8_t beta = in.byte();
    so.beta = beta == 255 ? std::numeric_limits<double>::infinity() : hostile && beta == 254 ? -1.0 : beta / 16.0;
    so.labeled = labeled;
    so.seed = in.byte();
    so.checks.values = !in.rarely(4);
    fuzz::accept_invalid([&] { fuzz::expect_picks(acquire::stochastic_batch(s, b, so), n, b, labeled); });

    acquire::TypiClustOptions to;
    to.labeled = labeled;
    to.neighbors = in.upto(4);
    to.max_clusters = in.upto(6);
    to.min_cluster_size = in.upto(3);
    to.kmeans.max_iterations = in.upto(4);
    to.kmeans.checks.values = !in.rarely(4);
    fuzz::accept_invalid([&] { fuzz::expect_selection(acquire::typiclust(X, b, to), n, b, labeled); });
    std::vector<Index> assignment(static_cast<std::size_t>(n));
    for (auto& a : assignment) a = hostile && in.rarely(10) ? n : static_cast<Index>(in.upto(4));
    fuzz::accept_invalid([&] { fuzz::expect_selection(acquire::typiclust(X, assignment, b, to), n, b, labeled); });

    acquire::ProbCoverOptions po;
    po.labeled = labeled;
    po.checks.values = !in.rarely(4);
    if (in.rarely(4)) po.memory_bytes = static_cast<std::size_t>(in.upto(40)) * 16;
    const double delta = in.rarely(8) ? (hostile ? -1.0 : 1e300) : in.upto(40) / 10.0;
    fuzz::accept_invalid([&] { fuzz::expect_selection(acquire::probcover(X, delta, b, po), n, b, labeled); });
    acquire::ProbCoverDeltaOptions pd;
    pd.alpha = in.upto(10) / 10.0;
    fuzz::accept_invalid([&] {
        const double v = acquire::probcover_delta(X, std::max<Index>(1, in.upto(4)), pd);
        if (!(v >= 0)) fuzz::contract_broken("probcover_delta negative or NaN");
    });

    acquire::AgglomerativeOptions ao;
    ao.naive = in.flag();
    ao.checks.values = !in.rarely(4);
    const double threshold = in.rarely(8) ? std::numeric_limits<double>::infinity() : in.upto(30) / 10.0;
    fuzz::accept_invalid([&] {
        const auto c = acquire::agglomerative_clustering(X, threshold, ao);
        if (static_cast<Index>(c.assignment.size()) != n) fuzz::contract_broken("assignment length");
        for (Index a : c.assignment)
            if (a < 0 || a >= c.clusters) fuzz::contract_broken("cluster id out of range");
        acquire::ClusterMarginOptions co;
        co.labeled = labeled;
        co.margin_pool = in.rarely(3) ? in.upto(n + 1) : 0;
        co.seed = in.byte();
        fuzz::expect_selection(acquire::cluster_margin(s, c.assignment, b, co), n, b, labeled);
    });
    return 0;
}
