/// \file
/// acquire::badge over a pool sharded across MPI ranks.
#pragma once

#include "acquire/mpi/kmeans_pp.hpp"
#include "acquire/select/badge.hpp"

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

}  // namespace detail

/// \addtogroup mpi_sharded
/// @{

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

}  // namespace acquire::mpi
