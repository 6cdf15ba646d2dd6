// The selectors on embeddings: select/k_center.hpp, kmeans_pp.hpp, badge.hpp,
// facility_location.hpp and probcover.hpp. X is read in place (C order, Fortran order or
// strided); BADGE's probabilities share the embeddings' dtype.
#include "common.hpp"
#include "docstrings.hpp"

#include "acquire/select/badge.hpp"
#include "acquire/select/facility_location.hpp"
#include "acquire/select/k_center.hpp"
#include "acquire/select/kmeans_pp.hpp"
#include "acquire/select/probcover.hpp"

namespace acquire::python {

namespace {

template <class M>
using scalar_of = typename std::decay_t<M>::Scalar;

Metric metric_of(const std::string& name) {
    if (name == "euclidean") return Metric::euclidean;
    if (name == "cosine") return Metric::cosine;
    throw invalid_input("acquire::k_center_greedy: metric must be \"euclidean\" or \"cosine\", got \"" + name + "\"");
}

FacilityLocationOptions facility_options(bool lazy, bool stochastic, double epsilon, std::uint64_t seed,
                                         std::size_t memory_bytes, Index neighbors, GraphArg graph, ChecksArg checks,
                                         const char* function) {
    FacilityLocationOptions o;
    o.lazy = lazy;
    o.stochastic = stochastic;
    o.epsilon = epsilon;
    o.seed = seed;
    o.memory_bytes = memory_bytes;
    o.neighbors = neighbors;
    o.graph = graph_of(graph, function);
    o.checks = checks_of(checks);
    return o;
}

}  // namespace

void bind_geometric(py::module_& m) {
    m.def(
        "k_center_greedy",
        [](ArrayArg X, IndexArg labeled, Index b, const std::string& metric, Index first, std::uint64_t seed,
           bool prune, ChecksArg checks) {
            KCenterOptions o;
            o.metric = metric_of(metric);
            o.first = first;
            o.seed = seed;
            o.prune = prune;
            o.checks = checks_of(checks);
            const std::vector<Index> l = indices(labeled, "k_center_greedy", "labeled");
            return with_matrix(X, "k_center_greedy", "X", [&](const auto& x) {
                return py::cast(released([&] { return acquire::k_center_greedy(x, l, b, o); }));
            });
        },
        py::arg("X"), py::arg("labeled"), py::arg("b"), py::arg("metric") = "euclidean", py::arg("first") = -1,
        py::arg("seed") = 0, py::arg("prune") = true, py::arg("checks") = true, doc::k_center_greedy);

    m.def(
        "kmeans_pp",
        [](ArrayArg X, Index b, IndexArg initial, Index first, std::uint64_t seed, bool prune, ChecksArg checks) {
            KMeansPPOptions o;
            o.initial = indices(initial, "kmeans_pp", "initial");
            o.first = first;
            o.seed = seed;
            o.prune = prune;
            o.checks = checks_of(checks);
            return with_matrix(X, "kmeans_pp", "X", [&](const auto& x) {
                return py::cast(released([&] { return acquire::kmeans_pp(x, b, o); }));
            });
        },
        py::arg("X"), py::arg("b"), py::arg("initial") = py::none(), py::arg("first") = -1, py::arg("seed") = 0,
        py::arg("prune") = true, py::arg("checks") = true, doc::kmeans_pp);

    m.def(
        "gradient_embedding",
        [](ArrayArg P, ArrayArg H, ChecksArg checks) {
            const CheckOptions c = checks_of(checks);
            return with_matrix(H, "gradient_embedding", "H", [&](const auto& h) {
                py::array keep;
                const auto p = matrix_as<scalar_of<decltype(h)>>(P, keep, "gradient_embedding", "P");
                return py::object(to_numpy(released([&] { return acquire::gradient_embedding(p, h, c); })));
            });
        },
        py::arg("P"), py::arg("H"), py::arg("checks") = true, doc::gradient_embedding);

    m.def(
        "badge",
        [](ArrayArg P, ArrayArg H, IndexArg labeled, Index b, std::uint64_t seed, bool prune, ChecksArg checks) {
            BadgeOptions o;
            o.seed = seed;
            o.prune = prune;
            o.checks = checks_of(checks);
            const std::vector<Index> l = indices(labeled, "badge", "labeled");
            return with_matrix(H, "badge", "H", [&](const auto& h) {
                py::array keep;
                const auto p = matrix_as<scalar_of<decltype(h)>>(P, keep, "badge", "P");
                return py::cast(released([&] { return acquire::badge(p, h, l, b, o); }));
            });
        },
        py::arg("P"), py::arg("H"), py::arg("labeled"), py::arg("b"), py::arg("seed") = 0, py::arg("prune") = true,
        py::arg("checks") = true, doc::badge);

    m.def(
        "facility_location",
        [](ArrayArg X, IndexArg candidates, Index b, bool lazy, bool stochastic, double epsilon, std::uint64_t seed,
           std::size_t memory_bytes, Index neighbors, GraphArg graph, ChecksArg checks) {
            const auto o = facility_options(lazy, stochastic, epsilon, seed, memory_bytes, neighbors, graph, checks,
                                            "facility_location");
            const std::vector<Index> c = indices(candidates, "facility_location", "candidates");
            return with_matrix(X, "facility_location", "X", [&](const auto& x) {
                return py::cast(released([&] { return acquire::facility_location(x, c, b, o); }));
            });
        },
        py::arg("X"), py::arg("candidates"), py::arg("b"), py::arg("lazy") = true, py::arg("stochastic") = false,
        py::arg("epsilon") = 0.01, py::arg("seed") = 0, py::arg("memory_bytes") = std::size_t(1) << 30,
        py::arg("neighbors") = 0, py::arg("graph") = py::none(), py::arg("checks") = true, doc::facility_location);

    m.def(
        "max_coverage",
        [](ArrayArg X, double radius, Index b, IndexArg candidates, bool lazy, bool stochastic, double epsilon,
           std::uint64_t seed, std::size_t memory_bytes, Index neighbors, GraphArg graph, ChecksArg checks) {
            const auto o = facility_options(lazy, stochastic, epsilon, seed, memory_bytes, neighbors, graph, checks,
                                            "max_coverage");
            const std::vector<Index> c = indices(candidates, "max_coverage", "candidates");
            return with_matrix(X, "max_coverage", "X", [&](const auto& x) {
                return py::cast(released([&] { return acquire::max_coverage(x, radius, b, c, o); }));
            });
        },
        py::arg("X"), py::arg("radius"), py::arg("b"), py::arg("candidates") = py::none(), py::arg("lazy") = true,
        py::arg("stochastic") = false, py::arg("epsilon") = 0.01, py::arg("seed") = 0,
        py::arg("memory_bytes") = std::size_t(1) << 30, py::arg("neighbors") = 0, py::arg("graph") = py::none(),
        py::arg("checks") = true, doc::max_coverage);

    m.def(
        "probcover",
        [](ArrayArg X, double delta, Index b, IndexArg labeled, std::size_t memory_bytes, std::size_t tile_bytes,
           GraphArg graph, ChecksArg checks) {
            ProbCoverOptions o;
            o.graph = graph_of(graph, "probcover");
            o.labeled = indices(labeled, "probcover", "labeled");
            o.memory_bytes = memory_bytes;
            o.tile_bytes = tile_bytes;
            o.checks = checks_of(checks);
            return with_matrix(X, "probcover", "X", [&](const auto& x) {
                return py::cast(released([&] { return acquire::probcover(x, delta, b, o); }));
            });
        },
        py::arg("X"), py::arg("delta"), py::arg("b"), py::arg("labeled") = py::none(),
        py::arg("memory_bytes") = std::size_t(1) << 30, py::arg("tile_bytes") = std::size_t(32) << 20,
        py::arg("graph") = py::none(), py::arg("checks") = true, doc::probcover);

    auto delta_options = [](double alpha, std::size_t tile_bytes, const KMeansOptions& kmeans, GraphArg graph) {
        ProbCoverDeltaOptions o;
        o.graph = graph_of(graph, "probcover_delta");
        o.alpha = alpha;
        o.tile_bytes = tile_bytes;
        o.kmeans = kmeans;
        return o;
    };
    m.def(
        "probcover_delta",
        [delta_options](ArrayArg X, Index clusters, double alpha, std::size_t tile_bytes, const KMeansOptions& kmeans,
                          GraphArg graph) {
            const auto o = delta_options(alpha, tile_bytes, kmeans, graph);
            return with_matrix(X, "probcover_delta", "X", [&](const auto& x) {
                return py::cast(released([&] { return acquire::probcover_delta(x, clusters, o); }));
            });
        },
        py::arg("X"), py::arg("clusters"), py::arg("alpha") = 0.95, py::arg("tile_bytes") = std::size_t(32) << 20,
        py::arg("kmeans") = KMeansOptions(), py::arg("graph") = py::none(), doc::probcover_delta);
    m.def(
        "probcover_delta",
        [delta_options](ArrayArg X, IndexArg labels, double alpha, std::size_t tile_bytes, const KMeansOptions& kmeans,
                          GraphArg graph) {
            const auto o = delta_options(alpha, tile_bytes, kmeans, graph);
            const std::vector<Index> l = indices(labels, "probcover_delta", "labels");
            return with_matrix(X, "probcover_delta", "X", [&](const auto& x) {
                return py::cast(released([&] { return acquire::probcover_delta(x, l, o); }));
            });
        },
        py::arg("X"), py::arg("labels"), py::arg("alpha") = 0.95, py::arg("tile_bytes") = std::size_t(32) << 20,
        py::arg("kmeans") = KMeansOptions(), py::arg("graph") = py::none(), "probcover_delta with the points' labels given (one per row of X).");
}

}  // namespace acquire::python
