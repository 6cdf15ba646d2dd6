// Per-row reductions shared by the input checks and the scorers: the largest, second largest and
// lowest entry of a row and its sum, in one branch-free pass, so that a scorer can validate a row
// in the same pass that scores it.
#pragma once

#include "acquire/core/types.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <limits>

namespace acquire::detail {

/// Merges top-two pairs lane by lane: the top two of {a1, a2, b1, b2} with a1 >= a2, b1 >= b2
/// are max(a1, b1) and max(min(a1, b1), max(a2, b2)).
template <class A>
void merge_top_two(A& a1, A& a2, const A& b1, const A& b2) {
    a2 = a2.max(b2).max(a1.min(b1));
    a1 = a1.max(b1);
}

/// Halves W lanes of top-two pairs down to one pair.
template <int W, class Scalar>
void reduce_top_two(const Eigen::Array<Scalar, W, 1>& m1, const Eigen::Array<Scalar, W, 1>& m2,
                    Scalar& first, Scalar& second) {
    if constexpr (W == 1) {
        first = m1[0];
        second = m2[0];
    } else {
        Eigen::Array<Scalar, W / 2, 1> a1 = m1.template head<W / 2>(), a2 = m2.template head<W / 2>();
        merge_top_two(a1, a2, Eigen::Array<Scalar, W / 2, 1>(m1.template tail<W / 2>()),
                      Eigen::Array<Scalar, W / 2, 1>(m2.template tail<W / 2>()));
        reduce_top_two<W / 2>(a1, a2, first, second);
    }
}

/// One branch-free pass over a row: its largest entry `first`, with `Second` also the second
/// largest (`floor` standing in for a missing second when K = 1 and bounding it from below; two
/// entries equal to the maximum give second == first), and with `Check` also the lowest entry
/// `lo` and the `sum` that validate the row in the same pass (a NaN or Inf anywhere makes the
/// sum NaN or Inf). W lanes each keep their own top two (Eigen's fixed-size packets:
/// second = max(second, min(first, v)); first = max(first, v)), merged by halving at the end.
/// Maxima are exact in any order, so `first` and `second` do not depend on `Check`.
template <bool Second, bool Check, class Row, class Scalar>
void row_pass(const Row& r, Scalar floor, Scalar& first, Scalar& second, Scalar& lo, Scalar& sum) {
    constexpr int W = 32 / int(sizeof(Scalar));
    using Lanes = Eigen::Array<Scalar, W, 1>;
    constexpr Scalar lowest = -std::numeric_limits<Scalar>::infinity();
    constexpr Scalar highest = std::numeric_limits<Scalar>::infinity();
    Scalar f1 = lowest, f2 = lowest, l = highest, s = 0;
    const Index K = r.size();
    Index j = 0;
    if (K >= 4 * W) {  // below that the scalar loop is faster than merging the lanes
        Lanes m1 = Lanes::Constant(lowest), m2 = Lanes::Constant(lowest);
        Lanes mn = Lanes::Constant(highest), acc = Lanes::Zero();
        for (; j + W <= K; j += W) {
            const Lanes v = r.template segment<W>(j);
            if constexpr (Second) m2 = m2.max(m1.min(v));
            m1 = m1.max(v);
            if constexpr (Check) {
                mn = mn.min(v);
                acc += v;
            }
        }
        if constexpr (Second) reduce_top_two<W>(m1, m2, f1, f2);
        else f1 = m1.maxCoeff();
        if constexpr (Check) {
            l = mn.minCoeff();
            s = acc.sum();
        }
    }
    for (; j < K; ++j) {
        const Scalar v = r.coeff(j);
        if constexpr (Second) f2 = std::max(f2, std::min(f1, v));
        f1 = std::max(f1, v);
        if constexpr (Check) {
            l = std::min(l, v);
            s += v;
        }
    }
    first = f1;
    if constexpr (Second) second = std::max(f2, floor);
    if constexpr (Check) {
        lo = l;
        sum = s;
    }
}

/// A row of probabilities is valid: entries in [0, 1], finite, summing to 1 within `tol`.
template <class Scalar>
bool distribution_ok(Scalar lo, Scalar hi, Scalar sum, Scalar tol) {
    return lo >= Scalar(0) && hi <= Scalar(1) && std::abs(sum - Scalar(1)) <= tol;
}

}  // namespace acquire::detail
