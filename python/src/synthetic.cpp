// synthetic.hpp: the seeded synthetic pools of the benchmarks and tests, as acquire_al.synthetic.
#include "common.hpp"
#include "docstrings.hpp"

#include "acquire/synthetic.hpp"

namespace acquire::python {

void bind_synthetic(py::module_& top) {
    static const std::string stack_doc =
        "A [T][N][K] array of T predictions (synthetic::stack_buffer).\n\n" + std::string(doc::synthetic__stack_buffer);
    py::module_ m = top.def_submodule("synthetic", "Seeded synthetic pools (the same data on every platform).");
    m.def(
        "logits",
        [](Index n, Index k, double sharpness, double tie_fraction, std::uint64_t seed, py::object dtype) {
            synthetic::ProbabilityOptions o;
            o.sharpness = sharpness;
            o.tie_fraction = tie_fraction;
            o.seed = seed;
            if (dtype_of(dtype, "synthetic.logits") == Dtype::f32)
                return to_numpy(released([&] { return synthetic::logits<float>(n, k, o); }));
            return to_numpy(released([&] { return synthetic::logits<double>(n, k, o); }));
        },
        py::arg("n"), py::arg("k"), py::arg("sharpness") = 3.0, py::arg("tie_fraction") = 0.0, py::arg("seed") = 1,
        py::arg("dtype") = "float32", doc::synthetic__logits);
    m.def(
        "probabilities",
        [](Index n, Index k, double sharpness, double tie_fraction, std::uint64_t seed, py::object dtype) {
            synthetic::ProbabilityOptions o;
            o.sharpness = sharpness;
            o.tie_fraction = tie_fraction;
            o.seed = seed;
            if (dtype_of(dtype, "synthetic.probabilities") == Dtype::f32)
                return to_numpy(released([&] { return synthetic::probabilities<float>(n, k, o); }));
            return to_numpy(released([&] { return synthetic::probabilities<double>(n, k, o); }));
        },
        py::arg("n"), py::arg("k"), py::arg("sharpness") = 3.0, py::arg("tie_fraction") = 0.0, py::arg("seed") = 1,
        py::arg("dtype") = "float32", doc::synthetic__probabilities);
    m.def(
        "stack",
        [](Index t, Index n, Index k, double sharpness, double disagreement, std::uint64_t seed, py::object dtype) {
            synthetic::StackOptions o;
            o.sharpness = sharpness;
            o.disagreement = disagreement;
            o.seed = seed;
            auto shaped = [&](py::array flat) { return flat.attr("reshape")(t, n, k); };
            if (dtype_of(dtype, "synthetic.stack") == Dtype::f32)
                return shaped(to_numpy(released([&] { return synthetic::stack_buffer<float>(t, n, k, o); })));
            return shaped(to_numpy(released([&] { return synthetic::stack_buffer<double>(t, n, k, o); })));
        },
        py::arg("t"), py::arg("n"), py::arg("k"), py::arg("sharpness") = 3.0, py::arg("disagreement") = 1.0,
        py::arg("seed") = 1, py::arg("dtype") = "float32",
        stack_doc.c_str());
    m.def(
        "embeddings",
        [](Index n, Index d, Index clusters, double spread, std::uint64_t seed, py::object dtype) {
            synthetic::EmbeddingOptions o;
            o.clusters = clusters;
            o.spread = spread;
            o.seed = seed;
            if (dtype_of(dtype, "synthetic.embeddings") == Dtype::f32)
                return to_numpy(released([&] { return synthetic::embeddings<float>(n, d, o); }));
            return to_numpy(released([&] { return synthetic::embeddings<double>(n, d, o); }));
        },
        py::arg("n"), py::arg("d"), py::arg("clusters") = 32, py::arg("spread") = 0.3, py::arg("seed") = 1,
        py::arg("dtype") = "float32", doc::synthetic__embeddings);
}

}  // namespace acquire::python
