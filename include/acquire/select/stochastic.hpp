/// \file
/// Stochastic batch acquisition (Kirsch et al. 2023): a batch drawn with probabilities that grow
/// with the score.
// Stochastic batch acquisition (Kirsch, Farquhar, Atighehchian, Jesson, Branchaud-Charron & Gal
// 2023, "Stochastic Batch Acquisition: A Simple Baseline for Deep Active Learning", TMLR):
// instead of the b highest scores, draw b samples without replacement with probabilities that
// grow with the score. Top-k of a single-point score picks near-duplicates; sampling spreads the
// batch at the cost of one pass over the scores.
#pragma once

#include "acquire/core/error.hpp"
#include "acquire/core/random.hpp"
#include "acquire/core/top_k.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace acquire {

/// \addtogroup score_selectors
/// @{

/// How a score becomes a sampling weight (Kirsch et al. 2023, section 3).
enum class StochasticMode {
    /// p_i proportional to s_i^beta. Needs s_i >= 0 (the paper's choice for BALD, entropy and
    /// other non-negative scores).
    power,
    /// p_i proportional to exp(beta s_i). Any finite score.
    softmax,
    /// p_i proportional to rank_i^-beta, rank 1 = highest score; equal scores share their mean
    /// rank (three scores tied for ranks 2-4 each get rank 3), so tied rows are equally likely.
    /// Any finite score; only the order of the scores matters.
    soft_rank,
};

/// Options of `stochastic_batch`.
struct StochasticOptions {
    /// Which distribution the batch is drawn from (default power: p_i proportional to s_i^beta).
    StochasticMode mode = StochasticMode::power;
    /// Coldness, in [0, +inf]. 0 draws uniformly (the random baseline); larger values
    /// concentrate on the highest scores; +inf is exactly top_k (ties by lowest index).
    double beta = 1.0;
    /// Rows never drawn (already labeled).
    std::vector<Index> labeled;
    /// Seed of the Gumbel noise (acquire::Rng: the same draw everywhere).
    std::uint64_t seed = 0;
    /// checks.values: reject Inf scores. NaN and, for power, negative scores are always
    /// rejected; with the check off, +Inf scores are drawn first (ties by lowest index) and
    /// an Inf under softmax with beta = 0 throws.
    CheckOptions checks;
};

/// @}

namespace detail {

/// Standard Gumbel noise -ln(-ln u) for u uniform in (0, 1) from 64 random bits: the 53-bit
/// uniform shifted by half a step, so u is never 0 or 1 and the noise is always finite.
inline double gumbel(std::uint64_t bits) {
    const double u = (static_cast<double>(bits >> 11) + 0.5) * 0x1.0p-53;
    return -std::log(-std::log(u));
}

}  // namespace detail

/// \addtogroup score_selectors
/// @{

/// Stochastic batch acquisition (Kirsch et al. 2023): b distinct unlabeled rows drawn without
/// replacement, each draw picking row i with probability proportional to its weight w_i among the
/// rows not drawn yet, where
///
///   power:     w_i = s_i^beta             (s_i >= 0)
///   softmax:   w_i = exp(beta s_i)
///   soft_rank: w_i = rank_i^-beta         (rank 1 = highest score; tied scores share their mean
///                                          rank, the fractional ranking: tied rows are equally
///                                          likely, as Kirsch et al.'s rank of a score implies)
///
/// Higher score = more likely drawn. Returned in draw order (the first is the first draw).
///
/// Drawn with the Gumbel-top-k trick (Kool, van Hoof & Welling 2019): row i gets the key
/// ln w_i + G_i, G_i standard Gumbel noise, and the b largest keys are exactly a sequential
/// sample without replacement. Everything stays in log space, so softmax never overflows and
/// power needs no normalisation. G_i is the i-th draw of Rng(seed) whatever `labeled` holds, so
/// labeling a row never changes the noise of the others. beta = 0 is uniform sampling; beta =
/// +inf returns top_k(scores, b, labeled).
///
/// Power with s_i = 0 gives w_i = 0: such rows are never drawn while an unlabeled row with a
/// positive score remains; once those are exhausted, the rest of the batch is drawn uniformly
/// from the zero-score rows (the limit of a tiny equal weight on each). 0^0 counts as 1 when
/// beta = 0 (uniform).
///
/// O(N) time (one Rng draw and one log per row, plus a sort for soft_rank) and O(N) memory.
///
/// Throws invalid_input when `scores` is not a vector, holds a NaN or Inf (or, for power, a
/// negative value), beta is NaN or negative, `labeled` has an index out of range or a duplicate,
/// or b is negative or larger than the number of unlabeled rows.
template <class Derived>
std::vector<Index> stochastic_batch(const Eigen::MatrixBase<Derived>& scores, Index b,
                                    const StochasticOptions& options = {}) {
    constexpr const char* fn = "stochastic_batch";
    detail::check_vector(fn, "scores", scores);
    const Index n = scores.size();
    if (!(options.beta >= 0)) detail::fail(fn, "options beta must be >= 0 (or +inf), got ", options.beta);
    detail::check_tolerance(fn, options.checks);
    const auto labeled = detail::index_mask(fn, "options labeled", options.labeled, n);
    detail::check_budget(fn, "b", b, n - static_cast<Index>(options.labeled.size()));
    std::vector<double> s(static_cast<std::size_t>(n));
    detail::as_column(scores, [&](const auto& v) {
        for (Index i = 0; i < n; ++i) s[static_cast<std::size_t>(i)] = static_cast<double>(v.coeff(i));
    });
    for (Index i = 0; i < n; ++i) {
        const double v = s[static_cast<std::size_t>(i)];
        if (std::isnan(v) || (options.checks.values && std::isinf(v)))
            detail::fail(fn, "scores entry ", i, " is ", v, " (must be finite)");
        if (options.mode == StochasticMode::power && v < 0)
            detail::fail(fn, "scores entry ", i, " is ", v, " (power sampling needs scores >= 0)");
    }
    if (std::isinf(options.beta)) return top_k(scores, b, options.labeled);
    if (b == 0) return {};

    // Log-weights; -inf marks a zero weight (power with s_i = 0).
    std::vector<double> log_w(static_cast<std::size_t>(n));
    const double beta = options.beta;
    switch (options.mode) {
        case StochasticMode::power:
            for (Index i = 0; i < n; ++i) {
                const double v = s[static_cast<std::size_t>(i)];
                log_w[static_cast<std::size_t>(i)] =
                    beta == 0 ? 0.0 : (v > 0 ? beta * std::log(v) : -std::numeric_limits<double>::infinity());
            }
            break;
        case StochasticMode::softmax:
            for (Index i = 0; i < n; ++i) log_w[static_cast<std::size_t>(i)] = beta * s[static_cast<std::size_t>(i)];
            break;
        case StochasticMode::soft_rank: {
            // Ranks over all rows (labeled included): a row's weight does not depend on which
            // other rows are labeled, as for the other two modes.
            // (score, index) pairs sort with their keys at hand: no indirect loads per compare.
            std::vector<std::pair<double, Index>> order(static_cast<std::size_t>(n));
            for (Index i = 0; i < n; ++i) order[static_cast<std::size_t>(i)] = {s[static_cast<std::size_t>(i)], i};
            std::sort(order.begin(), order.end(), [](const auto& a, const auto& c) {
                return a.first > c.first || (a.first == c.first && a.second < c.second);
            });
            // Equal scores share their mean rank: positions [r, e) hold rank (r + 1 + e) / 2.
            for (Index r = 0; r < n;) {
                Index e = r + 1;
                while (e < n && order[static_cast<std::size_t>(e)].first == order[static_cast<std::size_t>(r)].first) ++e;
                const double lw = -beta * std::log(0.5 * static_cast<double>(r + 1 + e));
                for (; r < e; ++r) log_w[static_cast<std::size_t>(order[static_cast<std::size_t>(r)].second)] = lw;
            }
            break;
        }
    }
    // Gumbel keys; zero-weight rows keep their bare noise for the uniform fill-in.
    Rng rng(options.seed);
    TopK<double> positive(b), zero(b);
    for (Index i = 0; i < n; ++i) {
        const std::uint64_t bits = rng.next();  // drawn for labeled rows too: fixed per row
        if (labeled[static_cast<std::size_t>(i)]) continue;
        const double g = detail::gumbel(bits);
        const double lw = log_w[static_cast<std::size_t>(i)];
        // Only an Inf score let through with checks.values off reaches +inf or NaN here.
        if (std::isnan(lw)) detail::fail(fn, "scores entry ", i, " gives no weight (an Inf score with beta = 0?)");
        if (lw == -std::numeric_limits<double>::infinity()) zero.push(i, g);
        else positive.push(i, lw + g);
    }
    auto out = positive.indices();
    for (const Index i : zero.indices()) {
        if (static_cast<Index>(out.size()) == b) break;
        out.push_back(i);
    }
    return out;
}

/// @}

}  // namespace acquire
