// The D^2 sampling of kmeans_pp and badge written the plain way (every distance at every pick,
// the exponential race over every row with its key in full): the oracle the pruned versions
// must match pick for pick.
#pragma once

#include <acquire/select/badge.hpp>

namespace reference {

using acquire::Index;
using acquire::Selection;
using acquire::detail::parallel_for;
using acquire::detail::fail;

/// D^2 sampling the plain way: every distance at every pick, every race key in full.
template <class Dist2>
Selection d2_sampling(Index n, const std::vector<char>& blocked, const std::vector<Index>& initial,
                      Index first, Index b, std::uint64_t seed, Dist2&& dist2) {
    std::vector<double> nearest(static_cast<std::size_t>(n), std::numeric_limits<double>::infinity());
    std::vector<double> to_center(static_cast<std::size_t>(n));
    std::vector<char> unavailable = blocked;
    for (Index c : initial) unavailable[static_cast<std::size_t>(c)] = 1;
    auto add_center = [&](Index c) {
        dist2(c, to_center);
        for (Index i = 0; i < n; ++i) {
            const auto u = static_cast<std::size_t>(i);
            nearest[u] = std::min(nearest[u], std::max(0.0, to_center[u]));
        }
        nearest[static_cast<std::size_t>(c)] = 0;
    };
    for (Index c : initial) add_center(c);
    Selection result;
    for (Index step = 0; step < b; ++step) {
        Index pick = -1;
        if (step == 0 && initial.empty() && first >= 0) {
            pick = first;
        } else {
            const bool weighted = step > 0 || !initial.empty();
            double best = std::numeric_limits<double>::infinity();
            for (Index i = 0; i < n; ++i) {
                const auto u = static_cast<std::size_t>(i);
                const double w = weighted ? nearest[u] : 1.0;
                if (unavailable[u] || !(w > 0)) continue;
                const double ratio = acquire::detail::race_key(seed, std::uint64_t(step), std::uint64_t(i)) / w;
                if (pick < 0 || ratio < best) {
                    best = ratio;
                    pick = i;
                }
            }
            for (Index i = 0; i < n && pick < 0; ++i)
                if (!unavailable[static_cast<std::size_t>(i)]) pick = i;
        }
        if (pick < 0) fail("reference::d2_sampling", "no point left at step ", step);
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
