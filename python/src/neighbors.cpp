// Neighbour graphs: core/neighbor_graph.hpp (NeighborGraph, the exact knn_graph) and, when the
// module was built with hnswlib's headers, acquire/hnsw.hpp as the submodule acquire_al.hnsw.
// A graph's arrays are NumPy views over the C++ vectors (read-only; the graph stays alive
// while a view does); a graph built from the user's arrays copies them once into its vectors.
#include "common.hpp"
#include "docstrings.hpp"

#ifdef ACQUIRE_PY_HNSW
#include "acquire/hnsw.hpp"
#endif

#include <string>

namespace acquire::python {

namespace {

/// A read-only NumPy view of a graph's vector, keeping the graph (`owner`) alive.
template <class T>
py::array view_of(const std::vector<T>& v, py::handle owner) {
    py::array a = py::array_t<T>(static_cast<py::ssize_t>(v.size()), v.data(), owner);
    a.attr("setflags")(py::arg("write") = false);
    return a;
}

/// Distances as doubles (float32 or float64 arrays, or any sequence of numbers): a copy.
std::vector<double> distances_of(py::handle obj) {
    if (py::isinstance<py::array>(obj) || is_torch_tensor(obj)) {
        const py::array a = as_array(obj, "NeighborGraph", "distances");
        float_dtype(a, "NeighborGraph", "distances");
        check_ndim(a, 1, "NeighborGraph", "distances");
        const auto as64 = py::array_t<double, py::array::forcecast>::ensure(a);
        return std::vector<double>(as64.data(), as64.data() + as64.size());
    }
    if (py::isinstance<py::str>(obj) || !py::isinstance<py::sequence>(obj))
        type_error("acquire.NeighborGraph: distances must be a float array or a sequence of numbers");
    return obj.cast<std::vector<double>>();
}

/// A graph from its three arrays (copied), as the constructor and unpickling read them.
NeighborGraph graph_from(py::handle offsets, py::handle indices_, py::handle distances) {
    NeighborGraph g;
    g.offsets = indices(offsets, "NeighborGraph", "offsets");
    g.indices = indices(indices_, "NeighborGraph", "indices");
    g.distances = distances_of(distances);
    return g;
}

#ifdef ACQUIRE_PY_HNSW
hnsw::Options hnsw_options(Index M, Index ef_construction, Index ef_search, std::uint64_t seed, bool deterministic,
                           Index shards, bool cosine, ChecksArg checks, Index refine = 0) {
    hnsw::Options o;
    o.M = M;
    o.ef_construction = ef_construction;
    o.ef_search = ef_search;
    o.seed = seed;
    o.deterministic = deterministic;
    o.shards = shards;
    o.cosine = cosine;
    o.refine = refine;
    o.checks = checks_of(checks);
    return o;
}
#endif

}  // namespace

void bind_neighbors(py::module_& m) {
    py::class_<NeighborGraph>(m, "NeighborGraph", doc::NeighborGraph)
        .def(py::init([](IndexArg offsets, IndexArg indices_, py::handle distances) {
                 return graph_from(offsets, indices_, distances);
             }),
             py::arg("offsets"), py::arg("indices"), py::arg("distances"),
             "A graph from its compressed rows (copied; checked by each function that reads it): offsets of "
             "length N + 1, the neighbours' rows and their squared Euclidean distances, ascending per row. "
             "What any neighbour library's output becomes, e.g. faiss's I and D of shape N x k: "
             "NeighborGraph(np.arange(0, N * k + 1, k), I.ravel(), D.ravel()).")
        .def_property_readonly(
            "offsets", [](py::object self) { return view_of(self.cast<const NeighborGraph&>().offsets, self); },
            "N + 1 offsets (int64, read-only view): row i's neighbours are at [offsets[i], offsets[i + 1]).")
        .def_property_readonly(
            "indices", [](py::object self) { return view_of(self.cast<const NeighborGraph&>().indices, self); },
            "The neighbours' rows, nearest first within each row (int64, read-only view).")
        .def_property_readonly(
            "distances", [](py::object self) { return view_of(self.cast<const NeighborGraph&>().distances, self); },
            "Their squared Euclidean distances, ascending within each row (float64, read-only view).")
        .def_property_readonly("rows", &NeighborGraph::rows, "N, the query rows.")
        .def(
            "degree",
            [](const NeighborGraph& g, Index i) {
                if (i < 0 || i >= g.rows())
                    throw py::index_error("acquire.NeighborGraph.degree: row " + std::to_string(i) + " outside [0, " +
                                          std::to_string(g.rows()) + ")");
                return g.degree(i);
            },
            py::arg("i"), "How many neighbours row i lists.")
        .def(
            "neighbors",
            [](py::object self, Index i) {
                const auto& g = self.cast<const NeighborGraph&>();
                if (i < 0 || i >= g.rows())
                    throw py::index_error("acquire.NeighborGraph.neighbors: row " + std::to_string(i) +
                                          " outside [0, " + std::to_string(g.rows()) + ")");
                const auto first = static_cast<py::ssize_t>(g.offsets[static_cast<std::size_t>(i)]);
                const auto last = static_cast<py::ssize_t>(g.offsets[static_cast<std::size_t>(i) + 1]);
                const py::slice s(first, last, 1);
                return py::make_tuple(view_of(g.indices, self)[s], view_of(g.distances, self)[s]);
            },
            py::arg("i"), "(indices, distances) of row i's neighbours: read-only views, nearest first.")
        .def("__repr__",
             [](const NeighborGraph& g) {
                 return "NeighborGraph(rows=" + std::to_string(g.rows()) +
                        ", edges=" + std::to_string(g.indices.size()) + ")";
             })
        .def(py::pickle(
            [](py::object self) {
                const auto& g = self.cast<const NeighborGraph&>();
                return py::make_tuple(view_of(g.offsets, self).attr("copy")(), view_of(g.indices, self).attr("copy")(),
                                      view_of(g.distances, self).attr("copy")());
            },
            [](const py::tuple& t) {
                if (t.size() != 3) throw std::runtime_error("acquire.NeighborGraph: bad pickled state");
                return graph_from(t[0], t[1], t[2]);
            }));

    m.def(
        "knn_graph",
        [](ArrayArg X, Index k, std::size_t memory_bytes, ChecksArg checks) {
            KnnOptions o;
            o.memory_bytes = memory_bytes;
            o.checks = checks_of(checks);
            return with_matrix(X, "knn_graph", "X", [&](const auto& x) {
                return py::cast(released([&] { return acquire::knn_graph(x, k, o); }));
            });
        },
        py::arg("X"), py::arg("k"), py::arg("memory_bytes") = std::size_t(32) << 20, py::arg("checks") = true,
        doc::knn_graph);

    py::module_ h = m.def_submodule(
        "hnsw",
        "Approximate neighbour graphs from HNSW (hnswlib), for pools where the exact knn_graph is too slow.\n\n"
        "    g = acquire_al.hnsw.knn_graph(X, 20, cosine=True)\n"
        "    picks = acquire_al.facility_location(X, None, 1000, neighbors=20, graph=g)\n\n"
        "`available` says whether this build has it (hnswlib's headers found at build time: "
        "Debian's libhnswlib-dev).");
#ifdef ACQUIRE_PY_HNSW
    h.attr("available") = true;
    h.def(
        "knn_graph",
        [](ArrayArg query, ArrayArg reference, Index k, Index M, Index ef_construction, Index ef_search,
           std::uint64_t seed, bool deterministic, Index shards, bool cosine, ChecksArg checks) {
            const auto o = hnsw_options(M, ef_construction, ef_search, seed, deterministic, shards, cosine, checks);
            return with_matrix(query, "hnsw::knn_graph", "query", [&](const auto& q) {
                py::array keep;
                const auto r = matrix_as<typename std::decay_t<decltype(q)>::Scalar>(reference, keep, "hnsw::knn_graph",
                                                                                      "reference");
                return py::cast(released([&] { return acquire::hnsw::knn_graph(q, r, k, o); }));
            });
        },
        py::arg("query"), py::arg("reference"), py::arg("k"), py::arg("M") = 16, py::arg("ef_construction") = 100,
        py::arg("ef_search") = 0, py::arg("seed") = 100, py::arg("deterministic") = true, py::arg("shards") = 0,
        py::arg("cosine") = false, py::arg("checks") = true,
        "knn_graph(query, reference, k, ...): the approximate k nearest rows of `reference` to each row of "
        "`query` (the pool-to-labeled graph contrastive_score reads); same method, options and guarantees "
        "as knn_graph(X, k) below, k capped at the reference rows.");
    h.def(
        "knn_graph",
        [](ArrayArg X, Index k, Index M, Index ef_construction, Index ef_search, std::uint64_t seed,
           bool deterministic, Index shards, bool cosine, ChecksArg checks, Index refine) {
            const auto o =
                hnsw_options(M, ef_construction, ef_search, seed, deterministic, shards, cosine, checks, refine);
            return with_matrix(X, "hnsw::knn_graph", "X", [&](const auto& x) {
                return py::cast(released([&] { return acquire::hnsw::knn_graph(x, k, o); }));
            });
        },
        py::arg("X"), py::arg("k"), py::arg("M") = 16, py::arg("ef_construction") = 100, py::arg("ef_search") = 0,
        py::arg("seed") = 100, py::arg("deterministic") = true, py::arg("shards") = 0, py::arg("cosine") = false,
        py::arg("checks") = true, py::arg("refine") = 0,
        (std::string(doc::hnsw__knn_graph) + "\n\nOptions (acquire::hnsw::Options): " + doc::hnsw__Options +
         "\nM: " + doc::hnsw__Options__M + "\nef_construction: " + doc::hnsw__Options__ef_construction +
         "\nef_search: " + doc::hnsw__Options__ef_search + "\nseed: " + doc::hnsw__Options__seed +
         "\ndeterministic: " + doc::hnsw__Options__deterministic + "\nshards: " + doc::hnsw__Options__shards +
         "\ncosine: " + doc::hnsw__Options__cosine + "\nrefine: " + doc::hnsw__Options__refine)
            .c_str());
#else
    h.attr("available") = false;
    h.def(
        "knn_graph",
        [](const py::args&, const py::kwargs&) -> py::object {
            throw py::import_error(
                "acquire_al was built without hnswlib: install its headers (apt-get install libhnswlib-dev) and "
                "rebuild the module (pip install --no-build-isolation .)");
        },
        "Unavailable: this build of acquire_al found no hnswlib headers.");
#endif
}

}  // namespace acquire::python
