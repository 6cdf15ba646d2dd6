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

/// Rows of `a` and `b` describe the same samples.
inline void check_same_rows(const char* function, const char* a, Index rows_a, const char* b,
                            Index rows_b) {
    if (rows_a != rows_b)
        fail(function, a, " has ", rows_a, " rows but ", b, " has ", rows_b);
}

/// Every entry finite. Names the first offending row (lowest index) and column.
template <class Derived>
void check_finite(const char* function, const char* argument,
                  const Eigen::MatrixBase<Derived>& m) {
    if (m.allFinite()) return;
    for (Index i = 0; i < m.rows(); ++i)
        for (Index k = 0; k < m.cols(); ++k)
            if (!std::isfinite(static_cast<double>(m(i, k))))
                fail(function, argument, " row ", i, " column ", k, " is ", m(i, k),
                     " (must be finite)");
}

/// Rows are probability distributions: finite, each entry in [0, 1], each row summing to 1
/// within `checks.tolerance`. Names the first offending row.
template <class Derived>
void check_probabilities(const char* function, const char* argument,
                         const Eigen::MatrixBase<Derived>& p, const CheckOptions& checks) {
    check_tolerance(function, checks);
    if (!checks.values) return;
    using Scalar = typename Derived::Scalar;
    check_finite(function, argument, p);
    const auto a = p.array();
    if ((a < Scalar(0)).any() || (a > Scalar(1)).any()) {
        for (Index i = 0; i < p.rows(); ++i)
            for (Index k = 0; k < p.cols(); ++k)
                if (p(i, k) < Scalar(0) || p(i, k) > Scalar(1))
                    fail(function, argument, " row ", i, " column ", k, " is ", p(i, k),
                         " (must be in [0, 1])");
    }
    // Row sums in double: a float sum of 1000 entries can drift by ~1e-4 on its own.
    const Eigen::VectorXd sums = p.template cast<double>().rowwise().sum();
    const double worst = (sums.array() - 1.0).abs().maxCoeff();
    if (worst <= checks.tolerance) return;
    for (Index i = 0; i < sums.size(); ++i)
        if (std::abs(sums[i] - 1.0) > checks.tolerance)
            fail(function, argument, " row ", i, " sums to ", sums[i], " (tolerance ",
                 checks.tolerance, ")");
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
