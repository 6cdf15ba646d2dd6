/// \file
/// Information density (Settles & Craven 2008): an informativeness score weighted by how
/// representative a sample is.
// Information density (Settles & Craven 2008): weight an informativeness score by how
// representative a sample is of the pool, so outliers are not queried first.
#pragma once

#include "acquire/core/error.hpp"
#include "acquire/core/parallel.hpp"
#include "acquire/core/simd.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

namespace acquire {
namespace detail {

#ifdef ACQUIRE_AVX2
/// Whether the kernels below give the bits of Eigen's own code in this build: Eigen uses
/// 16-byte packets (SSE2, no -march flags) and no fused multiply-add.
template <class Scalar>
constexpr bool eigen_sse2_order = Eigen::internal::packet_traits<Scalar>::Vectorizable &&
                                         Eigen::internal::packet_traits<Scalar>::size * sizeof(Scalar) == 16
#ifdef EIGEN_VECTORIZE_FMA
                                         && false
#endif
    ;

/// Whether the kernels below may stand in for Eigen's code on a block of rows of type Rows:
/// row-major float or double read in place, in a build where they give Eigen's bits (the
/// callers still ask for a unit inner stride and an AVX2 CPU at run time).
template <class Rows, class Scalar = typename Rows::Scalar>
constexpr bool eigen_order_rows = Rows::IsRowMajor && bool(Rows::Flags & Eigen::DirectAccessBit) &&
                                  (std::is_same_v<Scalar, float> || std::is_same_v<Scalar, double>) &&
                                  eigen_sse2_order<Scalar>;

/// Two rows' 16-byte chains in a 256-bit register, one per 128-bit half, for the kernels below:
/// each half sees exactly the operations Eigen's SSE2 code applies to one row.
template <class Scalar>
struct PairLanes;

template <>
struct PairLanes<float> {
    static ACQUIRE_AVX2_INLINE __m256 zero() { return _mm256_setzero_ps(); }
    static ACQUIRE_AVX2_INLINE __m256 load(const float* low, const float* high) { return _mm256_loadu2_m128(high, low); }
    static ACQUIRE_AVX2_INLINE __m256 both(const float* m) { return _mm256_broadcast_ps(reinterpret_cast<const __m128*>(m)); }
    static ACQUIRE_AVX2_INLINE __m256 add(__m256 a, __m256 b) { return _mm256_add_ps(a, b); }
    static ACQUIRE_AVX2_INLINE __m256 mul(__m256 a, __m256 b) { return _mm256_mul_ps(a, b); }
    /// Eigen's predux of a Packet4f: (c0 + c2) + (c1 + c3).
    static ACQUIRE_AVX2_INLINE float reduce(__m128 c) {
        const __m128 t = _mm_add_ps(c, _mm_movehl_ps(c, c));
        return _mm_cvtss_f32(_mm_add_ss(t, _mm_shuffle_ps(t, t, 1)));
    }
    static ACQUIRE_AVX2_INLINE float low(__m256 c) { return reduce(_mm256_castps256_ps128(c)); }
    static ACQUIRE_AVX2_INLINE float high(__m256 c) { return reduce(_mm256_extractf128_ps(c, 1)); }
    // The 256-bit steps of a d-vector update (a vectorised loop over entries, each on its own).
    static ACQUIRE_AVX2_INLINE __m256 wide(const float* p) { return _mm256_loadu_ps(p); }
    static ACQUIRE_AVX2_INLINE __m256 splat(float v) { return _mm256_set1_ps(v); }
    static ACQUIRE_AVX2_INLINE void store(float* p, __m256 v) { _mm256_storeu_ps(p, v); }
};

template <>
struct PairLanes<double> {
    static ACQUIRE_AVX2_INLINE __m256d zero() { return _mm256_setzero_pd(); }
    static ACQUIRE_AVX2_INLINE __m256d load(const double* low, const double* high) { return _mm256_loadu2_m128d(high, low); }
    static ACQUIRE_AVX2_INLINE __m256d both(const double* m) { return _mm256_broadcast_pd(reinterpret_cast<const __m128d*>(m)); }
    static ACQUIRE_AVX2_INLINE __m256d add(__m256d a, __m256d b) { return _mm256_add_pd(a, b); }
    static ACQUIRE_AVX2_INLINE __m256d mul(__m256d a, __m256d b) { return _mm256_mul_pd(a, b); }
    /// Eigen's predux of a Packet2d: c0 + c1.
    static ACQUIRE_AVX2_INLINE double reduce(__m128d c) { return _mm_cvtsd_f64(_mm_add_sd(c, _mm_unpackhi_pd(c, c))); }
    static ACQUIRE_AVX2_INLINE double low(__m256d c) { return reduce(_mm256_castpd256_pd128(c)); }
    static ACQUIRE_AVX2_INLINE double high(__m256d c) { return reduce(_mm256_extractf128_pd(c, 1)); }
    static ACQUIRE_AVX2_INLINE __m256d wide(const double* p) { return _mm256_loadu_pd(p); }
    static ACQUIRE_AVX2_INLINE __m256d splat(double v) { return _mm256_set1_pd(v); }
    static ACQUIRE_AVX2_INLINE void store(double* p, __m256d v) { _mm256_storeu_pd(p, v); }
};

/// The entries of a row past its whole packets, added one at a time, and the sum added to the
/// product's destination, 0 (Eigen's res[i] += alpha * cc with alpha = 1).
template <class Scalar>
ACQUIRE_AVX2_INLINE Scalar finish_row_dot(Scalar cc, const Scalar* x, const Scalar* m, Index whole, Index d) {
    for (Index j = whole; j < d; ++j) cc += x[j] * m[j];
    return Scalar(0) + cc;
}

/// out[i] = x_i . m for `rows` rows of d entries, `stride` entries apart, in exactly the order
/// of Eigen's SSE2 row-major matrix-vector product (Eigen 3.4): per row, a 16-byte chain
/// c = c + x_j * m_j over the whole packets (multiply, then add: AVX2 alone has no fused
/// multiply-add), reduced as Eigen's predux does, then the entries past the last packet added
/// one at a time, and the result added to 0. Here two rows share a 256-bit register, four rows
/// at a time: Eigen's product, which takes one row at a time, ran at 60% of a read's speed at
/// d = 128. Four rows side by side are four streams, so the kernel asks for the lines ahead:
/// rows of up to 1 KB with little padding, the next group but one (GroupPrefetch: rows of 128
/// floats from memory, medians of 15 rounds on an AMD EPYC, 0.9-1.1x a read against 1.5-1.6x
/// with the per-row requests below; 256 floats 1.0-1.15x against 1.4-1.5x; 64 doubles 1.0x
/// against 1.6x); longer or padded rows, each row's lines 8 rows ahead (rows of 1,024 and
/// 2,048 floats: 0.8-0.9x a read, against 0.9-1.0x in memory order).
template <class Scalar>
ACQUIRE_AVX2_KERNEL void row_dots_avx2(const Scalar* x, Index stride, Index rows, Index d, const Scalar* m, Scalar* out) {
    using L = PairLanes<Scalar>;
    constexpr Index P = 16 / sizeof(Scalar), line = 64 / sizeof(Scalar), ahead = 8;
    const Index whole = d - d % P;
    const GroupPrefetch<Scalar, 4, P> next(stride, d);
    for (Index i = 0; i < rows; i += 4) {
        // Four rows, or what is left (a missing row repeats the last one; its result is dropped).
        const Index last = std::min(rows - 1, i + 3);
        const Scalar* r0 = x + i * stride;
        const Scalar *r1 = x + std::min(i + 1, last) * stride, *r2 = x + std::min(i + 2, last) * stride,
                     *r3 = x + last * stride;
        auto a = L::zero(), b = L::zero();
        for (Index j = 0; j < whole; j += P) {
            if (next.in_order)
                next.step(r0, j, whole);
            else if (j % line == 0)
                for (Index q = 0; q < 4; ++q)
                    prefetch_ahead(r0 + j, static_cast<std::uintptr_t>((ahead + q) * stride) * sizeof(Scalar));
            const auto mm = L::both(m + j);
            a = L::add(L::mul(L::load(r0 + j, r1 + j), mm), a);
            b = L::add(L::mul(L::load(r2 + j, r3 + j), mm), b);
        }
        const Scalar dots[4] = {finish_row_dot(L::low(a), r0, m, whole, d), finish_row_dot(L::high(a), r1, m, whole, d),
                                finish_row_dot(L::low(b), r2, m, whole, d), finish_row_dot(L::high(b), r3, m, whole, d)};
        for (Index q = 0; q <= last - i; ++q) out[i + q] = dots[q];
    }
}

/// The squared norms of two rows of d entries in the order of Eigen's squaredNorm() (Eigen 3.4,
/// SSE2 packets, a reduction over an expression without direct access, so packets start at the
/// row's first entry): two chains of squared packets, even and odd, added together, then the
/// packet left over, Eigen's predux, and the remaining entries one at a time. Fewer entries
/// than a packet: the squares added in order.
template <class Scalar>
ACQUIRE_AVX2_INLINE void squared_norms(const Scalar* x0, const Scalar* x1, Index d, Scalar& s0, Scalar& s1) {
    using L = PairLanes<Scalar>;
    constexpr Index P = 16 / sizeof(Scalar);
    const Index whole = d - d % P, whole2 = d - d % (2 * P);
    if (whole == 0) {
        s0 = x0[0] * x0[0];
        s1 = x1[0] * x1[0];
        for (Index j = 1; j < d; ++j) s0 += x0[j] * x0[j], s1 += x1[j] * x1[j];
        return;
    }
    auto p0 = L::load(x0, x1);
    p0 = L::mul(p0, p0);
    if (whole > P) {
        auto p1 = L::load(x0 + P, x1 + P);
        p1 = L::mul(p1, p1);
        for (Index j = 2 * P; j < whole2; j += 2 * P) {
            const auto v0 = L::load(x0 + j, x1 + j), v1 = L::load(x0 + j + P, x1 + j + P);
            p0 = L::add(p0, L::mul(v0, v0));
            p1 = L::add(p1, L::mul(v1, v1));
        }
        p0 = L::add(p0, p1);
        if (whole > whole2) {
            const auto v = L::load(x0 + whole2, x1 + whole2);
            p0 = L::add(p0, L::mul(v, v));
        }
    }
    s0 = L::low(p0);
    s1 = L::high(p0);
    for (Index j = whole; j < d; ++j) s0 += x0[j] * x0[j], s1 += x1[j] * x1[j];
}

/// Pass 1 of information_density over a block of `len` rows, with the bits of
/// `inverse = rows.rowwise().squaredNorm()`, then `inverse[k] = invert(k, inverse[k])` in row
/// order, then `sum += rows.transpose() * inverse` (Eigen 3.4, SSE2), but reading each row from
/// memory once. Eigen's product takes the rows in groups of `group` (its block of columns: all
/// of them below 128, else 16, or 4 for rows 32,000 bytes apart or more); per entry, a group's
/// chain is c = 0, then c = x * w + c row after row, then sum = c + sum. Here each group's norms
/// are taken first (two rows per register), then its chains run four registers of entries at a
/// time, down the group's rows, from L1.
template <class Scalar, class Invert>
ACQUIRE_AVX2_KERNEL void norms_and_sum_avx2(const Scalar* x, Index stride, Index len, Index d, Index group,
                                           Scalar* inverse, Scalar* sum, Invert&& invert) {
    using L = PairLanes<Scalar>;
    constexpr Index W = 32 / sizeof(Scalar), line = 64 / sizeof(Scalar);
    // The norms read two rows side by side, so the lines ahead are asked for as they are taken.
    // Rows with little padding: the next pair but one (pass 1 from memory
    // against one read of X, medians of 15 rounds on an AMD EPYC: rows of 128 floats 1.2x
    // against 1.4-1.65x with the per-row requests below or none; 256 and 512 floats 1.25-1.35x
    // against 1.55-1.75x; 64 doubles 1.2x against 1.7-1.8x). Padded rows under 512 bytes: the
    // rows 8 ahead, each from its first entry (an older measurement against Eigen's pass,
    // float: d = 64 and 96 0.67-0.71x with it, 0.76-0.86x without); longer ones: none.
    const std::uintptr_t row_bytes = static_cast<std::uintptr_t>(stride) * sizeof(Scalar);
    const bool in_order = stride - d < line;
    const bool per_row = !in_order && row_bytes < 512;
    const std::uintptr_t ahead = 8 * row_bytes;
    for (Index g0 = 0; g0 < len; g0 += group) {
        const Index g1 = std::min(len, g0 + group);
        for (Index k = g0; k < g1; k += 2) {
            const Scalar* r0 = x + k * stride;
            const Scalar* r1 = k + 1 < g1 ? r0 + stride : r0;
            if (in_order)  // the next pair but one, at once (GroupPrefetch's group)
                prefetch_span(r0, 2 * row_bytes + 8192, 2 * row_bytes);
            else if (per_row)
                for (Index j = 0; j < d; j += line) prefetch_ahead(r0 + j, ahead), prefetch_ahead(r1 + j, ahead);
            Scalar s0, s1;
            squared_norms(r0, r1, d, s0, s1);
            inverse[k] = invert(k, s0);
            if (k + 1 < g1) inverse[k + 1] = invert(k + 1, s1);
        }
        const Scalar* first = x + g0 * stride;
        Index i = 0;
        for (; i + 4 * W <= d; i += 4 * W) {
            auto c0 = L::zero(), c1 = L::zero(), c2 = L::zero(), c3 = L::zero();
            for (Index k = g0; k < g1; ++k) {
                const Scalar* row = first + (k - g0) * stride + i;
                const auto w = L::splat(inverse[k]);
                c0 = L::add(L::mul(L::wide(row), w), c0);
                c1 = L::add(L::mul(L::wide(row + W), w), c1);
                c2 = L::add(L::mul(L::wide(row + 2 * W), w), c2);
                c3 = L::add(L::mul(L::wide(row + 3 * W), w), c3);
            }
            L::store(sum + i, L::add(c0, L::wide(sum + i)));
            L::store(sum + i + W, L::add(c1, L::wide(sum + i + W)));
            L::store(sum + i + 2 * W, L::add(c2, L::wide(sum + i + 2 * W)));
            L::store(sum + i + 3 * W, L::add(c3, L::wide(sum + i + 3 * W)));
        }
        for (; i + W <= d; i += W) {
            auto c = L::zero();
            for (Index k = g0; k < g1; ++k) c = L::add(L::mul(L::wide(first + (k - g0) * stride + i), L::splat(inverse[k])), c);
            L::store(sum + i, L::add(c, L::wide(sum + i)));
        }
        for (; i < d; ++i) {
            Scalar c = 0;
            for (Index k = g0; k < g1; ++k) c = first[(k - g0) * stride + i] * inverse[k] + c;
            sum[i] = c + sum[i];
        }
    }
}
#endif

/// dots = rows * m (rows: a block of X's rows, m contiguous, dots a vector segment), with the
/// bits of Eigen's product: through row_dots_avx2 where that kernel reproduces them (row-major
/// rows read in place, an AVX2 CPU, Eigen's SSE2 packets), else Eigen's product itself.
template <class Rows, class Mean, class Dots>
void row_dots(const Rows& rows, const Mean& m, Dots&& dots) {
#ifdef ACQUIRE_AVX2
    if constexpr (eigen_order_rows<Rows>) {
        // One row: Eigen's product is then a dot product, in another order.
        if (rows.rows() > 1 && rows.innerStride() == 1 && cpu_has_avx2())
            return row_dots_avx2(rows.data(), rows.outerStride(), rows.rows(), rows.cols(), m.data(), dots.data());
    }
#endif
    dots.noalias() = rows * m;
}

/// Pass 1 over a block of rows: inverse = rows.rowwise().squaredNorm(), then inverse[k] =
/// invert(k, inverse[k]) in row order, then sum += rows.transpose() * inverse, with Eigen's bits:
/// through norms_and_sum_avx2 (one read of the rows) where it reproduces them, else Eigen's
/// expressions themselves.
template <class Rows, class Inverse, class Sum, class Invert>
void norms_and_sum(const Rows& rows, Inverse&& inverse, Sum& sum, Invert&& invert) {
    const Index len = rows.rows();
#ifdef ACQUIRE_AVX2
    if constexpr (eigen_order_rows<Rows>) {
        // d = 1: Eigen's product is then a dot product, in another order.
        if (const Index d = rows.cols(); d > 1 && rows.innerStride() == 1 && cpu_has_avx2()) {
            const Index stride = rows.outerStride();
            const Index group = len < 128 ? len : stride * Index(sizeof(typename Rows::Scalar)) < 32000 ? 16 : 4;
            return norms_and_sum_avx2(rows.data(), stride, len, d, group, inverse.data(), sum.data(), invert);
        }
    }
#endif
    inverse = rows.rowwise().squaredNorm();
    for (Index k = 0; k < len; ++k) inverse[k] = invert(k, inverse[k]);
    sum.noalias() += rows.transpose() * inverse;
}

}  // namespace detail

/// \addtogroup embedding_scorers
/// @{

/// Information density (Settles & Craven 2008, eq. 1):
///   ID(x) = score(x) * (max(0, (1/N) sum_{u in pool} cos(x, x_u)))^beta,
/// the sum running over all N rows (x itself included). Because the mean cosine is linear,
/// (1/N) sum_u cos(x, x_u) = xhat . mean_u(xhat_u) with xhat = x / ||x||, it costs O(N d) time
/// (two passes over X) and O(N + d N / 2048) memory: no N x N matrix, no tiles. A negative mean
/// similarity counts as 0 (so the power is defined for any beta >= 0); beta = 0 returns the
/// scores. Integer beta <= 8 and beta = 0.5 are evaluated by products and sqrt rather than
/// std::pow (equal up to rounding). Higher = query first. Any layout of X, read in place.
///
/// Throws invalid_input for shape mismatches, non-finite X or scores, zero rows, and beta
/// negative or not finite.
template <class DerivedX, class DerivedS>
Vector<typename DerivedS::Scalar> information_density(const Eigen::MatrixBase<DerivedX>& X,
                                                      const Eigen::MatrixBase<DerivedS>& scores, double beta,
                                                      const CheckOptions& checks = {}) {
    constexpr const char* fn = "information_density";
    using Scalar = typename DerivedS::Scalar;
    const Index n = X.rows();
    detail::check_shape(fn, "X", n, X.cols());
    if (scores.size() != n) detail::fail(fn, "scores has ", scores.size(), " entries but X has ", n, " rows");
    if (!(beta >= 0) || !std::isfinite(beta)) detail::fail(fn, "beta must be finite and >= 0, got ", beta);
    // Two passes over X, each a block of rows at a time. Pass 1 fuses the norms, the mean unit
    // row and the finiteness check: a block's squared norms, then its contribution to the mean
    // while the block is still in cache (with AVX2, row by row as each arrives: norms_and_sum).
    // Pass 2 walks the blocks in reverse, so the rows pass 1 read last are still cached. Both
    // keep the bits of Eigen's expressions. Per-chunk partial means are added in chunk order in
    // double: the result does not depend on the thread count.
    using XScalar = typename DerivedX::Scalar;
    using XVector = Vector<XScalar>;
    const Index d = X.cols();
    constexpr Index chunk = 2048, block = 256;
    const Index chunks = (n + chunk - 1) / chunk;
    XVector inverse(n);  // 1 / ||x_i||, or 0 where the squared norm is 0, NaN or Inf
    Eigen::MatrixXd partial(d, chunks);
    std::vector<Index> first_zero(static_cast<std::size_t>(chunks), -1), first_overflow(first_zero);
    detail::parallel_for(chunks, 2, [&](Index j) {
        const Index c0 = j * chunk, c1 = std::min(n, c0 + chunk);
        XVector sum = XVector::Zero(d);
        // s = ||x_i||^2 -> 1 / ||x_i||, recording the first zero (or NaN) and overflowing row.
        auto invert = [&](Index i, XScalar s) {
            if (s > 0 && s <= std::numeric_limits<XScalar>::max()) return XScalar(1) / std::sqrt(s);
            auto& first = s > 0 ? first_overflow[static_cast<std::size_t>(j)] : first_zero[static_cast<std::size_t>(j)];
            if (first < 0) first = i;
            return XScalar(0);
        };
        for (Index r0 = c0; r0 < c1; r0 += block) {
            const Index len = std::min(block, c1 - r0);
            detail::norms_and_sum(X.middleRows(r0, len), inverse.segment(r0, len), sum,
                                  [&](Index k, XScalar s) { return invert(r0 + k, s); });
        }
        partial.col(j) = sum.template cast<double>();
    });
    auto first_of = [](const std::vector<Index>& firsts) {
        for (Index i : firsts)
            if (i >= 0) return i;
        return Index(-1);
    };
    // The checks in their documented order: X's values, the scores, then zero rows. A squared
    // norm of Inf or NaN is the only sign of a non-finite entry, so X is re-scanned only then.
    if (checks.values) {
        if (first_of(first_overflow) >= 0 || first_of(first_zero) >= 0) detail::check_finite(fn, "X", X);
        detail::check_finite(fn, "scores", scores.derived().reshaped());
    }
    const Index zero_row = first_of(first_zero);
    if (zero_row >= 0) detail::fail(fn, "X row ", zero_row, " has zero norm (cosine similarity)");
    // Rows whose squared norm overflows (finite entries near the top of the range): their unit
    // row is taken with a scaled norm, one row at a time.
    for (Index i = 0; i < n; ++i)
        if (inverse[i] == 0) {
            const XScalar norm = X.row(i).stableNorm();
            inverse[i] = XScalar(1) / norm;
            partial.col(i / chunk) += (X.row(i).transpose().template cast<double>() / static_cast<double>(norm));
        }
    const XVector mean = (partial.rowwise().sum() / static_cast<double>(n)).template cast<XScalar>();

    // Pass 2, with the weight's form chosen once, outside the loop over rows (the loop is then
    // plain arithmetic the compiler can vectorise).
    Vector<Scalar> out(n);
    const auto flat = scores.derived().reshaped();
    auto weigh_rows = [&](auto weight) {
        detail::parallel_for(chunks, 2, [&](Index reversed) {
            const Index j = chunks - 1 - reversed;
            const Index c0 = j * chunk, c1 = std::min(n, c0 + chunk);
            XVector dots(block);
            for (Index r1 = c1; r1 > c0;) {
                const Index r0 = std::max(c0, r1 - block), len = r1 - r0;
                detail::row_dots(X.middleRows(r0, len), mean, dots.head(len));
                for (Index i = 0; i < len; ++i) {
                    const double similarity = std::max(0.0, static_cast<double>(dots[i] * inverse[r0 + i]));
                    out[r0 + i] = static_cast<Scalar>(static_cast<double>(flat(r0 + i)) * weight(similarity));
                }
                r1 = r0;
            }
        });
    };
    const int power = beta == std::floor(beta) && beta <= 8 ? static_cast<int>(beta) : -1;
    switch (power) {
        case 0: weigh_rows([](double) { return 1.0; }); break;  // as std::pow(x, 0), also for x = 0
        case 1: weigh_rows([](double x) { return x; }); break;
        case 2: weigh_rows([](double x) { return x * x; }); break;
        case -1:
            if (beta == 0.5) weigh_rows([](double x) { return std::sqrt(x); });
            else weigh_rows([beta](double x) { return std::pow(x, beta); });
            break;
        default:
            weigh_rows([power](double x) {
                double w = x;
                for (int k = 1; k < power; ++k) w *= x;
                return w;
            });
    }
    return out;
}

/// @}

}  // namespace acquire
