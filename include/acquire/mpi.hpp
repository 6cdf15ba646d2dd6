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
// Index sets passed in (labeled, exclude) and returned are global row indices and must be the
// same on every rank (checked). Shards may be uneven, and a rank may hold no row at all.
//
// Bad input on any rank makes every rank throw acquire::invalid_input naming that rank: each
// rank validates locally, then one all-reduce finds the lowest failing rank, which broadcasts
// its message, so no rank is ever left waiting in a collective.
//
// This header is an optional edge: acquire.hpp does not include it, and it needs <mpi.h> and
// the acquire::mpi CMake target (acquire + MPI::MPI_CXX). Not thread-safe across calls on one
// communicator: call it from one thread per rank, like any MPI collective.
#pragma once

#include "acquire/core/error.hpp"
#include "acquire/core/random.hpp"
#include "acquire/core/selection.hpp"
#include "acquire/core/top_k.hpp"
#include "acquire/select/k_center.hpp"

#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace acquire::mpi {

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
inline void reset_traffic() { traffic() = Traffic{}; }

namespace detail {

using acquire::detail::fail;

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

/// A fingerprint of arguments that must be equal on every rank (FNV-1a over their bytes).
struct Fingerprint {
    std::uint64_t h = 1469598103934665603ULL;
    void add(const void* data, std::size_t bytes) {
        const auto* p = static_cast<const unsigned char*>(data);
        for (std::size_t i = 0; i < bytes; ++i) h = (h ^ p[i]) * 1099511628211ULL;
    }
    template <class T>
    void add(const T& value) { add(&value, sizeof value); }
    void add(const std::vector<Index>& v) {
        add(v.size());
        add(v.data(), v.size() * sizeof(Index));
    }
};

/// Runs `check` on this rank, then agrees with every rank on whether any failed and whether
/// `same` (the arguments that must be equal everywhere) matches on every rank. If a rank
/// failed, every rank throws invalid_input with the lowest failing rank's message, prefixed by
/// that rank. One all-reduce of 24 bytes, plus two broadcasts when something failed. `check`
/// must not call MPI: a rank that throws early would skip the collective the others wait in.
template <class Check>
void agree(MPI_Comm comm, const char* function, const Fingerprint& same, const char* what, Check&& check) {
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
    // and the fingerprint and its complement (all equal iff max(h) == h and max(~h) == ~h).
    const std::uint64_t in[3] = {message.empty() ? 0 : static_cast<std::uint64_t>(ranks - rank), same.h, ~same.h};
    std::uint64_t out[3] = {0, 0, 0};
    allreduce(in, out, 3, MPI_UINT64_T, MPI_MAX, comm, sizeof in);
    if (out[0] > 0) {
        const int first = ranks - static_cast<int>(out[0]);
        std::uint64_t length = message.size();
        broadcast(&length, sizeof length, first, comm);
        message.resize(length);
        broadcast(message.data(), length, first, comm);
        throw invalid_input(acquire::detail::concat("acquire::mpi::", function, ": rank ", first, ": ", message));
    }
    if (out[1] != same.h || out[2] != ~same.h)
        throw invalid_input(acquire::detail::concat("acquire::mpi::", function, ": ", what,
                                                    " differ between ranks (they must be the same on every rank)"));
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

}  // namespace detail

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
    fp.add(k);
    fp.add(exclude);
    detail::agree(comm, fn, fp, "k or exclude", [&] {
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
    fp.add(k);
    fp.add(seed);
    fp.add(exclude);
    detail::agree(comm, fn, fp, "k, seed or exclude", [&] {
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
/// (the message names the rank that found it; a NaN is reported by its local row), for a
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
    fp.add(d);
    fp.add(b);
    fp.add(labeled);
    fp.add(options.first);
    fp.add(options.seed);
    fp.add(options.metric);
    fp.add(options.prune);
    detail::agree(comm, fn, fp, "X columns, labeled, b or options", [&] {
        acquire::detail::check_shape(fn, "X", at.total, d);
        const auto sorted = acquire::detail::sorted_indices(fn, "labeled", labeled, at.total);
        acquire::detail::check_budget(fn, "b", b, at.total - static_cast<Index>(labeled.size()));
        if (options.first < -1 || options.first >= at.total)
            acquire::detail::fail(fn, "options first is ", options.first, ", out of range [-1, ", at.total, ")");
        if (options.first >= 0 && std::binary_search(sorted.begin(), sorted.end(), options.first))
            acquire::detail::fail(fn, "options first ", options.first, " is labeled");
        acquire::detail::check_tolerance(fn, options.checks);
        if (options.checks.values) acquire::detail::check_finite(fn, "X (local rows)", X);
    });
    if (options.metric == Metric::cosine) {
        RowMatrix<Scalar> unit = X;
        detail::agree(comm, fn, fp, "X columns, labeled, b or options", [&] {
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
        std::vector<Scalar> own;
        std::vector<int> counts(static_cast<std::size_t>(at.ranks), 0), displs(counts.size(), 0);
        for (Index g : labeled) {
            counts[static_cast<std::size_t>(at.owner(g))] += static_cast<int>(d * Index(sizeof(Scalar)));
            if (at.mine(g)) acquire::detail::copy_row(X, g - at.offset, own);
        }
        for (std::size_t r = 1; r < counts.size(); ++r) displs[r] = displs[r - 1] + counts[r - 1];
        std::vector<Scalar> by_rank(labeled.size() * static_cast<std::size_t>(d));
        detail::call(MPI_Allgatherv(own.data(), static_cast<int>(own.size() * sizeof(Scalar)), MPI_BYTE, by_rank.data(),
                                    counts.data(), displs.data(), MPI_BYTE, comm),
                     "MPI_Allgatherv");
        detail::count(own.size() * sizeof(Scalar));
        // by_rank holds rank 0's labeled rows (in list order), then rank 1's, ...: restore list order.
        std::vector<Scalar> coords(by_rank.size());
        std::vector<std::size_t> next(static_cast<std::size_t>(at.ranks));
        for (std::size_t r = 0; r < next.size(); ++r) next[r] = static_cast<std::size_t>(displs[r]) / sizeof(Scalar);
        for (std::size_t j = 0; j < labeled.size(); ++j) {
            auto& from = next[static_cast<std::size_t>(at.owner(labeled[j]))];
            std::copy_n(by_rank.begin() + static_cast<std::ptrdiff_t>(from), d,
                        coords.begin() + static_cast<std::ptrdiff_t>(j * static_cast<std::size_t>(d)));
            from += static_cast<std::size_t>(d);
        }
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

}  // namespace acquire::mpi
