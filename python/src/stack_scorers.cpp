// score/bayesian.hpp and score/committee.hpp: the scorers of a prediction stack (ensemble
// members or MC-dropout passes), read in place in any of the three layouts.
#include "common.hpp"
#include "docstrings.hpp"

#include "acquire/score/bayesian.hpp"
#include "acquire/score/committee.hpp"

namespace acquire::python {

namespace {

template <class Score>
void stack_scorer(py::module_& m, const char* name, const char* docstring, Score score) {
    m.def(
        name,
        [name, score](ArrayArg stack, const std::string& layout, ChecksArg checks) {
            const CheckOptions c = checks_of(checks);
            return with_stack(stack, layout, name, "stack", [&](const auto& s) {
                return py::object(to_numpy(released([&] { return score(s, c); })));
            });
        },
        py::arg("stack"), py::arg("layout") = "tnk", py::arg("checks") = true, docstring);
}

#define ACQUIRE_STACK_SCORER(name) \
    stack_scorer(m, #name, doc::name, [](const auto& s, const CheckOptions& c) { return acquire::name(s, c); })

}  // namespace

void bind_stack_scorers(py::module_& m) {
    ACQUIRE_STACK_SCORER(bald);
    ACQUIRE_STACK_SCORER(mean_std);
    ACQUIRE_STACK_SCORER(vote_entropy);
    ACQUIRE_STACK_SCORER(consensus_entropy);
    ACQUIRE_STACK_SCORER(kl_disagreement);
    ACQUIRE_STACK_SCORER(max_kl_disagreement);
    ACQUIRE_STACK_SCORER(variation_ratio);
}

}  // namespace acquire::python
