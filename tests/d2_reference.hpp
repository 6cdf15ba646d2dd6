// The D^2 sampling of kmeans_pp and badge as they were before pruning (one full distance pass
// per pick): the oracle the pruned versions must match pick for pick.
#pragma once

#include <acquire/select/badge.hpp>

namespace reference {

using acquire::Index;
using acquire::Selection;
using acquire::detail::parallel_for;
using acquire::detail::fail;
using acquire::Rng;

template <class Dist2>
Selection d2_sampling(Index n, const std::vector<char>& blocked, const std::vector<Index>& initial,
                      Index first, Index b, std::uint64_t seed, Dist2&& dist2) {
    std::vector<double> nearest(static_cast<std::size_t>(n), std::numeric_limits<double>::infinity());
    std::vector<double> to_center(static_cast<std::size_t>(n));
    std::vector<char> unavailable = blocked;
    for (Index c : initial) unavailable[static_cast<std::size_t>(c)] = 1;
    auto add_center = [&](Index c) {
        dist2(c, to_center);
        parallel_for(n, 4096, [&](Index i) {
            const auto u = static_cast<std::size_t>(i);
            nearest[u] = std::min(nearest[u], std::max(0.0, to_center[u]));
        });
        nearest[static_cast<std::size_t>(c)] = 0;  // exactly, whatever the rounding
    };
    for (Index c : initial) add_center(c);

    Rng rng(seed);
    Selection result;
    for (Index step = 0; step < b; ++step) {
        Index pick = -1;
        if (step == 0 && initial.empty()) {
            if (first >= 0) {
                pick = first;
            } else {  // uniform over the available points
                std::vector<Index> pool;
                for (Index i = 0; i < n; ++i)
                    if (!unavailable[static_cast<std::size_t>(i)]) pool.push_back(i);
                pick = pool[static_cast<std::size_t>(rng.below(pool.size()))];
            }
        } else {
            double total = 0;
            for (Index i = 0; i < n; ++i)
                if (!unavailable[static_cast<std::size_t>(i)]) total += nearest[static_cast<std::size_t>(i)];
            if (total > 0) {
                const double u = rng.uniform() * total;
                double cumulative = 0;
                for (Index i = 0; i < n && pick < 0; ++i) {
                    const double w = unavailable[static_cast<std::size_t>(i)] ? 0.0 : nearest[static_cast<std::size_t>(i)];
                    if (w <= 0) continue;
                    cumulative += w;
                    if (u < cumulative) pick = i;
                }
                // Rounding can leave u at the very top: take the last point with weight.
                for (Index i = n - 1; i >= 0 && pick < 0; --i)
                    if (!unavailable[static_cast<std::size_t>(i)] && nearest[static_cast<std::size_t>(i)] > 0) pick = i;
            }
            if (pick < 0)  // every available point sits on a center: the lowest index
                for (Index i = 0; i < n && pick < 0; ++i)
                    if (!unavailable[static_cast<std::size_t>(i)]) pick = i;
        }
        // Unreachable (b never exceeds the available points), but it keeps the index below
        // provably in range.
        if (pick < 0 || pick >= n) fail("d2_sampling", "no point left to pick at step ", step);
        unavailable[static_cast<std::size_t>(pick)] = 1;
        add_center(pick);
        result.indices.push_back(pick);
        double potential = 0;
        for (Index i = 0; i < n; ++i)
            if (!blocked[static_cast<std::size_t>(i)]) potential += nearest[static_cast<std::size_t>(i)];
        result.objective.push_back(potential);
    }
    return result;
}


template <class Derived>
Selection kmeans_pp(const Eigen::MatrixBase<Derived>& X, Index b, const acquire::KMeansPPOptions& options = {}) {
    const Index n = X.rows();
    const std::vector<char> blocked(static_cast<std::size_t>(n), 0);
    return d2_sampling(n, blocked, options.initial, options.first, b, options.seed,
                       [&](Index c, std::vector<double>& out) {
                           parallel_for(n, 1024, [&](Index i) {
                               out[static_cast<std::size_t>(i)] = static_cast<double>((X.row(i) - X.row(c)).squaredNorm());
                           });
                       });
}

template <class DerivedP, class DerivedH>
Selection badge(const Eigen::MatrixBase<DerivedP>& P, const Eigen::MatrixBase<DerivedH>& H,
                const std::vector<Index>& labeled, Index b, std::uint64_t seed) {
    const Index n = P.rows();
    const auto blocked = acquire::detail::index_mask("reference::badge", "labeled", labeled, n);
    if (b == 0) return {};
    Eigen::MatrixXd a = P.template cast<double>();
    for (Index i = 0; i < n; ++i) {
        Index best = 0;
        for (Index k = 1; k < a.cols(); ++k)
            if (a(i, k) > a(i, best)) best = k;
        a(i, best) -= 1.0;
    }
    const Eigen::VectorXd a2 = a.rowwise().squaredNorm();
    const Eigen::VectorXd h2 = H.rowwise().squaredNorm().template cast<double>();
    Index first = -1;
    for (Index i = 0; i < n; ++i)
        if (!blocked[static_cast<std::size_t>(i)] && (first < 0 || a2[i] * h2[i] > a2[first] * h2[first]))
            first = i;
    using Scalar = typename DerivedH::Scalar;
    acquire::Vector<Scalar> hc(n);
    Eigen::VectorXd ac(n);
    return d2_sampling(n, blocked, {}, first, b, seed, [&](Index c, std::vector<double>& out) {
        ac.noalias() = a * a.row(c).transpose();
        hc.noalias() = H * H.row(c).transpose();
        const double cc = a2[c] * h2[c];
        for (Index i = 0; i < n; ++i)
            out[static_cast<std::size_t>(i)] = a2[i] * h2[i] + cc - 2.0 * ac[i] * static_cast<double>(hc[i]);
    });
}

}  // namespace reference
