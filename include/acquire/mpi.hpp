/// \file
/// Acquisition over a pool sharded across MPI ranks, in namespace acquire::mpi (optional: needs
/// mpi.h).
// acquire over a pool sharded across MPI ranks.
//
// Each rank holds a contiguous shard of the pool's rows (the scores, or the embeddings its own
// inference produced); the pool is never gathered. Rank r's rows are global rows
// [offset_r, offset_r + n_r), with the shards in rank order, and every function here returns on
// every rank what the single-process function returns on the concatenated pool:
//
//     // every rank, after its own inference over its shard
//     auto sel = acquire::mpi::k_center_greedy(MPI_COMM_WORLD, my_embeddings, labeled, 100);
//     // sel.indices: the same global rows on every rank, the same as k_center_greedy on all rows
//
// Index sets passed in (labeled, exclude, candidates, initial centers) and returned are global
// row indices and must be the same on every rank (checked). Shards may be uneven, and a rank
// may hold no row at all. Here: top_k, random_select, k_center_greedy, kmeans_pp, badge
// (exact, the same picks for any number of ranks), facility_location and max_coverage (the
// single-process greedy over gains summed across ranks; see their comments for exactness),
// batch_bald (each rank screens its own candidates against the replicated joint table; the
// shortlist is decided on every rank as in one process: the same picks and objective).
//
// Bad input on any rank makes every rank throw acquire::invalid_input naming that rank: each
// rank validates locally, then one all-reduce finds the lowest failing rank, which broadcasts
// its message, so no rank is ever left waiting in a collective. A bad row is named by its global
// index and its index on the rank ("X row 1000 (local 500) column 3 is nan"); an argument that
// must be the same everywhere but is not is named with the lowest rank whose value differs from
// rank 0's ("labeled differs between rank 0 and rank 2").
//
// This header is an optional edge: acquire.hpp does not include it, and it needs <mpi.h> and
// the acquire::mpi CMake target (acquire + MPI::MPI_CXX). Not thread-safe across calls on one
// communicator: call it from one thread per rank, like any MPI collective.
#pragma once

#include "acquire/core/error.hpp"
#include "acquire/core/random.hpp"
#include "acquire/core/selection.hpp"
#include "acquire/core/top_k.hpp"
#include "acquire/select/badge.hpp"
#include "acquire/select/batch_bald.hpp"
#include "acquire/select/facility_location.hpp"
#include "acquire/select/k_center.hpp"
#include "acquire/select/kmeans_pp.hpp"

#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace acquire::mpi {

/// \addtogroup mpi_sharded
/// @{

/// Payload this process has handed to MPI through acquire::mpi: for an all-reduce or an
/// all-gather its own contribution, for a broadcast the root's buffer (once, whatever the
/// number of ranks). It measures what the algorithms send, not the wire traffic of the MPI
/// library's collective algorithms (a tree broadcast forwards the buffer log2(P) times).
struct Traffic {
    std::uint64_t bytes = 0;     ///< payload bytes this rank handed to MPI
    std::uint64_t messages = 0;  ///< collectives called
};

/// This process's counters since the start (or the last reset_traffic()).
inline Traffic& traffic() {
    static Traffic counters;
    return counters;
}
/// Sets this process's counters (traffic()) back to zero.
inline void reset_traffic() { traffic() = Traffic{}; }

/// @}

namespace detail {

using acquire::detail::fail;
using acquire::detail::parallel_for;

inline void call(int code, const char* what) {
    if (code != MPI_SUCCESS) throw std::runtime_error(std::string("acquire::mpi: ") + what + " failed");
}

inline void count(std::uint64_t bytes) {
    traffic().bytes += bytes;
    traffic().messages += 1;
}

inline void allreduce(const void* in, void* out, int n, MPI_Datatype type, MPI_Op op, MPI_Comm comm, std::size_t bytes) {
    call(MPI_Allreduce(in, out, n, type, op, comm), "MPI_Allreduce");
    count(bytes);
}

inline void broadcast(void* data, std::size_t bytes, int root, MPI_Comm comm) {
    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    // Large buffers go in pieces below INT_MAX bytes.
    auto* p = static_cast<char*>(data);
    for (std::size_t done = 0; done < bytes;) {
        const std::size_t piece = std::min<std::size_t>(bytes - done, std::size_t(1) << 30);
        call(MPI_Bcast(p + done, static_cast<int>(piece), MPI_BYTE, root, comm), "MPI_Bcast");
        done += piece;
    }
    if (rank == root) count(bytes);
}

/// This rank's place in the concatenated pool.
struct Layout {
    int rank = 0, ranks = 1;
    Index offset = 0;             ///< global index of this rank's first row
    Index total = 0;              ///< rows on all ranks
    std::vector<Index> offsets;   ///< per rank, plus the total at the end

    /// The rank holding global row g.
    int owner(Index g) const {
        return static_cast<int>(std::upper_bound(offsets.begin(), offsets.end(), g) - offsets.begin()) - 1;
    }
    bool mine(Index g) const { return g >= offset && g < offsets[static_cast<std::size_t>(rank) + 1]; }
};

/// One all-gather of the shard sizes gives every rank every offset (an MPI_Exscan would give
/// only its own, and the layer needs the owner of any global row to name broadcast roots).
inline Layout layout(MPI_Comm comm, Index rows) {
    Layout out;
    call(MPI_Comm_rank(comm, &out.rank), "MPI_Comm_rank");
    call(MPI_Comm_size(comm, &out.ranks), "MPI_Comm_size");
    std::vector<std::int64_t> sizes(static_cast<std::size_t>(out.ranks));
    const std::int64_t mine = rows;
    call(MPI_Allgather(&mine, 1, MPI_INT64_T, sizes.data(), 1, MPI_INT64_T, comm), "MPI_Allgather");
    count(sizeof mine);
    out.offsets.assign(1, 0);
    for (auto s : sizes) out.offsets.push_back(out.offsets.back() + static_cast<Index>(s));
    out.offset = out.offsets[static_cast<std::size_t>(out.rank)];
    out.total = out.offsets.back();
    return out;
}

/// Fingerprints of the arguments that must be equal on every rank, one per named argument
/// (FNV-1a over its bytes), so that a mismatch can name the argument.
struct Fingerprint {
    struct Entry {
        const char* name;
        std::uint64_t h;
    };
    std::vector<Entry> entries;

    static std::uint64_t hash(std::uint64_t h, const void* data, std::size_t bytes) {
        const auto* p = static_cast<const unsigned char*>(data);
        for (std::size_t i = 0; i < bytes; ++i) h = (h ^ p[i]) * 1099511628211ULL;
        return h;
    }
    static constexpr std::uint64_t basis = 1469598103934665603ULL;
    template <class T>
    void add(const char* name, const T& value) {
        entries.push_back({name, hash(basis, &value, sizeof value)});
    }
    void add(const char* name, const std::vector<Index>& v) {
        const std::size_t size = v.size();
        entries.push_back({name, hash(hash(basis, &size, sizeof size), v.data(), v.size() * sizeof(Index))});
    }
};

/// Runs `check` on this rank, then agrees with every rank on whether any failed and whether
/// the arguments fingerprinted in `same` match on every rank. If a rank failed, every rank
/// throws invalid_input with the lowest failing rank's message, prefixed by that rank; if an
/// argument differs, every rank throws invalid_input naming each differing argument and the
/// lowest rank whose value is not rank 0's. One all-reduce of 8 (1 + 2 m) bytes for m
/// arguments, plus two broadcasts when a check failed, or a broadcast and an all-reduce of 8 m
/// bytes each when an argument differs. `check` must not call MPI: a rank that throws early
/// would skip the collective the others wait in.
template <class Check>
void agree(MPI_Comm comm, const char* function, const Fingerprint& same, Check&& check) {
    int rank = 0, ranks = 1;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &ranks);
    std::string message;
    try {
        check();
    } catch (const invalid_input& e) {
        message = e.what();
    }
    // Max-reduced: ranks - rank for a failure (the lowest failing rank gives the largest),
    // and each fingerprint and its complement (all equal iff max(h) == h and max(~h) == ~h).
    const std::size_t m = same.entries.size();
    std::vector<std::uint64_t> in(1 + 2 * m), out(1 + 2 * m, 0);
    in[0] = message.empty() ? 0 : static_cast<std::uint64_t>(ranks - rank);
    for (std::size_t j = 0; j < m; ++j) in[1 + 2 * j] = same.entries[j].h, in[2 + 2 * j] = ~same.entries[j].h;
    allreduce(in.data(), out.data(), static_cast<int>(in.size()), MPI_UINT64_T, MPI_MAX, comm, in.size() * 8);
    if (out[0] > 0) {
        const int first = ranks - static_cast<int>(out[0]);
        std::uint64_t length = message.size();
        broadcast(&length, sizeof length, first, comm);
        message.resize(length);
        broadcast(message.data(), length, first, comm);
        throw invalid_input(acquire::detail::concat("acquire::mpi::", function, ": rank ", first, ": ", message));
    }
    if (std::equal(in.begin(), in.end(), out.begin())) return;
    // Something differs (every rank sees it: the maxima are the same everywhere). Compare each
    // argument with rank 0's and find the lowest rank that differs.
    std::vector<std::uint64_t> root(m), differs(m), lowest(m, 0);
    for (std::size_t j = 0; j < m; ++j) root[j] = same.entries[j].h;
    broadcast(root.data(), m * 8, 0, comm);
    for (std::size_t j = 0; j < m; ++j)
        differs[j] = same.entries[j].h != root[j] ? static_cast<std::uint64_t>(rank) : static_cast<std::uint64_t>(ranks);
    allreduce(differs.data(), lowest.data(), static_cast<int>(m), MPI_UINT64_T, MPI_MIN, comm, m * 8);
    std::string which;
    for (std::size_t j = 0; j < m; ++j)
        if (lowest[j] < static_cast<std::uint64_t>(ranks))
            which += acquire::detail::concat(which.empty() ? "" : "; ", same.entries[j].name, " differs between rank 0 and rank ", lowest[j]);
    throw invalid_input(acquire::detail::concat("acquire::mpi::", function, ": ", which,
                                                " (each must be the same on every rank)"));
}

/// Runs a check of this rank's rows and names the offending row by its global index as well as
/// its local one ("X row 1000 (local 500) column 3 is nan"): the checks name rows " row <i>".
template <class Check>
void check_shard_rows(const Layout& at, Check&& check) {
    try {
        check();
    } catch (const invalid_input& e) {
        const std::string m = e.what();
        const auto at_row = m.find(" row ");
        if (at_row == std::string::npos) throw;
        const std::size_t p = at_row + 5;
        std::size_t q = p;
        while (q < m.size() && m[q] >= '0' && m[q] <= '9') ++q;
        if (q == p) throw;
        const Index local = std::stoll(m.substr(p, q - p));
        throw invalid_input(acquire::detail::concat(m.substr(0, p), at.offset + local, " (local ", local, ")", m.substr(q)));
    }
}

/// A candidate of a global arg-max: larger value first, then lower global index; index -1 is
/// "none" and loses to everything.
struct Arg {
    double value;
    std::int64_t index;
};

inline void arg_max_op(void* in, void* inout, int* len, MPI_Datatype*) {
    const auto* a = static_cast<const Arg*>(in);
    auto* b = static_cast<Arg*>(inout);
    for (int j = 0; j < *len; ++j) {
        const bool take = b[j].index < 0 ||
                          (a[j].index >= 0 && (a[j].value > b[j].value || (a[j].value == b[j].value && a[j].index < b[j].index)));
        if (take) b[j] = a[j];
    }
}

/// The global arg-max of every rank's candidate (one all-reduce of 16 bytes).
inline Arg arg_max(MPI_Comm comm, Arg mine) {
    static MPI_Datatype type = [] {
        MPI_Datatype t;
        MPI_Type_contiguous(static_cast<int>(sizeof(Arg)), MPI_BYTE, &t);
        MPI_Type_commit(&t);
        return t;
    }();
    static MPI_Op op = [] {
        MPI_Op o;
        MPI_Op_create(&arg_max_op, 1, &o);
        return o;
    }();
    Arg out{};
    allreduce(&mine, &out, 1, type, op, comm, sizeof mine);
    return out;
}

/// The rows `which` (global indices, in any order) on every rank, in the order of `which`:
/// each rank writes the ones it holds, `write(local row, dest)` filling `bytes` bytes per row,
/// and one all-gather hands every rank all of them. Row counts (not bytes) are MPI's ints.
template <class Write>
std::vector<unsigned char> gather_rows(MPI_Comm comm, const Layout& at, const std::vector<Index>& which,
                                       std::size_t bytes, Write&& write) {
    std::vector<int> counts(static_cast<std::size_t>(at.ranks), 0), displs(counts.size(), 0);
    for (Index g : which) ++counts[static_cast<std::size_t>(at.owner(g))];
    for (std::size_t r = 1; r < counts.size(); ++r) displs[r] = displs[r - 1] + counts[r - 1];
    std::vector<unsigned char> own(static_cast<std::size_t>(counts[static_cast<std::size_t>(at.rank)]) * bytes);
    std::size_t filled = 0;
    for (Index g : which)
        if (at.mine(g)) write(g - at.offset, own.data() + (filled++) * bytes);
    std::vector<unsigned char> by_rank(which.size() * bytes + 1);  // + 1: never a null buffer
    MPI_Datatype row;
    call(MPI_Type_contiguous(static_cast<int>(bytes), MPI_BYTE, &row), "MPI_Type_contiguous");
    call(MPI_Type_commit(&row), "MPI_Type_commit");
    const int code = MPI_Allgatherv(own.data(), counts[static_cast<std::size_t>(at.rank)], row, by_rank.data(),
                                    counts.data(), displs.data(), row, comm);
    MPI_Type_free(&row);
    call(code, "MPI_Allgatherv");
    count(own.size());
    // by_rank holds rank 0's rows (in list order), then rank 1's, ...: restore list order.
    std::vector<unsigned char> out(which.size() * bytes);
    std::vector<std::size_t> next(displs.begin(), displs.end());
    for (std::size_t j = 0; j < which.size(); ++j) {
        auto& from = next[static_cast<std::size_t>(at.owner(which[j]))];
        std::memcpy(out.data() + j * bytes, by_rank.data() + (from++) * bytes, bytes);
    }
    return out;
}

/// Every rank's `mine` (a trivially copyable T), in rank order, on every rank: one all-gather
/// of sizeof(T) bytes per rank. Results combined from it in rank order are the same bits on
/// every rank (an all-reduce of doubles need not be).
template <class T>
std::vector<T> all_of(MPI_Comm comm, int ranks, const T& mine) {
    std::vector<T> all(static_cast<std::size_t>(ranks));
    call(MPI_Allgather(&mine, static_cast<int>(sizeof(T)), MPI_BYTE, all.data(), static_cast<int>(sizeof(T)), MPI_BYTE, comm),
         "MPI_Allgather");
    count(sizeof(T));
    return all;
}

}  // namespace detail

/// \addtogroup mpi_sharded
/// @{

/// acquire::top_k over scores sharded across the ranks of `comm`: the global indices of the k
/// highest scores of the concatenated vector, highest first, ties by lowest global index, never
/// an index in `exclude` (global). The same on every rank, and equal to top_k on the whole
/// vector: each rank keeps its own k best in a TopK, one all-gather of k (score, index) pairs
/// per rank, and every rank merges them (the order on (score, index) is strict, so the merge
/// does not depend on the order of arrival).
///
/// Messages: 3 collectives (the layout: 8 bytes per rank; the agreement on inputs: 24 bytes per
/// rank; the gather: 16 k bytes per rank). Work per rank O(n_r + |exclude| log |exclude| +
/// k ranks log k), memory O(k ranks).
/// Throws invalid_input on every rank if any rank's scores are not a vector or hold a NaN, or
/// exclude or k are invalid for the global pool, or differ between ranks.
template <class Derived>
std::vector<Index> top_k(MPI_Comm comm, const Eigen::MatrixBase<Derived>& scores, Index k,
                         const std::vector<Index>& exclude = {}) {
    constexpr const char* fn = "top_k";
    using Scalar = typename Derived::Scalar;
    const Index n = scores.rows() == 1 || scores.cols() == 1 ? scores.size() : 0;
    const auto at = detail::layout(comm, n);
    detail::Fingerprint fp;
    fp.add("k", k);
    fp.add("exclude", exclude);
    detail::agree(comm, fn, fp, [&] {
        acquire::detail::check_vector(fn, "scores", scores);
        const auto skip = acquire::detail::sorted_indices(fn, "exclude", exclude, at.total);
        acquire::detail::check_budget(fn, "k", k, at.total - static_cast<Index>(skip.size()));
        acquire::detail::as_column(scores, [&](const auto& v) {
            if (v.hasNaN())
                for (Index i = 0; i < n; ++i)
                    if (v.coeff(i) != v.coeff(i))
                        acquire::detail::fail(fn, "scores entry ", at.offset + i, " (local ", i, ") is NaN");
        });
    });
    // Local best k, excluded rows skipped, indices global.
    std::vector<Index> local_exclude;
    for (Index e : exclude)
        if (at.mine(e)) local_exclude.push_back(e - at.offset);
    std::sort(local_exclude.begin(), local_exclude.end());
    TopK<Scalar> best(k);
    acquire::detail::as_column(scores, [&](const auto& v) {
        Index begin = 0;
        auto push_segment = [&](Index end) {
            if (end > begin) best.push(v.segment(begin, end - begin), at.offset + begin);
        };
        for (const Index e : local_exclude) {
            push_segment(e);
            begin = e + 1;
        }
        push_segment(n);
    });
    std::vector<detail::Arg> mine(static_cast<std::size_t>(k), detail::Arg{0.0, -1});
    const auto kept = best.sorted();
    for (std::size_t j = 0; j < kept.size(); ++j) mine[j] = {static_cast<double>(kept[j].first), kept[j].second};
    std::vector<detail::Arg> all(mine.size() * static_cast<std::size_t>(at.ranks));
    const auto bytes = static_cast<int>(mine.size() * sizeof(detail::Arg));
    detail::call(MPI_Allgather(mine.data(), bytes, MPI_BYTE, all.data(), bytes, MPI_BYTE, comm), "MPI_Allgather");
    detail::count(static_cast<std::uint64_t>(bytes));
    TopK<double> merged(k);
    for (const auto& a : all)
        if (a.index >= 0) merged.push(a.index, a.value);
    return merged.indices();
}

/// acquire::random_select over a pool of n_r rows on each rank: k distinct global indices drawn
/// uniformly from the concatenated pool minus `exclude`, the same on every rank and equal to
/// random_select(total rows, k, seed, exclude). The draw needs only the total, so every rank
/// runs the same partial Fisher-Yates shuffle, sparsely: O(k + |exclude|) memory, not O(N).
/// Messages: 2 collectives (layout, agreement).
inline std::vector<Index> random_select(MPI_Comm comm, Index local_rows, Index k, std::uint64_t seed,
                                        const std::vector<Index>& exclude = {}) {
    constexpr const char* fn = "random_select";
    const auto at = detail::layout(comm, std::max<Index>(local_rows, 0));
    std::vector<Index> skip;
    detail::Fingerprint fp;
    fp.add("k", k);
    fp.add("seed", seed);
    fp.add("exclude", exclude);
    detail::agree(comm, fn, fp, [&] {
        if (local_rows < 0) acquire::detail::fail(fn, "local_rows must be >= 0, got ", local_rows);
        skip = acquire::detail::sorted_indices(fn, "exclude", exclude, at.total);
        acquire::detail::check_budget(fn, "k", k, at.total - static_cast<Index>(skip.size()));
    });
    // Position p of the pool of available indices (ascending, exclude removed) is the index g
    // with g - (excluded below or at g) = p: found by walking the sorted exclude list.
    auto index_at = [&](Index p) {
        Index g = p;
        for (Index e : skip) {
            if (e > g) break;
            ++g;
        }
        return g;
    };
    const Index available = at.total - static_cast<Index>(skip.size());
    std::unordered_map<Index, Index> moved;  // positions whose content a swap changed
    auto get = [&](Index p) {
        const auto it = moved.find(p);
        return it == moved.end() ? p : it->second;
    };
    Rng rng(seed);
    std::vector<Index> picks;
    picks.reserve(static_cast<std::size_t>(k));
    for (Index j = 0; j < k; ++j) {
        const auto pick = j + static_cast<Index>(rng.below(static_cast<std::uint64_t>(available - j)));
        const Index a = get(j), b = get(pick);
        moved[j] = b;
        moved[pick] = a;
        picks.push_back(index_at(b));
    }
    return picks;
}

/// acquire::k_center_greedy over embeddings sharded across the ranks of `comm` (X: this rank's
/// n_r x d rows, possibly none): exactly the picks and covering radii of k_center_greedy on the
/// concatenated pool, for any number of ranks, on every rank. `labeled`, options.first and the
/// result are global indices.
///
/// Each rank runs the single-process per-pick work (detail::KCenterState, with its triangle
/// inequality pruning) on its own rows. The labeled rows are gathered once (|labeled| x d);
/// then per pick: one all-reduce of (distance, global index) for the farthest row, ties by
/// lowest global index, and one broadcast of the picked row (d values) from the rank that
/// holds it. Bytes sent per pick: 16 by every rank and d * sizeof(Scalar) by the owner,
/// independent of N. Work per rank per pick: O(n_r d) at worst, less with pruning.
///
/// Throws invalid_input on every rank for any input the single-process function rejects
/// (the message names the rank that found it; a NaN by its global and local row), for a
/// number of columns that differs between ranks, and for labeled, b or options that differ
/// between ranks.
template <class Derived>
Selection k_center_greedy(MPI_Comm comm, const Eigen::MatrixBase<Derived>& X, const std::vector<Index>& labeled,
                          Index b, const KCenterOptions& options = {}) {
    constexpr const char* fn = "k_center_greedy";
    using Scalar = typename Derived::Scalar;
    const Index n = X.rows(), d = X.cols();
    const auto at = detail::layout(comm, n);
    detail::Fingerprint fp;
    fp.add("X columns", d);
    fp.add("b", b);
    fp.add("labeled", labeled);
    fp.add("options first", options.first);
    fp.add("options seed", options.seed);
    fp.add("options metric", options.metric);
    fp.add("options prune", options.prune);
    detail::agree(comm, fn, fp, [&] {
        acquire::detail::check_shape(fn, "X", at.total, d);
        const auto sorted = acquire::detail::sorted_indices(fn, "labeled", labeled, at.total);
        acquire::detail::check_budget(fn, "b", b, at.total - static_cast<Index>(labeled.size()));
        if (options.first < -1 || options.first >= at.total)
            acquire::detail::fail(fn, "options first is ", options.first, ", out of range [-1, ", at.total, ")");
        if (options.first >= 0 && std::binary_search(sorted.begin(), sorted.end(), options.first))
            acquire::detail::fail(fn, "options first ", options.first, " is labeled");
        acquire::detail::check_tolerance(fn, options.checks);
        if (options.checks.values) detail::check_shard_rows(at, [&] { acquire::detail::check_finite(fn, "X", X); });
    });
    if (options.metric == Metric::cosine) {
        RowMatrix<Scalar> unit = X;
        detail::agree(comm, fn, fp, [&] {
            for (Index i = 0; i < n; ++i) {
                const Scalar norm = unit.row(i).norm();
                if (!(norm > 0))
                    acquire::detail::fail(fn, "X row ", at.offset + i, " (local ", i, ") has zero norm (cosine metric)");
                unit.row(i) /= norm;
            }
        });
        KCenterOptions euclidean = options;
        euclidean.metric = Metric::euclidean;
        euclidean.checks.values = false;
        return k_center_greedy(comm, unit, labeled, b, euclidean);
    }

    std::vector<char> unavailable(static_cast<std::size_t>(n), 0);
    for (Index g : labeled)
        if (at.mine(g)) unavailable[static_cast<std::size_t>(g - at.offset)] = 1;
    acquire::detail::KCenterState<Scalar> state(n, d, std::move(unavailable), options.prune);

    // The labeled rows, in the order of `labeled`, on every rank: each rank contributes its own.
    {
        const auto row_bytes = static_cast<std::size_t>(d) * sizeof(Scalar);
        const auto rows = detail::gather_rows(comm, at, labeled, row_bytes, [&](Index i, unsigned char* dest) {
            for (Index k = 0; k < d; ++k) {
                const Scalar v = X.coeff(i, k);
                std::memcpy(dest + static_cast<std::size_t>(k) * sizeof(Scalar), &v, sizeof(Scalar));
            }
        });
        std::vector<Scalar> coords(labeled.size() * static_cast<std::size_t>(d));
        if (!rows.empty()) std::memcpy(coords.data(), rows.data(), rows.size());
        state.add_centers(X, coords.data(), static_cast<Index>(labeled.size()));
    }

    auto farthest = [&]() {
        const Index i = state.farthest();
        return detail::arg_max(comm, i < 0 ? detail::Arg{0.0, -1}
                                           : detail::Arg{static_cast<double>(state.nearest(i)), at.offset + i});
    };
    Selection result;
    Index pick = -1;
    if (b > 0) pick = labeled.empty() ? acquire::detail::k_center_first(at.total, options) : farthest().index;
    std::vector<Scalar> center;
    for (Index step = 0; step < b; ++step) {
        center.clear();
        if (at.mine(pick)) {
            state.take(pick - at.offset);
            acquire::detail::copy_row(X, pick - at.offset, center);
        }
        center.resize(static_cast<std::size_t>(d));
        detail::broadcast(center.data(), center.size() * sizeof(Scalar), at.owner(pick), comm);
        state.add_centers(X, center.data(), 1);
        result.indices.push_back(pick);
        const auto next = farthest();
        result.objective.push_back(next.index < 0 ? 0.0 : next.value);
        pick = next.index;
    }
    if (options.stats) *options.stats = state.stats;
    return result;
}

/// @}

namespace detail {

/// How a D^2 sampling space's center (its Point) travels between ranks: `bytes()` per point,
/// `write` into and `read` from a byte buffer. One specialisation per space.
template <class Space>
struct PointCodec;

/// kmeans_pp's centers: the row (d Scalars) and its squared norm as the owner computed it.
template <class Derived>
struct PointCodec<acquire::detail::EuclideanRows<Derived>> {
    using Scalar = typename Derived::Scalar;
    using Point = typename acquire::detail::EuclideanRows<Derived>::Point;
    Index d;
    std::size_t bytes() const { return static_cast<std::size_t>(d) * sizeof(Scalar) + sizeof(double); }
    void write(const Point& p, unsigned char* out) const {
        std::memcpy(out, p.x.data(), static_cast<std::size_t>(d) * sizeof(Scalar));
        std::memcpy(out + static_cast<std::size_t>(d) * sizeof(Scalar), &p.n, sizeof(double));
    }
    Point read(const unsigned char* in) const {
        Point p{Eigen::Matrix<Scalar, 1, Eigen::Dynamic>(d), 0.0};
        std::memcpy(p.x.data(), in, static_cast<std::size_t>(d) * sizeof(Scalar));
        std::memcpy(&p.n, in + static_cast<std::size_t>(d) * sizeof(Scalar), sizeof(double));
        return p;
    }
};

/// badge's centers: a = p - e_yhat (K doubles), h (d Scalars) and |a|^2 |h|^2.
template <class DerivedH>
struct PointCodec<acquire::detail::GradientRows<DerivedH>> {
    using Scalar = typename DerivedH::Scalar;
    using Point = typename acquire::detail::GradientRows<DerivedH>::Point;
    Index K, d;
    std::size_t a_bytes() const { return static_cast<std::size_t>(K) * sizeof(double); }
    std::size_t h_bytes() const { return static_cast<std::size_t>(d) * sizeof(Scalar); }
    std::size_t bytes() const { return a_bytes() + h_bytes() + sizeof(double); }
    void write(const Point& p, unsigned char* out) const {
        std::memcpy(out, p.a.data(), a_bytes());
        std::memcpy(out + a_bytes(), p.h.data(), h_bytes());
        std::memcpy(out + a_bytes() + h_bytes(), &p.n, sizeof(double));
    }
    Point read(const unsigned char* in) const {
        Point p{Eigen::Matrix<double, 1, Eigen::Dynamic>(K), Eigen::Matrix<Scalar, 1, Eigen::Dynamic>(d), 0.0};
        std::memcpy(p.a.data(), in, a_bytes());
        std::memcpy(p.h.data(), in + a_bytes(), h_bytes());
        std::memcpy(&p.n, in + a_bytes() + h_bytes(), sizeof(double));
        return p;
    }
};

/// One rank's word after a pick: its share of the potential and its candidate for the next
/// draw (acquire::detail::D2Candidate, indices global).
struct D2Word {
    double potential;
    double ratio;
    std::int64_t row;
    std::int64_t lowest;
};

/// The potentials summed in rank order and the candidates merged (the merge is an order-free
/// minimum, so the winner is the single-process one): the same on every rank.
inline std::pair<double, acquire::detail::D2Candidate> d2_combine(MPI_Comm comm, int ranks, double potential,
                                                                  const acquire::detail::D2Candidate& mine) {
    const auto all = all_of(comm, ranks, D2Word{potential, mine.ratio, mine.row, mine.lowest});
    double sum = 0;
    acquire::detail::D2Candidate best;
    for (const auto& w : all) {
        sum += w.potential;
        acquire::detail::D2Candidate c;
        c.ratio = w.ratio;
        c.row = w.row;
        c.lowest = w.lowest;
        best.merge(c);
    }
    return {sum, best};
}

/// acquire::detail::d2_sampling over shards: each rank keeps a D2Shard of its own rows (global
/// race keys through its offset); the initial centers are gathered once (one all-gather of
/// their points); per pick, the owner broadcasts the picked point, every rank adds it, and
/// one all-gather of a D2Word per rank gives the potential and the next draw's winner.
/// `blocked` is this rank's (local rows); `initial` and `first` are global.
template <class Space>
Selection d2_sampling(MPI_Comm comm, const Layout& at, const Space& space, const PointCodec<Space>& codec,
                      const std::vector<char>& blocked, const std::vector<Index>& initial, Index first, Index b,
                      std::uint64_t seed, bool prune, D2Stats* stats) {
    acquire::detail::D2Shard<Space> shard(space, blocked, prune);
    {
        const auto points = gather_rows(comm, at, initial, codec.bytes(),
                                        [&](Index i, unsigned char* dest) { codec.write(space.point(i), dest); });
        for (std::size_t j = 0; j < initial.size(); ++j)
            shard.add_center(codec.read(points.data() + j * codec.bytes()),
                             at.mine(initial[j]) ? initial[j] - at.offset : -1);
    }
    Selection result;
    if (b <= 0) {
        if (stats) *stats = shard.stats();
        return result;
    }
    Index pick = initial.empty() && first >= 0 ? first : d2_combine(comm, at.ranks, 0.0, shard.draw(seed, 0, at.offset)).second.pick();
    std::vector<unsigned char> point(codec.bytes());
    for (Index step = 0; step < b; ++step) {
        // Unreachable (b never exceeds the available points), but it keeps the owner in range.
        if (pick < 0 || pick >= at.total) acquire::detail::fail("d2_sampling", "no point left to pick at step ", step);
        const bool own = at.mine(pick);
        if (own) codec.write(space.point(pick - at.offset), point.data());
        broadcast(point.data(), point.size(), at.owner(pick), comm);
        shard.add_center(codec.read(point.data()), own ? pick - at.offset : -1);
        result.indices.push_back(pick);
        const auto next = d2_combine(comm, at.ranks, shard.potential(blocked),
                                     step + 1 < b ? shard.draw(seed, step + 1, at.offset) : acquire::detail::D2Candidate{});
        result.objective.push_back(next.first);
        pick = next.second.pick();
    }
    if (stats) *stats = shard.stats();
    return result;
}

}  // namespace detail

/// \addtogroup mpi_sharded
/// @{

/// acquire::kmeans_pp over embeddings sharded across the ranks of `comm` (X: this rank's n_r x d
/// rows, possibly none): k-means++ seeding (Arthur & Vassilvitskii 2007) by D^2 sampling, the
/// same picks as kmeans_pp on the concatenated pool for any number of ranks, on every rank.
/// options.initial, options.first and the result are global indices.
///
/// Pick j is argmin over available rows x with D(x)^2 > 0 of race_key(seed, j, x) / D(x)^2
/// (ties: lowest global index; D the Euclidean distance to the nearest center), x the global
/// row, so the winner does not depend on how the rows are split: each rank runs the
/// single-process D^2 state (detail::D2Shard, with its pruning) on its rows and offers its
/// best (key / D^2, row). The first pick is options.first or, with no initial center, a
/// uniform race over all rows; when every remaining row sits on a center, the lowest remaining
/// global row is taken, as in kmeans_pp. `Selection::objective[j]` is the potential
/// sum_x D(x)^2 after pick j: each rank's sum in row order, summed in rank order, so it equals
/// kmeans_pp's to rounding (exactly on one rank).
///
/// Messages: the initial centers once (one all-gather, d Scalars + 8 bytes each); per pick one
/// broadcast of the picked row (d * sizeof(Scalar) + 8 bytes, by its owner) and one all-gather
/// of 32 bytes per rank (potential and candidate). Bytes sent per pick independent of N. Work
/// per rank per pick O(n_r d) at worst, less with pruning.
///
/// Throws invalid_input on every rank for any input kmeans_pp rejects (the message names the
/// rank that found it; non-finite values by global and local row), for a number of columns that differs
/// between ranks, and for b or options that differ between ranks.
template <class Derived>
Selection kmeans_pp(MPI_Comm comm, const Eigen::MatrixBase<Derived>& X, Index b, const KMeansPPOptions& options = {}) {
    constexpr const char* fn = "kmeans_pp";
    const Index n = X.rows(), d = X.cols();
    const auto at = detail::layout(comm, n);
    detail::Fingerprint fp;
    fp.add("X columns", d);
    fp.add("b", b);
    fp.add("options initial", options.initial);
    fp.add("options first", options.first);
    fp.add("options seed", options.seed);
    fp.add("options prune", options.prune);
    detail::agree(comm, fn, fp, [&] {
        acquire::detail::check_shape(fn, "X", at.total, d);
        const auto sorted = acquire::detail::sorted_indices(fn, "options initial", options.initial, at.total);
        acquire::detail::check_budget(fn, "b", b, at.total - static_cast<Index>(options.initial.size()));
        if (options.first < -1 || options.first >= at.total)
            acquire::detail::fail(fn, "options first is ", options.first, ", out of range [-1, ", at.total, ")");
        if (options.first >= 0 && std::binary_search(sorted.begin(), sorted.end(), options.first))
            acquire::detail::fail(fn, "options first ", options.first, " is an initial center");
        acquire::detail::check_tolerance(fn, options.checks);
        if (options.checks.values) detail::check_shard_rows(at, [&] { acquire::detail::check_finite(fn, "X", X); });
    });
    const std::vector<char> blocked(static_cast<std::size_t>(n), 0);
    const acquire::detail::EuclideanRows<Derived> space(X);
    return detail::d2_sampling(comm, at, space, detail::PointCodec<acquire::detail::EuclideanRows<Derived>>{d}, blocked,
                               options.initial, options.first, b, options.seed, options.prune, options.stats);
}

/// acquire::badge over a pool sharded across the ranks of `comm` (P: this rank's n_r x K
/// probabilities, H: its n_r x d penultimate embeddings, possibly no row): BADGE (Ash et al.
/// 2020), k-means++ seeding on the gradient embeddings g_x = (p_x - e_yhat) (outer) h_x, the
/// same picks as badge on the concatenated pool for any number of ranks, on every rank.
/// `labeled` and the result are global indices; labeled rows are never picked and are not
/// centers.
///
/// The first pick is the largest ||g_x||^2 = ||p_x - e_yhat||^2 ||h_x||^2 over unlabeled rows
/// (one all-reduce of (value, global row); ties: lowest global row); pick j >= 1 is argmin of
/// race_key(seed, j, x) / D(x)^2 over unlabeled rows with D(x)^2 > 0, D the distance in
/// gradient space to the nearest pick (never materialised), exactly as badge, each rank
/// running badge's D^2 state on its rows. `Selection::objective[j]` is the potential over
/// unlabeled rows after pick j, per-rank sums summed in rank order (badge's to rounding).
///
/// Messages per pick: one broadcast of the picked row's a = p - e_yhat (K doubles) and h
/// (d Scalars) plus 8 bytes, by its owner, and one all-gather of 32 bytes per rank; independent
/// of N. Work per rank per pick O(n_r (K + d)) at worst, less with pruning.
///
/// Throws invalid_input on every rank for any input badge rejects (named by the rank that
/// found it; P and H rows by global and local row), for K or d that differ between ranks, and for
/// labeled, b or options that differ between ranks.
template <class DerivedP, class DerivedH>
Selection badge(MPI_Comm comm, const Eigen::MatrixBase<DerivedP>& P, const Eigen::MatrixBase<DerivedH>& H,
                const std::vector<Index>& labeled, Index b, const BadgeOptions& options = {}) {
    constexpr const char* fn = "badge";
    const Index n = P.rows(), K = P.cols(), d = H.cols();
    const auto at = detail::layout(comm, n);
    detail::Fingerprint fp;
    fp.add("P columns", K);
    fp.add("H columns", d);
    fp.add("b", b);
    fp.add("labeled", labeled);
    fp.add("options seed", options.seed);
    fp.add("options prune", options.prune);
    detail::agree(comm, fn, fp, [&] {
        acquire::detail::check_shape(fn, "P", at.total, K);
        acquire::detail::check_shape(fn, "H", at.total, d);
        acquire::detail::check_same_rows(fn, "P (local rows)", n, "H (local rows)", H.rows());
        acquire::detail::sorted_indices(fn, "labeled", labeled, at.total);
        acquire::detail::check_budget(fn, "b", b, at.total - static_cast<Index>(labeled.size()));
        detail::check_shard_rows(at, [&] { acquire::detail::check_probabilities(fn, "P", P, options.checks); });
        if (options.checks.values) detail::check_shard_rows(at, [&] { acquire::detail::check_finite(fn, "H", H); });
    });
    if (b == 0) return {};
    std::vector<char> blocked(static_cast<std::size_t>(n), 0);
    for (Index g : labeled)
        if (at.mine(g)) blocked[static_cast<std::size_t>(g - at.offset)] = 1;
    const Eigen::MatrixXd a = acquire::detail::badge_residuals<Eigen::ColMajor>(P);
    const acquire::detail::GradientRows<DerivedH> space(a, H);
    const Eigen::VectorXd& norm2 = space.norm2();
    Index best = -1;
    for (Index i = 0; i < n; ++i)
        if (!blocked[static_cast<std::size_t>(i)] && (best < 0 || norm2[i] > norm2[best])) best = i;
    const Index first =
        detail::arg_max(comm, best < 0 ? detail::Arg{0.0, -1} : detail::Arg{norm2[best], at.offset + best}).index;
    return detail::d2_sampling(comm, at, space, detail::PointCodec<acquire::detail::GradientRows<DerivedH>>{K, d},
                               blocked, {}, first, b, options.seed, options.prune, options.stats);
}

/// @}

namespace detail {

/// Facility-location gains over one rank's shard of the pool, for candidates whose rows every
/// rank holds (`cand`, m x d, with their squared norms `cnorm` for the 0/1 radius similarity).
/// The interface of acquire::detail::DenseGains (gains, take, tile), so the single-process
/// greedy (acquire::detail::facility_greedy: lazy, plain or stochastic) runs unchanged on
/// every rank, with the same gains everywhere and so the same steps and collectives.
///
/// The shard's rows sit behind `lead` = offset mod 256 zero rows, so that local point j has
/// the place of global point offset + j in the gain lanes (j mod 16) and float chunks
/// (j mod 256) of acquire::detail::dense_gain: a rank's terms and lane sums are those of the
/// single process over its points. A candidate's gain is
/// the sum, in rank order, of the ranks' gains (one all-gather of a double per candidate and
/// rank per evaluated batch). Zero rows add +0 to every lane (cosine), and the radius
/// similarity gives padding points an infinite norm, so they never count.
template <class Scalar>
class ShardGains {
public:
    /// `x`: lead zero rows, then the shard's rows (normalised for cosine). `radius2` < 0: cosine.
    ShardGains(MPI_Comm comm, int ranks, const RowMatrix<Scalar>& x, Index lead, RowMatrix<Scalar> cand,
               Vector<Scalar> cnorm, Scalar radius2, std::size_t memory_bytes)
        : comm_(comm), ranks_(ranks), pool_(x), lead_(lead), cand_(std::move(cand)), cnorm_(std::move(cnorm)),
          radius2_(radius2), cover_(static_cast<std::size_t>(pool_.padded), Scalar(0)),
          slot_(static_cast<std::size_t>(cand_.rows())) {
        if (radius2_ >= 0) {
            pnorm_ = Vector<Scalar>::Constant(pool_.padded, std::numeric_limits<Scalar>::infinity());
            for (Index j = lead_; j < x.rows(); ++j) pnorm_[j] = x.row(j).squaredNorm();
        }
        // As DenseGains: every row is kept when all fit; otherwise the first pass keeps none
        // and later ones keep what they compute while there is room (beside one tile of scratch).
        const std::size_t row_bytes = static_cast<std::size_t>(pool_.padded) * sizeof(Scalar);
        const auto budget = static_cast<Index>(memory_bytes / row_bytes);
        keep_all_ = cand_.rows() <= budget;
        capacity_ = keep_all_ ? cand_.rows() : std::max<Index>(0, budget - tile());
    }
    Index tile() const { return 64; }

    /// Gains of the candidates at positions `which`: this rank's, then summed over ranks.
    std::vector<double> gains(const std::vector<Index>& which) {
        const auto w = static_cast<Index>(which.size());
        std::vector<double> local(which.size());
        std::vector<Scalar> scratch;
        const bool keep = keep_all_ || first_done_;
        first_done_ = true;
        for (Index t0 = 0; t0 < w; t0 += tile()) {
            const Index len = std::min(tile(), w - t0);
            std::vector<Index> todo;  // places in which
            for (Index r = t0; r < t0 + len; ++r)
                if (!slot_[static_cast<std::size_t>(which[static_cast<std::size_t>(r)])]) todo.push_back(r);
            std::vector<Scalar*> dest(todo.size());
            scratch.resize(todo.size() * static_cast<std::size_t>(pool_.padded));
            for (std::size_t t = 0; t < todo.size(); ++t) {
                auto& slot = slot_[static_cast<std::size_t>(which[static_cast<std::size_t>(todo[t])])];
                if (keep && used_ < capacity_) {
                    slot.reset(new Scalar[static_cast<std::size_t>(pool_.padded)]);
                    ++used_;
                }
                dest[t] = slot ? slot.get() : scratch.data() + t * static_cast<std::size_t>(pool_.padded);
            }
            std::vector<Index> positions;
            for (Index r : todo) positions.push_back(which[static_cast<std::size_t>(r)]);
            similarity_rows(positions, dest.data());
            parallel_for(len, 2, [&](Index r) {
                const auto q = static_cast<std::size_t>(which[static_cast<std::size_t>(t0 + r)]);
                const auto it = std::find(todo.begin(), todo.end(), t0 + r);
                const Scalar* row = slot_[q] ? slot_[q].get() : dest[static_cast<std::size_t>(it - todo.begin())];
                local[static_cast<std::size_t>(t0 + r)] = acquire::detail::dense_gain(row, cover_.data(), pool_.padded);
            });
        }
        // Every rank's gains, then their sum in rank order: the same bits on every rank.
        std::vector<double> all(which.size() * static_cast<std::size_t>(ranks_));
        call(MPI_Allgather(local.data(), static_cast<int>(w), MPI_DOUBLE, all.data(), static_cast<int>(w), MPI_DOUBLE,
                           comm_),
             "MPI_Allgather");
        count(local.size() * sizeof(double));
        std::vector<double> out(which.size(), 0.0);
        for (int r = 0; r < ranks_; ++r)
            for (std::size_t i = 0; i < out.size(); ++i) out[i] += all[static_cast<std::size_t>(r) * out.size() + i];
        return out;
    }

    /// Adds the candidate at `position` to S; returns F(S): each rank's sum over its points in
    /// order, summed in rank order.
    double take(Index position) {
        std::unique_ptr<Scalar[]> row = std::move(slot_[static_cast<std::size_t>(position)]);
        if (row) {
            --used_;  // a pick is never evaluated again: its room goes to others
        } else {
            row.reset(new Scalar[static_cast<std::size_t>(pool_.padded)]);
            Scalar* dest[1] = {row.get()};
            similarity_rows({position}, dest);
        }
        double f = 0;
        for (Index j = lead_; j < pool_.n; ++j) {
            Scalar& c = cover_[static_cast<std::size_t>(j)];
            c = std::max(c, row[static_cast<std::size_t>(j)]);
            f += static_cast<double>(c);
        }
        double sum = 0;
        for (double part : all_of(comm_, ranks_, f)) sum += part;
        return sum;
    }

private:
    /// Similarity rows of the candidates at `positions` against the shard (padded length), in
    /// parallel over pool panels: the kernel of the single process (acquire::detail::dot_rows),
    /// whose every element is the same chain of operations wherever it is computed.
    void similarity_rows(const std::vector<Index>& positions, Scalar* const* dest) const {
        const auto count_rows = static_cast<Index>(positions.size());
        if (count_rows == 0) return;
        const Index d = cand_.cols();
        std::vector<Scalar> a(static_cast<std::size_t>(count_rows * d));
        for (Index r = 0; r < count_rows; ++r)
            Eigen::Map<RowMatrix<Scalar>>(a.data() + r * d, 1, d) = cand_.row(positions[static_cast<std::size_t>(r)]);
        constexpr Index W = acquire::detail::facility_width, block = 64;
        const Index panels = pool_.padded / W, blocks = (panels + block - 1) / block;
        parallel_for(blocks, 2, [&](Index t) {
            const Index p0 = t * block, p1 = std::min(panels, p0 + block);
            acquire::detail::dot_rows(pool_, a.data(), count_rows, p0, p1, dest);
            if (radius2_ >= 0)
                for (Index r = 0; r < count_rows; ++r) {
                    const Scalar cn = cnorm_[positions[static_cast<std::size_t>(r)]];
                    for (Index j = p0 * W; j < p1 * W; ++j)
                        dest[r][j] = cn + pnorm_[j] - Scalar(2) * dest[r][j] <= radius2_ ? Scalar(1) : Scalar(0);
                }
        });
    }

    MPI_Comm comm_;
    int ranks_;
    acquire::detail::PackedPool<Scalar> pool_;
    Index lead_;
    RowMatrix<Scalar> cand_;
    Vector<Scalar> cnorm_, pnorm_;
    Scalar radius2_;
    std::vector<Scalar> cover_;  // max similarity of each shard point to S (0 on padding)
    std::vector<std::unique_ptr<Scalar[]>> slot_;  // kept similarity rows, by candidate position
    Index capacity_ = 0, used_ = 0;
    bool keep_all_ = false, first_done_ = false;
};

/// The shared part of mpi::facility_location and mpi::max_coverage: checks (agreed by every
/// rank), the shard behind its lead rows (normalised for cosine), the candidate rows gathered
/// on every rank, then the single-process greedy on ShardGains.
template <class Derived>
Selection facility_shards(MPI_Comm comm, const char* fn, const Eigen::MatrixBase<Derived>& X,
                          const std::vector<Index>& candidates, Index b, const FacilityLocationOptions& options,
                          bool cosine, double radius) {
    using Scalar = typename Derived::Scalar;
    const Index n = X.rows(), d = X.cols();
    const auto at = layout(comm, n);
    Fingerprint fp;
    fp.add("X columns", d);
    fp.add("b", b);
    fp.add("radius", radius);
    fp.add("candidates", candidates);
    fp.add("options lazy", options.lazy);
    fp.add("options stochastic", options.stochastic);
    fp.add("options epsilon", options.epsilon);
    fp.add("options seed", options.seed);
    fp.add("options neighbors", options.neighbors);
    agree(comm, fn, fp, [&] {
        if (!cosine && (!(radius >= 0) || !std::isfinite(radius)))
            acquire::detail::fail(fn, "radius must be finite and >= 0, got ", radius);
        acquire::detail::check_shape(fn, "X", at.total, d);
        acquire::detail::sorted_indices(fn, "candidates", candidates, at.total);
        acquire::detail::check_budget(fn, "b", b, candidates.empty() ? at.total : static_cast<Index>(candidates.size()));
        if (!(options.epsilon > 0 && options.epsilon < 1))
            acquire::detail::fail(fn, "options epsilon must be in (0, 1), got ", options.epsilon);
        if (options.memory_bytes < static_cast<std::size_t>(n) * sizeof(Scalar))
            acquire::detail::fail(fn, "options memory_bytes (", options.memory_bytes, ") must hold one row of ", n,
                                  " similarities (this rank's rows)");
        if (options.neighbors < 0)
            acquire::detail::fail(fn, "options neighbors must be >= 0 (0 = dense), got ", options.neighbors);
        if (options.neighbors > 0)
            acquire::detail::fail(fn, "options neighbors (sparse mode) is not supported over MPI yet: use 0 (dense)");
        acquire::detail::check_tolerance(fn, options.checks);
        if (options.checks.values) detail::check_shard_rows(at, [&] { acquire::detail::check_finite(fn, "X", X); });
    });
    // Lead rows: see ShardGains.
    const Index lead = at.offset % 256;
    RowMatrix<Scalar> x(lead + n, d);
    x.topRows(lead).setZero();
    x.bottomRows(n) = X;
    if (cosine)
        agree(comm, fn, fp, [&] {
            for (Index i = lead; i < lead + n; ++i) {
                const Scalar norm = x.row(i).norm();
                if (!(norm > 0))
                    acquire::detail::fail(fn, "X row ", at.offset + i - lead, " (local ", i - lead,
                                          ") has zero norm (cosine similarity)");
                x.row(i) /= norm;
            }
        });
    // The candidates (ascending; empty = every row) with their rows and squared norms, on every rank.
    std::vector<Index> sorted = candidates;
    if (sorted.empty()) {
        sorted.resize(static_cast<std::size_t>(at.total));
        for (Index g = 0; g < at.total; ++g) sorted[static_cast<std::size_t>(g)] = g;
    }
    std::sort(sorted.begin(), sorted.end());
    const auto m = static_cast<Index>(sorted.size());
    const std::size_t row_bytes = static_cast<std::size_t>(d + 1) * sizeof(Scalar);
    const auto rows = gather_rows(comm, at, sorted, row_bytes, [&](Index i, unsigned char* dest) {
        const auto r = x.row(lead + i);
        for (Index k = 0; k < d; ++k) {
            const Scalar v = r(k);
            std::memcpy(dest + static_cast<std::size_t>(k) * sizeof(Scalar), &v, sizeof(Scalar));
        }
        const Scalar norm2 = cosine ? Scalar(0) : r.squaredNorm();
        std::memcpy(dest + static_cast<std::size_t>(d) * sizeof(Scalar), &norm2, sizeof(Scalar));
    });
    RowMatrix<Scalar> cand(m, d);
    Vector<Scalar> cnorm(m);
    for (Index q = 0; q < m; ++q) {
        const unsigned char* src = rows.data() + static_cast<std::size_t>(q) * row_bytes;
        std::memcpy(cand.row(q).data(), src, static_cast<std::size_t>(d) * sizeof(Scalar));
        std::memcpy(&cnorm[q], src + static_cast<std::size_t>(d) * sizeof(Scalar), sizeof(Scalar));
    }
    ShardGains<Scalar> eval(comm, at.ranks, x, lead, std::move(cand), std::move(cnorm),
                            cosine ? Scalar(-1) : static_cast<Scalar>(radius * radius), options.memory_bytes);
    return acquire::detail::facility_greedy(sorted, b, options, eval);
}

}  // namespace detail

/// \addtogroup mpi_sharded
/// @{

/// acquire::facility_location over a pool sharded across the ranks of `comm` (X: this rank's
/// n_r x d rows, possibly none): greedy maximisation of F(S) = sum over all N rows j of
/// max(0, max_{i in S} cos(x_i, x_j)) (Yang et al. 2017; greedy within 1 - 1/e, Nemhauser et
/// al. 1978), b picks from `candidates` (global rows, any order; empty = every row), ties to
/// the lowest global row; `Selection::objective[j]` is F after pick j. Every rank returns the
/// same picks. Lazy (Minoux), plain and stochastic greedy as facility_location, run unchanged
/// on every rank over gains summed across ranks.
///
/// The candidates' rows are gathered on every rank once (one all-gather: |candidates| x d
/// Scalars in all, so keep the candidate set small: a prefilter, the top of an uncertainty
/// score); each rank keeps the coverage of its own rows and computes every gain term
/// max(0, s_cj - cover_j) over them with the single-process kernel. A gain is the sum, in rank
/// order, of the ranks' shares: one all-gather of a double per candidate and rank per
/// evaluated batch (the first pass evaluates every candidate; lazy greedy then a few per pick),
/// and one of 8 bytes per rank per pick for F. Work per rank: O(|candidates| n_r d) for the
/// first pass, O(n_r d) per re-evaluated candidate; memory O(|candidates| (d + n_r)) while the
/// similarity rows fit options.memory_bytes (then rows are recomputed when re-evaluated).
///
/// Same picks as facility_location: each rank's terms and lane sums are bit for bit those of
/// the single process over its rows; only the final sum of the ranks' shares rounds
/// differently, so gains agree to a relative ~1e-16 (double sums; float shares whose 256-point
/// chunk straddles a shard boundary add one float rounding of that chunk). Picks can differ only
/// where two candidates' gains are that close (near-ties between different rows), and are
/// exactly equal on one rank. F(S) likewise agrees to rounding. The picks on a given split are
/// the same on every rank and every run.
///
/// Throws invalid_input on every rank for any input facility_location rejects (the rank that
/// found it named; NaN/Inf and zero rows by global and local row), for options.neighbors > 0
/// (the sparse mode is not distributed yet), and for X columns, candidates, b or options that
/// differ between ranks. options.memory_bytes is per rank and may differ.
template <class Derived>
Selection facility_location(MPI_Comm comm, const Eigen::MatrixBase<Derived>& X, const std::vector<Index>& candidates,
                            Index b, const FacilityLocationOptions& options = {}) {
    return detail::facility_shards(comm, "facility_location", X, candidates, b, options, true, 0.0);
}

/// acquire::max_coverage over a pool sharded across the ranks of `comm`: b picks from
/// `candidates` (global rows; empty = every row) maximising the number of rows within
/// Euclidean `radius` of some pick, [||x_i||^2 + ||x_j||^2 - 2 x_i.x_j <= radius^2] in the
/// input's Scalar as max_coverage computes it; `Selection::objective[j]` is the covered count
/// after pick j. Same layout, messages and work as mpi::facility_location (each candidate row
/// travels with its squared norm).
///
/// Exact: gains are counts, and every partial sum of 0/1 terms is an integer that float and
/// double hold exactly, so the picks (ties: lowest global row) and the counts are those of
/// max_coverage for any number of ranks.
///
/// Throws invalid_input on every rank as mpi::facility_location does, and for a radius that
/// is negative or not finite.
template <class Derived>
Selection max_coverage(MPI_Comm comm, const Eigen::MatrixBase<Derived>& X, double radius, Index b,
                       const std::vector<Index>& candidates = {}, const FacilityLocationOptions& options = {}) {
    return detail::facility_shards(comm, "max_coverage", X, candidates, b, options, false, radius);
}

/// @}

namespace detail {

/// A rank's word after a BatchBALD step's refinement: its candidates on the shortlist (see
/// mpi::batch_bald) and the bounds and evaluations it computed.
struct BatchBaldWord {
    std::int64_t near, evaluated, bounded;
};

}  // namespace detail

/// \addtogroup mpi_sharded
/// @{

/// acquire::batch_bald over a prediction stack sharded across the ranks of `comm` (`shard`:
/// this rank's T x n_r x K predictions, any layout, or nullptr for a rank holding no row, since
/// a PredictionStack has at least one): BatchBALD (Kirsch et al. 2019), the greedy argmax of
/// I(y_1..y_n; w), with the same picks as batch_bald on the concatenated stack, on every rank.
/// options.labeled and the result are global rows. `Selection::objective` and `stats` as
/// batch_bald's (stats' counts summed over ranks).
///
/// Every rank holds the joint table (C x T: the exact configurations, then the drawn ones) and
/// runs batch_bald's own step (acquire::detail::BatchBaldStep) on its own candidates: the float
/// screening, the lazy greedy's heap of bounds from grouped configurations
/// (detail::batch_bald_levels, computed on every rank from the same table) and last step's gains
/// while exact. Per pick:
///  1. The best screened gain, agreed. The first pick (and every pick without lazy greedy)
///     screens every candidate on its rank; one all-reduce (max) of 32 bytes (the rank's best
///     screened gain, its top bound, whether it has bounds and evaluations) gives every rank
///     the global best. A later lazy pick first runs one batch_bald round on every rank (its
///     top bounds, at most C table rows' worth), all-reduces, then each rank refines its bounds
///     until none can beat the best it knows (the global best so far or its own), and a second
///     all-reduce ends it: every rank's bounds are then below the slack of the global best, so
///     every candidate that can win has been screened. That is batch_bald's stopping rule, in
///     at most 2 all-reduces per pick whatever the rounds (one all-reduce per round took 20 to
///     50 per pick). A rank does not learn a better best found elsewhere during its own
///     refinement: in a stress run (96 pools, N = 300 to 600) the ranks screened 4% (2 ranks)
///     and 9% (4 ranks) more candidates in total than one process, each rank its share.
///  2. The shortlist: every candidate whose screened gain is within the slack of the global
///     best (batch_bald's `near`), gathered on every rank in ascending global row (one
///     all-gather of 24 bytes per rank for the counts and the statistics, then the rows'
///     global indices and their T K predictions: 8 + T K sizeof(Scalar) bytes per shortlisted
///     row, usually 1 to a few).
///  3. Every rank evaluates the shortlist in double, in one call in row order as batch_bald
///     does, and picks the lowest row within the tie tolerance of the best: the same decision
///     on every rank with no further message. The pick's predictions are in the shortlist, so
///     every rank extends its joint table (or redraws it: every rank draws the same
///     configurations from the same seed stream, which does not depend on the split) from its
///     copy of the picks' rows.
/// Messages per pick: 2 or 3 all-reduces/all-gathers of a few dozen bytes (1 all-reduce at the
/// first pick or without lazy greedy) and the 2 all-gathers of the shortlist; bytes per pick:
/// 32 + 24 per rank plus 8 + T K sizeof(Scalar) per shortlisted row, independent of N. Once:
/// the layout, the shapes and the agreement on inputs (8, 16 and 24 bytes per rank). Work per
/// rank per pick: its share of the bounds and evaluations (O(G T K) and O(C T K) per candidate,
/// batch_bald's), the levels of groups (O(C T) per level, repeated on every rank) and the
/// shortlist in double. Memory per rank: batch_bald's on n_r rows, plus b T K Scalars of
/// picked rows and the replicated joint table (C x T doubles).
///
/// Exactness. A candidate's screened and precise terms depend in their last bits on the GEMM
/// group batch_bald_terms evaluates them in (Eigen's column panels and small-product path;
/// measured: the same candidate alone or within a group differs in its last bits, float and
/// double), in one process too, so lazy and full evaluation already differ in those bits. Here the decision is bit for bit
/// batch_bald's: the shortlist is evaluated in double in the same single call, in the same
/// order, as in one process, so its gains, the pick and its objective are the same bits
/// whenever the shortlist is the same. The shortlist is decided by float screened gains 1e-4
/// (relative) below the best, and those are computed in groups of this rank's candidates: a
/// candidate can be on one list and not the other only if its screened gain is within float
/// rounding (~1e-7) of that edge; it is then 1e-4 below the best and cannot win, but it joins
/// the double evaluation's GEMM groups, so the others' precise gains (and the objective) could
/// differ in their last bits, and the pick only for two gains at the edge of the 1e-12 tie
/// tolerance. The joint tables, levels of groups and drawn configurations are computed from
/// identical bits on every rank, so every rank returns the same. On one rank the steps are
/// batch_bald's exactly. A stress run (96 pools x 1 to 4 ranks, even and random splits, float
/// and double, exact and sampled) found no differing pick and no differing objective bit.
///
/// Throws invalid_input on every rank for any input batch_bald rejects (named by the rank that
/// found it; stack rows by global and local row), for a stack whose T or K differs from the first rank
/// holding rows, and for b, labeled or options that differ between ranks.
template <class Scalar>
Selection batch_bald(MPI_Comm comm, const PredictionStack<Scalar>* shard, Index b, const BatchBaldOptions& options = {},
                     BatchBaldStats* stats = nullptr) {
    constexpr const char* fn = "batch_bald";
    const Index n = shard ? shard->rows() : 0;
    const auto at = detail::layout(comm, n);
    struct Shape {
        std::int64_t members, cols;
    };
    const auto shapes =
        detail::all_of(comm, at.ranks, Shape{shard ? shard->members() : 0, shard ? shard->cols() : 0});
    int first = -1;
    for (int r = 0; r < at.ranks && first < 0; ++r)
        if (shapes[static_cast<std::size_t>(r)].members > 0) first = r;
    const Index T = first < 0 ? 0 : shapes[static_cast<std::size_t>(first)].members;
    const Index K = first < 0 ? 0 : shapes[static_cast<std::size_t>(first)].cols;
    detail::Fingerprint fp;
    fp.add("b", b);
    fp.add("options labeled", options.labeled);
    fp.add("options max_configurations", options.max_configurations);
    fp.add("options samples", options.samples);
    fp.add("options seed", options.seed);
    fp.add("options lazy", options.lazy);
    detail::agree(comm, fn, fp, [&] {
        if (options.max_configurations < 1)
            acquire::detail::fail(fn, "options max_configurations must be >= 1, got ", options.max_configurations);
        if (options.samples < 1) acquire::detail::fail(fn, "options samples must be >= 1, got ", options.samples);
        acquire::detail::sorted_indices(fn, "labeled", options.labeled, at.total);
        acquire::detail::check_budget(fn, "b", b, at.total - static_cast<Index>(options.labeled.size()));
        if (shard && (shard->members() != T || shard->cols() != K))
            acquire::detail::fail(fn, "stack is ", shard->members(), " members x ", shard->cols(), " classes but rank ",
                                  first, "'s is ", T, " x ", K);
        if (shard) detail::check_shard_rows(at, [&] { acquire::detail::check_stack(fn, *shard, options.checks); });
    });
    if (stats) *stats = BatchBaldStats{};
    Selection result;
    if (b == 0) return result;

    std::vector<char> excluded(static_cast<std::size_t>(n), 0);
    for (Index g : options.labeled)
        if (at.mine(g)) excluded[static_cast<std::size_t>(g - at.offset)] = 1;
    // batch_bald's own lazy-greedy step, on this rank's rows.
    using Step = acquire::detail::BatchBaldStep<Scalar>;
    Step local(shard, n, std::move(excluded));

    // The picks' rows ([pick][T][K]) on every rank: the joint table is extended or drawn from them.
    std::vector<Scalar> picked(static_cast<std::size_t>(b * T * K));
    const auto picks_view = [&](Index count) { return PredictionStack<Scalar>::ntk(picked.data(), count, T, K); };
    acquire::detail::BatchBaldJoint joint = acquire::detail::batch_bald_start(T);
    bool exact = true;
    double picked_conditional = 0;
    Rng rng(options.seed);
    const std::size_t row_scalars = static_cast<std::size_t>(T * K);
    std::vector<int> counts(static_cast<std::size_t>(at.ranks)), displs(counts.size());
    Eigen::VectorXd row_sums(T);
    MPI_Datatype record;
    detail::call(MPI_Type_contiguous(static_cast<int>(row_scalars * sizeof(Scalar)), MPI_BYTE, &record), "MPI_Type_contiguous");
    detail::call(MPI_Type_commit(&record), "MPI_Type_commit");
    struct FreeType {
        MPI_Datatype* t;
        ~FreeType() { MPI_Type_free(t); }
    } free_record{&record};

    for (Index step = 0; step < b; ++step) {
        local.start(step, options.lazy, exact, joint);
        // 1. Rounds until no rank holds a bound that can beat the global best screened gain.
        double best = -std::numeric_limits<double>::infinity();
        bool any_fresh = false;
        for (bool first_round = true;; first_round = false) {
            if (first_round) {
                if (step > 0 && options.lazy) local.round(false, best);
            } else {
                while (local.pending(any_fresh, best)) local.round(any_fresh, best);
            }
            const double in[4] = {local.best(), local.top(), local.any_bound() ? 1.0 : 0.0, local.any_fresh() ? 1.0 : 0.0};
            double out[4];
            detail::allreduce(in, out, 4, MPI_DOUBLE, MPI_MAX, comm, sizeof in);
            best = out[0];
            any_fresh = out[3] > 0;
            if (!(out[2] > 0) || (any_fresh && out[1] < Step::threshold(best))) break;
        }
        // 2. The shortlist, in ascending global row, with its rows, on every rank.
        const std::vector<Index>& near = local.near(best);
        const auto words = detail::all_of(comm, at.ranks,
                                          detail::BatchBaldWord{static_cast<std::int64_t>(near.size()), static_cast<std::int64_t>(local.evaluated()),
                                                                static_cast<std::int64_t>(local.bounded())});
        Index m = 0, evaluated = 0, bounded = 0;
        for (int r = 0; r < at.ranks; ++r) {
            const auto& w = words[static_cast<std::size_t>(r)];
            counts[static_cast<std::size_t>(r)] = static_cast<int>(w.near);
            displs[static_cast<std::size_t>(r)] = static_cast<int>(m);
            m += w.near;
            evaluated += w.evaluated;
            bounded += w.bounded;
        }
        std::vector<std::int64_t> near_rows(static_cast<std::size_t>(m) + 1);
        std::vector<std::int64_t> own_rows(near.size() + 1);
        std::vector<Scalar> own(near.size() * row_scalars + 1), rows(static_cast<std::size_t>(m) * row_scalars + 1);
        for (std::size_t j = 0; j < near.size(); ++j) {
            own_rows[j] = at.offset + near[j];
            for (Index t = 0; t < T; ++t)
                for (Index y = 0; y < K; ++y) own[j * row_scalars + static_cast<std::size_t>(t * K + y)] = (*shard)(t, near[j], y);
        }
        detail::call(MPI_Allgatherv(own_rows.data(), static_cast<int>(near.size()), MPI_INT64_T, near_rows.data(),
                                    counts.data(), displs.data(), MPI_INT64_T, comm),
                     "MPI_Allgatherv");
        detail::call(MPI_Allgatherv(own.data(), static_cast<int>(near.size()), record, rows.data(), counts.data(),
                                    displs.data(), record, comm),
                     "MPI_Allgatherv");
        detail::count(near.size() * sizeof(std::int64_t));
        detail::count(near.size() * row_scalars * sizeof(Scalar));
        if (m == 0) acquire::detail::fail(fn, "no candidate left at step ", step);  // unreachable: b is checked
        // 3. The shortlist in double, as batch_bald evaluates it: one call, ascending rows.
        const auto list = PredictionStack<Scalar>::ntk(rows.data(), m, T, K);
        std::vector<Index> all(static_cast<std::size_t>(m));
        for (Index j = 0; j < m; ++j) all[static_cast<std::size_t>(j)] = j;
        std::vector<double> precise(static_cast<std::size_t>(m)), cond(static_cast<std::size_t>(m));
        acquire::detail::batch_bald_terms<double>(list, joint.table, joint.mass, all.data(), m, precise.data());
        for (Index j = 0; j < m; ++j) {
            auto& g = precise[static_cast<std::size_t>(j)];
            cond[static_cast<std::size_t>(j)] = Step::conditional(list, j, T, K);
            g += Step::correction(list, j, local.z(), cond[static_cast<std::size_t>(j)], row_sums);
            if (std::isnan(g)) g = -std::numeric_limits<double>::infinity();
        }
        const auto at_pick = static_cast<Index>(Step::pick(precise));
        const Index pick = near_rows[static_cast<std::size_t>(at_pick)];
        const double pick_gain = precise[static_cast<std::size_t>(at_pick)];
        local.finish(precise.data() + displs[static_cast<std::size_t>(at.rank)], at.mine(pick) ? pick - at.offset : -1,
                     options.lazy);
        if (stats) {
            stats->evaluated.push_back(evaluated);
            stats->bounded.push_back(bounded);
            stats->decided.push_back(m);
            stats->configurations.push_back(joint.table.rows());
            stats->exact.push_back(exact ? 1 : 0);
        }
        const double pick_conditional = cond[static_cast<std::size_t>(at_pick)];
        picked_conditional += pick_conditional;
        result.indices.push_back(pick);
        result.objective.push_back(joint.base + (pick_gain + pick_conditional) - picked_conditional);
        std::copy(rows.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(at_pick) * row_scalars),
                  rows.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(at_pick + 1) * row_scalars),
                  picked.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(step) * row_scalars));
        if (step + 1 == b) break;
        if (exact && joint.table.rows() * K <= options.max_configurations) {
            joint = acquire::detail::batch_bald_extend(picks_view(step + 1), joint, step);
        } else {
            exact = false;
            std::vector<Index> order(static_cast<std::size_t>(step + 1));
            for (Index j = 0; j <= step; ++j) order[static_cast<std::size_t>(j)] = j;
            joint = acquire::detail::batch_bald_sample(picks_view(step + 1), order, options.samples, rng);
        }
    }
    return result;
}

/// mpi::batch_bald for a rank holding rows (see the overload above; a rank without rows
/// passes nullptr there).
template <class Scalar>
Selection batch_bald(MPI_Comm comm, const PredictionStack<Scalar>& shard, Index b, const BatchBaldOptions& options = {},
                     BatchBaldStats* stats = nullptr) {
    return batch_bald(comm, &shard, b, options, stats);
}

/// @}

}  // namespace acquire::mpi
