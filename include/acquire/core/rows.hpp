/// \file
/// Internal: per-row reductions shared by the input checks and the scorers (namespace
/// acquire::detail, no public names).
// Per-row reductions shared by the input checks and the scorers: the largest, second largest and
// lowest entry of a row and its sum, in one branch-free pass, so that a scorer can validate a row
// in the same pass that scores it.
#pragma once

#include "acquire/core/simd.hpp"
#include "acquire/core/types.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>
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

/// Rows shorter than this go through row_pass's scalar loop (below four registers of lanes the
/// scalar loop is faster than merging the lanes), and through short_rows_avx2 under AVX2.
template <class Scalar>
constexpr Index short_row_limit = 4 * (32 / Index(sizeof(Scalar)));

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
    if (K >= short_row_limit<Scalar>) {
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

/// What the AVX2 row kernels write per row: nothing (they only validate), a score from the
/// row's top one or two entries, or (short rows only) the row's argmax class as a Scalar: the
/// lowest class holding the largest entry, a NaN never taking over from entry 0 or any later
/// one (the scalar `if (row[k] > row[best]) best = k`, which the committee's votes use).
enum class RowScore { none, least_confidence, margin, ratio, argmax };

/// S's score of a row from its largest and second largest entries (`second` already at least
/// 0): 1 - first, 1 - (first - second) or second / first. The scalar scorers and the kernels'
/// scalar rows use it; top_score is the same formulas lane by lane.
template <RowScore S, class Scalar>
Scalar row_top_score(Scalar first, Scalar second) {
    if constexpr (S == RowScore::least_confidence) return Scalar(1) - first;
    else if constexpr (S == RowScore::margin) return Scalar(1) - (first - second);
    else return second / first;
}

#ifdef ACQUIRE_AVX2
/// row_top_score for a register of rows, lane by lane.
template <RowScore S, class A>
ACQUIRE_AVX2_INLINE typename A::V top_score(typename A::V first, typename A::V second) {
    const auto one = A::set1(1);
    if constexpr (S == RowScore::least_confidence) return A::sub(one, first);
    else if constexpr (S == RowScore::margin) return A::sub(one, A::sub(first, second));
    else return A::div(second, first);
}

/// Lanes whose row is not a distribution (distribution_ok, lane by lane): lowest < 0, highest
/// > 1 or |sum - 1| > tol, a NaN counting as out of range.
template <class A>
ACQUIRE_AVX2_INLINE typename A::V not_distribution(typename A::V lo, typename A::V hi, typename A::V sum,
                                                   typename A::V tol) {
    const auto zero = A::set1(0), one = A::set1(1);
    return A::bit_or(A::bit_or(A::not_ge(lo, zero), A::not_le(hi, one)), A::not_le(A::abs(A::sub(sum, one)), tol));
}

/// How many rows ahead the row kernels prefetch (far enough to cover memory latency, near enough
/// not to evict what is being read: 4, 8, 16 and 32 rows measured at K = 100, 8 to 32 alike).
constexpr Index prefetch_rows = 16;

/// The distance in bytes that prefetch_rows rows make, for rows `stride` entries apart.
template <class Scalar>
constexpr std::uintptr_t prefetch_distance(Index stride) {
    return std::uintptr_t(prefetch_rows * stride) * sizeof(Scalar);
}

/// Rows of at most a few registers each in AVX2 (the baseline handles them one row at a time
/// with scalar code): `count` row-major rows of K entries, row i at x + i * stride, scored into
/// out[i] by S and, with `Check`, validated (`ok` cleared when a row is bad). With S = none
/// the rows are only validated (entropy and the stack checks); with S = argmax the class is
/// found in the same pass as the verdict (the committee's votes). Each lane is one row: a
/// register's rows are read a few entries at a time with plain loads and transposed in
/// registers (Avx2::transposed), so entry k of the 8 (float) or 4 (double) rows arrives in one
/// register (one gather per entry cost 3-4x as much on an AMD EPYC, Zen 3). The operations
/// per row are those of row_pass's scalar loop and of the scorers' formulas, in the same order,
/// so scores and verdicts are the same bits. The loads
/// read up to columns - 1 entries past a row's K-th (the next row's, or the stride's padding);
/// a group whose last row would read past x[(count - 1) * stride + K - 1] is left to the
/// caller. Returns the rows done, a multiple of two registers; the caller scores the rest.
template <RowScore S, bool Check, class Scalar>
ACQUIRE_AVX2_KERNEL Index short_rows_avx2(const Scalar* x, Index stride, Index count, Index K, Scalar* out,
                                          Scalar tol, bool& ok) {
    using A = Avx2<Scalar>;
    using V = typename A::V;
    constexpr int L = A::lanes, C = 2, Q = A::columns;
    constexpr bool second = S == RowScore::margin || S == RowScore::ratio;
    const V highest = A::set1(std::numeric_limits<Scalar>::infinity());
    const V lowest = A::set1(-std::numeric_limits<Scalar>::infinity());
    const V zero = A::set1(0), tolerance = A::set1(tol);
    V bad = zero;
    const Index reach = (K + Q - 1) / Q * Q;    // entries each row's loads cover
    const Index end = (count - 1) * stride + K;  // entries the caller's rows span
    // The group's rows lie together: their lines, prefetch_rows on, are asked for in one sweep.
    const std::uintptr_t span = std::uintptr_t(C * L * stride) * sizeof(Scalar);
    const std::uintptr_t ahead = prefetch_distance<Scalar>(stride);
    Index i = 0;
    for (; i + C * L <= count && (i + C * L - 1) * stride + reach <= end; i += C * L) {
        for (std::uintptr_t byte = 0; byte < span; byte += 64) prefetch_ahead(x + i * stride, ahead + byte);
        V f1[C], f2[C], lo[C], sum[C], best[C], arg[C];
        for (int c = 0; c < C; ++c) {
            f1[c] = f2[c] = best[c] = lowest;  // best is entry 0 once read (a NaN there stays)
            lo[c] = highest;
            sum[c] = zero;
            arg[c] = zero;
        }
        for (Index j = 0; j < K; j += Q) {
            const Index here = std::min<Index>(Q, K - j);
            for (int c = 0; c < C; ++c) {
                V v[Q];
                A::transposed(x + (i + c * L) * stride + j, stride, v);
                for (int q = 0; q < Q && q < here; ++q) {
                    if constexpr (second) f2[c] = A::max(f2[c], A::min(f1[c], v[q]));
                    f1[c] = A::max(f1[c], v[q]);
                    if constexpr (S == RowScore::argmax) {
                        if (j + q == 0) {
                            best[c] = v[q];
                        } else {
                            const V wins = A::greater(v[q], best[c]);
                            best[c] = A::select(wins, best[c], v[q]);
                            arg[c] = A::select(wins, arg[c], A::set1(Scalar(j + q)));
                        }
                    }
                    if constexpr (Check) {
                        lo[c] = A::min(lo[c], v[q]);
                        sum[c] = A::add(sum[c], v[q]);
                    }
                }
            }
        }
        for (int c = 0; c < C; ++c) {
            if constexpr (S == RowScore::argmax) A::store(out + i + c * L, arg[c]);
            else if constexpr (S != RowScore::none)
                A::store(out + i + c * L, top_score<S, A>(f1[c], A::max(f2[c], zero)));
            if constexpr (Check) bad = A::bit_or(bad, not_distribution<A>(lo[c], f1[c], sum[c], tolerance));
        }
    }
    if (A::any(bad)) ok = false;
    return i;
}

/// R rows of long_rows_avx2's scoring path, row r at x + r * stride, scored into out[r]: each
/// row's chains (top two, sum) as row_pass's vector loop and scalar tail keeps them, side by side.
/// The lowest entries go into the block's `mn` and `block_lo`. Returns whether the rows' highest
/// entries and sums are good (true without Check).
template <RowScore S, bool Check, int R, class Scalar>
ACQUIRE_AVX2_INLINE bool long_row_group(const Scalar* x, Index stride, Index K, Scalar* out, Scalar tol,
                                        typename Avx2<Scalar>::V& mn, Scalar& block_lo) {
    using A = Avx2<Scalar>;
    using V = typename A::V;
    constexpr int L = A::lanes;
    constexpr bool second = S == RowScore::margin || S == RowScore::ratio;
    constexpr Scalar inf = std::numeric_limits<Scalar>::infinity();
    const V lowest = A::set1(-inf);
    const std::uintptr_t ahead = prefetch_distance<Scalar>(stride);
    // Rows in memory order where GroupPrefetch applies. From memory, N = 1e6 rows of 100, one
    // thread, an AMD EPYC, against one read of P in the same binary (medians of 5, three runs):
    // least_confidence (four rows at a time) went from 1.45-1.55x to 0.95-1.05x unchecked and
    // 1.3-1.45x to 1.0-1.05x checked in float, 1.4-1.85x to 1.0-1.2x in double; margin (two
    // rows) from 1.1-1.2x to 0.97-0.98x.
    const GroupPrefetch<Scalar, R, L> next(stride, K);
    V m1[R], m2[R], acc[R];
    for (int r = 0; r < R; ++r) {
        m1[r] = m2[r] = lowest;
        acc[r] = A::set1(0);
    }
    Index j = 0;
    for (; j + L <= K; j += L) {
        V v[R];
        if (next.in_order) next.step(x, j, K);
        for (int r = 0; r < R; ++r) {
            if (!next.in_order) prefetch_ahead(x + r * stride + j, ahead);
            v[r] = A::load(x + r * stride + j);
            if constexpr (second) m2[r] = A::max(m2[r], A::min(m1[r], v[r]));
            m1[r] = A::max(m1[r], v[r]);
            if constexpr (Check) acc[r] = A::add(acc[r], v[r]);
        }
        if constexpr (Check) {
            V low = v[0];
            for (int r = 1; r < R; ++r) low = A::min(low, v[r]);
            mn = A::min(mn, low);
        }
    }
    bool good = true;
    for (int r = 0; r < R; ++r) {
        const Scalar* row = x + r * stride;
        Scalar f1, f2 = -inf, lo = inf, sum = 0;
        if constexpr (second) A::top_two(m1[r], m2[r], f1, f2);
        else f1 = A::max_lane(m1[r]);
        if constexpr (Check) sum = A::sum_lanes(acc[r]);
        for (Index k = j; k < K; ++k) {
            const Scalar v = row[k];
            if constexpr (second) f2 = std::max(f2, std::min(f1, v));
            f1 = std::max(f1, v);
            if constexpr (Check) {
                lo = std::min(lo, v);
                sum += v;
            }
        }
        if constexpr (Check) {
            block_lo = std::min(block_lo, lo);
            good &= f1 <= Scalar(1) && std::abs(sum - Scalar(1)) <= tol;
        }
        out[r] = row_top_score<S>(f1, std::max(f2, Scalar(0)));
    }
    return good;
}

/// Rows of at least short_row_limit entries in AVX2: row_pass's vector loop (one register
/// holds its W lanes), its lane reductions in the same tree and operand order (reduce_top_two's
/// halvings; Eigen's packet sum, which adds the two halves and then within the half), and its
/// scalar tail, so scores and verdicts are the same bits. With S = none, only validates.
template <RowScore S, bool Check, class Scalar>
ACQUIRE_AVX2_KERNEL void long_rows_avx2(const Scalar* x, Index stride, Index count, Index K, Scalar* out,
                                        Scalar tol, bool& ok) {
    static_assert(S != RowScore::argmax, "long rows find their argmax in scalar code");
    using A = Avx2<Scalar>;
    using V = typename A::V;
    constexpr int L = A::lanes;
    constexpr bool second = S == RowScore::margin || S == RowScore::ratio;
    constexpr Scalar inf = std::numeric_limits<Scalar>::infinity();
    const V highest = A::set1(inf), lowest = A::set1(-inf), zero = A::set1(0);
    bool good = true;
    if constexpr (S == RowScore::none) {
        // Only validating: "every entry in [0, 1]" holds for the rows exactly when it holds for
        // the block, so the range is reduced once per call and only the sums once per row.
        // Rows go four at a time, so that four sums' chains of dependent adds overlap (one row
        // at a time runs at a third of the speed); the rows left over go one at a time.
        const std::uintptr_t ahead = prefetch_distance<Scalar>(stride);
        V mn = highest, mx = lowest, mn2 = highest, mx2 = lowest;
        Scalar lo = inf, hi = -inf;
        Index i = 0;
        for (; i + 4 <= count; i += 4) {
            const Scalar* r = x + i * stride;
            const Scalar *r1 = r + stride, *r2 = r1 + stride, *r3 = r2 + stride;
            V a0 = zero, a1 = zero, a2 = zero, a3 = zero;
            Index j = 0;
            for (; j + L <= K; j += L) {
                for (const Scalar* row : {r, r1, r2, r3}) prefetch_ahead(row + j, ahead);
                const V v0 = A::load(r + j), v1 = A::load(r1 + j), v2 = A::load(r2 + j), v3 = A::load(r3 + j);
                a0 = A::add(a0, v0);
                a1 = A::add(a1, v1);
                a2 = A::add(a2, v2);
                a3 = A::add(a3, v3);
                mn = A::min(mn, A::min(v0, v1));
                mn2 = A::min(mn2, A::min(v2, v3));
                mx = A::max(mx, A::max(v0, v1));
                mx2 = A::max(mx2, A::max(v2, v3));
            }
            Scalar s0 = A::sum_lanes(a0), s1 = A::sum_lanes(a1), s2 = A::sum_lanes(a2), s3 = A::sum_lanes(a3);
            for (; j < K; ++j) {
                s0 += r[j];
                s1 += r1[j];
                s2 += r2[j];
                s3 += r3[j];
                lo = std::min(lo, std::min(std::min(r[j], r1[j]), std::min(r2[j], r3[j])));
                hi = std::max(hi, std::max(std::max(r[j], r1[j]), std::max(r2[j], r3[j])));
            }
            good &= std::abs(s0 - Scalar(1)) <= tol && std::abs(s1 - Scalar(1)) <= tol;
            good &= std::abs(s2 - Scalar(1)) <= tol && std::abs(s3 - Scalar(1)) <= tol;
        }
        for (; i < count; ++i) {
            const Scalar* r = x + i * stride;
            V acc = zero;
            Index j = 0;
            for (; j + L <= K; j += L) {
                const V v = A::load(r + j);
                mn = A::min(mn, v);
                mx = A::max(mx, v);
                acc = A::add(acc, v);
            }
            Scalar sum = A::sum_lanes(acc);
            for (; j < K; ++j) {
                lo = std::min(lo, r[j]);
                hi = std::max(hi, r[j]);
                sum += r[j];
            }
            good &= std::abs(sum - Scalar(1)) <= tol;
        }
        mn = A::min(mn, mn2);
        mx = A::max(mx, mx2);
        good &= std::min(lo, A::min_lane(mn)) >= Scalar(0) && std::max(hi, A::max_lane(mx)) <= Scalar(1);
        if (!good) ok = false;
        return;
    }
    // The lowest entry matters only for the block ("every entry >= 0"): reduced once per call.
    // Rows go R at a time (four for least_confidence, two for the top-two scores, whose chains
    // fill more registers), so that their chains of dependent max and add overlap; each row
    // keeps its own chains, so its score and verdict are those of one row at a time.
    constexpr int R = second ? 2 : 4;
    V mn = highest;
    Scalar block_lo = inf;
    Index i = 0;
    for (; i + R <= count; i += R) good &= long_row_group<S, Check, R>(x + i * stride, stride, K, out + i, tol, mn, block_lo);
    for (; i < count; ++i) good &= long_row_group<S, Check, 1>(x + i * stride, stride, K, out + i, tol, mn, block_lo);
    if constexpr (Check) good &= std::min(block_lo, A::min_lane(mn)) >= Scalar(0);
    if (!good) ok = false;
}
#endif

}  // namespace acquire::detail
