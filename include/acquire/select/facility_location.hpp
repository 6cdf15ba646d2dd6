/// \file
/// Facility location and max coverage: representative batches by greedy submodular maximisation.
// Facility location and max coverage: representative batches by greedy submodular maximisation.
//
//   F(S) = sum_{j in pool} max(0, max_{i in S} sim(x_i, x_j)),   S a subset of the candidates,
//
// the Suggestive Annotation objective (Yang et al. 2017): every pool point should be similar to
// some pick. F is monotone submodular, so greedy is within (1 - 1/e) of the best batch of size b
// (Nemhauser, Wolsey & Fisher 1978). Lazy greedy (Minoux 1978) keeps stale upper bounds on the
// gains in a heap and gives exactly the plain greedy picks with far fewer evaluations;
// stochastic greedy (Mirzasoleiman et al. 2015) evaluates a random subset of the candidates per
// step. With the 0/1 similarity [||x_i - x_j|| <= radius], F(S) counts the covered points: that
// is max_coverage, the thresholded set-cover form. A sparse mode keeps, for every pool point,
// only its k most similar candidates (found by the exact tiled k-NN of core/knn.hpp), for pools
// whose candidate x pool similarities could never be held (memory O(N k)).
//
// Every similarity row sim(c, .) is computed by one kernel with the same operations for every
// element (a multiply and an add per feature, features in order, pool padded to whole panels),
// so a row's bits never depend on which batch or tile it was computed in, nor on the thread
// count: cached, tiled, lazy-batched and plain greedy all see the same gains and make the same
// picks.
#pragma once

#include "acquire/core/error.hpp"
#include "acquire/core/knn.hpp"
#include "acquire/core/neighbor_graph.hpp"
#include "acquire/core/parallel.hpp"
#include "acquire/core/random.hpp"
#include "acquire/core/selection.hpp"
#include "acquire/core/simd.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <queue>
#include <vector>

#include <type_traits>

#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace acquire {

/// \addtogroup diversity_selectors
/// @{

/// Options of `facility_location`.
struct FacilityLocationOptions {
    /// Plain greedy's picks, with stale-bound (Minoux) lazy evaluation: stale candidates are
    /// re-evaluated in batches (1, 2, 4, ... up to a tile per step), one similarity product per
    /// batch. Exactly the plain greedy picks: a similarity row's bits do not depend on its batch.
    /// False runs the plain greedy loop (every candidate's gain at every step; the reference).
    bool lazy = true;
    /// Stochastic greedy (Mirzasoleiman et al. 2015): per step, the best of a uniform sample of
    /// ceil((|candidates| / b) ln(1 / epsilon)) remaining candidates. Overrides `lazy`.
    bool stochastic = false;
    double epsilon = 0.01;  ///< stochastic greedy's epsilon, in (0, 1)
    std::uint64_t seed = 0;  ///< seed of stochastic greedy's samples (acquire::Rng)
    /// Working-memory bound for candidate x pool similarities (dense mode). When every candidate's
    /// row (N scalars, padded to a multiple of 8) fits, the block is computed once and kept;
    /// otherwise rows are computed in tiles and the rows that lazy greedy re-evaluates are kept
    /// while they fit. Default 1 GB: the whole block of a 10,000-point double pool (800 MB) or
    /// of a 15,000-point float pool stays cached; beyond that the bound holds.
    std::size_t memory_bytes = std::size_t(1) << 30;
    /// Sparse mode: 0 (default) = dense. k > 0: every pool point keeps only its k most similar
    /// candidates (exact tiled k-NN: cosine for facility_location, Euclidean for max_coverage;
    /// equal similarities: lowest candidate index), and greedy runs exactly on that sparsified
    /// objective. Memory O(N k) instead of the block; k >= |candidates| gives the dense picks.
    Index neighbors = 0;
    /// Sparse mode's neighbours from a graph over the N pool rows (N rows over the same N rows,
    /// no self loops: acquire::knn_graph, acquire::hnsw::knn_graph, or any library's) instead
    /// of the exact search: pool row j keeps itself when it is a candidate, then its graph
    /// neighbours that are candidates, in the graph's order, at most `neighbors` in all. Build it
    /// by cosine for facility_location (hnsw::Options::cosine, or on rows scaled to unit
    /// length) and by Euclidean distance for max_coverage; only its order is used (similarities
    /// are computed from X). Not owned; null (default) = the exact search.
    const NeighborGraph* graph = nullptr;
    /// If not null, receives the number of candidate gains evaluated (each is one pass over N,
    /// or over the candidate's k-NN list in sparse mode).
    Index* evaluations = nullptr;
    /// checks.values: reject NaN/Inf rows (and zero rows for cosine).
    CheckOptions checks;
};

/// @}

namespace detail {

/// A gain sum_j max(0, s_j - cover_j) is accumulated in `gain_lanes` lanes (lane j mod 16):
/// within each chunk of `gain_chunk` consecutive points (256 for float, the whole row for
/// double) a lane sums its terms in Scalar, then
/// the chunk's lane sums are added to double lanes, and the 16 double lanes are combined in a
/// fixed tree. Dense rows (zeros included) and sparse lists (zeros skipped) give the same bits.
/// Each term and each addition is monotone in cover, so gains never grow as S grows.
constexpr Index gain_lanes = 16;
template <class Scalar>
constexpr Index gain_chunk = std::is_same_v<Scalar, float> ? 256 : Eigen::NumTraits<Index>::highest();

/// Pool points per panel of the packed pool (the pool is padded to whole gain lanes).
constexpr Index facility_width = 8;

/// The pool packed for similarity rows: panels of `facility_width` points, each d x width,
/// feature-major, zero-padded to a multiple of gain_lanes points (`padded`).
template <class Scalar>
struct PackedPool {
    Index n = 0, padded = 0, d = 0;
    std::vector<Scalar> panels;
    explicit PackedPool(const RowMatrix<Scalar>& x)
        : n(x.rows()), padded((x.rows() + gain_lanes - 1) / gain_lanes * gain_lanes), d(x.cols()),
          panels(static_cast<std::size_t>(padded * d), Scalar(0)) {
        for (Index j = 0; j < n; ++j)
            for (Index k = 0; k < d; ++k)
                panels[static_cast<std::size_t>((j / facility_width) * d * facility_width + k * facility_width +
                                                j % facility_width)] = x(j, k);
    }
};

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define ACQUIRE_FACILITY_INLINE inline __attribute__((always_inline))
/// `Bytes` of a panel row as a GCC/Clang vector: an xmm register (16) or a ymm register (32,
/// in the AVX2 kernel only).
template <class Scalar, int Bytes>
struct PanelLane {
    typedef Scalar type __attribute__((vector_size(Bytes)));
};
#else
#define ACQUIRE_FACILITY_INLINE inline
template <class Scalar, int Bytes>
struct PanelLane {
    using type = Eigen::Array<Scalar, Bytes / int(sizeof(Scalar)), 1>;
};
#endif

/// The body of dot_rows: R rows per group, each panel in slices of `Bytes` (the caller picks
/// both for its registers).
template <class Scalar, Index R, int Bytes>
ACQUIRE_FACILITY_INLINE void dot_rows_body(const PackedPool<Scalar>& pool, const Scalar* a, Index count, Index p0,
                                           Index p1, Scalar* const* dest) {
    constexpr Index W = facility_width;
    constexpr Index chunk = 64;  // panels per cache block
    using Lane = typename PanelLane<Scalar, Bytes>::type;
    constexpr Index V = W * Index(sizeof(Scalar)) / Index(sizeof(Lane));  // lanes per panel row
    static_assert(V * Index(sizeof(Lane)) == W * Index(sizeof(Scalar)), "whole lanes per panel row");
    const Index d = pool.d;
    std::vector<Scalar> pad;
    for (Index c0 = p0; c0 < p1; c0 += chunk) {
        const Index c1 = std::min(p1, c0 + chunk);
        for (Index r0 = 0; r0 < count; r0 += R) {
            const Index nr = std::min(R, count - r0);
            const Scalar* ar = a + r0 * d;
            if (nr < R) {
                pad.assign(static_cast<std::size_t>(R * d), Scalar(0));
                std::copy(ar, ar + nr * d, pad.begin());
                ar = pad.data();
            }
            for (Index p = c0; p < c1; ++p) {
                const Scalar* panel = pool.panels.data() + p * d * W;
                for (Index v = 0; v < V; ++v) {  // each slice of the panel on its own
                    const Scalar* slice = panel + v * Index(sizeof(Lane) / sizeof(Scalar));
                    Lane acc[R];
                    for (Index r = 0; r < R; ++r) acc[r] = Lane{} * Scalar(0);
                    for (Index k = 0; k < d; ++k) {
                        Lane x;
                        std::memcpy(&x, slice + k * W, sizeof(Lane));
#ifdef ACQUIRE_AVX2
                        if constexpr (Bytes == 64)  // AVX-512F has FMA: keep the product rounded
                            for (Index r = 0; r < R; ++r) {
                                ACQUIRE_NO_CONTRACT
                                Lane product = ar[r * d + k] * x;
                                ACQUIRE_KEEP_ROUNDED(product);
                                acc[r] = acc[r] + product;
                            }
                        else
#endif
                            for (Index r = 0; r < R; ++r) acc[r] = acc[r] + ar[r * d + k] * x;
                    }
                    for (Index r = 0; r < nr; ++r)
                        std::memcpy(dest[r0 + r] + p * W + (slice - panel), &acc[r], sizeof(Lane));
                }
            }
        }
    }
}

#ifdef ACQUIRE_AVX2
/// dot_rows_body compiled for AVX2 (without FMA: the same multiply and add per step, so the
/// same bits as the baseline kernel), in slices twice as wide.
template <class Scalar>
ACQUIRE_AVX2_KERNEL void dot_rows_avx2(const PackedPool<Scalar>& pool, const Scalar* a, Index count,
                                                   Index p0, Index p1, Scalar* const* dest) {
    dot_rows_body<Scalar, 8, 32>(pool, a, count, p0, p1, dest);
}

/// dot_rows_body for doubles in 512-bit registers, a panel row (8 doubles) per register: the
/// same multiply and add per step (the product is kept rounded, never fused), so the same bits.
ACQUIRE_AVX512_KERNEL inline void dot_rows_avx512(const PackedPool<double>& pool, const double* a, Index count,
                                                  Index p0, Index p1, double* const* dest) {
    dot_rows_body<double, 8, 64>(pool, a, count, p0, p1, dest);
}

/// The same chains for floats in 512-bit registers. A panel row is 8 floats, half a register, so
/// a register holds one row of two neighbouring panels (16 pool points, contiguous in dest)
/// times one entry of a row of `a` in every lane; 8 rows of `a` per group, each in its own
/// register. Products are kept rounded. A last panel without a neighbour takes the same chains
/// in a 256-bit register.
ACQUIRE_AVX512_KERNEL inline void dot_rows_avx512(const PackedPool<float>& pool, const float* a, Index count,
                                                  Index p0, Index p1, float* const* dest) {
    constexpr Index W = facility_width, R = 8, chunk = 64;  // panels per cache block, even
    const Index d = pool.d;
    std::vector<float> pad;
    for (Index c0 = p0; c0 < p1; c0 += chunk) {
        const Index c1 = std::min(p1, c0 + chunk);
        const Index paired = c0 + (c1 - c0) / 2 * 2;
        for (Index r0 = 0; r0 < count; r0 += R) {
            const Index nr = std::min(R, count - r0);
            const float* ar = a + r0 * d;
            if (nr < R) {
                pad.assign(static_cast<std::size_t>(R * d), 0.0f);
                std::copy(ar, ar + nr * d, pad.begin());
                ar = pad.data();
            }
            for (Index p = c0; p < paired; p += 2) {
                const float* left = pool.panels.data() + p * d * W;
                const float* right = left + d * W;
                __m512 acc[R];
                for (Index r = 0; r < R; ++r) acc[r] = _mm512_setzero_ps();
                for (Index k = 0; k < d; ++k) {
                    // Concatenated as vectors: the intrinsics' insert starts from an undefined
                    // register, which GCC 12 warns of.
                    const __m512 x = __builtin_shufflevector(_mm256_loadu_ps(left + k * W), _mm256_loadu_ps(right + k * W),
                                                             0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
                    for (Index r = 0; r < R; ++r) {
                        ACQUIRE_NO_CONTRACT
                        __m512 product = _mm512_mul_ps(_mm512_set1_ps(ar[r * d + k]), x);
                        ACQUIRE_KEEP_ROUNDED(product);
                        acc[r] = _mm512_add_ps(acc[r], product);
                    }
                }
                for (Index r = 0; r < nr; ++r) _mm512_storeu_ps(dest[r0 + r] + p * W, acc[r]);
            }
            if (paired < c1) {  // the last panel alone, in 256-bit registers
                const float* panel = pool.panels.data() + paired * d * W;
                __m256 acc[R];
                for (Index r = 0; r < R; ++r) acc[r] = _mm256_setzero_ps();
                for (Index k = 0; k < d; ++k) {
                    const __m256 x = _mm256_loadu_ps(panel + k * W);
                    for (Index r = 0; r < R; ++r) {
                        ACQUIRE_NO_CONTRACT
                        __m256 product = _mm256_mul_ps(_mm256_set1_ps(ar[r * d + k]), x);
                        ACQUIRE_KEEP_ROUNDED(product);
                        acc[r] = _mm256_add_ps(acc[r], product);
                    }
                }
                for (Index r = 0; r < nr; ++r) _mm256_storeu_ps(dest[r0 + r] + paired * W, acc[r]);
            }
        }
    }
}
#endif

/// dest[r][j] = sum_k a(r, k) x_j(k) for the pool panels [p0, p1), `a` count x d row-major.
/// Every element is the same chain, acc = 0; acc = acc + a_k * x_jk for k = 0, 1, ..., d - 1,
/// whatever count, p0, p1 or the row's place in `a`: rows are computed in groups (a short last
/// group is zero-padded), panels in chunks that stay in cache. On x86 CPUs with AVX2 (asked at
/// run time; nothing needs -march flags) the same chain runs in 256-bit registers (AVX2 alone
/// has no fused multiply-add), and with AVX-512F in 512-bit ones (products kept
/// rounded), so the bits are the baseline kernel's on every x86-64 CPU.
template <class Scalar>
void dot_rows(const PackedPool<Scalar>& pool, const Scalar* a, Index count, Index p0, Index p1,
              Scalar* const* dest) {
#ifdef ACQUIRE_AVX2
    if (cpu_has_avx512f()) return dot_rows_avx512(pool, a, count, p0, p1, dest);
    if (cpu_has_avx2()) return dot_rows_avx2(pool, a, count, p0, p1, dest);
#endif
    dot_rows_body<Scalar, 8, 16>(pool, a, count, p0, p1, dest);
}

inline double combine_lanes(const double* lane) {
    double level[gain_lanes];
    std::copy(lane, lane + gain_lanes, level);
    for (Index width = gain_lanes / 2; width >= 1; width /= 2)
        for (Index l = 0; l < width; ++l) level[l] = level[l] + level[l + width];
    return level[0];
}

/// The gain of one dense row (`padded` a multiple of gain_lanes, padding terms 0). SSE2 (every
/// x86-64) gets explicit vectors, as compilers do not vectorise a clamped sum without
/// -ffast-math; elsewhere the same arithmetic as a plain loop, with the same bits.
template <class Scalar>
double dense_gain(const Scalar* s, const Scalar* cover, Index padded) {
    static_assert(std::is_same_v<Scalar, float> || std::is_same_v<Scalar, double>, "float or double");
    alignas(16) double total[gain_lanes] = {};
#if defined(__SSE2__)
    if constexpr (std::is_same_v<Scalar, float>) {
        __m128d sum[8];
        for (auto& v : sum) v = _mm_setzero_pd();
        const __m128 zero = _mm_setzero_ps();
        for (Index c0 = 0; c0 < padded; c0 += gain_chunk<Scalar>) {
            const Index c1 = padded - c0 <= gain_chunk<Scalar> ? padded : c0 + gain_chunk<Scalar>;
            __m128 part[4] = {zero, zero, zero, zero};
            for (Index j = c0; j < c1; j += gain_lanes)
                for (int h = 0; h < 4; ++h)
                    part[h] = _mm_add_ps(part[h], _mm_max_ps(_mm_sub_ps(_mm_loadu_ps(s + j + 4 * h),
                                                                        _mm_loadu_ps(cover + j + 4 * h)), zero));
            for (int h = 0; h < 4; ++h) {
                sum[2 * h] = _mm_add_pd(sum[2 * h], _mm_cvtps_pd(part[h]));
                sum[2 * h + 1] = _mm_add_pd(sum[2 * h + 1], _mm_cvtps_pd(_mm_movehl_ps(part[h], part[h])));
            }
        }
        for (int h = 0; h < 8; ++h) _mm_store_pd(total + 2 * h, sum[h]);
    } else {
        __m128d sum[8];  // doubles need no chunks: one chunk spans the row
        for (auto& v : sum) v = _mm_setzero_pd();
        const __m128d zero = _mm_setzero_pd();
        for (Index j = 0; j < padded; j += gain_lanes)
            for (int h = 0; h < 8; ++h)
                sum[h] = _mm_add_pd(sum[h], _mm_max_pd(_mm_sub_pd(_mm_loadu_pd(s + j + 2 * h), _mm_loadu_pd(cover + j + 2 * h)), zero));
        for (int h = 0; h < 8; ++h) _mm_store_pd(total + 2 * h, sum[h]);
    }
#else
    for (Index c0 = 0; c0 < padded; c0 += gain_chunk<Scalar>) {
        const Index c1 = padded - c0 <= gain_chunk<Scalar> ? padded : c0 + gain_chunk<Scalar>;
        Scalar part[gain_lanes] = {};
        for (Index j = c0; j < c1; j += gain_lanes)
            for (Index l = 0; l < gain_lanes; ++l) {
                const Scalar v = s[j + l] - cover[j + l];
                part[l] = part[l] + (v > Scalar(0) ? v : Scalar(0));
            }
        for (Index l = 0; l < gain_lanes; ++l) total[l] += static_cast<double>(part[l]);
    }
#endif
    return combine_lanes(total);
}

/// The same gain over a sparse list of (ascending point j, similarity) entries.
template <class Scalar>
double sparse_gain(const Index* points, const Scalar* sims, Index count, const Scalar* cover) {
    double total[gain_lanes] = {};
    Scalar part[gain_lanes] = {};
    Index chunk = -1;
    for (Index e = 0; e < count; ++e) {
        const Index j = points[e];
        if (j / gain_chunk<Scalar> != chunk) {
            for (Index l = 0; l < gain_lanes; ++l) {
                total[l] += static_cast<double>(part[l]);
                part[l] = Scalar(0);
            }
            chunk = j / gain_chunk<Scalar>;
        }
        const Scalar v = sims[e] - cover[j];
        part[j % gain_lanes] = part[j % gain_lanes] + (v > Scalar(0) ? v : Scalar(0));
    }
    for (Index l = 0; l < gain_lanes; ++l) total[l] += static_cast<double>(part[l]);
    return combine_lanes(total);
}

/// The gain of a kept row given as a list of (ascending point, similarity) entries, with the
/// same bits as dense_gain on the dense row. The list is compacted in place to the entries that
/// can still add (s_j > cover_j); `live` receives their count. A dropped entry never counts
/// again: cover only grows, and its term, max(0, s_j - cover_j), is exactly 0 from then on.
template <class Scalar>
double live_gain(std::uint32_t* points, Scalar* sims, Index count, const Scalar* cover, Index& live) {
    double total[gain_lanes] = {};
    Scalar part[gain_lanes] = {};
    Index chunk = 0, kept = 0;
    for (Index e = 0; e < count; ++e) {  // branch-free: a dead entry adds +0 and is overwritten
        const Index j = static_cast<Index>(points[e]);
        const Scalar s = sims[e], v = s - cover[j];
        if (j / gain_chunk<Scalar> != chunk) {
            for (Index l = 0; l < gain_lanes; ++l) {
                total[l] += static_cast<double>(part[l]);
                part[l] = Scalar(0);
            }
            chunk = j / gain_chunk<Scalar>;
        }
        part[j % gain_lanes] = part[j % gain_lanes] + (v > Scalar(0) ? v : Scalar(0));
        points[kept] = static_cast<std::uint32_t>(j);
        sims[kept] = s;
        kept += v > Scalar(0) ? 1 : 0;
    }
    for (Index l = 0; l < gain_lanes; ++l) total[l] += static_cast<double>(part[l]);
    live = kept;
    return combine_lanes(total);
}

inline Index worker_threads() {
#ifdef _OPENMP
    return std::max(1, omp_get_max_threads());
#else
    return 1;
#endif
}

/// Cosine similarity of unit rows: the dot product itself (negative values never count: every
/// gain term and the coverage are clamped at 0).
template <class Scalar>
struct DotSimilarity {
    static constexpr bool identity = true;
    Scalar operator()(Index, Index, Scalar dot) const { return dot; }
};

/// max_coverage's 0/1 similarity [||x_c - x_j||^2 <= r^2] from the dot product; `norms` holds
/// the squared norms, +inf on padding points so that they are never covered.
template <class Scalar>
struct RadiusSimilarity {
    static constexpr bool identity = false;
    const Vector<Scalar>* norms;
    Scalar r2;
    Scalar operator()(Index c, Index j, Scalar dot) const {
        return (*norms)[c] + (*norms)[j] - Scalar(2) * dot <= r2 ? Scalar(1) : Scalar(0);
    }
};

/// Gains from dense similarity rows. Every candidate's row is kept when all fit memory_bytes;
/// otherwise rows are computed in tiles (one kernel call per tile) and the rows evaluated after
/// the first pass are kept while `capacity` allows (lazy greedy re-evaluates the same few).
template <class Scalar, class Sim>
class DenseGains {
public:
    DenseGains(const RowMatrix<Scalar>& x, const std::vector<Index>& candidates, std::size_t memory_bytes, Sim sim)
        : x_(x), pool_(x), candidates_(candidates), sim_(sim),
          cover_(static_cast<std::size_t>(pool_.padded), Scalar(0)), slot_(candidates.size()),
          list_(candidates.size()) {
        const auto m = static_cast<Index>(candidates.size());
        symmetric_ = m == x.rows();  // sorted distinct candidates: every row, candidate q = row q
        row_bytes_ = static_cast<std::size_t>(pool_.padded) * sizeof(Scalar);
        const Index budget = std::max<Index>(1, static_cast<Index>(memory_bytes / row_bytes_));
        if (m <= budget) {
            capacity_ = static_cast<std::size_t>(m) * row_bytes_;
            tile_ = 64;
            keep_first_ = true;
        } else {
            // The tile (hence every batch and the evaluation count) does not depend on the
            // thread count; the rows kept do (each worker holds one tile), which only costs time.
            // Kept rows that shrink to their live entries make room for more.
            tile_ = std::max<Index>(1, std::min<Index>(64, budget / 8));
            capacity_ = static_cast<std::size_t>(std::max<Index>(0, budget - worker_threads() * tile_)) * row_bytes_;
        }
    }
    /// Candidates worth evaluating together: a tile's rows share one similarity product, but
    /// when every row is kept there is no product to share, and lazy greedy refreshes one at a time.
    Index tile() const { return keep_first_ ? 1 : tile_; }

    /// Gains of the candidates at positions `which`.
    std::vector<double> gains(const std::vector<Index>& which) {
        const auto w = static_cast<Index>(which.size());
        std::vector<double> out(which.size());
        std::vector<Index> cached, todo;  // places in `which`
        for (Index i = 0; i < w; ++i) (kept(at(which, i)) ? cached : todo).push_back(i);
        // The first pass (every candidate at once) keeps rows only when all fit; later passes
        // keep what they compute while there is room.
        const bool keep = keep_first_ || first_done_;
        if (!first_done_ && keep_first_ && symmetric_ && w == static_cast<Index>(candidates_.size())) {
            first_done_ = true;
            // Every position once, in the order `which` lists them (stochastic greedy's sample
            // of the whole pool is shuffled); the pass gives them in position order.
            const std::vector<double> all = symmetric_first_pass();
            for (Index i = 0; i < w; ++i) out[static_cast<std::size_t>(i)] = all[static_cast<std::size_t>(at(which, i))];
            return out;
        }
        const bool later = first_done_;
        first_done_ = true;
        for (Index i : todo)
            if (keep && used_ + row_bytes_ <= capacity_) {
                slot_[at(which, i)].reset(new Scalar[static_cast<std::size_t>(pool_.padded)]);
                used_ += row_bytes_;
            }
        const Index nt = static_cast<Index>(todo.size()), batches = (nt + tile_ - 1) / tile_;
        auto run = [&](Index t, bool inside) {
            const Index r0 = t * tile_, len = std::min(tile_, nt - r0);
            std::vector<Index> rows(static_cast<std::size_t>(len));
            for (Index r = 0; r < len; ++r) rows[static_cast<std::size_t>(r)] = at(which, at(todo, r0 + r));
            std::vector<Scalar> scratch;
            std::vector<Scalar*> dest(static_cast<std::size_t>(len));
            Index loose = 0;
            for (Index r = 0; r < len; ++r) loose += slot_[at(rows, r)] ? 0 : 1;
            scratch.resize(static_cast<std::size_t>(loose * pool_.padded));
            loose = 0;
            for (Index r = 0; r < len; ++r)
                dest[static_cast<std::size_t>(r)] =
                    slot_[at(rows, r)] ? slot_[at(rows, r)].get() : scratch.data() + (loose++) * pool_.padded;
            similarity_rows(rows, dest.data(), inside);
            auto one = [&](Index r) {
                out[static_cast<std::size_t>(at(todo, r0 + r))] =
                    dense_gain(dest[static_cast<std::size_t>(r)], cover_.data(), pool_.padded);
            };
            if (inside) parallel_for(len, min_parallel_rows(), one);
            else for (Index r = 0; r < len; ++r) one(r);
        };
        if (batches >= 2) parallel_for(batches, 2, [&](Index t) { run(t, false); });
        else if (batches == 1) run(0, true);
        std::vector<std::size_t> freed(cached.size(), 0);
        parallel_for(static_cast<Index>(cached.size()), later ? 2 : min_parallel_rows(), [&](Index c) {
            const Index i = at(cached, c);
            out[static_cast<std::size_t>(i)] = kept_gain(at(which, i), freed[static_cast<std::size_t>(c)]);
        });
        for (std::size_t f : freed) used_ -= f;
        return out;
    }

    /// Adds the candidate at `position` to S; returns F(S) (summed in double over j in order).
    double take(Index position) {
        const auto q = static_cast<std::size_t>(position);
        // A pick is never evaluated again: its room goes to others.
        if (!list_[q].points.empty()) used_ -= list_bytes(list_[q]);
        else if (slot_[q]) used_ -= row_bytes_;
        if (!list_[q].points.empty()) {
            const LiveList& l = list_[q];
            for (std::size_t e = 0; e < l.points.size(); ++e) {
                Scalar& c = cover_[l.points[e]];
                c = std::max(c, l.sims[e]);
            }
            list_[q] = LiveList{};
        } else {
            std::unique_ptr<Scalar[]> row = std::move(slot_[q]);
            if (!row) {
                row.reset(new Scalar[static_cast<std::size_t>(pool_.padded)]);
                Scalar* dest[1] = {row.get()};
                similarity_rows({position}, dest, true);
            }
            for (Index j = 0; j < pool_.n; ++j) {
                Scalar& c = cover_[static_cast<std::size_t>(j)];
                c = std::max(c, row[static_cast<std::size_t>(j)]);
            }
        }
        double f = 0;
        for (Index j = 0; j < pool_.n; ++j) f += static_cast<double>(cover_[static_cast<std::size_t>(j)]);
        return f;
    }

private:
    /// A kept row reduced to the entries that can still add (s_j > cover_j), once that is at
    /// most half the row: later gains of the row then cost its live entries, not N.
    struct LiveList {
        std::vector<std::uint32_t> points;
        std::vector<Scalar> sims;
    };
    bool kept(Index position) const {
        const auto q = static_cast<std::size_t>(position);
        return slot_[q] || !list_[q].points.empty();
    }

    /// The gain of a kept row (a re-evaluation: cover has grown since the row was computed),
    /// which also drops the row's dead entries (a dense row becomes a list once half are dead).
    static std::size_t list_bytes(const LiveList& l) {
        return l.points.capacity() * sizeof(std::uint32_t) + l.sims.capacity() * sizeof(Scalar);
    }

    /// `freed`: the bytes given back when a dense row becomes a list.
    double kept_gain(Index position, std::size_t& freed) {
        const auto q = static_cast<std::size_t>(position);
        LiveList& l = list_[q];
        Index live = 0;
        if (!l.points.empty()) {
            const double g = live_gain(l.points.data(), l.sims.data(), static_cast<Index>(l.points.size()),
                                       cover_.data(), live);
            if (live == 0) {
                // Keep one dead entry so the row still reads as kept (its gain is 0 from now on).
                l.points.resize(1);
                l.sims.resize(1);
            } else {
                l.points.resize(static_cast<std::size_t>(live));
                l.sims.resize(static_cast<std::size_t>(live));
            }
            return g;
        }
        if (pool_.padded > Index(std::numeric_limits<std::uint32_t>::max()))
            return dense_gain(slot_[q].get(), cover_.data(), pool_.padded);
        thread_local LiveList scratch;  // the whole row's worth, reused across calls
        scratch.points.resize(static_cast<std::size_t>(pool_.padded));
        scratch.sims.resize(static_cast<std::size_t>(pool_.padded));
        const Scalar* row = slot_[q].get();
        const double g = dense_gain(row, cover_.data(), pool_.padded);
        for (Index j = 0; j < pool_.padded; ++j) {  // branch-free: a dead entry is overwritten
            scratch.points[static_cast<std::size_t>(live)] = static_cast<std::uint32_t>(j);
            scratch.sims[static_cast<std::size_t>(live)] = row[j];
            live += row[j] > cover_[static_cast<std::size_t>(j)] ? 1 : 0;
        }
        if (2 * live <= pool_.padded) {
            const auto len = static_cast<std::ptrdiff_t>(std::max<Index>(live, 1));
            if (live == 0) {  // a dead placeholder: s = 0 never beats cover >= 0
                scratch.points[0] = 0;
                scratch.sims[0] = Scalar(0);
            }
            l.points.assign(scratch.points.begin(), scratch.points.begin() + len);
            l.sims.assign(scratch.sims.begin(), scratch.sims.begin() + len);
            slot_[q].reset();
            freed = row_bytes_ - std::min(row_bytes_, list_bytes(l));
        }
        return g;
    }

    /// The first pass when every row is a candidate and the whole block is kept: the block is
    /// symmetric (s_ij and s_ji are the same products, summed in the same order), so only the
    /// panels on and right of each group of rows are computed, and the rest is mirrored.
    std::vector<double> symmetric_first_pass() {
        const Index m = static_cast<Index>(candidates_.size()), d = x_.cols();
        const Index panels = pool_.padded / facility_width;
        for (Index q = 0; q < m; ++q) slot_[static_cast<std::size_t>(q)].reset(new Scalar[static_cast<std::size_t>(pool_.padded)]);
        used_ = static_cast<std::size_t>(m) * row_bytes_;
        constexpr Index G = facility_width;  // rows per group: group g starts at panel g
        const Index groups = (m + G - 1) / G;
        auto group = [&](Index g) {
            const Index r0 = g * G, len = std::min(G, m - r0);
            Scalar* dest[G];
            for (Index r = 0; r < len; ++r) dest[r] = slot_[static_cast<std::size_t>(r0 + r)].get();
            dot_rows(pool_, x_.data() + r0 * d, len, g, panels, dest);
            if constexpr (!Sim::identity)
                for (Index r = 0; r < len; ++r)
                    for (Index j = g * G; j < pool_.padded; ++j) dest[r][j] = sim_(r0 + r, j, dest[r][j]);
        };
        // Group g costs panels - g: pair the first with the last to even out the threads.
        parallel_for((groups + 1) / 2, 2, [&](Index t) {
            group(t);
            if (groups - 1 - t != t) group(groups - 1 - t);
        });
        // Mirror: row i's entries left of its group come from column i of the rows before, in
        // 64 x 64 tiles that stay in cache; then every row's first gain.
        constexpr Index B = 64;
        const Index tiles = (m + B - 1) / B;
        parallel_for(tiles, 2, [&](Index ti) {
            const Index i0 = ti * B, i1 = std::min(m, i0 + B);
            for (Index j0 = 0; j0 < i1; j0 += B)
                for (Index i = i0; i < i1; ++i) {
                    Scalar* row = slot_[static_cast<std::size_t>(i)].get();
                    const Index j1 = std::min(j0 + B, (i / G) * G);
                    for (Index j = j0; j < j1; ++j) row[j] = slot_[static_cast<std::size_t>(j)][static_cast<std::size_t>(i)];
                }
        });
        std::vector<double> out(static_cast<std::size_t>(m));
        parallel_for(m, min_parallel_rows(), [&](Index i) {
            out[static_cast<std::size_t>(i)] = dense_gain(slot_[static_cast<std::size_t>(i)].get(), cover_.data(), pool_.padded);
        });
        return out;
    }

    /// Gains of fewer rows than this run serially: a parallel region costs more than ~64K terms.
    Index min_parallel_rows() const { return std::max<Index>(2, (Index(1) << 16) / pool_.padded); }

    template <class V>
    static auto at(const V& v, Index i) -> decltype(v[0]) { return v[static_cast<std::size_t>(i)]; }

    /// Similarity rows of the candidates at `positions` into dest[r] (padded length), in
    /// parallel over pool panels when `inside`.
    void similarity_rows(const std::vector<Index>& positions, Scalar* const* dest, bool inside) const {
        const auto count = static_cast<Index>(positions.size());
        const Index d = x_.cols();
        std::vector<Scalar> a(static_cast<std::size_t>(count * d));
        for (Index r = 0; r < count; ++r)
            Eigen::Map<RowMatrix<Scalar>>(a.data() + r * d, 1, d) = x_.row(candidates_[static_cast<std::size_t>(at(positions, r))]);
        const Index panels = pool_.padded / facility_width, block = 64;
        auto part = [&](Index p0, Index p1) {
            dot_rows(pool_, a.data(), count, p0, p1, dest);
            if constexpr (!Sim::identity)
                for (Index r = 0; r < count; ++r) {
                    const Index c = candidates_[static_cast<std::size_t>(at(positions, r))];
                    for (Index j = p0 * facility_width; j < p1 * facility_width; ++j) dest[r][j] = sim_(c, j, dest[r][j]);
                }
        };
        // A parallel region costs more than a small product: split only above ~2M multiply-adds.
        const Index blocks = (panels + block - 1) / block;
        if (inside && count * pool_.padded * d >= (Index(1) << 21))
            parallel_for(blocks, 2, [&](Index t) { part(t * block, std::min(panels, (t + 1) * block)); });
        else
            part(0, panels);
    }

    const RowMatrix<Scalar>& x_;
    PackedPool<Scalar> pool_;
    const std::vector<Index>& candidates_;
    Sim sim_;
    std::vector<Scalar> cover_;  // max similarity of each pool point to S (0 on padding)
    std::vector<std::unique_ptr<Scalar[]>> slot_;  // kept similarity rows, by candidate position
    std::vector<LiveList> list_;  // kept rows reduced to their live entries, by candidate position
    std::size_t row_bytes_ = 0, capacity_ = 0, used_ = 0;  // kept rows: dense or lists, in bytes
    Index tile_ = 1;
    bool keep_first_ = false, first_done_ = false, symmetric_ = false;
};

/// Gains on the sparsified objective: candidate position q holds the pool points (ascending)
/// that kept it among their k most similar, with the similarities.
template <class Scalar>
class SparseGains {
public:
    SparseGains(Index n, std::vector<Index> offsets, std::vector<Index> points, std::vector<Scalar> sims)
        : n_(n), offsets_(std::move(offsets)), points_(std::move(points)), sims_(std::move(sims)),
          cover_(static_cast<std::size_t>(n), Scalar(0)) {}
    Index tile() const { return 64; }

    std::vector<double> gains(const std::vector<Index>& which) {
        std::vector<double> out(which.size());
        parallel_for(static_cast<Index>(which.size()), 2, [&](Index i) {
            const auto q = static_cast<std::size_t>(which[static_cast<std::size_t>(i)]);
            out[static_cast<std::size_t>(i)] = sparse_gain(points_.data() + offsets_[q], sims_.data() + offsets_[q],
                                                           offsets_[q + 1] - offsets_[q], cover_.data());
        });
        return out;
    }

    double take(Index position) {
        const auto q = static_cast<std::size_t>(position);
        for (Index e = offsets_[q]; e < offsets_[q + 1]; ++e) {
            Scalar& c = cover_[static_cast<std::size_t>(points_[static_cast<std::size_t>(e)])];
            c = std::max(c, sims_[static_cast<std::size_t>(e)]);
        }
        double f = 0;
        for (Scalar c : cover_) f += static_cast<double>(c);
        return f;
    }

private:
    Index n_;
    std::vector<Index> offsets_, points_;
    std::vector<Scalar> sims_;
    std::vector<Scalar> cover_;
};

/// Sparse lists: each pool row j of x keeps the k candidates nearest by Euclidean distance
/// (exact tiled k-NN; ties: lowest candidate position), or, with a graph, itself (when a
/// candidate) and its graph neighbours that are candidates, in the graph's order, at most k; each
/// with similarity sim(c, j, dot), the dot product computed with the same chain as dot_rows.
/// Non-positive similarities are dropped (they never count). Memory O(N k).
template <class Scalar, class Sim>
SparseGains<Scalar> sparse_gains(const RowMatrix<Scalar>& x, const std::vector<Index>& candidates, Index k,
                                 const NeighborGraph* graph, Sim sim) {
    const Index n = x.rows(), m = static_cast<Index>(candidates.size()), d = x.cols();
    const RowMatrix<Scalar> xc = x(candidates, Eigen::all);
    // Row j's candidate positions nbr(j, 0 .. count[j]).
    Eigen::Matrix<Index, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> nbr(n, k);
    std::vector<Index> count(static_cast<std::size_t>(n), k);
    if (graph == nullptr) {
        knn_blocks(x, xc, k, std::size_t(32) << 20,
                   [&](Index r0, Index nb, const auto& idx, const auto&) { nbr.middleRows(r0, nb) = idx; });
    } else {
        std::vector<Index> position(static_cast<std::size_t>(n), -1);
        for (Index q = 0; q < m; ++q) position[static_cast<std::size_t>(candidates[static_cast<std::size_t>(q)])] = q;
        parallel_for(n, 1024, [&](Index j) {
            Index c = 0;
            if (position[static_cast<std::size_t>(j)] >= 0) nbr(j, c++) = position[static_cast<std::size_t>(j)];
            for (Index e = graph->offsets[static_cast<std::size_t>(j)];
                 e < graph->offsets[static_cast<std::size_t>(j) + 1] && c < k; ++e) {
                const Index q = position[static_cast<std::size_t>(graph->indices[static_cast<std::size_t>(e)])];
                if (q >= 0) nbr(j, c++) = q;
            }
            count[static_cast<std::size_t>(j)] = c;
        });
    }
    RowMatrix<Scalar> s(n, k);
    parallel_for(n, 1024, [&](Index j) {
        for (Index t = 0; t < count[static_cast<std::size_t>(j)]; ++t) {
            const Index q = nbr(j, t);
            Scalar acc = 0;
            for (Index f = 0; f < d; ++f) acc = acc + xc(q, f) * x(j, f);
            s(j, t) = sim(candidates[static_cast<std::size_t>(q)], j, acc);
        }
    });
    std::vector<Index> offsets(static_cast<std::size_t>(m + 1), 0);
    for (Index j = 0; j < n; ++j)
        for (Index t = 0; t < count[static_cast<std::size_t>(j)]; ++t)
            if (s(j, t) > Scalar(0)) ++offsets[static_cast<std::size_t>(nbr(j, t) + 1)];
    for (Index q = 0; q < m; ++q) offsets[static_cast<std::size_t>(q + 1)] += offsets[static_cast<std::size_t>(q)];
    std::vector<Index> points(static_cast<std::size_t>(offsets.back())), fill(offsets.begin(), offsets.end() - 1);
    std::vector<Scalar> sims(points.size());
    for (Index j = 0; j < n; ++j)
        for (Index t = 0; t < count[static_cast<std::size_t>(j)]; ++t)
            if (s(j, t) > Scalar(0)) {
                auto& e = fill[static_cast<std::size_t>(nbr(j, t))];
                points[static_cast<std::size_t>(e)] = j;
                sims[static_cast<std::size_t>(e)] = s(j, t);
                ++e;
            }
    return SparseGains<Scalar>(n, std::move(offsets), std::move(points), std::move(sims));
}

/// Greedy on F with gains from `eval` (DenseGains or SparseGains): positions index `candidates`
/// (sorted ascending, so ties by position are ties by pool index).
template <class Eval>
Selection facility_greedy(const std::vector<Index>& candidates, Index b, const FacilityLocationOptions& options,
                          Eval& eval) {
    const auto m = static_cast<Index>(candidates.size());
    Index evaluations = 0;
    auto gains = [&](const std::vector<Index>& which) {
        evaluations += static_cast<Index>(which.size());
        return eval.gains(which);
    };
    Selection result;
    auto pick = [&](Index position) {
        result.indices.push_back(candidates[static_cast<std::size_t>(position)]);
        result.objective.push_back(eval.take(position));
    };
    // Better: larger gain, then the lower position (= lower pool index).
    auto better = [](double ga, Index pa, double gb, Index pb) { return ga > gb || (ga == gb && pa < pb); };
    auto best_of = [&](const std::vector<Index>& which, const std::vector<double>& g) {
        std::size_t best = 0;
        for (std::size_t q = 1; q < which.size(); ++q)
            if (better(g[q], which[q], g[best], which[best])) best = q;
        return best;
    };
    if (options.stochastic) {
        Rng rng(options.seed);
        const double per_step = std::ceil(static_cast<double>(m) / static_cast<double>(std::max<Index>(b, 1)) *
                                          std::log(1.0 / options.epsilon));
        const Index sample = std::max<Index>(1, static_cast<Index>(per_step));
        std::vector<Index> left(static_cast<std::size_t>(m));
        for (Index q = 0; q < m; ++q) left[static_cast<std::size_t>(q)] = q;
        for (Index step = 0; step < b; ++step) {
            // A partial Fisher-Yates shuffle draws the sample from the candidates left.
            const Index s = std::min<Index>(sample, static_cast<Index>(left.size()));
            for (Index q = 0; q < s; ++q) {
                const auto r = q + static_cast<Index>(rng.below(static_cast<std::uint64_t>(static_cast<Index>(left.size()) - q)));
                std::swap(left[static_cast<std::size_t>(q)], left[static_cast<std::size_t>(r)]);
            }
            const std::vector<Index> which(left.begin(), left.begin() + s);
            const std::size_t best = best_of(which, gains(which));
            pick(which[best]);
            left.erase(left.begin() + static_cast<std::ptrdiff_t>(best));
        }
    } else if (!options.lazy) {
        std::vector<char> taken(static_cast<std::size_t>(m), 0);
        for (Index step = 0; step < b; ++step) {
            std::vector<Index> which;
            for (Index q = 0; q < m; ++q)
                if (!taken[static_cast<std::size_t>(q)]) which.push_back(q);
            const std::size_t best = best_of(which, gains(which));
            taken[static_cast<std::size_t>(which[best])] = 1;
            pick(which[best]);
        }
    } else if (b > 0) {
        // Lazy greedy: a heap of (stale gain, position); gains only shrink as S grows (every
        // term max(0, s - cover) in Scalar and every double sum are monotone in cover), so a
        // refreshed top that still beats the next stale bound is the plain greedy pick. Stale
        // tops are refreshed in batches of 1, 2, 4, ... up to one tile per step.
        std::vector<Index> all(static_cast<std::size_t>(m));
        for (Index q = 0; q < m; ++q) all[static_cast<std::size_t>(q)] = q;
        const auto g0 = gains(all);
        auto worse = [&](const std::pair<double, Index>& a, const std::pair<double, Index>& c) {
            return better(c.first, c.second, a.first, a.second);
        };
        std::priority_queue<std::pair<double, Index>, std::vector<std::pair<double, Index>>, decltype(worse)> heap(worse);
        for (Index q = 0; q < m; ++q) heap.emplace(g0[static_cast<std::size_t>(q)], q);
        std::vector<Index> fresh_at(static_cast<std::size_t>(m), 0);  // step of each bound
        for (Index step = 0; step < b; ++step) {
            Index batch = 1;
            while (fresh_at[static_cast<std::size_t>(heap.top().second)] != step) {
                std::vector<Index> which;
                while (!heap.empty() && static_cast<Index>(which.size()) < batch &&
                       fresh_at[static_cast<std::size_t>(heap.top().second)] != step) {
                    which.push_back(heap.top().second);
                    heap.pop();
                }
                const auto g = gains(which);
                for (std::size_t i = 0; i < which.size(); ++i) {
                    heap.emplace(g[i], which[i]);
                    fresh_at[static_cast<std::size_t>(which[i])] = step;
                }
                batch = std::min(2 * batch, eval.tile());
            }
            pick(heap.top().second);
            heap.pop();
        }
    }
    if (options.evaluations) *options.evaluations = evaluations;
    return result;
}

template <class Derived>
void check_facility_input(const char* fn, const Eigen::MatrixBase<Derived>& X, const std::vector<Index>& candidates,
                          Index b, const FacilityLocationOptions& options) {
    check_shape(fn, "X", X.rows(), X.cols());
    index_mask(fn, "candidates", candidates, X.rows());
    check_budget(fn, "b", b, candidates.empty() ? X.rows() : static_cast<Index>(candidates.size()));
    if (!(options.epsilon > 0 && options.epsilon < 1))
        fail(fn, "options epsilon must be in (0, 1), got ", options.epsilon);
    if (options.memory_bytes < static_cast<std::size_t>(X.rows()) * sizeof(typename Derived::Scalar))
        fail(fn, "options memory_bytes (", options.memory_bytes, ") must hold one row of ", X.rows(), " similarities");
    if (options.neighbors < 0) fail(fn, "options neighbors must be >= 0 (0 = dense), got ", options.neighbors);
    if (options.graph != nullptr) {
        if (options.neighbors == 0) fail(fn, "options graph needs sparse mode (options neighbors > 0)");
        check_graph(fn, "options graph", *options.graph, X.rows(), X.rows(), true);
    }
    check_tolerance(fn, options.checks);
    if (options.checks.values) check_finite(fn, "X", X);
}

/// The candidates in ascending pool order (every row when empty).
inline std::vector<Index> sorted_candidates(const std::vector<Index>& candidates, Index n) {
    std::vector<Index> out = candidates;
    if (out.empty()) {
        out.resize(static_cast<std::size_t>(n));
        for (Index i = 0; i < n; ++i) out[static_cast<std::size_t>(i)] = i;
    }
    std::sort(out.begin(), out.end());
    return out;
}

template <class Scalar, class Sim>
Selection facility_run(const RowMatrix<Scalar>& x, const std::vector<Index>& candidates, Index b,
                       const FacilityLocationOptions& options, Sim sim) {
    if (options.neighbors > 0) {
        const Index k = std::min<Index>(options.neighbors, static_cast<Index>(candidates.size()));
        auto eval = sparse_gains(x, candidates, k, options.graph, sim);
        return facility_greedy(candidates, b, options, eval);
    }
    DenseGains<Scalar, Sim> eval(x, candidates, options.memory_bytes, sim);
    return facility_greedy(candidates, b, options, eval);
}

}  // namespace detail

/// \addtogroup diversity_selectors
/// @{

/// Facility location (Yang et al. 2017's Suggestive Annotation step; greedy per Nemhauser et al.
/// 1978): b picks from `candidates` (pool row indices, any order; empty = every row; pass your
/// unlabeled set or a prefilter() of it) maximising F(S) = sum over all N rows j of
/// max(0, max_{i in S} cos(x_i, x_j)). Negative cosines count as 0, so F is monotone submodular
/// and greedy is within (1 - 1/e) of optimal. Higher gain = picked first; `Selection::objective[j]`
/// is F after pick j (summed in double); ties go to the lowest pool index. A gain is
/// sum_j max(0, s_cj - cover_j) with the terms in the input's Scalar and the sum in double
/// (16 lanes, j mod 16, combined in a fixed order). Lazy, plain, cached and tiled runs make
/// exactly the same picks, on any thread count.
///
/// Memory (dense, options.neighbors = 0): the |candidates| x N block when it fits
/// options.memory_bytes (default 1 GB), else tiles plus kept rows within that bound; never N x N
/// unless the candidates are the whole pool and it fits. Time: one pass of O(|candidates| N d)
/// for the first gains (half of it when every row is a candidate and the block is kept: the
/// block is symmetric and the other half is mirrored), then lazy re-evaluations: rows recomputed
/// in batches only when not kept, and a kept row, once half its entries can no longer add
/// (s_j <= cover_j, for good: cover only grows), shrinks to the entries that still can, so its
/// later gains cost its live entries, not N. The similarity kernel uses AVX2 where the CPU has it
/// (checked at run time; the same bits as the SSE2 kernel, as AVX2 has no fused multiply-add).
/// Sparse (options.neighbors = k > 0): each row keeps its k nearest candidates by cosine
/// (exact tiled k-NN on the normalised rows), O(N k) memory, O(N |candidates| d) k-NN time;
/// greedy is exact on that sparsified F; k >= |candidates| gives the dense picks (bit for bit
/// when the compiler does not contract a * b + c into FMA, as with default x86-64 flags).
/// With options.graph the neighbours come from the graph instead (an approximate HNSW graph
/// from acquire/hnsw.hpp for pools of 10^6 and more: O(N k) after the graph), and greedy is exact
/// on the objective that graph sparsifies. Cosine normalises a row-major copy of X (O(N d)), the similarity kernel packs another.
///
/// Throws invalid_input for an empty X, bad candidate indices, b < 0 or above the candidates,
/// non-finite values, zero rows, epsilon outside (0, 1), negative neighbors, a memory bound
/// below one row, or a graph without sparse mode or failing check_graph (naming its row).
template <class Derived>
Selection facility_location(const Eigen::MatrixBase<Derived>& X, const std::vector<Index>& candidates, Index b,
                            const FacilityLocationOptions& options = {}) {
    constexpr const char* fn = "facility_location";
    using Scalar = typename Derived::Scalar;
    detail::check_facility_input(fn, X, candidates, b, options);
    RowMatrix<Scalar> unit = X;
    for (Index i = 0; i < unit.rows(); ++i) {
        const Scalar norm = unit.row(i).norm();
        if (!(norm > 0)) detail::fail(fn, "X row ", i, " has zero norm (cosine similarity)");
        unit.row(i) /= norm;
    }
    return detail::facility_run(unit, detail::sorted_candidates(candidates, unit.rows()), b, options,
                                detail::DotSimilarity<Scalar>{});
}

/// Max coverage (the thresholded set-cover form of facility location): b picks from the
/// candidates (empty = every row) maximising the number of rows within Euclidean `radius` of
/// some pick, [||x_i - x_j||^2 <= radius^2] computed as ||x_i||^2 + ||x_j||^2 - 2 x_i.x_j in the
/// input's Scalar. `Selection::objective[j]` is the covered count after pick j. Same greedy,
/// lazy evaluation, ties, memory bound, sparse mode (k nearest candidates by Euclidean
/// distance) and errors as facility_location; radius must be finite and >= 0.
template <class Derived>
Selection max_coverage(const Eigen::MatrixBase<Derived>& X, double radius, Index b,
                       const std::vector<Index>& candidates = {}, const FacilityLocationOptions& options = {}) {
    constexpr const char* fn = "max_coverage";
    using Scalar = typename Derived::Scalar;
    if (!(radius >= 0) || !std::isfinite(radius)) detail::fail(fn, "radius must be finite and >= 0, got ", radius);
    detail::check_facility_input(fn, X, candidates, b, options);
    const RowMatrix<Scalar> x = X;
    const Index padded = (x.rows() + detail::gain_lanes - 1) / detail::gain_lanes * detail::gain_lanes;
    Vector<Scalar> norms = Vector<Scalar>::Constant(padded, std::numeric_limits<Scalar>::infinity());
    norms.head(x.rows()) = x.rowwise().squaredNorm();
    return detail::facility_run(x, detail::sorted_candidates(candidates, x.rows()), b, options,
                                detail::RadiusSimilarity<Scalar>{&norms, static_cast<Scalar>(radius * radius)});
}

/// @}

}  // namespace acquire
