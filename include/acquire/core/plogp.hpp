/// \file
/// Internal: p ln p in AVX2 and AVX-512F registers, the same bits as Eigen's SSE2 code
/// (namespace acquire::detail, no public names).
// p ln p, 8 or 16 lanes at a time, chosen at run time.
//
// Entropy's cost is its logarithms. A build without -march flags gives Eigen SSE2 only, whose
// logarithm (Cephes' polynomial, GenericPacketMathFunctions.h's plog_float) runs 4 lanes at a
// time; numpy's runs 16 on the same CPU. These kernels compute Eigen's polynomial step for step
// in wider registers: each lane does the IEEE operations Eigen's Packet4f does, in the same
// order, a multiply then an add where Eigen's pmadd (SSE2 has no fused multiply-add) does, so
// each product p ln max(p, FLT_MIN) is the same bits Eigen computes. The reductions stay where
// they were (the callers feed the products to the same Eigen sums, or accumulate them row by row
// in class order as Eigen's column sweep does), so entropies are the same bits on every x86-64
// CPU, with or without these kernels; the tests compare them.
//
// Float only (double's logarithm is another polynomial and stays with Eigen). Used where Eigen
// itself runs SSE2: a build with -mavx or wider gets Eigen's own wide code, whose sums are
// ordered by 8 lanes, so ACQUIRE_PLOGP is left undefined there.
#pragma once

#include "acquire/core/rows.hpp"
#include "acquire/core/simd.hpp"

#if defined(ACQUIRE_AVX2) && !defined(__AVX__)
#define ACQUIRE_PLOGP 1

#include <cmath>
#include <cstdint>
#include <limits>

namespace acquire::detail {

/// Eight lanes (AVX2): the operations plogp needs. Masks are registers of all-one lanes.
struct PlogpAvx2 {
    using V = __m256;
    using M = __m256;
    static constexpr int lanes = 8;
    ACQUIRE_AVX2_INLINE static V set1(float v) { return _mm256_set1_ps(v); }
    ACQUIRE_AVX2_INLINE static V bits(std::uint32_t b) { return _mm256_castsi256_ps(_mm256_set1_epi32(int(b))); }
    ACQUIRE_AVX2_INLINE static V load(const float* p) { return _mm256_loadu_ps(p); }
    ACQUIRE_AVX2_INLINE static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
    /// The first n lanes (n < lanes) of p, zero in the others; stores the first n lanes.
    ACQUIRE_AVX2_INLINE static __m256i first(Index n) {
        return _mm256_cmpgt_epi32(_mm256_set1_epi32(int(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    }
    ACQUIRE_AVX2_INLINE static V load_first(const float* p, Index n) { return _mm256_maskload_ps(p, first(n)); }
    ACQUIRE_AVX2_INLINE static void store_first(float* p, V v, Index n) { _mm256_maskstore_ps(p, first(n), v); }
    ACQUIRE_AVX2_INLINE static M first_mask(Index n) { return _mm256_castsi256_ps(first(n)); }
    // Eigen's pmax and pmin take their operands reversed (std::max's NaN rule).
    ACQUIRE_AVX2_INLINE static V max(V a, V b) { return _mm256_max_ps(b, a); }
    ACQUIRE_AVX2_INLINE static V min(V a, V b) { return _mm256_min_ps(b, a); }
    ACQUIRE_AVX2_INLINE static V add(V a, V b) { return _mm256_add_ps(a, b); }
    ACQUIRE_AVX2_INLINE static V sub(V a, V b) { return _mm256_sub_ps(a, b); }
    ACQUIRE_AVX2_INLINE static V mul(V a, V b) { return _mm256_mul_ps(a, b); }  // no FMA in AVX2
    ACQUIRE_AVX2_INLINE static V bit_and(V a, V b) { return _mm256_and_ps(a, b); }
    ACQUIRE_AVX2_INLINE static V bit_or(V a, V b) { return _mm256_or_ps(a, b); }
    ACQUIRE_AVX2_INLINE static M lt(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_LT_OS); }
    ACQUIRE_AVX2_INLINE static M eq(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_EQ_OQ); }
    ACQUIRE_AVX2_INLINE static M lt_or_nan(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_NGE_UQ); }
    ACQUIRE_AVX2_INLINE static M either(M a, M b) { return _mm256_or_ps(a, b); }
    ACQUIRE_AVX2_INLINE static M none() { return _mm256_setzero_ps(); }
    /// All-one lanes where m is set, 0 elsewhere (Eigen's mask as a value, for por).
    ACQUIRE_AVX2_INLINE static V ones(M m) { return m; }
    /// m ? a : 0 (Eigen's pand with a mask).
    ACQUIRE_AVX2_INLINE static V keep(M m, V a) { return _mm256_and_ps(a, m); }
    /// m ? b : a.
    ACQUIRE_AVX2_INLINE static V select(M m, V a, V b) { return _mm256_blendv_ps(a, b, m); }
    /// The biased exponent of |a| as a float (Eigen's pfrexp_generic_get_biased_exponent).
    ACQUIRE_AVX2_INLINE static V exponent(V a) {
        const __m256i b = _mm256_and_si256(_mm256_castps_si256(a), _mm256_set1_epi32(0x7fffffff));
        return _mm256_cvtepi32_ps(_mm256_srli_epi32(b, 23));
    }
    ACQUIRE_AVX2_INLINE static bool any(M m) { return _mm256_movemask_ps(m) != 0; }
    ACQUIRE_AVX2_INLINE static float min_lane(V v) { return Avx2<float>::min_lane(v); }
    ACQUIRE_AVX2_INLINE static float max_lane(V v) { return Avx2<float>::max_lane(v); }
    ACQUIRE_AVX2_INLINE static float sum_lanes(V v) { return Avx2<float>::sum_lanes(v); }
};

/// An AVX-512F helper inlined into AVX-512F kernels only.
#define ACQUIRE_AVX512_INLINE __attribute__((target("avx512f"), always_inline)) inline

/// Sixteen lanes (AVX-512F): the same operations. Masks are mask registers. AVX-512F has fused
/// multiply-add, which a compiler may contract a product and a following add into: mul keeps
/// each product rounded (ACQUIRE_KEEP_ROUNDED), as Eigen's SSE2 pmadd rounds it.
struct PlogpAvx512 {
    using V = __m512;
    using M = __mmask16;
    static constexpr int lanes = 16;
    ACQUIRE_AVX512_INLINE static V set1(float v) { return _mm512_set1_ps(v); }
    ACQUIRE_AVX512_INLINE static V bits(std::uint32_t b) { return _mm512_castsi512_ps(_mm512_set1_epi32(int(b))); }
    ACQUIRE_AVX512_INLINE static V load(const float* p) { return _mm512_loadu_ps(p); }
    ACQUIRE_AVX512_INLINE static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
    ACQUIRE_AVX512_INLINE static M first_mask(Index n) { return M((1u << n) - 1u); }
    ACQUIRE_AVX512_INLINE static V load_first(const float* p, Index n) { return _mm512_maskz_loadu_ps(first_mask(n), p); }
    ACQUIRE_AVX512_INLINE static void store_first(float* p, V v, Index n) { _mm512_mask_storeu_ps(p, first_mask(n), v); }
    // The intrinsics GCC 12 implements with an undefined source register are called in their
    // masked form with every lane set, which GCC does not warn about as uninitialised.
    static constexpr M all = 0xffff;
    ACQUIRE_AVX512_INLINE static V max(V a, V b) { return _mm512_mask_max_ps(a, all, b, a); }
    ACQUIRE_AVX512_INLINE static V min(V a, V b) { return _mm512_mask_min_ps(a, all, b, a); }
    ACQUIRE_AVX512_INLINE static V add(V a, V b) { return _mm512_add_ps(a, b); }
    ACQUIRE_AVX512_INLINE static V sub(V a, V b) { return _mm512_sub_ps(a, b); }
    ACQUIRE_AVX512_INLINE static V mul(V a, V b) {
        ACQUIRE_NO_CONTRACT
        V v = _mm512_mul_ps(a, b);
        ACQUIRE_KEEP_ROUNDED(v);
        return v;
    }
    ACQUIRE_AVX512_INLINE static V bit_and(V a, V b) {
        return _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(a), _mm512_castps_si512(b)));
    }
    ACQUIRE_AVX512_INLINE static V bit_or(V a, V b) {
        return _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(a), _mm512_castps_si512(b)));
    }
    ACQUIRE_AVX512_INLINE static M lt(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OS); }
    ACQUIRE_AVX512_INLINE static M eq(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ); }
    ACQUIRE_AVX512_INLINE static M lt_or_nan(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_NGE_UQ); }
    ACQUIRE_AVX512_INLINE static M either(M a, M b) { return M(a | b); }
    ACQUIRE_AVX512_INLINE static M none() { return 0; }
    ACQUIRE_AVX512_INLINE static V ones(M m) { return _mm512_castsi512_ps(_mm512_maskz_set1_epi32(m, -1)); }
    ACQUIRE_AVX512_INLINE static V keep(M m, V a) { return _mm512_maskz_mov_ps(m, a); }
    ACQUIRE_AVX512_INLINE static V select(M m, V a, V b) { return _mm512_mask_blend_ps(m, a, b); }
    ACQUIRE_AVX512_INLINE static V exponent(V a) {
        const __m512i b = _mm512_and_si512(_mm512_castps_si512(a), _mm512_set1_epi32(0x7fffffff));
        return _mm512_mask_cvtepi32_ps(a, all, _mm512_mask_srli_epi32(b, all, b, 23));
    }
    ACQUIRE_AVX512_INLINE static bool any(M m) { return m != 0; }
    /// The lower (h = 0) or upper (h = 1) 256 bits of v, for the lane reductions, which end in AVX2.
    template <int h>
    ACQUIRE_AVX512_INLINE static __m256 half(V v) {
        return _mm256_castpd_ps(_mm512_mask_extractf64x4_pd(_mm256_setzero_pd(), 0xff, _mm512_castps_pd(v), h));
    }
    ACQUIRE_AVX512_INLINE static float min_lane(V v) {
        return PlogpAvx2::min_lane(PlogpAvx2::min(half<0>(v), half<1>(v)));
    }
    ACQUIRE_AVX512_INLINE static float max_lane(V v) {
        return PlogpAvx2::max_lane(PlogpAvx2::max(half<0>(v), half<1>(v)));
    }
    ACQUIRE_AVX512_INLINE static float sum_lanes(V v) {
        return PlogpAvx2::sum_lanes(PlogpAvx2::add(half<0>(v), half<1>(v)));
    }
};

/// The range and sum of a row, for the fused check.
struct RowCheck {
    float lo, hi, sum;
};

// The kernels, once per instruction set.
namespace plogp_avx2 {
using A = PlogpAvx2;
using V = A::V;
using M = A::M;
#define ACQUIRE_PLOGP_INLINE ACQUIRE_AVX2_INLINE
#include "acquire/core/plogp_kernels.inc"
#undef ACQUIRE_PLOGP_INLINE
}  // namespace plogp_avx2

namespace plogp_avx512 {
using A = PlogpAvx512;
using V = A::V;
using M = A::M;
#define ACQUIRE_PLOGP_INLINE ACQUIRE_AVX512_INLINE
#include "acquire/core/plogp_kernels.inc"
#undef ACQUIRE_PLOGP_INLINE
}  // namespace plogp_avx512

/// plogp over n floats (n a multiple of 16), for the tests.
ACQUIRE_AVX2_KERNEL inline void plogp_lanes_avx2(const float* p, Index n, float* out) {
    for (Index i = 0; i < n; i += PlogpAvx2::lanes) PlogpAvx2::store(out + i, plogp_avx2::plogp(PlogpAvx2::load(p + i)));
}
ACQUIRE_AVX512_KERNEL inline void plogp_lanes_avx512(const float* p, Index n, float* out) {
    for (Index i = 0; i < n; i += PlogpAvx512::lanes)
        PlogpAvx512::store(out + i, plogp_avx512::plogp(PlogpAvx512::load(p + i)));
}

/// entropy_rows (plogp_kernels.inc) on AVX2 and on AVX-512F CPUs.
template <bool Check>
ACQUIRE_AVX2_KERNEL bool entropy_rows_avx2(const float* x, Index stride, Index count, Index K, float* out,
                                           float tol) {
    return plogp_avx2::entropy_rows<Check>(x, stride, count, K, out, tol);
}
template <bool Check>
ACQUIRE_AVX512_KERNEL bool entropy_rows_avx512(const float* x, Index stride, Index count, Index K, float* out,
                                               float tol) {
    return plogp_avx512::entropy_rows<Check>(x, stride, count, K, out, tol);
}

/// entropy_columns (plogp_kernels.inc) on AVX2 and on AVX-512F CPUs.
template <bool Check>
ACQUIRE_AVX2_KERNEL Index entropy_columns_avx2(const float* x, Index stride, Index count, Index K, float* out,
                                               float tol, bool& ok) {
    return plogp_avx2::entropy_columns<Check>(x, stride, count, K, out, tol, ok);
}
template <bool Check>
ACQUIRE_AVX512_KERNEL Index entropy_columns_avx512(const float* x, Index stride, Index count, Index K,
                                                   float* out, float tol, bool& ok) {
    return plogp_avx512::entropy_columns<Check>(x, stride, count, K, out, tol, ok);
}

}  // namespace acquire::detail

#endif
