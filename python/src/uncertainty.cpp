// score/uncertainty.hpp: least confidence, margin, entropy and ratio, on probabilities or on
// acquire_al.logits(L).
#include "common.hpp"
#include "docstrings.hpp"

#include "acquire/score/uncertainty.hpp"

namespace acquire::python {

namespace {

/// Binds one scorer: `score(map, checks)` for probabilities and for logits.
template <class Score>
void scorer(py::module_& m, const char* name, const char* docstring, Score score) {
    m.def(
        name,
        [name, score](ArrayArg input, ChecksArg checks) {
            const CheckOptions c = checks_of(checks);
            const bool from_logits = py::isinstance<LogitsMarker>(input.h);
            const py::object matrix =
                from_logits ? input.h.cast<const LogitsMarker&>().matrix : py::reinterpret_borrow<py::object>(input.h);
            return with_matrix(matrix, name, from_logits ? "logits" : "probabilities", [&](const auto& P) {
                return py::object(to_numpy(released([&] {
                    return from_logits ? score(acquire::logits(P), c) : score(P, c);
                })));
            });
        },
        py::arg("probabilities"), py::arg("checks") = true, docstring);
}

}  // namespace

#define ACQUIRE_UNCERTAINTY_SCORER(name) \
    scorer(m, #name, doc::name, [](const auto& P, const CheckOptions& c) { return acquire::name(P, c); })

void bind_uncertainty(py::module_& m) {
    ACQUIRE_UNCERTAINTY_SCORER(least_confidence);
    ACQUIRE_UNCERTAINTY_SCORER(margin);
    ACQUIRE_UNCERTAINTY_SCORER(entropy);
    ACQUIRE_UNCERTAINTY_SCORER(ratio);
}

}  // namespace acquire::python
