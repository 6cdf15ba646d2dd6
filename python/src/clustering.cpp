// The clustering selectors: select/cluster.hpp (k-means, cluster_select), typiclust.hpp and
// hierarchical.hpp. Results with several parts come back as namespaces of NumPy arrays.
#include "common.hpp"
#include "docstrings.hpp"

#include "acquire/select/cluster.hpp"
#include "acquire/select/hierarchical.hpp"
#include "acquire/select/typiclust.hpp"

namespace acquire::python {

namespace {

template <class M>
using scalar_of = typename std::decay_t<M>::Scalar;

py::object namespace_of(py::dict fields) { return py::module_::import("types").attr("SimpleNamespace")(**fields); }

TypiClustOptions typiclust_options(IndexArg labeled, Index neighbors, Index max_clusters, Index min_cluster_size,
                                   std::size_t memory_bytes, const KMeansOptions& kmeans, GraphArg graph) {
    TypiClustOptions o;
    o.graph = graph_of(graph, "typiclust");
    o.labeled = indices(labeled, "typiclust", "labeled");
    o.neighbors = neighbors;
    o.max_clusters = max_clusters;
    o.min_cluster_size = min_cluster_size;
    o.memory_bytes = memory_bytes;
    o.kmeans = kmeans;
    return o;
}

}  // namespace

void bind_clustering(py::module_& m) {
    m.def(
        "kmeans",
        [](ArrayArg X, Index k, Index max_iterations, double tolerance, std::uint64_t seed, Index restarts,
           ChecksArg checks) {
            const KMeansOptions o = kmeans_options(max_iterations, tolerance, seed, restarts, checks);
            return with_matrix(X, "kmeans", "X", [&](const auto& x) {
                auto r = released([&] { return acquire::kmeans(x, k, o); });
                py::dict f;
                f["centers"] = to_numpy(std::move(r.centers));
                f["assignment"] = to_numpy(std::move(r.assignment));
                f["inertia"] = r.inertia;
                f["iterations"] = r.iterations;
                return namespace_of(f);
            });
        },
        py::arg("X"), py::arg("k"), py::arg("max_iterations") = KMeansOptions{}.max_iterations,
        py::arg("tolerance") = KMeansOptions{}.tolerance, py::arg("seed") = KMeansOptions{}.seed,
        py::arg("restarts") = KMeansOptions{}.restarts, py::arg("checks") = true,
        (std::string(doc::kmeans) + "\n\nReturns a namespace: centers (k x d), assignment (int64), inertia, iterations.")
            .c_str());

    m.def(
        "cluster_select",
        [](ArrayArg X, ArrayArg scores, Index b, Index beta, IndexArg labeled, const KMeansOptions& kmeans) {
            ClusterSelectOptions o;
            o.beta = beta;
            o.labeled = indices(labeled, "cluster_select", "labeled");
            o.kmeans = kmeans;
            return with_matrix(X, "cluster_select", "X", [&](const auto& x) {
                py::array keep;
                const auto s = vector_as<scalar_of<decltype(x)>>(scores, keep, "cluster_select", "scores");
                return py::cast(released([&] { return acquire::cluster_select(x, s, b, o); }));
            });
        },
        py::arg("X"), py::arg("scores"), py::arg("b"), py::arg("beta") = 10, py::arg("labeled") = py::none(),
        py::arg("kmeans") = KMeansOptions(), doc::cluster_select);

    m.def(
        "typicality",
        [](ArrayArg X, Index k, std::size_t memory_bytes) {
            return with_matrix(X, "typicality", "X", [&](const auto& x) {
                return py::object(to_numpy(released([&] { return acquire::typicality(x, k, memory_bytes); })));
            });
        },
        py::arg("X"), py::arg("k"), py::arg("memory_bytes") = std::size_t(32) << 20, doc::typicality);

    m.def(
        "typiclust",
        [](ArrayArg X, Index b, IndexArg labeled, Index neighbors, Index max_clusters, Index min_cluster_size,
           std::size_t memory_bytes, const KMeansOptions& kmeans, GraphArg graph) {
            const auto o =
                typiclust_options(labeled, neighbors, max_clusters, min_cluster_size, memory_bytes, kmeans, graph);
            return with_matrix(X, "typiclust", "X", [&](const auto& x) {
                return py::cast(released([&] { return acquire::typiclust(x, b, o); }));
            });
        },
        py::arg("X"), py::arg("b"), py::arg("labeled") = py::none(), py::arg("neighbors") = 20,
        py::arg("max_clusters") = 500, py::arg("min_cluster_size") = 5, py::arg("memory_bytes") = std::size_t(32) << 20,
        py::arg("kmeans") = KMeansOptions(), py::arg("graph") = py::none(), doc::typiclust);
    m.def(
        "typiclust",
        [](ArrayArg X, IndexArg assignment, Index b, IndexArg labeled, Index neighbors, Index max_clusters,
           Index min_cluster_size, std::size_t memory_bytes, const KMeansOptions& kmeans, GraphArg graph) {
            const auto o =
                typiclust_options(labeled, neighbors, max_clusters, min_cluster_size, memory_bytes, kmeans, graph);
            const std::vector<Index> a = indices(assignment, "typiclust", "assignment");
            return with_matrix(X, "typiclust", "X", [&](const auto& x) {
                return py::cast(released([&] { return acquire::typiclust(x, a, b, o); }));
            });
        },
        py::arg("X"), py::arg("assignment"), py::arg("b"), py::arg("labeled") = py::none(), py::arg("neighbors") = 20,
        py::arg("max_clusters") = 500, py::arg("min_cluster_size") = 5, py::arg("memory_bytes") = std::size_t(32) << 20,
        py::arg("kmeans") = KMeansOptions(), py::arg("graph") = py::none(), "typiclust with a clustering given (assignment[i] = cluster of row i).");

    m.def(
        "agglomerative_clustering",
        [](ArrayArg X, double threshold, std::size_t memory_bytes, std::size_t tile_bytes, bool naive,
           ChecksArg checks) {
            AgglomerativeOptions o;
            o.memory_bytes = memory_bytes;
            o.tile_bytes = tile_bytes;
            o.naive = naive;
            o.checks = checks_of(checks);
            return with_matrix(X, "agglomerative_clustering", "X", [&](const auto& x) {
                auto r = released([&] { return acquire::agglomerative_clustering(x, threshold, o); });
                py::dict f;
                f["assignment"] = to_numpy(std::move(r.assignment));
                f["clusters"] = r.clusters;
                return namespace_of(f);
            });
        },
        py::arg("X"), py::arg("threshold"), py::arg("memory_bytes") = std::size_t(1) << 30,
        py::arg("tile_bytes") = std::size_t(32) << 20, py::arg("naive") = false, py::arg("checks") = true,
        (std::string(doc::agglomerative_clustering) + "\n\nReturns a namespace: assignment (int64), clusters.").c_str());
}

}  // namespace acquire::python
