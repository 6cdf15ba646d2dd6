// The selectors that work from scores: select/stochastic.hpp, hybrid.hpp, discriminator.hpp
// (with Ranks and rank_combine), ceal.hpp and cluster_margin.hpp.
#include "common.hpp"
#include "docstrings.hpp"

#include "acquire/select/ceal.hpp"
#include "acquire/select/cluster_margin.hpp"
#include "acquire/select/discriminator.hpp"
#include "acquire/select/hybrid.hpp"
#include "acquire/select/stochastic.hpp"

namespace acquire::python {

namespace {

StochasticMode mode_of(const std::string& name) {
    if (name == "power") return StochasticMode::power;
    if (name == "softmax") return StochasticMode::softmax;
    if (name == "soft_rank") return StochasticMode::soft_rank;
    throw invalid_input("acquire::stochastic_batch: mode must be \"power\", \"softmax\" or \"soft_rank\", got \"" +
                        name + "\"");
}

}  // namespace

void bind_by_score(py::module_& m) {
    m.def(
        "stochastic_batch",
        [](ArrayArg scores, Index b, const std::string& mode, double beta, IndexArg labeled, std::uint64_t seed,
           ChecksArg checks) {
            StochasticOptions o;
            o.mode = mode_of(mode);
            o.beta = beta;
            o.labeled = indices(labeled, "stochastic_batch", "labeled");
            o.seed = seed;
            o.checks = checks_of(checks);
            return with_vector(scores, "stochastic_batch", "scores", [&](const auto& s) {
                return py::object(to_numpy(released([&] { return acquire::stochastic_batch(s, b, o); })));
            });
        },
        py::arg("scores"), py::arg("b"), py::arg("mode") = "power", py::arg("beta") = 1.0,
        py::arg("labeled") = py::none(), py::arg("seed") = 0, py::arg("checks") = true, doc::stochastic_batch);

    m.def(
        "prefilter",
        [](ArrayArg scores, Index count, IndexArg labeled) {
            const std::vector<Index> l = indices(labeled, "prefilter", "labeled");
            return with_vector(scores, "prefilter", "scores", [&](const auto& s) {
                return py::object(to_numpy(released([&] { return acquire::prefilter(s, count, l); })));
            });
        },
        py::arg("scores"), py::arg("m"), py::arg("labeled") = py::none(), doc::prefilter);

    m.def(
        "hybrid",
        [](ArrayArg scores, Index count, IndexArg labeled, Index b, py::function select) {
            const std::vector<Index> l = indices(labeled, "hybrid", "labeled");
            // The selector is Python code: the GIL stays held around it.
            auto call = [&](const std::vector<Index>& candidates, Index k) {
                const py::object r = select(to_numpy(std::vector<Index>(candidates)), k);
                if (py::isinstance<Selection>(r)) return r.cast<Selection>();
                Selection s;
                s.indices = indices(r, "hybrid", "the selector's result");
                return s;
            };
            return with_vector(scores, "hybrid", "scores",
                               [&](const auto& s) { return py::cast(acquire::hybrid(s, count, l, b, call)); });
        },
        py::arg("scores"), py::arg("m"), py::arg("labeled"), py::arg("b"), py::arg("select"),
        (std::string(doc::hybrid) +
         "\n\nFrom Python, `select(candidates, k)` gets an int64 array and returns a Selection or a sequence of "
         "pool indices.")
            .c_str());

    m.def(
        "discriminator_select",
        [](ArrayArg D, IndexArg labeled, Index b) {
            const std::vector<Index> l = indices(labeled, "discriminator_select", "labeled");
            return with_vector(D, "discriminator_select", "D", [&](const auto& d) {
                return py::cast(released([&] { return acquire::discriminator_select(d, l, b); }));
            });
        },
        py::arg("D"), py::arg("labeled"), py::arg("b"), doc::discriminator_select);

    py::class_<Ranks>(m, "Ranks", doc::Ranks)
        .def(py::init([](ArrayArg scores) {
                 std::unique_ptr<Ranks> r;
                 with_vector(scores, "Ranks", "scores", [&](const auto& s) {
                     r = std::make_unique<Ranks>(s);
                     return py::object(py::none());
                 });
                 return r;
             }),
             py::arg("scores"), doc::Ranks__Ranks)
        .def("values", [](const Ranks& r) { return to_numpy(Vector<double>(r.values())); }, doc::Ranks__values);
    m.def(
        "rank_combine",
        [](py::sequence scores, const std::vector<double>& weights) {
            std::vector<Ranks> ranks;
            for (py::handle s : scores) {
                if (py::isinstance<Ranks>(s)) {
                    ranks.push_back(s.cast<Ranks>());
                    continue;
                }
                with_vector(s, "rank_combine", "scores", [&](const auto& v) {
                    ranks.emplace_back(v);
                    return py::object(py::none());
                });
            }
            return to_numpy(released([&] { return Vector<double>(acquire::rank_combine(ranks, weights)); }));
        },
        py::arg("scores"), py::arg("weights"), doc::rank_combine);

    py::class_<CealSchedule>(m, "CealSchedule", doc::CealSchedule)
        .def(py::init([](double delta0, double decay) {
                 CealSchedule s;
                 s.delta0 = delta0;
                 s.decay = decay;
                 return s;
             }),
             py::arg("delta0") = 0.05, py::arg("decay") = 0.0033)
        .def_readwrite("delta0", &CealSchedule::delta0)
        .def_readwrite("decay", &CealSchedule::decay)
        .def("threshold", &CealSchedule::threshold, py::arg("t"), doc::CealSchedule__threshold);
    m.def(
        "ceal_pseudo_labels",
        [](ArrayArg P, IndexArg exclude, double threshold, ChecksArg checks) {
            const std::vector<Index> e = indices(exclude, "ceal_pseudo_labels", "exclude");
            const CheckOptions c = checks_of(checks);
            return with_matrix(P, "ceal_pseudo_labels", "P", [&](const auto& p) {
                auto r = released([&] { return acquire::ceal_pseudo_labels(p, e, threshold, c); });
                py::dict f;
                f["indices"] = to_numpy(std::move(r.indices));
                f["labels"] = to_numpy(std::move(r.labels));
                f["entropy"] = to_numpy(std::move(r.entropy));
                return py::object(py::module_::import("types").attr("SimpleNamespace")(**f));
            });
        },
        py::arg("P"), py::arg("exclude"), py::arg("threshold"), py::arg("checks") = true,
        (std::string(doc::ceal_pseudo_labels) + "\n\nReturns a namespace: indices, labels (int64), entropy (float64).")
            .c_str());

    m.def(
        "cluster_margin",
        [](ArrayArg scores, IndexArg assignment, Index b, Index margin_pool, IndexArg labeled, std::uint64_t seed) {
            ClusterMarginOptions o;
            o.margin_pool = margin_pool;
            o.labeled = indices(labeled, "cluster_margin", "labeled");
            o.seed = seed;
            const std::vector<Index> a = indices(assignment, "cluster_margin", "assignment");
            return with_vector(scores, "cluster_margin", "scores", [&](const auto& s) {
                return py::cast(released([&] { return acquire::cluster_margin(s, a, b, o); }));
            });
        },
        py::arg("scores"), py::arg("assignment"), py::arg("b"), py::arg("margin_pool") = 0,
        py::arg("labeled") = py::none(), py::arg("seed") = 0, doc::cluster_margin);
}

}  // namespace acquire::python
