// select/batch_bald.hpp: BatchBALD on a prediction stack.
#include "common.hpp"
#include "docstrings.hpp"

#include "acquire/select/batch_bald.hpp"

namespace acquire::python {

void bind_batch_bald(py::module_& m) {
    m.def(
        "batch_bald",
        [](ArrayArg stack, Index b, const std::string& layout, IndexArg labeled, Index max_configurations,
           Index samples, std::uint64_t seed, bool lazy, ChecksArg checks) {
            BatchBaldOptions o;
            o.labeled = indices(labeled, "batch_bald", "labeled");
            o.max_configurations = max_configurations;
            o.samples = samples;
            o.seed = seed;
            o.lazy = lazy;
            o.checks = checks_of(checks);
            return with_stack(stack, layout, "batch_bald", "stack", [&](const auto& s) {
                return py::cast(released([&] { return acquire::batch_bald(s, b, o); }));
            });
        },
        py::arg("stack"), py::arg("b"), py::arg("layout") = "tnk", py::arg("labeled") = py::none(),
        py::arg("max_configurations") = 4096, py::arg("samples") = 1000, py::arg("seed") = 0, py::arg("lazy") = true,
        py::arg("checks") = true, doc::batch_bald);
}

}  // namespace acquire::python
