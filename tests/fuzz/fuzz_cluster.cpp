// kmeans and cluster_select: duplicate rows, empty clusters, NaN scores, beta out of range.
#include "fuzz.hpp"

#include <acquire/select/cluster.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Bytes in(data, size);
    const Index n = in.upto(30), d = in.upto(4);
    const bool hostile = in.flag();
    const auto X = in.matrix<double, Eigen::RowMajor>(n, d, hostile);
    acquire::ClusterSelectOptions o;
    o.beta = in.rarely(8) ? in.upto(60) : 1 + in.upto(5);
    o.labeled = in.indices(n, 5, hostile);
    o.kmeans.max_iterations = in.upto(6);
    o.kmeans.seed = in.byte();
    o.kmeans.checks.values = !in.rarely(4);
    Eigen::VectorXd s(n);
    for (Index i = 0; i < n; ++i) s[i] = hostile && in.rarely(8) ? in.value<double>() : in.plain<double>();
    const Index b = in.upto(n + 1);
    fuzz::accept_invalid([&] {
        const auto r = acquire::kmeans(X, std::max<Index>(1, b), o.kmeans);
        if (static_cast<Index>(r.assignment.size()) != n) fuzz::contract_broken("kmeans assignment length");
        for (Index a : r.assignment)
            if (a < 0 || a >= r.centers.rows()) fuzz::contract_broken("kmeans assignment out of range");
    });
    fuzz::accept_invalid([&] { fuzz::expect_selection(acquire::cluster_select(X, s, b, o), n, b, o.labeled); });
    return 0;
}
