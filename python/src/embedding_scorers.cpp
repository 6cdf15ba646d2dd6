// The scorers that read more than one model output: score/density.hpp, gradient.hpp,
// contrastive.hpp and loss_prediction.hpp, and core/knn.hpp's exact neighbour search.
#include "common.hpp"
#include "docstrings.hpp"

#include "acquire/core/knn.hpp"
#include "acquire/score/contrastive.hpp"
#include "acquire/score/density.hpp"
#include "acquire/score/gradient.hpp"
#include "acquire/score/loss_prediction.hpp"

namespace acquire::python {

namespace {

template <class M>
using scalar_of = typename std::decay_t<M>::Scalar;

}  // namespace

void bind_embedding_scorers(py::module_& m) {
    m.def(
        "information_density",
        [](ArrayArg X, ArrayArg scores, double beta, ChecksArg checks) {
            const CheckOptions c = checks_of(checks);
            return with_matrix(X, "information_density", "X", [&](const auto& x) {
                py::array keep;
                const auto s = vector_as<scalar_of<decltype(x)>>(scores, keep, "information_density", "scores");
                return py::object(to_numpy(released([&] { return acquire::information_density(x, s, beta, c); })));
            });
        },
        py::arg("X"), py::arg("scores"), py::arg("beta"), py::arg("checks") = true, doc::information_density);

    m.def(
        "egl",
        [](ArrayArg P, ArrayArg H, bool bias, ChecksArg checks) {
            EglOptions o;
            o.bias = bias;
            o.checks = checks_of(checks);
            return with_matrix(H, "egl", "H", [&](const auto& h) {
                py::array keep;
                const auto p = matrix_as<scalar_of<decltype(h)>>(P, keep, "egl", "P");
                return py::object(to_numpy(released([&] { return acquire::egl(p, h, o); })));
            });
        },
        py::arg("P"), py::arg("H"), py::arg("bias") = true, py::arg("checks") = true, doc::egl);
    m.def(
        "egl_from_norms",
        [](ArrayArg P, ArrayArg G, ChecksArg checks) {
            const CheckOptions c = checks_of(checks);
            return with_matrix(P, "egl_from_norms", "P", [&](const auto& p) {
                py::array keep;
                const auto g = matrix_as<scalar_of<decltype(p)>>(G, keep, "egl_from_norms", "G");
                return py::object(to_numpy(released([&] { return acquire::egl_from_norms(p, g, c); })));
            });
        },
        py::arg("P"), py::arg("G"), py::arg("checks") = true, doc::egl_from_norms);

    m.def(
        "nearest_neighbors",
        [](ArrayArg query, ArrayArg reference, Index k, std::size_t memory_bytes, ChecksArg checks) {
            KnnOptions o;
            o.memory_bytes = memory_bytes;
            o.checks = checks_of(checks);
            return with_matrix(query, "nearest_neighbors", "query", [&](const auto& q) {
                py::array keep;
                const auto r = matrix_as<scalar_of<decltype(q)>>(reference, keep, "nearest_neighbors", "reference");
                auto n = released([&] { return acquire::nearest_neighbors(q, r, k, o); });
                return py::object(py::make_tuple(to_numpy(std::move(n.indices)), to_numpy(std::move(n.distances))));
            });
        },
        py::arg("query"), py::arg("reference"), py::arg("k"), py::arg("memory_bytes") = std::size_t(32) << 20,
        py::arg("checks") = true,
        (std::string(doc::nearest_neighbors) +
         "\n\nReturns (indices, distances): N x k int64 indices and N x k squared distances.")
            .c_str());

    m.def(
        "contrastive_score",
        [](ArrayArg P_pool, ArrayArg P_labeled, const NeighborGraph& graph, double epsilon, ChecksArg checks) {
            ContrastiveOptions o;
            o.epsilon = epsilon;
            o.checks = checks_of(checks);
            return with_matrix(P_pool, "contrastive_score", "P_pool", [&](const auto& pp) {
                py::array keep;
                const auto pl = matrix_as<scalar_of<decltype(pp)>>(P_labeled, keep, "contrastive_score", "P_labeled");
                return py::object(to_numpy(released([&] { return acquire::contrastive_score(pp, pl, graph, o); })));
            });
        },
        py::arg("P_pool"), py::arg("P_labeled"), py::arg("graph"), py::arg("epsilon") = 1e-12,
        py::arg("checks") = true,
        "contrastive_score(P_pool, P_labeled, graph): CAL with each pool row's labeled neighbours read from a "
        "pool-to-labeled NeighborGraph (e.g. hnsw.knn_graph(H_pool, H_labeled, k)) instead of an exact search "
        "over the features; every row must list at least one neighbour.");
    m.def(
        "contrastive_score",
        [](ArrayArg P_pool, ArrayArg H_pool, ArrayArg P_labeled, ArrayArg H_labeled, Index k, double epsilon,
           std::size_t memory_bytes, ChecksArg checks) {
            ContrastiveOptions o;
            o.epsilon = epsilon;
            o.memory_bytes = memory_bytes;
            o.checks = checks_of(checks);
            return with_matrix(H_pool, "contrastive_score", "H_pool", [&](const auto& hp) {
                using S = scalar_of<decltype(hp)>;
                py::array k1, k2, k3;
                const auto pp = matrix_as<S>(P_pool, k1, "contrastive_score", "P_pool");
                const auto pl = matrix_as<S>(P_labeled, k2, "contrastive_score", "P_labeled");
                const auto hl = matrix_as<S>(H_labeled, k3, "contrastive_score", "H_labeled");
                return py::object(
                    to_numpy(released([&] { return acquire::contrastive_score(pp, hp, pl, hl, k, o); })));
            });
        },
        py::arg("P_pool"), py::arg("H_pool"), py::arg("P_labeled"), py::arg("H_labeled"), py::arg("k"),
        py::arg("epsilon") = 1e-12, py::arg("memory_bytes") = std::size_t(32) << 20, py::arg("checks") = true,
        doc::contrastive_score);

    m.def(
        "ranking_loss",
        [](ArrayArg predicted, ArrayArg target, double margin) {
            return with_vector(predicted, "ranking_loss", "predicted", [&](const auto& p) {
                py::array keep;
                const auto t = vector_as<scalar_of<decltype(p)>>(target, keep, "ranking_loss", "target");
                auto r = released([&] { return acquire::ranking_loss(p, t, margin); });
                py::dict f;
                f["loss"] = r.loss;
                f["gradient"] = to_numpy(std::move(r.gradient));
                return py::object(py::module_::import("types").attr("SimpleNamespace")(**f));
            });
        },
        py::arg("predicted"), py::arg("target"), py::arg("margin") = 1.0,
        (std::string(doc::ranking_loss) + "\n\nReturns a namespace: loss (float), gradient (array).").c_str());
}

}  // namespace acquire::python
