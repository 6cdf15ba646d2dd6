/// \file
/// Approximate neighbour graphs from hnswlib's HNSW index, in namespace acquire::hnsw (optional:
/// needs hnswlib's headers).
// Approximate k-nearest-neighbour graphs for the selectors that look at neighbours, from HNSW
// (Malkov & Yashunin 2018, hnswlib): for pools where the exact search (O(N^2 d)) is too slow.
//
//     #include <acquire/hnsw.hpp>
//     acquire::hnsw::Options h;
//     h.cosine = true;                                    // facility_location ranks by cosine
//     const acquire::NeighborGraph g = acquire::hnsw::knn_graph(X, 20, h);   // each row's ~20 nearest
//     acquire::FacilityLocationOptions o;
//     o.neighbors = 20;
//     o.graph = &g;                                       // instead of the exact O(N^2 d) search
//     acquire::Selection picks = acquire::facility_location(X, {}, 1000, o);
//
// What is guaranteed: every listed neighbour is a real row at its true distance (re-measured by
// acquire in double, summed in feature order, so d(a, b) = d(b, a) to the bit), rows ascend by
// (distance, index) and hold no self loop; what is not: that they are the k nearest. A row may
// miss some of its true k nearest (recall@k < 1; bench_neighbors and docs/scale.md measure it), so a radius
// query made from the graph (ProbCover's balls) can miss points, never add one.
//
// Deterministic: each index is built by inserting its rows one by one in index order with a
// seeded level generator (hnswlib's parallel insertion depends on thread timing) and acquire's
// own distance kernel (the same bits on every x86-64 CPU); Options::shards indexes (by default
// 2, and one per 500,000 rows past 10^6) over consecutive blocks of rows are built side by
// side, then every row is queried in each (a query only reads an index) and the lists merged
// by (distance, row). The same inputs and options give the same graph on any thread count.
// Options::deterministic = false inserts in parallel within an index: faster with one shard on
// many cores, not reproducible.
//
// hnswlib works in float: double inputs are converted row by row as they are inserted or
// queried (no copy of X is made; the index holds its own float copy of the rows, about
// 4 d + 8 M + 16 bytes per row at layer 0). This header is an optional edge: acquire.hpp does
// not include it; link the acquire::hnsw CMake target (found when hnswlib's headers are, e.g.
// Debian's libhnswlib-dev).
#pragma once

#include "acquire/core/error.hpp"
#include "acquire/core/neighbor_graph.hpp"
#include "acquire/core/parallel.hpp"
#include "acquire/core/simd.hpp"

// hnswlib 0.6's searches prefetch one entry past the end of a link list: a 4-byte read outside
// the list's allocation whose value only feeds a prefetch (harmless on real hardware, and
// reported by AddressSanitizer). Under AddressSanitizer hnswlib's manual SSE code, where those
// prefetches live, is turned off; acquire's own distance kernel (below) serves either way.
#if defined(__SANITIZE_ADDRESS__) && !defined(NO_MANUAL_VECTORIZATION)
#define NO_MANUAL_VECTORIZATION
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) && !defined(NO_MANUAL_VECTORIZATION)
#define NO_MANUAL_VECTORIZATION
#endif
#endif
#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <utility>
#include <vector>

namespace acquire {
namespace hnsw {

/// \addtogroup core_vocabulary
/// @{

/// Options of knn_graph (hnswlib's HierarchicalNSW parameters).
struct Options {
    /// Links per node (hnswlib's M; layer 0 keeps 2 M). More: higher recall, more memory.
    Index M = 16;
    /// Candidate list while inserting (hnswlib's ef_construction). More: a better graph, slower build.
    Index ef_construction = 100;
    /// Candidate list per query (hnswlib's ef), at least k + 1; 0 = max(2 (k + 1), 100). On a
    /// clustered pool of 10^6 rows (d = 64, k = 20) ef 42 gave recall@20 0.886, 100 gave 0.964,
    /// 160 0.978, each step costing queries in proportion (docs/scale.md).
    Index ef_search = 0;
    /// Seed of the level generator.
    std::uint64_t seed = 100;
    /// Insert in index order on one thread (the same graph on any thread count); false inserts
    /// in parallel (faster on many cores, not reproducible).
    bool deterministic = true;
    /// Independent indexes over this many consecutive blocks of the reference rows, built side
    /// by side (each in index order, so the graph still does not depend on the thread count),
    /// every row queried in each and the lists merged. 0 (default) = max(2, ceil(rows /
    /// 500,000)): two up to 10^6 rows, which halves the build's wall time on two cores for
    /// twice the queries, then one per 500,000 rows, since smaller indexes keep recall at a given
    /// ef. On clustered pools (d = 64, k = 20) shards of 500,000 rows gave recall@20 0.96 up to
    /// 10^7 rows, where 2 shards gave 0.89 at 3 x 10^6 and 0.78 at 10^7; on a graph of recall
    /// 0.83 facility location's picks kept 0.986 of the exact graph's objective and TypiClust
    /// kept 83 of 100 picks (docs/neighbors.md). The price: every row is queried in every index,
    /// so past 10^6 the queries grow as N^2 / 500,000 (at 10^7 about 4x the two-shard graph's
    /// time). 1 = one index; 2 = the faster graph at any size.
    Index shards = 0;
    /// Index the rows scaled to unit length, so that neighbours are the nearest by cosine (what
    /// facility_location's sparse mode wants); distances are then between the unit rows.
    bool cosine = false;
    /// Rounds of neighbour-of-neighbour refinement after the queries (knn_graph of one set
    /// only): each row's candidates are the lists of its neighbours and reverse neighbours (the
    /// nearest k rows listing it) and their neighbours' and reverse neighbours', screened in
    /// float and measured exactly, and it keeps the nearest k (the local join of NN-descent,
    /// Dong, Moses & Li 2011). A row only trades a neighbour for a nearer one. The cheapest way
    /// measured to buy recall at scale: at 3 x 10^6 rows (d = 64, k = 20) one round took recall
    /// from 0.892 to 0.945 for 10% more time, two to 0.949 for 19% (docs/neighbors.md). 0 = none.
    Index refine = 0;
    /// checks.values: reject NaN or Inf rows (and, with cosine, zero rows).
    CheckOptions checks;
};

/// @}

namespace detail {

/// The index's distance: sum_f (a_f - b_f)^2 in float, feature f in lane f mod 8 (a subtract, a
/// multiply and an add per feature, never fused), the 8 lanes added in one fixed order, then the
/// features past the last multiple of 8 in order. One AVX2 register where the CPU has AVX2, two
/// SSE2 registers otherwise, eight floats elsewhere: the same bits on every CPU, so the same
/// graph (hnswlib's own distance is chosen at compile time and its bits depend on the flags).
inline float l2_lanes_sum(const float* lane, const float* a, const float* b, std::size_t from, std::size_t d) {
    float s = ((lane[0] + lane[4]) + (lane[2] + lane[6])) + ((lane[1] + lane[5]) + (lane[3] + lane[7]));
    for (std::size_t f = from; f < d; ++f) {
        const float t = a[f] - b[f];
        const float t2 = t * t;
        s += t2;
    }
    return s;
}

inline float l2_generic(const void* pa, const void* pb, const void* pd) {
    const auto* a = static_cast<const float*>(pa);
    const auto* b = static_cast<const float*>(pb);
    const std::size_t d = *static_cast<const std::size_t*>(pd), whole = d / 8 * 8;
    float lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (std::size_t f = 0; f < whole; f += 8)
        for (std::size_t l = 0; l < 8; ++l) {
            const float t = a[f + l] - b[f + l];
            const float t2 = t * t;
            lane[l] += t2;
        }
    return l2_lanes_sum(lane, a, b, whole, d);
}

#if defined(ACQUIRE_AVX2)
inline float l2_sse2(const void* pa, const void* pb, const void* pd) {
    const auto* a = static_cast<const float*>(pa);
    const auto* b = static_cast<const float*>(pb);
    const std::size_t d = *static_cast<const std::size_t*>(pd), whole = d / 8 * 8;
    __m128 lo = _mm_setzero_ps(), hi = _mm_setzero_ps();
    for (std::size_t f = 0; f < whole; f += 8) {
        const __m128 t0 = _mm_sub_ps(_mm_loadu_ps(a + f), _mm_loadu_ps(b + f));
        const __m128 t1 = _mm_sub_ps(_mm_loadu_ps(a + f + 4), _mm_loadu_ps(b + f + 4));
        lo = _mm_add_ps(lo, _mm_mul_ps(t0, t0));
        hi = _mm_add_ps(hi, _mm_mul_ps(t1, t1));
    }
    float lane[8];
    _mm_storeu_ps(lane, lo);
    _mm_storeu_ps(lane + 4, hi);
    return l2_lanes_sum(lane, a, b, whole, d);
}

ACQUIRE_AVX2_KERNEL inline float l2_avx2(const void* pa, const void* pb, const void* pd) {
    const auto* a = static_cast<const float*>(pa);
    const auto* b = static_cast<const float*>(pb);
    const std::size_t d = *static_cast<const std::size_t*>(pd), whole = d / 8 * 8;
    __m256 acc = _mm256_setzero_ps();
    for (std::size_t f = 0; f < whole; f += 8) {
        const __m256 t = _mm256_sub_ps(_mm256_loadu_ps(a + f), _mm256_loadu_ps(b + f));
        acc = _mm256_add_ps(acc, _mm256_mul_ps(t, t));
    }
    float lane[8];
    _mm256_storeu_ps(lane, acc);
    return l2_lanes_sum(lane, a, b, whole, d);
}
#endif

/// hnswlib's distance interface over PortableL2's kernels.
class PortableL2 : public hnswlib::SpaceInterface<float> {
public:
    explicit PortableL2(std::size_t d) : d_(d) {}
    std::size_t get_data_size() override { return d_ * sizeof(float); }
    hnswlib::DISTFUNC<float> get_dist_func() override {
#if defined(ACQUIRE_AVX2)
        return acquire::detail::cpu_has_avx2() ? l2_avx2 : l2_sse2;
#else
        return l2_generic;
#endif
    }
    void* get_dist_func_param() override { return &d_; }

private:
    std::size_t d_;
};

/// Row i of X as float in `out`, scaled to unit length when `scale` holds 1 / norms.
template <class Derived>
void float_row(const Eigen::MatrixBase<Derived>& X, Index i, const std::vector<double>& scale, float* out) {
    const double s = scale.empty() ? 1.0 : scale[static_cast<std::size_t>(i)];
    for (Index f = 0; f < X.cols(); ++f) out[f] = static_cast<float>(static_cast<double>(X(i, f)) * s);
}

/// 1 / ||x_i|| per row when cosine (empty otherwise); throws for a zero row.
template <class Derived>
std::vector<double> inverse_norms(const char* fn, const char* argument, const Eigen::MatrixBase<Derived>& X,
                                  bool cosine) {
    std::vector<double> out;
    if (!cosine) return out;
    out.resize(static_cast<std::size_t>(X.rows()));
    for (Index i = 0; i < X.rows(); ++i) {
        const double norm = std::sqrt(static_cast<double>(X.row(i).template cast<double>().squaredNorm()));
        if (!(norm > 0)) acquire::detail::fail(fn, argument, " row ", i, " has zero norm (cosine)");
        out[static_cast<std::size_t>(i)] = 1.0 / norm;
    }
    return out;
}

/// The HNSW index over rows [first, last) of R (float copies, unit rows when `scale` is not
/// empty), labelled with their row numbers.
template <class Derived>
std::unique_ptr<hnswlib::HierarchicalNSW<float>> build_index(const Eigen::MatrixBase<Derived>& R, Index first,
                                                             Index last, const std::vector<double>& scale,
                                                             PortableL2& space, const Options& o) {
    auto index = std::make_unique<hnswlib::HierarchicalNSW<float>>(
        &space, static_cast<std::size_t>(last - first), static_cast<std::size_t>(o.M),
        static_cast<std::size_t>(o.ef_construction), static_cast<std::size_t>(o.seed));
    std::vector<float> row(static_cast<std::size_t>(R.cols()));
    float_row(R, first, scale, row.data());
    index->addPoint(row.data(), static_cast<hnswlib::labeltype>(first));  // the entry point, first
    if (o.deterministic) {
        for (Index i = first + 1; i < last; ++i) {
            float_row(R, i, scale, row.data());
            index->addPoint(row.data(), static_cast<hnswlib::labeltype>(i));
        }
    } else {
        acquire::detail::parallel_for(last - first - 1, 2, [&](Index i) {
            std::vector<float> mine(static_cast<std::size_t>(R.cols()));
            float_row(R, first + 1 + i, scale, mine.data());
            index->addPoint(mine.data(), static_cast<hnswlib::labeltype>(first + 1 + i));
        });
    }
    return index;
}

/// The HNSW indexes of a search: one per block of consecutive reference rows.
using Shards = std::vector<std::unique_ptr<hnswlib::HierarchicalNSW<float>>>;

/// Rows per index when Options::shards is 0.
constexpr Index auto_shard_rows = 500000;

/// The indexes a search over m reference rows builds: options.shards, or for 0 max(2,
/// ceil(m / auto_shard_rows)); at most m.
inline Index shard_count(const Options& o, Index m) {
    const Index wanted = o.shards > 0 ? o.shards : std::max<Index>(2, (m + auto_shard_rows - 1) / auto_shard_rows);
    return std::min(wanted, m);
}

/// shard_count(o, rows of R) indexes over consecutive blocks of R's rows, built side by side
/// (each in index order: the same indexes on any thread count), each set to query with ef.
template <class Derived>
Shards build_shards(const Eigen::MatrixBase<Derived>& R, const std::vector<double>& scale, PortableL2& space,
                    const Options& o, std::size_t ef) {
    const Index m = R.rows(), shards = shard_count(o, m);
    Shards index(static_cast<std::size_t>(shards));
    acquire::detail::parallel_for(shards, 2, [&](Index s) {
        index[static_cast<std::size_t>(s)] = build_index(R, s * m / shards, (s + 1) * m / shards, scale, space, o);
        index[static_cast<std::size_t>(s)]->setEf(ef);
    });
    return index;
}

/// The squared Euclidean distance between row i of Q and row j of R (each scaled to unit length
/// when its scale is not empty), in double, summed in feature order: the true distance,
/// symmetric to the bit, whatever the index measured in float. With a `bound`, any value above
/// it as soon as the sum passes it (the terms are non-negative, so the sum only grows): a row
/// that cannot enter a list is dropped after the features that prove it.
template <class DQ, class DR>
double exact_distance(const Eigen::MatrixBase<DQ>& Q, const std::vector<double>& q_scale, Index i,
                      const Eigen::MatrixBase<DR>& R, const std::vector<double>& r_scale, Index j,
                      double bound = std::numeric_limits<double>::infinity()) {
    const double qs = q_scale.empty() ? 1.0 : q_scale[static_cast<std::size_t>(i)];
    const double rs = r_scale.empty() ? 1.0 : r_scale[static_cast<std::size_t>(j)];
    double s = 0;
    for (Index f = 0; f < Q.cols(); ++f) {
        const double a = static_cast<double>(Q(i, f)) * qs, b = static_cast<double>(R(j, f)) * rs;
        s += (a - b) * (a - b);
        if ((f & 15) == 15 && s > bound) return s;
    }
    return s;
}

/// One query's candidates from every shard: the `asked` nearest of each to `row`, less the row
/// `self` (-1: none), as (distance(j), j) sorted by (distance, row): the shards' lists merged.
template <class Distance>
std::vector<std::pair<double, Index>> query_shards(const Shards& index, const float* row, Index asked, Index self,
                                                   Distance distance) {
    std::vector<std::pair<double, Index>> near;
    for (const auto& shard : index)
        for (auto found = shard->searchKnn(row, static_cast<std::size_t>(asked)); !found.empty(); found.pop()) {
            const auto j = static_cast<Index>(found.top().second);
            if (j != self) near.emplace_back(distance(j), j);
        }
    std::sort(near.begin(), near.end());
    return near;
}

/// Appends nodes 0..count-1 to `order` in breadth-first order, from node 0; a node no link
/// reaches starts a new search. `links(v, visit)` calls visit(u) for each node u linked from v.
/// Consecutive nodes in this order are linked, so work done in it finds them in cache.
template <class Links>
void breadth_first(std::size_t count, Links links, std::vector<Index>& order) {
    std::vector<char> seen(count, 0);
    for (std::size_t start = 0; start < count; ++start) {
        if (seen[start]) continue;
        seen[start] = 1;
        std::size_t head = order.size();
        order.push_back(static_cast<Index>(start));
        for (; head < order.size(); ++head)
            links(order[head], [&](Index u) {
                if (!seen[static_cast<std::size_t>(u)]) {
                    seen[static_cast<std::size_t>(u)] = 1;
                    order.push_back(u);
                }
            });
    }
}

/// The rows of the shards' indexes in breadth-first order over each index's layer-0 links
/// (shard by shard, from each index's first node): consecutive rows are neighbours in the
/// graph, so queries made in this order read the same parts of the indexes one after another
/// and find them in cache. Deterministic: it depends only on the indexes. The order changes no
/// result (a query only reads the indexes).
inline std::vector<Index> locality_order(const Shards& index) {
    std::vector<Index> order;
    for (const auto& shard : index) {
        const std::size_t begin = order.size();
        breadth_first(shard->cur_element_count, [&](Index v, auto&& visit) {
            hnswlib::linklistsizeint* links = shard->get_linklist0(static_cast<hnswlib::tableint>(v));
            const std::size_t degree = shard->getListCount(links);
            const auto* ids = reinterpret_cast<const hnswlib::tableint*>(links + 1);
            for (std::size_t e = 0; e < degree; ++e) visit(static_cast<Index>(ids[e]));
        }, order);
        for (std::size_t t = begin; t < order.size(); ++t)  // internal ids to rows
            order[t] = static_cast<Index>(shard->getExternalLabel(static_cast<hnswlib::tableint>(order[t])));
    }
    return order;
}

/// Each row's reverse neighbours in a graph of `kk` slots per row (slot e of row i at i kk + e,
/// -1 for an empty slot): the rows listing it, at most kk of them, the nearest by (distance,
/// row), as compressed rows (row v's at rows[offsets[v]] to rows[offsets[v + 1]]).
struct Reverse {
    std::vector<Index> offsets, rows;
};

inline Reverse nearest_reverse(const std::vector<Index>& indices, const std::vector<double>& distances, Index n,
                               Index kk) {
    Reverse out;
    out.offsets.assign(static_cast<std::size_t>(n) + 1, 0);
    for (const Index j : indices)
        if (j >= 0) ++out.offsets[static_cast<std::size_t>(j) + 1];
    for (Index i = 0; i < n; ++i) out.offsets[static_cast<std::size_t>(i) + 1] += out.offsets[static_cast<std::size_t>(i)];
    std::vector<std::pair<double, Index>> in_edges(static_cast<std::size_t>(out.offsets.back()));
    std::vector<Index> at(out.offsets.begin(), out.offsets.end() - 1);
    for (Index i = 0; i < n; ++i)
        for (Index e = 0; e < kk; ++e) {
            const auto slot = static_cast<std::size_t>(i * kk + e);
            if (indices[slot] >= 0)
                in_edges[static_cast<std::size_t>(at[static_cast<std::size_t>(indices[slot])]++)] = {distances[slot], i};
        }
    out.rows.reserve(in_edges.size());
    // Row v's edges are in_edges[offsets[v], offsets[v + 1]); offsets[v] is rewritten to where
    // its kept ones start only after it has been read, and offsets[v + 1] on the next turn.
    for (Index v = 0; v < n; ++v) {
        auto first = in_edges.begin() + out.offsets[static_cast<std::size_t>(v)];
        auto last = in_edges.begin() + out.offsets[static_cast<std::size_t>(v) + 1];
        if (last - first > kk) {
            std::nth_element(first, first + kk, last);
            last = first + kk;
        }
        out.offsets[static_cast<std::size_t>(v)] = static_cast<Index>(out.rows.size());
        for (auto e = first; e != last; ++e) out.rows.push_back(e->second);
    }
    out.offsets[static_cast<std::size_t>(n)] = static_cast<Index>(out.rows.size());
    return out;
}

/// One round of refinement of a graph of the rows of X among themselves, `kk` slots per row
/// (-1: empty), each row ascending by (distance, row). Let N(v) be v's list and its reverse
/// neighbours (the at most kk nearest rows listing v, by (distance, row), from the graph as the
/// round starts). Rows are taken in breadth-first order over the graph, in blocks of a fixed size; each row i of a
/// block (in parallel) keeps the nearest kk, by (distance, row), of its list, N(i) and the N(j)
/// of each j in N(i). A candidate is measured in float first (the index's kernel) and dropped
/// when that exceeds 1.001 times the row's current k-th distance, else exactly
/// (exact_distance, bounded by that k-th distance). A block's new lists are written after the
/// whole block is done, so what a row reads depends only on the block order: the same graph on
/// any thread count.
template <class Derived>
void refine_round(const Eigen::MatrixBase<Derived>& X, const std::vector<double>& scale, std::vector<Index>& indices,
                  std::vector<double>& distances, Index kk) {
    const Index n = X.rows();
    if (kk == 0 || n < 3) return;
    const auto listed = [&](Index v, auto&& visit) {  // v's list
        for (Index e = 0; e < kk; ++e) {
            const Index j = indices[static_cast<std::size_t>(v * kk + e)];
            if (j >= 0) visit(j);
        }
    };
    std::vector<Index> order;  // rows in breadth-first order over the graph
    order.reserve(static_cast<std::size_t>(n));
    breadth_first(static_cast<std::size_t>(n), listed, order);
    constexpr Index block = 4096, chunk = 64;
    constexpr std::size_t ahead = 8;  // candidates whose rows are fetched ahead of their turn
    // Room for every row a row can see (itself, N(i) and each N(j): at most 1 + 2 kk + 4 kk^2,
    // and at most n) at a load of at most 1/2.
    const auto most = static_cast<std::size_t>(std::min<Index>(n, 1 + 2 * kk + 4 * kk * kk));
    int bits = 6;
    while ((std::size_t(1) << bits) < 2 * most) ++bits;
    const std::size_t table = std::size_t(1) << bits;
    const int shift = 64 - bits;
    PortableL2 space(static_cast<std::size_t>(X.cols()));
    const hnswlib::DISTFUNC<float> l2 = space.get_dist_func();
    void* const l2_param = space.get_dist_func_param();
    std::vector<Index> new_indices(static_cast<std::size_t>(block * kk));
    std::vector<double> new_distances(new_indices.size());
    // The rows in float, row after row (scaled when `scale` is not empty): the screen reads a
    // candidate's row as a few consecutive cache lines whatever X's layout and type.
    const Index d = X.cols();
    std::vector<float> rows_f(static_cast<std::size_t>(n * d));
    acquire::detail::parallel_for(n, 4096, [&](Index i) { float_row(X, i, scale, &rows_f[static_cast<std::size_t>(i * d)]); });
    const Reverse reverse = nearest_reverse(indices, distances, n, kk);
    for (Index from = 0; from < n; from += block) {
        const Index rows = std::min(block, n - from);
        const Index chunks = (rows + chunk - 1) / chunk;
        acquire::detail::parallel_for(chunks, 2, [&](Index part) {
            // Per chunk: an open-addressing set of the rows seen for the current row (stamped
            // with the row, so it is never cleared) and the row's best kk as a max-heap.
            std::vector<std::pair<Index, Index>> seen(table, {-1, -1});
            std::vector<Index> fresh;
            std::vector<std::pair<double, Index>> best;
            for (Index r = part * chunk; r < std::min(rows, (part + 1) * chunk); ++r) {
                const Index i = order[static_cast<std::size_t>(from + r)];
                const auto mine = static_cast<std::size_t>(i * kk);
                const auto first_visit = [&](Index c) {  // true the first time c is seen for row i
                    for (std::size_t h = (static_cast<std::uint64_t>(c) * 0x9E3779B97F4A7C15ull) >> shift;;
                         h = (h + 1) & (table - 1)) {
                        if (seen[h].first != i) {
                            seen[h] = {i, c};
                            return true;
                        }
                        if (seen[h].second == c) return false;
                    }
                };
                best.clear();
                first_visit(i);
                for (Index e = 0; e < kk; ++e) {  // the current list, its distances already exact
                    const Index j = indices[mine + static_cast<std::size_t>(e)];
                    if (j >= 0 && first_visit(j)) best.emplace_back(distances[mine + static_cast<std::size_t>(e)], j);
                }
                std::make_heap(best.begin(), best.end());
                fresh.clear();
                const auto around = [&](Index v, auto&& visit) {  // v's list and the rows listing v
                    listed(v, visit);
                    for (Index e = reverse.offsets[static_cast<std::size_t>(v)]; e < reverse.offsets[static_cast<std::size_t>(v) + 1]; ++e)
                        visit(reverse.rows[static_cast<std::size_t>(e)]);
                };
                around(i, [&](Index j) {
                    if (first_visit(j)) fresh.push_back(j);
                    around(j, [&](Index c) {
                        if (first_visit(c)) fresh.push_back(c);
                    });
                });
                const float* mine_f = &rows_f[static_cast<std::size_t>(i * d)];
                for (std::size_t t = 0; t < fresh.size(); ++t) {
                    const Index c = fresh[t];
#if defined(__GNUC__)
                    if (t + ahead < fresh.size())
                        for (Index f = 0; f < d; f += 16) __builtin_prefetch(&rows_f[static_cast<std::size_t>(fresh[t + ahead] * d + f)]);
#endif
                    const bool full = static_cast<Index>(best.size()) == kk;
                    const double bound = full ? best.front().first : std::numeric_limits<double>::infinity();
                    if (full) {  // screened in float first: most candidates are far
                        const float* theirs_f = &rows_f[static_cast<std::size_t>(c * d)];
                        if (static_cast<double>(l2(mine_f, theirs_f, l2_param)) > 1.001 * bound) continue;
                    }
                    const double dc = exact_distance(X, scale, i, X, scale, c, bound);
                    if (!full) {
                        best.emplace_back(dc, c);
                        std::push_heap(best.begin(), best.end());
                    } else if (std::make_pair(dc, c) < best.front()) {
                        std::pop_heap(best.begin(), best.end());
                        best.back() = {dc, c};
                        std::push_heap(best.begin(), best.end());
                    }
                }
                std::sort_heap(best.begin(), best.end());
                const auto out = static_cast<std::size_t>(r * kk);
                for (std::size_t t = 0; t < static_cast<std::size_t>(kk); ++t) {
                    new_indices[out + t] = t < best.size() ? best[t].second : Index(-1);
                    new_distances[out + t] = t < best.size() ? best[t].first : 0.0;
                }
            }
        });
        for (Index r = 0; r < rows; ++r) {
            const auto mine = static_cast<std::size_t>(order[static_cast<std::size_t>(from + r)] * kk);
            std::copy_n(new_indices.begin() + r * kk, kk, indices.begin() + static_cast<std::ptrdiff_t>(mine));
            std::copy_n(new_distances.begin() + r * kk, kk, distances.begin() + static_cast<std::ptrdiff_t>(mine));
        }
    }
}

/// The ef a search asking each index for `asked` rows uses: options.ef_search, or max(2 asked,
/// 100) when it is 0, and never below `asked`.
inline Index query_ef(const Options& o, Index asked) {
    return std::max(asked, o.ef_search > 0 ? o.ef_search : std::max<Index>(2 * asked, 100));
}

template <class DQ, class DR>
NeighborGraph search(const char* fn, const Eigen::MatrixBase<DQ>& Q, const Eigen::MatrixBase<DR>& R, Index k,
                     bool one_set, const Options& o) {
    using acquire::detail::fail;
    acquire::detail::check_shape(fn, one_set ? "X" : "query", Q.rows(), Q.cols());
    acquire::detail::check_shape(fn, one_set ? "X" : "reference", R.rows(), R.cols());
    if (Q.cols() != R.cols()) fail(fn, "query has ", Q.cols(), " columns but reference has ", R.cols());
    if (k < 1) fail(fn, "k must be >= 1, got ", k);
    if (o.M < 2) fail(fn, "options M must be >= 2, got ", o.M);
    if (o.ef_construction < 1) fail(fn, "options ef_construction must be >= 1, got ", o.ef_construction);
    if (o.ef_search < 0) fail(fn, "options ef_search must be >= 0, got ", o.ef_search);
    if (o.shards < 0) fail(fn, "options shards must be >= 0 (0 = one per 500,000 rows, at least 2), got ", o.shards);
    if (o.refine < 0) fail(fn, "options refine must be >= 0, got ", o.refine);
    if (o.refine > 0 && !one_set) fail(fn, "options refine applies to the graph of one set (knn_graph(X, k)), not between two");
    acquire::detail::check_tolerance(fn, o.checks);
    if (o.checks.values) {
        acquire::detail::check_finite(fn, one_set ? "X" : "query", Q);
        if (!one_set) acquire::detail::check_finite(fn, "reference", R);
    }
    const std::vector<double> q_scale = inverse_norms(fn, one_set ? "X" : "query", Q, o.cosine);
    const std::vector<double> r_scale = one_set ? q_scale : inverse_norms(fn, "reference", R, o.cosine);
    const Index n = Q.rows(), m = R.rows(), d = Q.cols();
    const Index kk = std::min(k, one_set ? m - 1 : m);  // neighbours per row
    NeighborGraph g;
    g.offsets.resize(static_cast<std::size_t>(n) + 1);
    for (Index i = 0; i <= n; ++i) g.offsets[static_cast<std::size_t>(i)] = i * kk;
    g.indices.resize(static_cast<std::size_t>(n * kk));
    g.distances.resize(g.indices.size());
    if (kk == 0) return g;
    PortableL2 space(static_cast<std::size_t>(d));
    const Index asked = kk + (one_set ? 1 : 0);  // a row finds itself
    const auto ef = static_cast<std::size_t>(query_ef(o, asked));
    Shards index = build_shards(R, r_scale, space, o, ef);
    // Over one set, rows are queried in the indexes' breadth-first order: the same graph, built
    // in 195 s instead of 307 s at N = 10^6 (d = 64, k = 20, cosine; 7.3 s instead of 10.6 s at
    // 10^5), since a query now mostly reads index memory the previous one brought into cache.
    const std::vector<Index> order = one_set ? locality_order(index) : std::vector<Index>{};
    acquire::detail::parallel_for(n, 64, [&](Index at) {
        const Index i = order.empty() ? at : order[static_cast<std::size_t>(at)];
        std::vector<float> row(static_cast<std::size_t>(d));
        float_row(Q, i, q_scale, row.data());
        const auto near = query_shards(index, row.data(), asked, one_set ? i : Index(-1),
                                       [&](Index j) { return exact_distance(Q, q_scale, i, R, r_scale, j); });
        const auto first = static_cast<std::size_t>(i * kk);
        // A row of fewer than kk (the index found fewer, or not itself): pad below.
        const Index have = std::min<Index>(kk, static_cast<Index>(near.size()));
        for (Index t = 0; t < have; ++t) {
            g.indices[first + static_cast<std::size_t>(t)] = near[static_cast<std::size_t>(t)].second;
            g.distances[first + static_cast<std::size_t>(t)] = near[static_cast<std::size_t>(t)].first;
        }
        for (Index t = have; t < kk; ++t) g.indices[first + static_cast<std::size_t>(t)] = -1;
    });
    index.clear();  // the indexes' memory, before refining needs its own
    for (Index round = 0; round < o.refine; ++round)  // one set only: checked above
        refine_round(Q, q_scale, g.indices, g.distances, kk);
    // Compact away the rows' unfilled slots (-1), if any (HNSW can return fewer than asked).
    if (std::find(g.indices.begin(), g.indices.end(), Index(-1)) != g.indices.end()) {
        std::size_t at = 0;
        for (Index i = 0; i < n; ++i) {
            const auto first = static_cast<std::size_t>(i * kk);
            g.offsets[static_cast<std::size_t>(i)] = static_cast<Index>(at);
            for (std::size_t e = first; e < first + static_cast<std::size_t>(kk); ++e)
                if (g.indices[e] >= 0) {
                    g.indices[at] = g.indices[e];
                    g.distances[at] = g.distances[e];
                    ++at;
                }
        }
        g.offsets[static_cast<std::size_t>(n)] = static_cast<Index>(at);
        g.indices.resize(at);
        g.distances.resize(at);
    }
    return g;
}

}  // namespace detail

/// \addtogroup core_vocabulary
/// @{

/// An approximate k-nearest-neighbour graph of the rows of X among themselves (no self loops):
/// HNSW over blocks of the rows (Options::shards; each inserted in index order: deterministic),
/// each row queried in every shard for its k + 1 nearest with ef = options.ef_search, itself
/// dropped, the rest re-measured exactly (squared Euclidean, double) and merged by (distance,
/// index); then options.refine rounds of refinement (see Options). k is capped at N - 1.
/// Approximate: a row may list a farther row in place of one of its true k nearest, never a
/// false distance. Cost: about N log N insertions of O(ef_construction M d), spread over the
/// shards, shards x N queries of O(ef M d), and per refinement round up to 4 k^2 N candidate
/// distances; memory the indexes (about N (4 d + 8 M + 16) bytes, freed before refining) plus
/// the graph (16 N k bytes; a refinement round adds up to 24 N k + 4 N d). At N = 10^6,
/// d = 64, k = 20 on two cores: docs/scale.md. Throws invalid_input for an empty X, NaN or Inf
/// values (options.checks), zero rows with cosine, k < 1, M < 2, ef_construction < 1,
/// ef_search < 0, shards < 0 or refine < 0.
template <class Derived>
NeighborGraph knn_graph(const Eigen::MatrixBase<Derived>& X, Index k, const Options& options = {}) {
    return detail::search("hnsw::knn_graph", X, X, k, true, options);
}

/// The approximate k nearest rows of `reference` (M x d) to each row of `query` (N x d): the
/// graph CAL reads (pool rows to labeled rows). Same method and guarantees as above, without
/// refinement (options.refine > 0 throws); k is capped at M.
template <class DQ, class DR>
NeighborGraph knn_graph(const Eigen::MatrixBase<DQ>& query, const Eigen::MatrixBase<DR>& reference, Index k,
                        const Options& options = {}) {
    return detail::search("hnsw::knn_graph", query, reference, k, false, options);
}

/// @}

}  // namespace hnsw
}  // namespace acquire
