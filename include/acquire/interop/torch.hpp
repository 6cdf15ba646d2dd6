/// \file
/// Zero-copy views of libtorch CPU tensors as what acquire takes (optional: includes
/// torch/torch.h).
// Zero-copy views of libtorch CPU tensors as what acquire takes.
//
// An optional edge: include it only in translation units that already use libtorch (it includes
// <torch/torch.h>); acquire.hpp does not include it. Nothing here copies a tensor's values:
//
//     torch::Tensor logits = model->forward(pool);                    // [N, K] on the CPU
//     torch::Tensor probs = torch::softmax(logits, 1).detach();
//     auto P = acquire::as_matrix<float>(probs, "probabilities");     // Eigen map, real strides
//     std::vector<acquire::Index> batch = acquire::top_k(acquire::margin(P), 100, labeled);
//     torch::Tensor picked = acquire::to_tensor(batch);               // int64 [b], for index_select
//
//     torch::Tensor mc = torch::stack(passes).detach();               // [T, N, K]
//     auto S = acquire::as_stack<float>(mc);                          // PredictionStack, no copy
//     auto bald = acquire::bald(S);
//
// Every view reads the tensor's storage in place with the tensor's own strides, so transposed,
// sliced (narrow, select, step slicing) and, for matrices, expanded (stride 0) tensors work
// without a copy. The tensor must outlive the view and must not be resized while it is used.
// What cannot be viewed is refused with acquire::invalid_input, never copied behind the user's
// back: an undefined, sparse or non-CPU tensor (CUDA: "move it to the CPU first"), a dtype other
// than the requested Scalar, the wrong number of dimensions, a tensor that requires grad (pass
// `tensor.detach()`), and for stacks an expanded dimension. To ask for a copy, view
// `tensor.contiguous()` held in a variable that outlives the view.
#pragma once

#include "acquire/core/error.hpp"
#include "acquire/core/stack.hpp"
#include "acquire/core/types.hpp"

#include <torch/torch.h>

#include <Eigen/Core>

#include <cstdint>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

namespace acquire {

/// \addtogroup torch_interop
/// @{

/// A read-only N x K view of a 2-D tensor with its real strides (in elements): entry (i, k)
/// at data + i * stride(0) + k * stride(1). Any stride >= 0 works, including the stride 0 of an
/// expanded dimension.
template <class Scalar>
using TensorMatrixMap = Eigen::Map<const RowMatrix<Scalar>, Eigen::Unaligned,
                                   Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>>;

/// A read-only length-N view of a 1-D tensor with its real stride (e.g. per-sample losses).
template <class Scalar>
using TensorVectorMap = Eigen::Map<const Vector<Scalar>, Eigen::Unaligned, Eigen::InnerStride<Eigen::Dynamic>>;

/// Which dimension of a 3-D tensor is which: T members (ensemble members, MC-dropout passes),
/// N samples, K classes. The name lists the logical dimensions in order, whatever the strides.
enum class StackDims {
    tnk,  ///< [T, N, K], e.g. torch.stack of T forward passes (the default)
    ntk,  ///< [N, T, K], the T predictions of each sample together
    nkt,  ///< [N, K, T], members last, as several Python libraries store MC samples
};

/// @}

namespace detail {

template <class Scalar>
constexpr c10::ScalarType torch_dtype() {
    static_assert(std::is_same_v<Scalar, float> || std::is_same_v<Scalar, double>,
                  "acquire's torch views read float or double tensors");
    return std::is_same_v<Scalar, float> ? c10::ScalarType::Float : c10::ScalarType::Double;
}

inline std::string torch_shape(const torch::Tensor& t) {
    std::ostringstream out;
    out << t.sizes();
    return out.str();
}

/// Checks that `t` can be read in place on the CPU: defined, strided, on the CPU, not requiring
/// grad. The dtype and dimension checks follow in each view.
inline void check_tensor_readable(const char* function, const char* argument, const torch::Tensor& t) {
    if (!t.defined()) fail(function, argument, " is an undefined tensor");
    if (!t.device().is_cpu())
        fail(function, argument, " is on device ", t.device().str(),
             ": acquire reads CPU memory, move it to the CPU first (tensor.cpu() or tensor.to(torch::kCPU))");
    if (t.layout() != torch::kStrided)
        fail(function, argument, " has layout ", t.layout(), ": acquire reads strided (dense) tensors only",
             " (tensor.to_dense())");
    if (t.requires_grad())
        fail(function, argument, " requires grad: pass tensor.detach() (acquire only reads the values)");
    if (t.is_conj() || t.is_neg())
        fail(function, argument, " has a lazy conjugate or negation bit: resolve it first (tensor.resolve_conj())");
}

template <class Scalar>
void check_tensor(const char* function, const char* argument, const torch::Tensor& t, std::int64_t dims) {
    check_tensor_readable(function, argument, t);
    if (t.scalar_type() != torch_dtype<Scalar>())
        fail(function, argument, " has dtype ", t.scalar_type(), " but the view reads ",
             c10::toString(torch_dtype<Scalar>()), ": view it as that Scalar or convert it explicitly (tensor.to(",
             std::is_same_v<Scalar, float> ? "torch::kFloat" : "torch::kDouble", "))");
    if (t.dim() != dims)
        fail(function, argument, " must have ", dims, " dimension", dims == 1 ? "" : "s", ", got ", t.dim(),
             " (shape ", torch_shape(t), ")");
}

}  // namespace detail

/// \addtogroup torch_interop
/// @{

/// Views a 2-D float or double CPU tensor as an N x K Eigen map (rows = dimension 0) over the
/// tensor's own memory, with its strides: no copy for contiguous, transposed, sliced or
/// expanded tensors. `Scalar` must equal the tensor's dtype (float for torch::kFloat, double for
/// torch::kDouble); there is no silent conversion. `argument` names the tensor in errors.
///
/// The map reads rows with stride(0) and columns with stride(1); acquire's kernels are fastest
/// on row-major (contiguous) input and correct on any strides. The tensor must outlive the map.
///
/// Throws invalid_input when the tensor is undefined, not on the CPU (a CUDA tensor: move it to
/// the CPU first), sparse, requires grad (pass `tensor.detach()`), has another dtype or is not
/// 2-D.
template <class Scalar>
TensorMatrixMap<Scalar> as_matrix(const torch::Tensor& t, const char* argument = "tensor") {
    detail::check_tensor<Scalar>("as_matrix", argument, t, 2);
    return TensorMatrixMap<Scalar>(t.data_ptr<Scalar>(), t.size(0), t.size(1),
                                   Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>(t.stride(0), t.stride(1)));
}

/// Views a 1-D float or double CPU tensor as a length-N Eigen map with the tensor's stride (no
/// copy), e.g. per-sample predicted losses for acquire::top_k. Same checks as as_matrix, with
/// 1 dimension.
template <class Scalar>
TensorVectorMap<Scalar> as_vector(const torch::Tensor& t, const char* argument = "tensor") {
    detail::check_tensor<Scalar>("as_vector", argument, t, 1);
    return TensorVectorMap<Scalar>(t.data_ptr<Scalar>(), t.size(0), Eigen::InnerStride<Eigen::Dynamic>(t.stride(0)));
}

/// Views a 3-D float or double CPU tensor as a PredictionStack of T predictions of N x K over
/// the tensor's memory, with the tensor's strides (no copy). `dims` says which logical
/// dimension is T, N and K (default [T, N, K]); the memory layout is read from the strides, so
/// a permuted, transposed or sliced tensor works. The tensor must outlive the stack.
///
/// Throws invalid_input for the tensors as_matrix refuses (with 3 dimensions instead of 2) and
/// for an expanded dimension (stride 0 with size > 1): a PredictionStack reads distinct
/// entries, so view `tensor.contiguous()` instead, kept alive beside the stack. Empty
/// dimensions are refused by PredictionStack (T, N, K >= 1).
template <class Scalar>
PredictionStack<Scalar> as_stack(const torch::Tensor& t, StackDims dims = StackDims::tnk,
                                 const char* argument = "tensor") {
    detail::check_tensor<Scalar>("as_stack", argument, t, 3);
    // Positions of T, N and K among the tensor's dimensions.
    int at[3] = {0, 1, 2};
    if (dims == StackDims::ntk) at[0] = 1, at[1] = 0, at[2] = 2;
    if (dims == StackDims::nkt) at[0] = 2, at[1] = 0, at[2] = 1;
    Index size[3], stride[3];
    for (int j = 0; j < 3; ++j) {
        size[j] = t.size(at[j]);
        stride[j] = t.stride(at[j]);
        // A dimension of size 1 is never stepped over: its stride does not matter.
        if (size[j] == 1) stride[j] = 1;
        if (stride[j] < 1 && size[j] > 1)
            detail::fail("as_stack", argument, " dimension ", at[j], " (", "TNK"[j], ") is expanded (stride ",
                         stride[j], ", shape ", detail::torch_shape(t),
                         "): view tensor.contiguous() instead and keep it alive while the stack is used");
    }
    if (size[0] < 1 || size[1] < 1 || size[2] < 1)
        detail::fail("as_stack", argument, " needs T, N, K >= 1, got shape ", detail::torch_shape(t));
    return PredictionStack<Scalar>(t.data_ptr<Scalar>(), size[0], size[1], size[2], stride[0], stride[1],
                                   stride[2]);
}

/// Copies a 1-D integer CPU tensor (int8 to int64 or uint8, any stride) of pool indices into a
/// std::vector<Index>, e.g. the labeled set kept as a tensor. Indices must be >= 0; each
/// function that takes them checks the upper bound and duplicates.
///
/// Throws invalid_input when the tensor is undefined, not on the CPU, sparse, not 1-D, of a
/// floating-point or bool dtype, or holds a negative value (naming its position).
inline std::vector<Index> to_indices(const torch::Tensor& t, const char* argument = "indices") {
    detail::check_tensor_readable("to_indices", argument, t);
    if (!c10::isIntegralType(t.scalar_type(), /*includeBool=*/false))
        detail::fail("to_indices", argument, " must have an integer dtype, got ", t.scalar_type());
    if (t.dim() != 1)
        detail::fail("to_indices", argument, " must have 1 dimension, got ", t.dim(), " (shape ",
                     detail::torch_shape(t), ")");
    const auto values = t.to(torch::kLong);  // a no-op for int64 tensors
    const auto a = values.accessor<std::int64_t, 1>();
    std::vector<Index> out(static_cast<std::size_t>(a.size(0)));
    for (Index i = 0; i < a.size(0); ++i) {
        if (a[i] < 0) detail::fail("to_indices", argument, " position ", i, " is ", a[i], " (must be >= 0)");
        out[static_cast<std::size_t>(i)] = static_cast<Index>(a[i]);
    }
    return out;
}

/// A new 1-D int64 CPU tensor holding `indices` (a copy: the tensor owns its memory), e.g. the
/// batch a selector returned, ready for `pool.index_select(0, ...)`.
inline torch::Tensor to_tensor(const std::vector<Index>& indices) {
    static_assert(sizeof(Index) == sizeof(std::int64_t), "acquire::Index is 64-bit");
    auto out = torch::empty({static_cast<std::int64_t>(indices.size())}, torch::kLong);
    std::int64_t* dst = out.data_ptr<std::int64_t>();
    for (std::size_t i = 0; i < indices.size(); ++i) dst[i] = static_cast<std::int64_t>(indices[i]);
    return out;
}

/// @}

}  // namespace acquire
