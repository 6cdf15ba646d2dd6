/// \file
/// The exception acquire::invalid_input, the options acquire::CheckOptions and the input checks
/// every public function shares.
// acquire::invalid_input and the input checks every public function shares.
//
// Every check names the public function, the argument and the offending row (or member, or
// value), so that a user who passes the output of a diverged model in the middle of a long
// training job learns at once what is wrong and where:
//
//   acquire::entropy: probabilities row 17 sums to 1.25 (tolerance 0.001)
//
// The value checks are O(N K). They run a vectorised pass over the whole matrix first and only
// look for the offending row once that pass has found something, so the happy path costs about
// one streaming read. `CheckOptions::values = false` skips them on hot paths; the shape and
// index checks always run, because getting those wrong would be undefined behaviour.
#pragma once

#include "acquire/core/parallel.hpp"
#include "acquire/core/types.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace acquire {

/// \addtogroup core_vocabulary
/// @{

/// Thrown for every input a function cannot honour: wrong shapes, NaN or Inf, probabilities
/// outside [0, 1] or rows that do not sum to 1, budgets larger than the pool, out-of-range or
/// duplicate indices. The message names the function, the argument and the offending row.
class invalid_input : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

/// How much of an input a function checks. Every scorer and selector takes one (directly or
/// as a member of its options struct).
struct CheckOptions {
    /// Run the O(N K) value checks (finite, in range, rows summing to 1). Shape and index
    /// checks always run. Turn off only on hot paths whose inputs are known good; with it off,
    /// bad values give meaningless scores (never undefined behaviour).
    bool values = true;
    /// Largest accepted |sum_k p_k - 1| for a row of probabilities.
    double tolerance = 1e-3;
};

/// @}

namespace detail {

template <class... Parts>
std::string concat(const Parts&... parts) {
    std::ostringstream out;
    out.precision(6);
    (out << ... << parts);
    return out.str();
}

/// Throws invalid_input("acquire::<function>: <parts...>").
template <class... Parts>
[[noreturn]] void fail(const char* function, const Parts&... parts) {
    throw invalid_input(concat("acquire::", function, ": ", parts...));
}

inline void check_tolerance(const char* function, const CheckOptions& checks) {
    if (!(checks.tolerance >= 0.0) || !std::isfinite(checks.tolerance))
        fail(function, "options tolerance must be finite and >= 0, got ", checks.tolerance);
}

/// N >= 1 rows and K >= 1 columns.
inline void check_shape(const char* function, const char* argument, Index rows, Index cols) {
    if (rows < 1 || cols < 1)
        fail(function, argument, " must have at least one row and one column, got ", rows, " x ",
             cols);
}

/// A vector: one row or one column (any Eigen expression), or a std::vector (always one).
template <class Derived>
void check_vector(const char* function, const char* argument, const Eigen::EigenBase<Derived>& v) {
    if (v.rows() != 1 && v.cols() != 1)
        fail(function, argument, " must be a vector, got ", v.rows(), " x ", v.cols());
}
template <class T, class A>
void check_vector(const char*, const char*, const std::vector<T, A>&) {}

/// Rows of `a` and `b` describe the same samples.
inline void check_same_rows(const char* function, const char* a, Index rows_a, const char* b,
                            Index rows_b) {
    if (rows_a != rows_b)
        fail(function, a, " has ", rows_a, " rows but ", b, " has ", rows_b);
}

/// Every entry finite. Names the first offending row (lowest index) and column; `row_offset`
/// is added to the row named, for a block of a larger matrix.
template <class Derived>
void check_finite(const char* function, const char* argument,
                  const Eigen::MatrixBase<Derived>& m, Index row_offset = 0) {
    // x - x is 0 for every finite x and NaN otherwise, and a sum is a reduction Eigen runs in
    // storage order with packets (allFinite() walks column by column, which on a row-major
    // matrix is a strided pass: 11 ns per entry at 1e6 x 128).
    using Scalar = typename Derived::Scalar;
    const Scalar zero = (m.array() - m.array()).sum();
    if (zero == Scalar(0)) return;
    for (Index i = 0; i < m.rows(); ++i)
        for (Index k = 0; k < m.cols(); ++k)
            if (!std::isfinite(static_cast<double>(m(i, k))))
                fail(function, argument, " row ", row_offset + i, " column ", k, " is ", m(i, k),
                     " (must be finite)");
}

/// Describes what is wrong with the distribution in row i of a probability matrix (" column 3
/// is nan (must be finite)", " sums to 1.25 (tolerance 0.001)"; `entry` names the column), or
/// returns an empty string.
template <class Derived>
std::string distribution_problem(const Eigen::MatrixBase<Derived>& p, Index i, double tolerance,
                                 const char* entry = "column") {
    double sum = 0;
    for (Index k = 0; k < p.cols(); ++k) {
        const auto v = p.coeff(i, k);
        if (!std::isfinite(static_cast<double>(v))) return concat(" ", entry, " ", k, " is ", v, " (must be finite)");
        if (v < 0 || v > 1) return concat(" ", entry, " ", k, " is ", v, " (must be in [0, 1])");
        sum += static_cast<double>(v);
    }
    if (!(std::abs(sum - 1.0) <= tolerance)) return concat(" sums to ", sum, " (tolerance ", tolerance, ")");
    return {};
}

/// Describes what is wrong with row i of a probability matrix, or returns an empty string.
template <class Derived>
std::string probability_row_problem(const Eigen::MatrixBase<Derived>& p, Index i, double tolerance) {
    const std::string problem = distribution_problem(p, i, tolerance);
    return problem.empty() ? problem : concat(" row ", i, problem);
}

/// Rows are probability distributions: finite, each entry in [0, 1], each row summing to 1
/// within `checks.tolerance`. One pass over the matrix (per row for row-major input, per column
/// segment of a block of rows for column-major), then a scalar re-scan of the first block that
/// failed to name the first offending row. Row sums are accumulated in Scalar: a tolerance
/// below about K times the Scalar epsilon is meaningless.
template <class Derived>
void check_probabilities(const char* function, const char* argument,
                         const Eigen::MatrixBase<Derived>& p, const CheckOptions& checks) {
    check_tolerance(function, checks);
    if (!checks.values) return;
    using Scalar = typename Derived::Scalar;
    constexpr Index block = 8192;
    const Index n = p.rows();
    const Index blocks = (n + block - 1) / block;
    const auto tol = static_cast<Scalar>(checks.tolerance);
    std::vector<char> bad(static_cast<std::size_t>(blocks), 0);
    parallel_for(blocks, 2, [&](Index b) {
        const Index r0 = b * block, nb = std::min(block, n - r0);
        const auto x = p.middleRows(r0, nb);
        bool ok = true;
        if constexpr (Derived::IsRowMajor) {
            for (Index i = 0; i < nb && ok; ++i) {
                const auto r = x.row(i).array();
                // A NaN or Inf anywhere makes the sum NaN or Inf, which fails the last test.
                ok = r.minCoeff() >= Scalar(0) && r.maxCoeff() <= Scalar(1) &&
                     std::abs(r.sum() - Scalar(1)) <= tol;
            }
        } else {
            Eigen::Array<Scalar, Eigen::Dynamic, 1> sums = x.col(0).array();
            Scalar lo = sums.minCoeff(), hi = sums.maxCoeff();
            for (Index k = 1; k < x.cols(); ++k) {
                const auto c = x.col(k).array();
                sums += c;
                lo = std::min(lo, c.minCoeff());
                hi = std::max(hi, c.maxCoeff());
            }
            ok = lo >= Scalar(0) && hi <= Scalar(1) && ((sums - Scalar(1)).abs() <= tol).all();
        }
        bad[static_cast<std::size_t>(b)] = !ok;
    });
    for (Index b = 0; b < blocks; ++b) {
        if (!bad[static_cast<std::size_t>(b)]) continue;
        // The fast pass summed in Scalar; the re-scan sums in double and has the last word.
        for (Index i = b * block; i < std::min(n, (b + 1) * block); ++i) {
            const std::string problem = probability_row_problem(p, i, checks.tolerance);
            if (!problem.empty()) fail(function, argument, problem);
        }
    }
}

/// A budget of `b` picks out of `available` candidates.
inline void check_budget(const char* function, const char* argument, Index b, Index available) {
    if (b < 0) fail(function, argument, " must be >= 0, got ", b);
    if (b > available)
        fail(function, argument, " is ", b, " but only ", available,
             " candidates are available");
}

/// Indices in [0, n) without duplicates. Returns a membership mask of size n.
inline std::vector<char> index_mask(const char* function, const char* argument,
                                    const std::vector<Index>& indices, Index n) {
    std::vector<char> mask(static_cast<std::size_t>(n), 0);
    for (std::size_t j = 0; j < indices.size(); ++j) {
        const Index i = indices[j];
        if (i < 0 || i >= n)
            fail(function, argument, " entry ", j, " is ", i, ", out of range [0, ", n, ")");
        auto& seen = mask[static_cast<std::size_t>(i)];
        if (seen) fail(function, argument, " entry ", j, " repeats index ", i);
        seen = 1;
    }
    return mask;
}

/// Indices in [0, n) without duplicates, sorted ascending (O(m log m), no O(n) memory).
inline std::vector<Index> sorted_indices(const char* function, const char* argument,
                                         const std::vector<Index>& indices, Index n) {
    std::vector<Index> sorted(indices);
    for (std::size_t j = 0; j < sorted.size(); ++j)
        if (sorted[j] < 0 || sorted[j] >= n)
            fail(function, argument, " entry ", j, " is ", sorted[j], ", out of range [0, ", n,
                 ")");
    std::sort(sorted.begin(), sorted.end());
    const auto dup = std::adjacent_find(sorted.begin(), sorted.end());
    if (dup != sorted.end()) fail(function, argument, " repeats index ", *dup);
    return sorted;
}

}  // namespace detail
}  // namespace acquire
