/// \file
/// Short names for the types every header uses: acquire::Index, acquire::Vector, acquire::Matrix,
/// acquire::RowMatrix.
// Short names for the types every header uses.
#pragma once

#include <Eigen/Core>

namespace acquire {

/// \addtogroup core_vocabulary
/// @{

/// Row, column and count type everywhere: Eigen's signed 64-bit index, so N x K beyond 2^31
/// never overflows.
using Index = Eigen::Index;

/// A column vector of scores, one per sample.
template <class Scalar>
using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;

/// A plain (column-major) matrix.
template <class Scalar>
using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;

/// A row-major matrix: the layout frameworks hand out for `[N, K]` tensors.
template <class Scalar>
using RowMatrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// @}

}  // namespace acquire
