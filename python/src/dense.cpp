// score/dense.hpp and score/ragged.hpp: per-pixel scores reduced per image, on 4-D prediction
// arrays (one model) and 5-D stacks (MC passes), read in place in any dimension order and any
// strides; per-box and per-token scores reduced per sample over CSR offsets.
#include "common.hpp"
#include "docstrings.hpp"

#include "acquire/score/dense.hpp"
#include "acquire/score/ragged.hpp"
#include "acquire/score/regions.hpp"

#include <string>

namespace acquire::python {

namespace {

/// The array's stride (in elements) and size for each letter of `order` ("tnchw"; "c" or "k"
/// names the classes), from a layout string naming the array's dimensions in order.
struct Axes {
    Index size[5] = {1, 1, 1, 1, 1}, stride[5] = {1, 1, 1, 1, 1};
};

Axes axes_of(const py::array& a, const std::string& layout, const std::string& order, const char* function,
             const char* argument) {
    const std::string expected = "a permutation of \"" + order + "\" (\"c\" or \"k\" for the classes)";
    if (layout.size() != order.size() || a.ndim() != static_cast<py::ssize_t>(order.size()))
        throw acquire::invalid_input(std::string("acquire::") + function + ": " + argument + " has " +
                                     std::to_string(a.ndim()) + " dimensions and layout \"" + layout + "\"; needs " +
                                     std::to_string(order.size()) + " dimensions and a layout that is " + expected);
    const std::vector<Index> st = element_strides(a, function, argument);
    Axes out;
    bool seen[5] = {false, false, false, false, false};
    for (std::size_t d = 0; d < layout.size(); ++d) {
        const char letter = layout[d] == 'k' ? 'c' : layout[d];
        const auto at = order.find(letter);
        if (at == std::string::npos || seen[at])
            throw acquire::invalid_input(std::string("acquire::") + function + ": layout must be " + expected +
                                         ", got \"" + layout + "\"");
        seen[at] = true;
        const auto j = static_cast<py::ssize_t>(d);
        out.size[at] = a.shape(j);
        out.stride[at] = a.shape(j) <= 1 ? 1 : st[d];
        if (out.stride[at] < 1)
            type_error(where(function, argument) + " dimension " + std::to_string(d) + " (" + layout[d] +
                       ") is broadcast (stride 0): pass np.ascontiguousarray(...)");
    }
    return out;
}

/// The mask argument: None, or an [N][H][W] array or tensor of bool, uint8 or int8 (nonzero =
/// counted), any strides.
/// An [N][H][W] array's size and strides (in elements), checked to be 3-D.
struct Planes {
    Index samples, height, width, sample_stride, row_stride, column_stride;
};
Planes planes_of(const py::array& a, const char* function, const char* argument) {
    check_ndim(a, 3, function, argument);
    const std::vector<Index> st = element_strides(a, function, argument);
    return {a.shape(0), a.shape(1), a.shape(2), st[0], st[1], st[2]};
}

ElementMask mask_of(py::handle obj, py::array& keep, const char* function) {
    if (obj.is_none()) return {};
    keep = as_array(obj, function, "mask");
    const py::dtype dt = keep.dtype();
    if (dt.itemsize() != 1 || (dt.kind() != 'b' && dt.kind() != 'u' && dt.kind() != 'i'))
        type_error(where(function, "mask") + " has dtype " + dtype_name(keep) + ": pass bool or uint8");
    const Planes p = planes_of(keep, function, "mask");
    return {static_cast<const std::uint8_t*>(keep.data()), p.samples, p.height, p.width,
            p.sample_stride, p.row_stride, p.column_stride};
}

Reduction reduction_of(const std::string& r, const char* function) {
    if (r == "mean") return Reduction::mean;
    if (r == "max") return Reduction::max;
    if (r == "sum") return Reduction::sum;
    if (r == "top_q") return Reduction::top_q;
    throw acquire::invalid_input(std::string("acquire::") + function +
                                 ": reduction must be \"mean\", \"max\", \"sum\" or \"top_q\", got \"" + r + "\"");
}

RaggedReduction ragged_reduction_of(const std::string& r, const char* function) {
    if (r == "max") return RaggedReduction::max;
    if (r == "mean") return RaggedReduction::mean;
    if (r == "sum") return RaggedReduction::sum;
    throw acquire::invalid_input(std::string("acquire::") + function +
                                 ": reduction must be \"max\", \"mean\" or \"sum\", got \"" + r + "\"");
}

ElementScore element_score_of(const std::string& s, const char* function) {
    if (s == "least_confidence") return ElementScore::least_confidence;
    if (s == "margin") return ElementScore::margin;
    if (s == "entropy") return ElementScore::entropy;
    if (s == "ratio") return ElementScore::ratio;
    throw acquire::invalid_input(std::string("acquire::") + function +
                                 ": score must be \"least_confidence\", \"margin\", \"entropy\" or \"ratio\", got \"" +
                                 s + "\"");
}

SequenceScore sequence_score_of(const std::string& s) {
    if (s == "total_entropy") return SequenceScore::total_entropy;
    if (s == "mean_entropy") return SequenceScore::mean_entropy;
    if (s == "least_confidence") return SequenceScore::least_confidence;
    if (s == "mnlp") return SequenceScore::mnlp;
    throw acquire::invalid_input("acquire::sequence_score: score must be \"total_entropy\", \"mean_entropy\", "
                                 "\"least_confidence\" or \"mnlp\", got \"" + s + "\"");
}

StackScore stack_score_of(const std::string& s, const char* function) {
    const std::pair<const char*, StackScore> names[] = {
        {"bald", StackScore::bald},
        {"mean_std", StackScore::mean_std},
        {"variation_ratio", StackScore::variation_ratio},
        {"vote_entropy", StackScore::vote_entropy},
        {"consensus_entropy", StackScore::consensus_entropy},
        {"kl_disagreement", StackScore::kl_disagreement}};
    for (const auto& [name, score] : names)
        if (s == name) return score;
    throw acquire::invalid_input(std::string("acquire::") + function +
                                 ": score must be \"bald\", \"mean_std\", \"variation_ratio\", \"vote_entropy\", "
                                 "\"consensus_entropy\" or \"kl_disagreement\", got \"" + s + "\"");
}

/// The regions argument: an int (the grid's patch side) or an [N][H][W] int32 array or tensor
/// of region ids, any strides.
Regions regions_of(py::handle obj, py::array& keep, const char* function) {
    if (py::isinstance<py::int_>(obj) && !py::isinstance<py::bool_>(obj)) return Regions::grid(obj.cast<Index>());
    keep = as_array(obj, function, "regions");
    const py::dtype dt = keep.dtype();
    if (dt.kind() != 'i' || dt.itemsize() != 4 || !dt.attr("isnative").cast<bool>())
        type_error(where(function, "regions") + " has dtype " + dtype_name(keep) +
                   ": pass int32 region ids (or an int: the side of square patches)");
    const Planes p = planes_of(keep, function, "regions");
    return {static_cast<const std::int32_t*>(keep.data()), p.samples, p.height, p.width,
            p.sample_stride, p.row_stride, p.column_stride, 0};
}

/// A column of RegionScores as an owning NumPy array.
template <class T>
py::array column(const std::vector<T>& v) {
    return to_numpy(std::vector<T>(v));
}

/// The class_weights argument: None, or K numbers (a sequence, a 1-D array or tensor), copied.
std::vector<double> class_weights_of(py::handle obj, const char* function) {
    if (obj.is_none()) return {};
    const py::array a = is_torch_tensor(obj) ? as_array(obj, function, "class_weights") : py::array::ensure(obj);
    if (!a) type_error(where(function, "class_weights") + " must be a sequence of numbers, one per class");
    if (a.ndim() != 1)
        type_error(where(function, "class_weights") + " must be 1-D (one weight per class), got " +
                   std::to_string(a.ndim()) + "-D");
    const auto w = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(a);
    if (!w) type_error(where(function, "class_weights") + " must hold numbers, got dtype " + dtype_name(a));
    return std::vector<double>(w.data(), w.data() + w.size());
}

/// The options every dense binding takes (`keep` holds the mask's array while it is read).
DenseOptions dense_options(const std::string& reduction, double q, py::handle mask, py::handle class_weights,
                           ChecksArg checks, py::array& keep, const char* function) {
    DenseOptions o;
    o.reduction = reduction_of(reduction, function);
    o.q = q;
    o.checks = checks_of(checks);
    o.mask = mask_of(mask, keep, function);
    o.class_weights = class_weights_of(class_weights, function);
    return o;
}

/// Calls f(view) with a DenseView over a 4-D float or double array or tensor, or over the one
/// inside acquire_al.logits(...) (then sets o.logits); `layout` names its dimensions.
template <class F>
py::object with_dense_view(py::handle input, const std::string& layout, DenseOptions& o, const char* function,
                           F&& f) {
    o.logits = py::isinstance<LogitsMarker>(input);
    const char* argument = o.logits ? "logits" : "probabilities";
    const py::handle array = o.logits ? py::handle(input.cast<const LogitsMarker&>().matrix) : input;
    const py::array a = as_array(array, function, argument);
    const bool f32 = float_dtype(a, function, argument) == Dtype::f32;
    const Axes x = axes_of(a, layout, "nchw", function, argument);
    auto run = [&](auto tag) {
        using S = decltype(tag);
        return f(DenseView<S>(static_cast<const S*>(a.data()), x.size[0], x.size[1], x.size[2], x.size[3], x.stride[0],
                              x.stride[1], x.stride[2], x.stride[3]));
    };
    return f32 ? run(float()) : run(double());
}

/// Calls f(stack) with a DenseStackView over a 5-D float or double array or tensor.
template <class F>
py::object with_dense_stack(py::handle input, const std::string& layout, const char* function, F&& f) {
    const py::array a = as_array(input, function, "stack");
    const bool f32 = float_dtype(a, function, "stack") == Dtype::f32;
    const Axes x = axes_of(a, layout, "tnchw", function, "stack");
    auto run = [&](auto tag) {
        using S = decltype(tag);
        return f(DenseStackView<S>(static_cast<const S*>(a.data()), x.size[0], x.size[1], x.size[2], x.size[3],
                                   x.size[4], x.stride[0], x.stride[1], x.stride[2], x.stride[3], x.stride[4]));
    };
    return f32 ? run(float()) : run(double());
}

}  // namespace

void bind_dense(py::module_& m) {
    py::class_<RegionScores>(m, "RegionScores", doc::RegionScores)
        .def(py::init([](IndexArg image, IndexArg region, IndexArg pixels, py::object score) {
                 RegionScores r;
                 r.image = indices(image.h, "RegionScores", "image");
                 r.region = indices(region.h, "RegionScores", "region");
                 r.pixels = indices(pixels.h, "RegionScores", "pixels");
                 const py::array_t<double> s = py::array_t<double, py::array::forcecast>::ensure(score);
                 if (!s || s.ndim() != 1) type_error("acquire.RegionScores: score must be a 1-D array of numbers");
                 r.score.assign(s.data(), s.data() + s.size());
                 return r;
             }),
             py::arg("image"), py::arg("region"), py::arg("pixels"), py::arg("score"),
             "Regions from columns (for example to rescore them) for select_regions.")
        .def_property_readonly("image", [](const RegionScores& r) { return column(r.image); }, "The image of each region (int64).")
        .def_property_readonly("region", [](const RegionScores& r) { return column(r.region); }, "Its id within the image, the patch number of a grid (int64).")
        .def_property_readonly("pixels", [](const RegionScores& r) { return column(r.pixels); }, "Its counted pixels, the labelling cost (int64).")
        .def_property_readonly("score", [](const RegionScores& r) { return column(r.score); }, "Its score, the reduction of its pixels' scores (float64, higher = query first).")
        .def("__len__", &RegionScores::size)
        .def("__repr__", [](const RegionScores& r) { return "RegionScores(" + std::to_string(r.size()) + " regions)"; });

    m.def(
        "dense_score",
        [](ArrayArg input, const std::string& score, const std::string& layout, const std::string& reduction, double q,
           py::object mask, py::object class_weights, ChecksArg checks) {
            const char* fn = "dense_score";
            py::array keep_mask;
            DenseOptions o = dense_options(reduction, q, mask, class_weights, checks, keep_mask, fn);
            const ElementScore s = element_score_of(score, fn);
            return with_dense_view(input.h, layout, o, fn, [&](const auto& v) {
                return py::object(to_numpy(released([&] { return acquire::dense_score(v, s, o); })));
            });
        },
        py::arg("probabilities"), py::arg("score") = "entropy", py::arg("layout") = "nchw",
        py::arg("reduction") = "mean", py::arg("q") = DenseOptions{}.q, py::arg("mask") = py::none(),
        py::arg("class_weights") = py::none(), py::arg("checks") = true, doc::dense_score);
    m.def(
        "dense_stack_score",
        [](ArrayArg input, const std::string& score, const std::string& layout, const std::string& reduction, double q,
           py::object mask, py::object class_weights, ChecksArg checks) {
            const char* fn = "dense_stack_score";
            py::array keep_mask;
            const DenseOptions o = dense_options(reduction, q, mask, class_weights, checks, keep_mask, fn);
            const StackScore s = stack_score_of(score, fn);
            return with_dense_stack(input.h, layout, fn, [&](const auto& v) {
                return py::object(to_numpy(released([&] { return acquire::dense_stack_score(v, s, o); })));
            });
        },
        py::arg("stack"), py::arg("score") = "bald", py::arg("layout") = "tnchw", py::arg("reduction") = "mean",
        py::arg("q") = DenseOptions{}.q, py::arg("mask") = py::none(), py::arg("class_weights") = py::none(),
        py::arg("checks") = true, doc::dense_stack_score);

    m.def(
        "ragged_score",
        [](ArrayArg probabilities, IndexArg offsets, const std::string& score, const std::string& reduction,
           ChecksArg checks) {
            const char* fn = "ragged_score";
            const std::vector<Index> o = indices(offsets.h, fn, "offsets");
            const ElementScore s = element_score_of(score, fn);
            const RaggedReduction r = ragged_reduction_of(reduction, fn);
            const CheckOptions c = checks_of(checks);
            return with_matrix(probabilities.h, fn, "probabilities", [&](const auto& P) {
                return py::object(to_numpy(released([&] { return acquire::ragged_score(P, o, s, r, c); })));
            });
        },
        py::arg("probabilities"), py::arg("offsets"), py::arg("score"), py::arg("reduction"), py::arg("checks") = true,
        doc::ragged_score);
    m.def(
        "sequence_score",
        [](ArrayArg probabilities, IndexArg offsets, const std::string& score, ChecksArg checks) {
            const char* fn = "sequence_score";
            const std::vector<Index> o = indices(offsets.h, fn, "offsets");
            const SequenceScore s = sequence_score_of(score);
            const CheckOptions c = checks_of(checks);
            return with_matrix(probabilities.h, fn, "probabilities", [&](const auto& P) {
                return py::object(to_numpy(released([&] { return acquire::sequence_score(P, o, s, c); })));
            });
        },
        py::arg("probabilities"), py::arg("offsets"), py::arg("score"), py::arg("checks") = true,
        doc::sequence_score);
    m.def(
        "ragged_stack_score",
        [](ArrayArg stack, IndexArg offsets, const std::string& score, const std::string& reduction,
           const std::string& layout, ChecksArg checks) {
            const char* fn = "ragged_stack_score";
            const std::vector<Index> o = indices(offsets.h, fn, "offsets");
            const StackScore s = stack_score_of(score, fn);
            const RaggedReduction r = ragged_reduction_of(reduction, fn);
            const CheckOptions c = checks_of(checks);
            return with_stack(stack.h, layout, fn, "stack", [&](const auto& S) {
                return py::object(to_numpy(released([&] { return acquire::ragged_stack_score(S, o, s, r, c); })));
            });
        },
        py::arg("stack"), py::arg("offsets"), py::arg("score"), py::arg("reduction"), py::arg("layout") = "tnk",
        py::arg("checks") = true, doc::ragged_stack_score);

    m.def(
        "region_scores",
        [](ArrayArg input, py::object regions, const std::string& score, const std::string& layout,
           const std::string& reduction, double q, py::object mask, py::object class_weights, ChecksArg checks) {
            const char* fn = "region_scores";
            py::array keep_mask, keep_regions;
            DenseOptions o = dense_options(reduction, q, mask, class_weights, checks, keep_mask, fn);
            const Regions r = regions_of(regions, keep_regions, fn);
            const ElementScore s = element_score_of(score, fn);
            return with_dense_view(input.h, layout, o, fn, [&](const auto& v) {
                return py::cast(released([&] { return acquire::region_scores(v, s, r, o); }));
            });
        },
        py::arg("probabilities"), py::arg("regions"), py::arg("score") = "entropy", py::arg("layout") = "nchw",
        py::arg("reduction") = "mean", py::arg("q") = DenseOptions{}.q, py::arg("mask") = py::none(),
        py::arg("class_weights") = py::none(), py::arg("checks") = true, doc::region_scores);
    m.def(
        "region_stack_scores",
        [](ArrayArg input, py::object regions, const std::string& score, const std::string& layout,
           const std::string& reduction, double q, py::object mask, py::object class_weights, ChecksArg checks) {
            const char* fn = "region_stack_scores";
            py::array keep_mask, keep_regions;
            const DenseOptions o = dense_options(reduction, q, mask, class_weights, checks, keep_mask, fn);
            const Regions r = regions_of(regions, keep_regions, fn);
            const StackScore s = stack_score_of(score, fn);
            return with_dense_stack(input.h, layout, fn, [&](const auto& v) {
                return py::cast(released([&] { return acquire::region_stack_scores(v, s, r, o); }));
            });
        },
        py::arg("stack"), py::arg("regions"), py::arg("score") = "bald", py::arg("layout") = "tnchw",
        py::arg("reduction") = "mean", py::arg("q") = DenseOptions{}.q, py::arg("mask") = py::none(),
        py::arg("class_weights") = py::none(), py::arg("checks") = true, doc::region_stack_scores);
    m.def(
        "select_regions",
        [](const RegionScores& scored, Index b, Index per_image) {
            return released([&] { return acquire::select_regions(scored, b, per_image); });
        },
        py::arg("scored"), py::arg("b"), py::arg("per_image") = 0, doc::select_regions);
}

}  // namespace acquire::python
