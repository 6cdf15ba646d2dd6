// core/: CheckOptions, Selection, top_k and TopK, the logits marker; and the options structs
// that several families nest (KMeansOptions), registered first so defaults can use them.
#include "common.hpp"
#include "docstrings.hpp"

#include "acquire/core/top_k.hpp"

namespace acquire::python {

void bind_core(py::module_& m) {
    py::class_<CheckOptions>(m, "CheckOptions", doc::CheckOptions)
        .def(py::init([](bool values, double tolerance) {
                 CheckOptions c;
                 c.values = values;
                 c.tolerance = tolerance;
                 return c;
             }),
             py::arg("values") = true, py::arg("tolerance") = 1e-3)
        .def_readwrite("values", &CheckOptions::values)
        .def_readwrite("tolerance", &CheckOptions::tolerance)
        .def("__repr__", [](const CheckOptions& c) {
            return "CheckOptions(values=" + std::string(c.values ? "True" : "False") +
                   ", tolerance=" + std::string(py::str(py::float_(c.tolerance))) + ")";
        });

    py::class_<KMeansOptions>(m, "KMeansOptions", doc::KMeansOptions)
        .def(py::init([](Index max_iterations, double tolerance, std::uint64_t seed, Index restarts,
                         ChecksArg checks) { return kmeans_options(max_iterations, tolerance, seed, restarts, checks); }),
             py::arg("max_iterations") = KMeansOptions{}.max_iterations,
             py::arg("tolerance") = KMeansOptions{}.tolerance, py::arg("seed") = KMeansOptions{}.seed,
             py::arg("restarts") = KMeansOptions{}.restarts, py::arg("checks") = true)
        .def_readwrite("max_iterations", &KMeansOptions::max_iterations)
        .def_readwrite("tolerance", &KMeansOptions::tolerance)
        .def_readwrite("seed", &KMeansOptions::seed)
        .def_readwrite("restarts", &KMeansOptions::restarts)
        .def_readwrite("checks", &KMeansOptions::checks);

    py::class_<Selection>(m, "Selection", doc::Selection)
        .def(py::init<>())
        .def_property_readonly("indices", [](const Selection& s) { return to_numpy(std::vector<Index>(s.indices)); },
                               "The picked pool indices, in pick order (int64).")
        .def_property_readonly("objective",
                               [](const Selection& s) { return to_numpy(std::vector<double>(s.objective)); },
                               "The selector's objective after each pick (float64).")
        .def("__len__", &Selection::size)
        .def("__repr__", [](const Selection& s) {
            return "Selection(" + std::string(py::str(py::cast(s.indices))) + ")";
        });

    py::class_<LogitsMarker>(m, "Logits", doc::Logits).def_readonly("matrix", &LogitsMarker::matrix);
    m.def("logits", [](py::object L) { return LogitsMarker{std::move(L)}; }, py::arg("matrix"), doc::Logits);

    m.def(
        "top_k",
        [](ArrayArg scores, Index k, IndexArg exclude) {
            const std::vector<Index> skip = indices(exclude, "top_k", "exclude");
            return with_vector(scores, "top_k", "scores", [&](const auto& s) -> py::object {
                return to_numpy(released([&] { return acquire::top_k(s, k, skip); }));
            });
        },
        py::arg("scores"), py::arg("k"), py::arg("exclude") = py::none(), doc::top_k);

    using TopKd = TopK<double>;
    py::class_<TopKd>(m, "TopK", doc::TopK)
        .def(py::init<Index>(), py::arg("k"), doc::TopK__TopK)
        .def_property_readonly("k", &TopKd::k)
        .def("__len__", &TopKd::size)
        .def(
            "push",
            [](TopKd& t, ArrayArg scores, Index offset) {
                with_vector(scores, "TopK::push", "scores", [&](const auto& s) -> py::object {
                    released([&] {
                        t.push(s, offset);
                        return 0;
                    });
                    return py::none();
                });
            },
            py::arg("scores"), py::arg("offset") = 0, doc::TopK__push)
        .def("push_one", [](TopKd& t, Index index, double score) { t.push(index, score); }, py::arg("index"),
             py::arg("score"), "Offers one sample.")
        .def("merge", &TopKd::merge, py::arg("other"), doc::TopK__merge)
        .def("indices", [](const TopKd& t) { return to_numpy(t.indices()); }, doc::TopK__indices)
        .def("sorted", &TopKd::sorted, doc::TopK__sorted);
}

}  // namespace acquire::python
