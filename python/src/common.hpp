// What every binding file shares: reading NumPy arrays and CPU torch tensors in place as Eigen
// maps or prediction stacks, index sets, owning NumPy outputs, options, and the GIL.
//
// Nothing here copies an input matrix. An array of another dtype, a reversed view, a CUDA
// tensor or a tensor that requires grad is refused with a TypeError that says what to pass
// instead; every acquire::invalid_input reaches Python as a ValueError with its message
// (pybind11 maps std::invalid_argument, its base, to ValueError).
#pragma once

#include "acquire/core/error.hpp"
#include "acquire/core/neighbor_graph.hpp"
#include "acquire/core/selection.hpp"
#include "acquire/core/stack.hpp"
#include "acquire/select/cluster.hpp"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include <cstdint>
#include <type_traits>
#include <string>
#include <utility>
#include <vector>

namespace acquire::python {

namespace py = pybind11;

/// A C-order matrix (rows contiguous, any row pitch >= the row length).
template <class S>
using CMap = Eigen::Map<const RowMatrix<S>, Eigen::Unaligned, Eigen::OuterStride<>>;
/// A Fortran-order matrix (columns contiguous).
template <class S>
using FMap = Eigen::Map<const Matrix<S>, Eigen::Unaligned, Eigen::OuterStride<>>;
/// Any other strided view (entry (i, k) at data + i * s0 + k * s1, strides >= 0).
template <class S>
using AnyMap = Eigen::Map<const RowMatrix<S>, Eigen::Unaligned, Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>>;
/// A vector with any non-negative stride.
template <class S>
using VecMap = Eigen::Map<const Vector<S>, Eigen::Unaligned, Eigen::InnerStride<>>;

/// Argument types that only name themselves in the signatures pybind11 writes (the binding
/// reads the object as it is): an array or tensor, an index set, and the `checks` option.
struct ArrayArg {
    py::handle h;
    operator py::handle() const { return h; }  // NOLINT: used where a handle is
};
struct IndexArg {
    py::handle h;
    operator py::handle() const { return h; }  // NOLINT
};
struct ChecksArg {
    py::handle h;
    operator py::handle() const { return h; }  // NOLINT
};
struct GraphArg {
    py::handle h;
    operator py::handle() const { return h; }  // NOLINT
};

/// What acquire_al.logits(L) returns: marks an array as logits for the uncertainty scorers.
struct LogitsMarker {
    py::object matrix;
};

[[noreturn]] inline void type_error(const std::string& message) { throw py::type_error(message); }

inline std::string dtype_name(const py::array& a) { return py::str(a.dtype().attr("name")); }

inline std::string where(const char* function, const char* argument) {
    return std::string("acquire.") + function + ": " + argument;
}

inline bool is_torch_tensor(py::handle obj) {
    const py::handle type = py::type::handle_of(obj);
    if (!py::hasattr(type, "__module__")) return false;
    const std::string module = py::str(type.attr("__module__"));
    return module.rfind("torch", 0) == 0 && py::hasattr(obj, "numpy") && py::hasattr(obj, "requires_grad");
}

/// The object as a NumPy array over the same memory: an array as it is, a CPU torch tensor
/// through tensor.numpy() (a view, never a copy). Anything else is refused.
inline py::array as_array(py::handle obj, const char* function, const char* argument) {
    if (py::isinstance<py::array>(obj)) return py::reinterpret_borrow<py::array>(obj);
    if (is_torch_tensor(obj)) {
        const std::string device = py::str(obj.attr("device").attr("type"));
        if (device != "cpu")
            type_error(where(function, argument) + " is a tensor on " + device +
                       ": move it to the CPU first (tensor.cpu())");
        if (obj.attr("requires_grad").cast<bool>())
            type_error(where(function, argument) + " requires grad: pass tensor.detach()");
        if (obj.attr("is_sparse").cast<bool>())
            type_error(where(function, argument) + " is a sparse tensor: pass tensor.to_dense()");
        const std::string dtype = py::str(obj.attr("dtype"));
        if (dtype != "torch.float32" && dtype != "torch.float64" && dtype != "torch.bool" &&
            dtype.find("torch.int") != 0 && dtype.find("torch.uint") != 0)
            type_error(where(function, argument) + " has dtype " + dtype + ": pass float32 or float64");
        if (obj.attr("is_conj")().cast<bool>() || obj.attr("is_neg")().cast<bool>())
            type_error(where(function, argument) + " is a lazy conjugate or negation: pass tensor.resolve_conj()");
        return py::reinterpret_steal<py::array>(obj.attr("numpy")().release());
    }
    type_error(where(function, argument) + " must be a NumPy array or a CPU torch tensor, got " +
               std::string(py::str(py::type::handle_of(obj).attr("__name__"))));
}

/// Which float dtype an array holds; refuses any other (no silent conversion).
enum class Dtype { f32, f64 };
inline Dtype float_dtype(const py::array& a, const char* function, const char* argument) {
    const py::dtype dt = a.dtype();
    const bool native = dt.attr("isnative").cast<bool>();
    if (dt.kind() == 'f' && dt.itemsize() == 4 && native) return Dtype::f32;
    if (dt.kind() == 'f' && dt.itemsize() == 8 && native) return Dtype::f64;
    type_error(where(function, argument) + " has dtype " + dtype_name(a) +
               ": pass float32 or float64 (in the machine's byte order)");
}

/// Strides in elements; refuses strides that are not whole elements or that are negative.
inline std::vector<Index> element_strides(const py::array& a, const char* function, const char* argument) {
    std::vector<Index> out;
    const auto item = static_cast<Index>(a.itemsize());
    for (py::ssize_t j = 0; j < a.ndim(); ++j) {
        const auto s = static_cast<Index>(a.strides(j));
        if (a.shape(j) <= 1) {  // never stepped over
            out.push_back(0);
            continue;
        }
        if (s % item != 0)
            type_error(where(function, argument) + " has a stride of " + std::to_string(s) +
                       " bytes, not a whole number of elements: pass np.ascontiguousarray(...)");
        if (s < 0)
            type_error(where(function, argument) +
                       " is a reversed view (negative stride): pass np.ascontiguousarray(...)");
        out.push_back(s / item);
    }
    return out;
}

inline void check_ndim(const py::array& a, py::ssize_t ndim, const char* function, const char* argument) {
    if (a.ndim() != ndim)
        throw acquire::invalid_input(std::string("acquire::") + function + ": " + argument + " must have " +
                                     std::to_string(ndim) + " dimensions, got " + std::to_string(a.ndim()));
}

/// Calls f(map) with the matrix read in place: a C-order map, a Fortran-order map or a
/// general strided map, float or double. f returns a py::object.
template <class F>
py::object with_matrix(py::handle obj, const char* function, const char* argument, F&& f) {
    const py::array a = as_array(obj, function, argument);
    const Dtype dt = float_dtype(a, function, argument);
    check_ndim(a, 2, function, argument);
    const std::vector<Index> st = element_strides(a, function, argument);
    const Index rows = a.shape(0), cols = a.shape(1);
    auto go = [&](auto zero) -> py::object {
        using S = decltype(zero);
        const S* p = static_cast<const S*>(a.data());
        const Index s0 = st[0], s1 = st[1];
        if ((cols <= 1 || s1 == 1) && (rows <= 1 || s0 >= cols))
            return f(CMap<S>(p, rows, cols, Eigen::OuterStride<>(rows <= 1 ? cols : s0)));
        if ((rows <= 1 || s0 == 1) && (cols <= 1 || s1 >= rows))
            return f(FMap<S>(p, rows, cols, Eigen::OuterStride<>(cols <= 1 ? rows : s1)));
        return f(AnyMap<S>(p, rows, cols, Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>(s0, s1)));
    };
    return dt == Dtype::f32 ? go(float(0)) : go(double(0));
}

/// A secondary argument's array, which must hold the scalar S of the call's first array.
template <class S>
py::array array_of(py::handle obj, const char* function, const char* argument) {
    py::array a = as_array(obj, function, argument);
    if ((float_dtype(a, function, argument) == Dtype::f32) != std::is_same_v<S, float>)
        type_error(where(function, argument) + " has dtype " + dtype_name(a) + ", another array of this call " +
                   (std::is_same_v<S, float> ? "float32" : "float64") + ": pass one dtype for all");
    return a;
}

/// A secondary matrix argument of a known scalar, as a general strided map (one instantiation).
template <class S>
AnyMap<S> matrix_as(py::handle obj, py::array& keep, const char* function, const char* argument) {
    keep = array_of<S>(obj, function, argument);
    check_ndim(keep, 2, function, argument);
    const std::vector<Index> st = element_strides(keep, function, argument);
    return AnyMap<S>(static_cast<const S*>(keep.data()), keep.shape(0), keep.shape(1),
                     Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>(st[0], st[1]));
}

/// A float or double array already read (1-D, or 2-D with one column) as a vector map.
template <class S>
VecMap<S> vector_of(const py::array& keep, const char* function, const char* argument) {
    if (keep.ndim() == 2 && keep.shape(1) != 1)
        throw acquire::invalid_input(std::string("acquire::") + function + ": " + argument +
                                     " must be a vector, got " + std::to_string(keep.shape(0)) + " x " +
                                     std::to_string(keep.shape(1)));
    if (keep.ndim() != 1 && keep.ndim() != 2) check_ndim(keep, 1, function, argument);
    const std::vector<Index> st = element_strides(keep, function, argument);
    return VecMap<S>(static_cast<const S*>(keep.data()), keep.shape(0), Eigen::InnerStride<>(st[0]));
}

/// A vector argument (1-D, or 2-D with one column) of a known scalar, read in place.
template <class S>
VecMap<S> vector_as(py::handle obj, py::array& keep, const char* function, const char* argument) {
    keep = array_of<S>(obj, function, argument);
    return vector_of<S>(keep, function, argument);
}

/// Calls f(vector map) for a 1-D float or double array (or an N x 1 matrix).
template <class F>
py::object with_vector(py::handle obj, const char* function, const char* argument, F&& f) {
    const py::array keep = as_array(obj, function, argument);  // read once: a tensor's view is made once
    if (float_dtype(keep, function, argument) == Dtype::f32) return f(vector_of<float>(keep, function, argument));
    return f(vector_of<double>(keep, function, argument));
}

/// Reads a 3-D array as a PredictionStack with its own strides. `layout` names the logical
/// dimensions in order: "tnk" (torch.stack(passes), the default), "ntk" or "nkt".
template <class S>
PredictionStack<S> stack_of(const py::array& a, const std::string& layout, const char* function,
                            const char* argument) {
    check_ndim(a, 3, function, argument);
    const std::vector<Index> st = element_strides(a, function, argument);
    int at[3];  // positions of T, N and K among the array's dimensions
    if (layout == "tnk") at[0] = 0, at[1] = 1, at[2] = 2;
    else if (layout == "ntk") at[0] = 1, at[1] = 0, at[2] = 2;
    else if (layout == "nkt") at[0] = 2, at[1] = 0, at[2] = 1;
    else
        throw acquire::invalid_input(std::string("acquire::") + function + ": layout must be \"tnk\", \"ntk\" or \"nkt\", got \"" +
                                     layout + "\"");
    Index size[3], stride[3];
    for (int j = 0; j < 3; ++j) {
        size[j] = a.shape(at[j]);
        stride[j] = size[j] <= 1 ? 1 : st[static_cast<std::size_t>(at[j])];
        if (stride[j] < 1)
            type_error(where(function, argument) + " dimension " + std::to_string(at[j]) + " (" + "TNK"[j] +
                       ") is broadcast (stride 0): pass np.ascontiguousarray(...)");
    }
    return PredictionStack<S>(static_cast<const S*>(a.data()), size[0], size[1], size[2], stride[0], stride[1],
                              stride[2]);
}

/// Calls f(stack) for a 3-D float or double array or tensor.
template <class F>
py::object with_stack(py::handle obj, const std::string& layout, const char* function, const char* argument, F&& f) {
    const py::array a = as_array(obj, function, argument);
    if (float_dtype(a, function, argument) == Dtype::f32) return f(stack_of<float>(a, layout, function, argument));
    return f(stack_of<double>(a, layout, function, argument));
}

/// An index set: None, any sequence of integers, or an integer array or tensor (copied: the
/// C++ functions take std::vector<Index>).
inline std::vector<Index> indices(py::handle obj, const char* function, const char* argument) {
    std::vector<Index> out;
    if (obj.is_none()) return out;
    if (py::isinstance<py::array>(obj) || is_torch_tensor(obj)) {
        const py::array a = as_array(obj, function, argument);
        const char kind = a.dtype().kind();
        if (kind != 'i' && kind != 'u')
            type_error(where(function, argument) + " has dtype " + dtype_name(a) +
                       ": pass integer indices");
        if (a.ndim() != 1)
            throw acquire::invalid_input(std::string("acquire::") + function + ": " + argument +
                                         " must be 1-D, got " + std::to_string(a.ndim()) + " dimensions");
        const py::array_t<std::int64_t> as64 = py::array_t<std::int64_t>::ensure(a);  // a small copy
        out.assign(as64.data(), as64.data() + as64.size());
        return out;
    }
    if (py::isinstance<py::str>(obj) || !py::isinstance<py::sequence>(obj))
        type_error(where(function, argument) + " must be a sequence of integers, an integer array or None");
    for (py::handle item : obj) {
        if (!py::isinstance<py::int_>(item) && !py::hasattr(item, "__index__"))
            type_error(where(function, argument) + " holds a " +
                       std::string(py::str(py::type::handle_of(item).attr("__name__"))) + ": pass integers");
        out.push_back(py::int_(py::reinterpret_borrow<py::object>(item)).cast<Index>());
    }
    return out;
}

/// An owning NumPy array that takes over the vector's storage (no copy).
template <class S>
py::array to_numpy(Vector<S>&& v) {
    auto* heap = new Vector<S>(std::move(v));
    py::capsule owner(heap, [](void* p) { delete static_cast<Vector<S>*>(p); });
    return py::array_t<S>(heap->size(), heap->data(), owner);
}
template <class S>
py::array to_numpy(RowMatrix<S>&& x) {
    auto* heap = new RowMatrix<S>(std::move(x));
    py::capsule owner(heap, [](void* p) { delete static_cast<RowMatrix<S>*>(p); });
    return py::array_t<S>({heap->rows(), heap->cols()}, heap->data(), owner);
}
template <class T>
py::array to_numpy(std::vector<T>&& v) {
    auto* heap = new std::vector<T>(std::move(v));
    py::capsule owner(heap, [](void* p) { delete static_cast<std::vector<T>*>(p); });
    return py::array_t<T>(static_cast<py::ssize_t>(heap->size()), heap->data(), owner);
}

/// The thread count set by acquire_al.set_num_threads (0: OpenMP's own default).
int& requested_threads();

/// Runs f() with the GIL released and returns its result. OpenMP's thread count is a
/// per-thread setting, so the module's is applied on whichever Python thread calls.
template <class F>
auto released(F&& f) {
    py::gil_scoped_release release;
#ifdef _OPENMP
    if (requested_threads() > 0) omp_set_num_threads(requested_threads());
#endif
    return f();
}

/// `checks`: a CheckOptions, or a bool (False skips the O(N K) value checks).
inline CheckOptions checks_of(py::handle obj) {
    if (py::isinstance<CheckOptions>(obj)) return obj.cast<CheckOptions>();
    const std::string type = py::str(py::type::handle_of(obj).attr("__name__"));
    if (py::isinstance<py::bool_>(obj) || type == "bool_") {  // Python's bool or NumPy's
        CheckOptions c;
        c.values = py::bool_(py::reinterpret_borrow<py::object>(obj)).cast<bool>();
        return c;
    }
    type_error("acquire: checks must be a bool or an acquire_al.CheckOptions, got " + type);
}

/// `graph`: None (the exact search) or an acquire_al.NeighborGraph, read in place (the
/// options hold a pointer; the caller's reference keeps the graph alive for the call).
inline const NeighborGraph* graph_of(py::handle obj, const char* function) {
    if (obj.is_none()) return nullptr;
    if (!py::isinstance<NeighborGraph>(obj))
        type_error(where(function, "graph") + " must be an acquire_al.NeighborGraph (knn_graph, hnsw.knn_graph or "
                                              "NeighborGraph(offsets, indices, distances)) or None, got " +
                   std::string(py::str(py::type::handle_of(obj).attr("__name__"))));
    return &obj.cast<const NeighborGraph&>();
}

/// A dtype keyword ("float32", "float64", np.float32, np.dtype(...)) as float or double.
inline Dtype dtype_of(py::handle dtype, const char* function) {
    const std::string name = py::str(py::module_::import("numpy").attr("dtype")(dtype).attr("name"));
    if (name == "float32") return Dtype::f32;
    if (name == "float64") return Dtype::f64;
    type_error(std::string("acquire.") + function + ": dtype " + name + ": pass float32 or float64");
}

/// KMeansOptions from the keyword arguments of KMeansOptions(...) and kmeans(...).
inline KMeansOptions kmeans_options(Index max_iterations, double tolerance, std::uint64_t seed, Index restarts,
                                    py::handle checks) {
    KMeansOptions o;
    o.max_iterations = max_iterations;
    o.tolerance = tolerance;
    o.seed = seed;
    o.restarts = restarts;
    o.checks = checks_of(checks);
    return o;
}

/// The registration function of each binding file.
void bind_core(py::module_& m);
void bind_uncertainty(py::module_& m);
void bind_stack_scorers(py::module_& m);
void bind_dense(py::module_& m);
void bind_embedding_scorers(py::module_& m);
void bind_dynamics(py::module_& m);
void bind_geometric(py::module_& m);
void bind_clustering(py::module_& m);
void bind_batch_bald(py::module_& m);
void bind_synthetic(py::module_& m);
void bind_by_score(py::module_& m);
void bind_neighbors(py::module_& m);

}  // namespace acquire::python

namespace pybind11::detail {
#define ACQUIRE_NAMED_ARG(Type, name)                                                     \
    template <>                                                                          \
    struct type_caster<acquire::python::Type> {                                          \
        PYBIND11_TYPE_CASTER(acquire::python::Type, const_name(name));                   \
        bool load(handle src, bool) {                                                    \
            value.h = src;                                                               \
            return true;                                                                 \
        }                                                                                \
        static handle cast(const acquire::python::Type& v, return_value_policy, handle) { \
            return v.h.inc_ref();                                                        \
        }                                                                                \
    };
ACQUIRE_NAMED_ARG(ArrayArg, "numpy.ndarray | torch.Tensor")
ACQUIRE_NAMED_ARG(IndexArg, "Sequence[int] | numpy.ndarray | None")
ACQUIRE_NAMED_ARG(ChecksArg, "bool | CheckOptions")
ACQUIRE_NAMED_ARG(GraphArg, "NeighborGraph | None")
#undef ACQUIRE_NAMED_ARG
}  // namespace pybind11::detail
