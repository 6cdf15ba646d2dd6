/// \file
/// acquire::kmeans_pp over a pool sharded across MPI ranks, and the D^2 sampling it shares with acquire::mpi::badge.
#pragma once

#include "acquire/mpi/core.hpp"
#include "acquire/select/kmeans_pp.hpp"

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

/// @}

}  // namespace acquire::mpi
