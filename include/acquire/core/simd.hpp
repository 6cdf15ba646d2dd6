/// \file
/// Internal: AVX2 kernels chosen at run time (namespace acquire::detail, no public names).
// AVX2 kernels chosen at run time, for the few loops where SSE2 (all that x86-64 promises, and
// all an Eigen build without -march flags uses) leaves a default call compute-bound. Nothing
// needs -march flags: a kernel is compiled for AVX2 with a function attribute and called only
// when the CPU reports AVX2. Every kernel does the same IEEE operations in the same order as the
// baseline code it stands in for (AVX2 alone has no fused multiply-add), so results are the same
// bits on every x86-64 CPU; each has a test that says so.
//
// ACQUIRE_AVX2 is defined where this works (GCC or Clang on x86-64); elsewhere only the
// baseline code exists.
#pragma once

#include "acquire/core/types.hpp"

#include <cstdint>

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#define ACQUIRE_AVX2 1
#include <immintrin.h>
/// A helper inlined into AVX2 kernels only.
#define ACQUIRE_AVX2_INLINE __attribute__((target("avx2"), always_inline)) inline
/// An AVX2 kernel: call it only when cpu_has_avx2().
#define ACQUIRE_AVX2_KERNEL __attribute__((target("avx2")))

namespace acquire::detail {

/// Whether this CPU runs AVX2 (asked once).
inline bool cpu_has_avx2() {
    static const bool yes = [] {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") != 0;
    }();
    return yes;
}

/// An AVX-512F kernel: call it only when cpu_has_avx512f(). Like the AVX2 kernels it must give
/// the baseline's bits, but AVX-512F has fused multiply-add, which a compiler may contract a
/// product and a sum into: such a kernel passes its products through ACQUIRE_KEEP_ROUNDED.
#define ACQUIRE_AVX512_KERNEL __attribute__((target("avx512f")))

/// Whether this CPU (and the OS, for the 512-bit registers' state) runs AVX-512F (asked once).
inline bool cpu_has_avx512f() {
    static const bool yes = [] {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") != 0;
    }();
    return yes;
}

/// Products that must stay rounded: ACQUIRE_NO_CONTRACT opens the compound statement that
/// computes the product into a variable v, then ACQUIRE_KEEP_ROUNDED(v) before v is added, so a
/// compiler never contracts the two into a fused multiply-add (one rounding, not two: other
/// bits). GCC gets an empty asm that hides where v came from (it checks the asm's operand only
/// once the kernel is inlined into its AVX-512 caller); Clang, which checks it earlier, gets
/// its pragma instead. Neither emits an instruction. Clang's -ffp-contract=fast overrides the
/// pragma: such a build gets other bits from the AVX-512 kernels, as any build does from the
/// baseline code under -march flags with FMA (the kernels' tests then say so).
#if defined(__clang__)
#define ACQUIRE_NO_CONTRACT _Pragma("clang fp contract(off)")
#define ACQUIRE_KEEP_ROUNDED(v) static_cast<void>(0)
#else
#define ACQUIRE_NO_CONTRACT
#define ACQUIRE_KEEP_ROUNDED(v) __asm__("" : "+v"(v))
#endif

/// Asks for the cache line holding the byte `ahead` bytes past `p`. Kernels that stream rows
/// and do more than load them (a check's sum and range beside the score) fall behind memory
/// unless the lines a few rows on are requested early: the out-of-order window fills with the
/// current rows' arithmetic before it reaches their loads. The address is formed as an integer
/// and may lie past the data: a prefetch never faults. Inlined: a call inside a kernel's loop
/// would spill its registers.
ACQUIRE_AVX2_INLINE void prefetch_ahead(const void* p, std::uintptr_t ahead) {
    _mm_prefetch(reinterpret_cast<const char*>(reinterpret_cast<std::uintptr_t>(p) + ahead), _MM_HINT_T0);
}

/// Asks for the cache lines of the `bytes` bytes that start `ahead` bytes past `p`, from baseline
/// code and (inlined, as prefetch_ahead is) from the AVX2 kernels' loops. Formed as integers:
/// the span may lie past the data.
inline __attribute__((always_inline)) void prefetch_span(const void* p, std::uintptr_t ahead, std::uintptr_t bytes) {
    const std::uintptr_t first = (reinterpret_cast<std::uintptr_t>(p) + ahead) & ~std::uintptr_t(63);
    const std::uintptr_t end = reinterpret_cast<std::uintptr_t>(p) + ahead + bytes;
    for (std::uintptr_t line = first; line < end; line += 64) _mm_prefetch(reinterpret_cast<const char*>(line), _MM_HINT_T0);
}

/// Kernels that read a group of R rows side by side (entries j of each row, then j + Step, ...)
/// make as many interleaved streams, and the hardware prefetcher of an AMD EPYC (Zen 3) follows
/// them poorly: four rows of 128 floats read that way from memory ran at 1.5x the time of one
/// read of the same bytes, with or without each row's lines asked for 8 or 16 rows ahead.
/// GroupPrefetch asks instead, in memory order, for the group that starts `span + 8 KB` past
/// the current one (`span`: the group's bytes): R lines at each step that starts a cache line
/// of the rows, the rest of the group at the last such step. Spread over the loop: asked for at
/// once, four rows of 256 floats ran at 1.4x a read, spread at 1.0-1.15x. `in_order` says where
/// it applies: rows of up to 1 KB with little padding, so that groups follow one another
/// (longer rows kept up with each row's own lines asked for ahead, which the kernels then do).
template <class Scalar, int R, int Step>
struct GroupPrefetch {
    static constexpr Index line = 64 / Index(sizeof(Scalar));
    std::uintptr_t span;
    bool in_order;
    GroupPrefetch(Index stride, Index K)
        : span(std::uintptr_t(R * stride) * sizeof(Scalar)),
          in_order(stride * Index(sizeof(Scalar)) <= 1024 && stride - K < line) {}
    /// At entry j of the group's first row, in a loop that runs while j + Step <= end.
    ACQUIRE_AVX2_INLINE void step(const Scalar* group, Index j, Index end) const {
        if (j % line != 0) return;
        const std::uintptr_t from = std::uintptr_t(R * j) * sizeof(Scalar);
        const std::uintptr_t to = j + line + Step > end ? span : std::uintptr_t(R * (j + line)) * sizeof(Scalar);
        prefetch_span(group, span + 8192 + from, to - from);
    }
};

/// One 256-bit register of Scalar and the operations the kernels need. max and min are
/// std::max and std::min lane by lane, operand order included (std::max(a, b) is b only when
/// a < b), so a NaN goes where the scalar code sends it.
template <class Scalar>
struct Avx2;

template <>
struct Avx2<float> {
    using V = __m256;
    static constexpr int lanes = 8;
    static constexpr int columns = 4;  // entries per row that transposed() brings in
    ACQUIRE_AVX2_INLINE static V set1(float v) { return _mm256_set1_ps(v); }
    ACQUIRE_AVX2_INLINE static V load(const float* p) { return _mm256_loadu_ps(p); }
    ACQUIRE_AVX2_INLINE static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
    ACQUIRE_AVX2_INLINE static V max(V a, V b) { return _mm256_max_ps(b, a); }
    ACQUIRE_AVX2_INLINE static V min(V a, V b) { return _mm256_min_ps(b, a); }
    ACQUIRE_AVX2_INLINE static V add(V a, V b) { return _mm256_add_ps(a, b); }
    ACQUIRE_AVX2_INLINE static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
    ACQUIRE_AVX2_INLINE static V sub(V a, V b) { return _mm256_sub_ps(a, b); }
    ACQUIRE_AVX2_INLINE static V div(V a, V b) { return _mm256_div_ps(a, b); }
    ACQUIRE_AVX2_INLINE static V abs(V a) {
        return _mm256_and_ps(a, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff)));
    }
    /// Lanes where !(a >= b) or !(a <= b): NaN compares false, so it counts as out of range.
    ACQUIRE_AVX2_INLINE static V not_ge(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_NGE_UQ); }
    ACQUIRE_AVX2_INLINE static V not_le(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_NLE_UQ); }
    ACQUIRE_AVX2_INLINE static V bit_or(V a, V b) { return _mm256_or_ps(a, b); }
    /// Lanes where a > b (false when either is NaN).
    ACQUIRE_AVX2_INLINE static V greater(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
    /// b in the lanes where `mask` is set, a elsewhere.
    ACQUIRE_AVX2_INLINE static V select(V mask, V a, V b) { return _mm256_blendv_ps(a, b, mask); }
    ACQUIRE_AVX2_INLINE static bool any(V mask) { return _mm256_movemask_ps(mask) != 0; }
    /// reduce_top_two's halvings of W = 8 lanes: lanes 0-3 against 4-7, 0-1 against 2-3, 0
    /// against 1, each merge max(a1, b1) and max(max(a2, b2), min(a1, b1)).
    ACQUIRE_AVX2_INLINE static void top_two(V m1, V m2, float& first, float& second) {
        __m128 a1 = _mm256_castps256_ps128(m1), a2 = _mm256_castps256_ps128(m2);
        merge(a1, a2, _mm256_extractf128_ps(m1, 1), _mm256_extractf128_ps(m2, 1));
        merge(a1, a2, _mm_movehl_ps(a1, a1), _mm_movehl_ps(a2, a2));
        merge(a1, a2, _mm_shuffle_ps(a1, a1, 1), _mm_shuffle_ps(a2, a2, 1));
        first = _mm_cvtss_f32(a1);
        second = _mm_cvtss_f32(a2);
    }
    ACQUIRE_AVX2_INLINE static void merge(__m128& a1, __m128& a2, __m128 b1, __m128 b2) {
        a2 = _mm_max_ps(_mm_min_ps(b1, a1), _mm_max_ps(b2, a2));
        a1 = _mm_max_ps(b1, a1);
    }
    ACQUIRE_AVX2_INLINE static float max_lane(V v) {
        float first, unused;
        top_two(v, v, first, unused);
        return first;
    }
    ACQUIRE_AVX2_INLINE static float min_lane(V v) {
        __m128 a = _mm_min_ps(_mm256_extractf128_ps(v, 1), _mm256_castps256_ps128(v));
        a = _mm_min_ps(_mm_movehl_ps(a, a), a);
        return _mm_cvtss_f32(_mm_min_ps(_mm_shuffle_ps(a, a, 1), a));
    }
    /// Eigen's sum of 8 lanes in SSE2 packets: (l0..3 + l4..7), then t = s + (s2, s3),
    /// t0 + t1.
    ACQUIRE_AVX2_INLINE static float sum_lanes(V v) {
        const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
        return _mm_cvtss_f32(_mm_add_ss(t, _mm_shuffle_ps(t, t, 1)));
    }
    /// Entries j .. j + 3 of 8 rows (row r at p + r * stride, p pointing at entry j of row 0)
    /// as 4 registers, out[q] holding entry j + q of row r in lane r: two 128-bit loads per
    /// register pair rows r and r + 4, then a 4 x 4 transposition within each half (4 unpacks,
    /// 4 shuffles). Reads 4 entries of every row, whatever K is.
    ACQUIRE_AVX2_INLINE static void transposed(const float* p, Index stride, V out[columns]) {
        V a[4];
        for (int r = 0; r < 4; ++r)
            a[r] = _mm256_set_m128(_mm_loadu_ps(p + (r + 4) * stride), _mm_loadu_ps(p + r * stride));
        const V t0 = _mm256_unpacklo_ps(a[0], a[1]), t1 = _mm256_unpackhi_ps(a[0], a[1]);
        const V t2 = _mm256_unpacklo_ps(a[2], a[3]), t3 = _mm256_unpackhi_ps(a[2], a[3]);
        out[0] = _mm256_shuffle_ps(t0, t2, 0x44);
        out[1] = _mm256_shuffle_ps(t0, t2, 0xEE);
        out[2] = _mm256_shuffle_ps(t1, t3, 0x44);
        out[3] = _mm256_shuffle_ps(t1, t3, 0xEE);
    }
};

template <>
struct Avx2<double> {
    using V = __m256d;
    static constexpr int lanes = 4;
    static constexpr int columns = 2;
    ACQUIRE_AVX2_INLINE static V set1(double v) { return _mm256_set1_pd(v); }
    ACQUIRE_AVX2_INLINE static V load(const double* p) { return _mm256_loadu_pd(p); }
    ACQUIRE_AVX2_INLINE static void store(double* p, V v) { _mm256_storeu_pd(p, v); }
    ACQUIRE_AVX2_INLINE static V max(V a, V b) { return _mm256_max_pd(b, a); }
    ACQUIRE_AVX2_INLINE static V min(V a, V b) { return _mm256_min_pd(b, a); }
    ACQUIRE_AVX2_INLINE static V add(V a, V b) { return _mm256_add_pd(a, b); }
    ACQUIRE_AVX2_INLINE static V mul(V a, V b) { return _mm256_mul_pd(a, b); }
    ACQUIRE_AVX2_INLINE static V sub(V a, V b) { return _mm256_sub_pd(a, b); }
    ACQUIRE_AVX2_INLINE static V div(V a, V b) { return _mm256_div_pd(a, b); }
    ACQUIRE_AVX2_INLINE static V abs(V a) {
        return _mm256_and_pd(a, _mm256_castsi256_pd(_mm256_set1_epi64x(0x7fffffffffffffffLL)));
    }
    ACQUIRE_AVX2_INLINE static V not_ge(V a, V b) { return _mm256_cmp_pd(a, b, _CMP_NGE_UQ); }
    ACQUIRE_AVX2_INLINE static V not_le(V a, V b) { return _mm256_cmp_pd(a, b, _CMP_NLE_UQ); }
    ACQUIRE_AVX2_INLINE static V bit_or(V a, V b) { return _mm256_or_pd(a, b); }
    ACQUIRE_AVX2_INLINE static V greater(V a, V b) { return _mm256_cmp_pd(a, b, _CMP_GT_OQ); }
    ACQUIRE_AVX2_INLINE static V select(V mask, V a, V b) { return _mm256_blendv_pd(a, b, mask); }
    ACQUIRE_AVX2_INLINE static bool any(V mask) { return _mm256_movemask_pd(mask) != 0; }
    /// reduce_top_two's halvings of W = 4 lanes: 0-1 against 2-3, then 0 against 1.
    ACQUIRE_AVX2_INLINE static void top_two(V m1, V m2, double& first, double& second) {
        __m128d a1 = _mm256_castpd256_pd128(m1), a2 = _mm256_castpd256_pd128(m2);
        merge(a1, a2, _mm256_extractf128_pd(m1, 1), _mm256_extractf128_pd(m2, 1));
        merge(a1, a2, _mm_unpackhi_pd(a1, a1), _mm_unpackhi_pd(a2, a2));
        first = _mm_cvtsd_f64(a1);
        second = _mm_cvtsd_f64(a2);
    }
    ACQUIRE_AVX2_INLINE static void merge(__m128d& a1, __m128d& a2, __m128d b1, __m128d b2) {
        a2 = _mm_max_pd(_mm_min_pd(b1, a1), _mm_max_pd(b2, a2));
        a1 = _mm_max_pd(b1, a1);
    }
    ACQUIRE_AVX2_INLINE static double max_lane(V v) {
        double first, unused;
        top_two(v, v, first, unused);
        return first;
    }
    ACQUIRE_AVX2_INLINE static double min_lane(V v) {
        const __m128d a = _mm_min_pd(_mm256_extractf128_pd(v, 1), _mm256_castpd256_pd128(v));
        return _mm_cvtsd_f64(_mm_min_pd(_mm_unpackhi_pd(a, a), a));
    }
    /// Eigen's sum of 4 lanes in SSE2 packets: (l0 + l2) + (l1 + l3).
    ACQUIRE_AVX2_INLINE static double sum_lanes(V v) {
        const __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
        return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
    }
    /// Entries j and j + 1 of 4 rows (row r at p + r * stride) as 2 registers, out[q] holding
    /// entry j + q of row r in lane r: a register pairs rows r and r + 2, then 2 unpacks.
    ACQUIRE_AVX2_INLINE static void transposed(const double* p, Index stride, V out[columns]) {
        const V a0 = _mm256_set_m128d(_mm_loadu_pd(p + 2 * stride), _mm_loadu_pd(p));
        const V a1 = _mm256_set_m128d(_mm_loadu_pd(p + 3 * stride), _mm_loadu_pd(p + stride));
        out[0] = _mm256_unpacklo_pd(a0, a1);
        out[1] = _mm256_unpackhi_pd(a0, a1);
    }
};

/// out[i] = 0 + x(i, 0) c_0 + x(i, 1) c_1 + ... for `count` rows of a column-major x (column k
/// at x + k * stride): each row's chain in class order, a multiply and then an add (no fused
/// multiply-add), as Eigen's `acc += x.col(k) * c_k` sweep computes it, so the same bits. Strips
/// of rows keep their sums in registers through all K columns. Returns the rows done; the
/// caller sums the rest.
template <class Scalar>
ACQUIRE_AVX2_KERNEL Index column_dots_avx2(const Scalar* x, Index stride, Index count, Index K,
                                           const Scalar* c, Scalar* out) {
    using A = Avx2<Scalar>;
    using V = typename A::V;
    constexpr int L = A::lanes, C = 4;
    Index i = 0;
    for (; i + C * L <= count; i += C * L) {
        V acc[C];
        for (int j = 0; j < C; ++j) acc[j] = A::set1(0);
        for (Index k = 0; k < K; ++k) {
            const V ck = A::set1(c[k]);
            for (int j = 0; j < C; ++j) acc[j] = A::add(acc[j], A::mul(A::load(x + k * stride + i + j * L), ck));
        }
        for (int j = 0; j < C; ++j) A::store(out + i + j * L, acc[j]);
    }
    return i;
}

}  // namespace acquire::detail
#endif
