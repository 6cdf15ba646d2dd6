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

void bind_uncertainty(py::module_& m) {
    scorer(m, "least_confidence", doc::least_confidence,
           [](const auto& P, const CheckOptions& c) { return Vector<acquire::detail::scorer_scalar_t<std::decay_t<decltype(P)>>>(acquire::least_confidence(P, c)); });
    scorer(m, "margin", doc::margin, [](const auto& P, const CheckOptions& c) {
        return Vector<acquire::detail::scorer_scalar_t<std::decay_t<decltype(P)>>>(acquire::margin(P, c));
    });
    scorer(m, "entropy", doc::entropy, [](const auto& P, const CheckOptions& c) {
        return Vector<acquire::detail::scorer_scalar_t<std::decay_t<decltype(P)>>>(acquire::entropy(P, c));
    });
    scorer(m, "ratio", doc::ratio, [](const auto& P, const CheckOptions& c) {
        return Vector<acquire::detail::scorer_scalar_t<std::decay_t<decltype(P)>>>(acquire::ratio(P, c));
    });
}

}  // namespace acquire::python
