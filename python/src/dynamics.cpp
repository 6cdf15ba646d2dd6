// score/dynamics.hpp: the training-dynamics trackers, fed once per epoch.
#include "common.hpp"
#include "docstrings.hpp"

#include "acquire/score/dynamics.hpp"

namespace acquire::python {

namespace {

/// Integer or bool entries as a vector (copied: the trackers keep counts, not the input).
std::vector<Index> integers(py::handle obj, const char* function, const char* argument) {
    if (py::isinstance<py::array>(obj) || is_torch_tensor(obj)) {
        const py::array a = as_array(obj, function, argument);
        if (a.dtype().kind() == 'b')
            return indices(a.attr("astype")("int64"), function, argument);
    }
    return indices(obj, function, argument);
}

}  // namespace

void bind_dynamics(py::module_& m) {
    py::class_<LabelDispersion>(m, "LabelDispersion", doc::LabelDispersion)
        .def(py::init<Index, Index>(), py::arg("n"), py::arg("classes"), doc::LabelDispersion__LabelDispersion)
        .def(
            "observe",
            [](LabelDispersion& t, IndexArg labels) {
                const std::vector<Index> l = integers(labels, "LabelDispersion", "labels");
                t.observe(l);
            },
            py::arg("labels"), doc::LabelDispersion__observe)
        .def_property_readonly("epochs", &LabelDispersion::epochs)
        .def_property_readonly("classes", &LabelDispersion::classes)
        .def("__len__", &LabelDispersion::size)
        .def("modal_count", &LabelDispersion::modal_count, py::arg("i"), doc::LabelDispersion__modal_count)
        .def("modal_label", &LabelDispersion::modal_label, py::arg("i"), doc::LabelDispersion__modal_label)
        .def("scores", [](const LabelDispersion& t) { return to_numpy(Vector<double>(t.scores())); },
             doc::LabelDispersion__scores);

    py::class_<ForgettingEvents>(m, "ForgettingEvents", doc::ForgettingEvents)
        .def(py::init<Index>(), py::arg("n"), doc::ForgettingEvents__ForgettingEvents)
        .def(
            "observe",
            [](ForgettingEvents& t, IndexArg first, IndexArg second) {
                if (second.h.is_none()) {
                    t.observe(integers(first, "ForgettingEvents", "correct"));
                } else {
                    t.observe(integers(first, "ForgettingEvents", "indices"),
                              integers(second, "ForgettingEvents", "correct"));
                }
            },
            py::arg("indices_or_correct"), py::arg("correct") = py::none(),
            (std::string(doc::ForgettingEvents__observe) +
             "\n\nobserve(correct) records every sample; observe(indices, correct) the samples of one mini-batch.")
                .c_str())
        .def("__len__", &ForgettingEvents::size)
        .def("presentations", &ForgettingEvents::presentations, py::arg("i"), doc::ForgettingEvents__presentations)
        .def("count", &ForgettingEvents::count, py::arg("i"), doc::ForgettingEvents__count)
        .def("learned", &ForgettingEvents::learned, py::arg("i"), doc::ForgettingEvents__learned)
        .def("counts", [](const ForgettingEvents& t) { return to_numpy(Vector<int>(t.counts())); },
             doc::ForgettingEvents__counts)
        .def("never_learned", [](const ForgettingEvents& t) { return to_numpy(t.never_learned()); },
             doc::ForgettingEvents__never_learned)
        .def("unforgettable", [](const ForgettingEvents& t) { return to_numpy(t.unforgettable()); },
             doc::ForgettingEvents__unforgettable)
        .def("scores", [](const ForgettingEvents& t) { return to_numpy(Vector<double>(t.scores())); },
             doc::ForgettingEvents__scores);
}

}  // namespace acquire::python
