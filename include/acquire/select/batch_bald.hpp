// BatchBALD (Kirsch, van Amersfoort & Gal 2019): a batch whose labels are jointly most
// informative about the model parameters, picked greedily.
//
// With the T stack members as samples w_t of the posterior and y_i the label of pick x_i, step n
// picks the unlabeled x maximising
//   a(x) = I(y_1, ..., y_{n-1}, y_x ; w)
//        = H(y_1, ..., y_{n-1}, y_x) - sum_{i<n} E_w H(y_i | w) - E_w H(y_x | w),
//   p(y_1..y_n) = (1/T) sum_t prod_i p_t(y_i | x_i),   E_w H(y | w) = (1/T) sum_t H(P_t(x)),
// since the labels are independent given w. The joint entropy is summed exactly over the K^(n-1)
// configurations of the labels already picked while they fit `max_configurations`; beyond it,
// it is estimated without bias from M configurations drawn from the joint (draw t uniformly,
// then each y_i from p_t(. | x_i)) and importance weighted:
//   H ~ -(1/M) sum_m sum_y [p(yhat_m, y) / p(yhat_m)] ln p(yhat_m, y).
// Exactly like the paper's greedy algorithm, which is a (1 - 1/e)-approximation because the
// joint mutual information is submodular.
#pragma once

#include "acquire/core/error.hpp"
#include "acquire/core/parallel.hpp"
#include "acquire/core/random.hpp"
#include "acquire/core/selection.hpp"
#include "acquire/core/stack.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace acquire {

/// Options of `batch_bald`.
struct BatchBaldOptions {
    /// Indices already labeled (or otherwise unavailable): never picked. In range, no duplicates.
    std::vector<Index> labeled;
    /// Largest number of joint label configurations K^(n-1) summed exactly (a T x C table of
    /// doubles). Once the next step would need more, the joint entropy is estimated from
    /// `samples` drawn configurations for the rest of the batch. 1 samples from the second pick on.
    Index max_configurations = 4096;
    /// M, the configurations drawn per step in the sampled regime (>= 1).
    Index samples = 1000;
    /// Seed of the configuration draws (acquire::Rng: the same picks on every platform).
    std::uint64_t seed = 0;
    /// Value checks of the stack (see CheckOptions).
    CheckOptions checks;
};

namespace detail {

/// The greedy state: column c of `table` holds prod_i p_t(yhat_c,i | x_i) over the members t,
/// and `weight[c]` its weight in the joint entropy (1 when exact, 1 / (M p(yhat_c)) sampled).
struct JointTable {
    Eigen::MatrixXd table;
    Eigen::VectorXd weight;
};

/// Joint entropies H(y_picked, y_x) for the candidates `rows` (estimated as described above),
/// computed in tiles of candidates so the C x (tile K) product stays near 8 MB.
template <class Scalar>
void joint_entropies(const PredictionStack<Scalar>& s, const JointTable& joint,
                     const std::vector<Index>& rows, std::vector<double>& out) {
    const Index T = s.members(), K = s.cols(), C = joint.table.cols();
    const Index n = static_cast<Index>(rows.size());
    const Index tile = std::max<Index>(1, Index(1 << 20) / (C * K));
    const Index tiles = (n + tile - 1) / tile;
    out.assign(rows.size(), 0.0);
    parallel_for(tiles, 2, [&](Index j) {
        const Index c0 = j * tile, m = std::min(tile, n - c0);
        Eigen::MatrixXd p(T, m * K);  // p(t, a K + y) = p_t(y | candidate a)
        for (Index a = 0; a < m; ++a)
            for (Index t = 0; t < T; ++t)
                for (Index y = 0; y < K; ++y)
                    p(t, a * K + y) = static_cast<double>(s(t, rows[static_cast<std::size_t>(c0 + a)], y));
        // q(c, a K + y) = p(yhat_c, y_a = y) = (1/T) sum_t table(t, c) p_t(y | a). A lazy
        // (coefficient-wise) product: no internal threading, the same sums on any thread count.
        Eigen::MatrixXd q = (joint.table.transpose().lazyProduct(p)) / static_cast<double>(T);
        q.array() = q.array() * q.array().max(std::numeric_limits<double>::min()).log();  // in place: one tile
        const Eigen::RowVectorXd weighted = joint.weight.transpose() * q;
        for (Index a = 0; a < m; ++a)
            out[static_cast<std::size_t>(c0 + a)] = 0.0 - weighted.segment(a * K, K).sum();
    });
}

/// Draws `samples` label configurations of the picks from their joint and returns the table of
/// their per-member likelihoods with importance weights 1 / (M p(yhat_m)).
template <class Scalar>
JointTable sample_joint(const PredictionStack<Scalar>& s, const std::vector<Index>& picks,
                        Index samples, Rng& rng) {
    const Index T = s.members(), K = s.cols();
    JointTable joint{Eigen::MatrixXd::Ones(T, samples), Eigen::VectorXd(samples)};
    std::vector<Index> y(picks.size());
    for (Index m = 0; m < samples; ++m) {
        const auto t = static_cast<Index>(rng.below(static_cast<std::uint64_t>(T)));
        for (std::size_t i = 0; i < picks.size(); ++i) {
            // Inverse CDF in double; falls back to the last class with mass if rounding leaves u
            // above the total.
            const double u = rng.uniform();
            double cdf = 0;
            Index label = -1;
            for (Index k = 0; k < K && label < 0; ++k) {
                const double pk = static_cast<double>(s(t, picks[i], k));
                if (pk > 0) {
                    cdf += pk;
                    if (u < cdf) label = k;
                }
            }
            if (label < 0)
                for (Index k = K - 1; k >= 0 && label < 0; --k)
                    if (s(t, picks[i], k) > 0) label = k;
            // A row without positive mass only gets here with the value checks off: any class
            // keeps the indexing in range (the estimate is then meaningless, as documented).
            y[i] = std::max<Index>(label, 0);
        }
        for (Index tt = 0; tt < T; ++tt) {
            double prod = 1;
            for (std::size_t i = 0; i < picks.size(); ++i)
                prod *= static_cast<double>(s(tt, picks[i], y[i]));
            joint.table(tt, m) = prod;
        }
        // p(yhat_m) > 0: member t gave every drawn label positive probability.
        joint.weight[m] = 1.0 / (static_cast<double>(samples) * joint.table.col(m).mean());
    }
    return joint;
}

}  // namespace detail

/// BatchBALD: b indices in pick order, greedy on the joint mutual information (see the top of
/// this file). `Selection::objective[j]` is I(y_1..y_{j+1}; w) after pick j (exact while the
/// configurations fit, the sampled estimate after). Ties go to the lowest index.
///
/// With b = 1, or while exact, it equals a brute-force evaluation of the greedy criterion; its
/// first pick is the top of bald(). Labeled indices (options.labeled) are never picked.
///
/// Cost per pick: O(N C T K) for C = min(K^(n-1), max_configurations) exact configurations or
/// M samples. Memory: the inputs plus a T x C table, N doubles, and one tile of about 8 MB
/// per worker thread (O(T C + N + threads C K tile)), never an N x C matrix.
///
/// Throws invalid_input for a bad stack (member and row named), b < 0 or larger than the
/// unlabeled pool, bad labeled indices, or max_configurations / samples < 1.
template <class Scalar>
Selection batch_bald(const PredictionStack<Scalar>& s, Index b, const BatchBaldOptions& options = {}) {
    constexpr const char* fn = "batch_bald";
    if (options.max_configurations < 1)
        detail::fail(fn, "options max_configurations must be >= 1, got ", options.max_configurations);
    if (options.samples < 1) detail::fail(fn, "options samples must be >= 1, got ", options.samples);
    const Index N = s.rows(), T = s.members(), K = s.cols();
    auto excluded = detail::index_mask(fn, "labeled", options.labeled, N);
    detail::check_budget(fn, "b", b, N - static_cast<Index>(options.labeled.size()));
    detail::check_stack(fn, s, options.checks);

    // E_w H(y | w) per sample, in double.
    std::vector<double> conditional(static_cast<std::size_t>(N));
    detail::parallel_for(N, 1024, [&](Index i) {
        double h = 0;
        for (Index t = 0; t < T; ++t)
            for (Index k = 0; k < K; ++k) {
                const double p = static_cast<double>(s(t, i, k));
                if (p > 0) h -= p * std::log(p);
            }
        conditional[static_cast<std::size_t>(i)] = h / static_cast<double>(T);
    });

    Selection result;
    detail::JointTable joint{Eigen::MatrixXd::Ones(T, 1), Eigen::VectorXd::Ones(1)};
    bool exact = true;
    double picked_conditional = 0;
    Rng rng(options.seed);
    std::vector<Index> candidates;
    std::vector<double> entropy;
    for (Index step = 0; step < b; ++step) {
        candidates.clear();
        for (Index i = 0; i < N; ++i)
            if (!excluded[static_cast<std::size_t>(i)]) candidates.push_back(i);
        detail::joint_entropies(s, joint, candidates, entropy);
        std::size_t best = 0;
        for (std::size_t j = 1; j < candidates.size(); ++j)
            if (entropy[j] - conditional[static_cast<std::size_t>(candidates[j])] >
                entropy[best] - conditional[static_cast<std::size_t>(candidates[best])])
                best = j;
        const Index pick = candidates[best];
        picked_conditional += conditional[static_cast<std::size_t>(pick)];
        result.indices.push_back(pick);
        result.objective.push_back(entropy[best] - picked_conditional);
        excluded[static_cast<std::size_t>(pick)] = 1;
        if (step + 1 == b) break;

        const Index C = joint.table.cols();
        if (exact && C * K <= options.max_configurations) {
            // Extend every configuration by the new pick's K labels.
            Eigen::MatrixXd next(T, C * K);
            for (Index c = 0; c < C; ++c)
                for (Index y = 0; y < K; ++y)
                    for (Index t = 0; t < T; ++t)
                        next(t, c * K + y) = joint.table(t, c) * static_cast<double>(s(t, pick, y));
            joint.table = std::move(next);
            joint.weight = Eigen::VectorXd::Ones(C * K);
        } else {
            exact = false;
            joint = detail::sample_joint(s, result.indices, options.samples, rng);
        }
    }
    return result;
}

}  // namespace acquire
