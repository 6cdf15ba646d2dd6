/// \file
/// The layer every acquire::mpi function shares: traffic counters, the shard layout, collective helpers, and the agreement on inputs and errors across ranks (optional: needs mpi.h).
// See acquire/mpi.hpp for what the distributed functions promise.
#pragma once

#include "acquire/core/error.hpp"
#include "acquire/core/types.hpp"

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

}  // namespace acquire::mpi
