/// \file
/// BatchBALD (Kirsch, van Amersfoort & Gal 2019): a jointly most informative batch, picked
/// greedily.
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
//
// How it is computed. Write u_c for a configuration's weight in the entropy (p(c) when exact,
// 1/M sampled) and r_c(y | x) = p(c, y_x = y) / p(c) = sum_t W(c, t) p_t(y | x) with the
// normalised table W(c, t) = prod_i p_t(yhat_c,i | x_i) / (T p(c)) (each row sums to 1). Then
//   H(y_picked, y_x) = H0 + sum_c u_c h(r_c(. | x)),   H0 = -sum_c u_c ln p(c),  h(r) = -sum_y r_y ln r_y,
// so the gain of x is a(x) - a(picks) = sum_c u_c h(r_c(. | x)) - E_w H(y_x | w): the candidate
// term is a conditional entropy of values in [0, 1] (no underflow, whatever n), and H0 is known.
// For a group of candidates, r is one matrix product (C x T) (T x K group), blocked over C and
// done by Eigen's GEMM inside our own parallel loop.
//
// Screen in float, decide in double: every evaluation first computes r and h in float (twice
// the GEMM rate and about four times the log rate of double; r in [0, 1] cannot underflow
// badly since W is normalised); the candidates whose screened gain is within 1e-4 (1 + |best|)
// of the best are then recomputed in double and the pick is made among those. Screening errs
// by under 2e-7 (tests/test_batch_bald.cpp measures it), so the pick and its objective are the
// all-double greedy's.
//
// Lazy greedy (Minoux 1978) with bounds from grouped configurations. Replace a group of
// configurations by its mass-weighted mean row of W: h is concave, so (Jensen) the group's
// term can only grow, and the grouped table bounds every candidate's gain from above at G / C
// of the cost of its exact evaluation. The configurations are grouped by weighted k-means on
// the rows of W (configurations that make the same members likely give close r), nested
// levels of about max(16, T) groups, then twice as many, and so on (a finer level costs more
// per candidate and prunes more; doubling measured best: N = 1e5 in 2.5 s against 4.2 s
// quadrupling). A step (detail::BatchBaldStep, which mpi::batch_bald runs on each rank's rows)
// keeps a max-heap of bounds and refines the top in rounds: a candidate's bound from the next
// level, and past the finest level its screened gain, until no bound can beat the best screened
// gain. While the joint is exact, last step's gains are bounds too (the joint mutual information
// is submodular: a gain never grows as picks are added). Every bound holds for the step's own
// estimator, exact or sampled, so the picks are exactly those of evaluating every candidate,
// for a few exact evaluations per pick.
#pragma once

#include "acquire/core/error.hpp"
#include "acquire/core/parallel.hpp"
#include "acquire/core/random.hpp"
#include "acquire/core/selection.hpp"
#include "acquire/core/stack.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

namespace acquire {

/// \addtogroup batchbald
/// @{

/// Options of `batch_bald`.
struct BatchBaldOptions {
    /// Indices already labeled (or otherwise unavailable): never picked. In range, no duplicates.
    std::vector<Index> labeled;
    /// Largest number of joint label configurations K^(n-1) summed exactly (a C x T table of
    /// doubles). Once the next step would need more, the joint entropy is estimated from
    /// `samples` drawn configurations for the rest of the batch. 1 samples from the second pick on.
    Index max_configurations = 4096;
    /// M, the configurations drawn per step in the sampled regime (>= 1).
    Index samples = 1000;
    /// Seed of the configuration draws (acquire::Rng: the same picks on every platform).
    std::uint64_t seed = 0;
    /// Lazy greedy: evaluate only candidates whose upper bound (from grouped configurations, or
    /// the last gain while exact; see the top of this file) can still beat the best gain. The
    /// same picks as evaluating every candidate, exact or sampled, for a fraction of the cost
    /// (bench_batch_bald: 1 to 10 evaluations per pick instead of N). false evaluates every
    /// unlabeled candidate at every step.
    bool lazy = true;
    /// Value checks of the stack (see CheckOptions).
    CheckOptions checks;
};

/// What batch_bald did, one entry per pick (optional out-parameter).
struct BatchBaldStats {
    /// Candidates whose joint term was computed for the pick (all unlabeled at the first pick;
    /// with lazy greedy usually a handful after it).
    std::vector<Index> evaluated;
    /// Candidates whose upper bound from grouped configurations was computed for the pick, one
    /// count per level of groups (see detail::BatchBaldGroups): each costs G / C of an evaluation.
    std::vector<Index> bounded;
    /// Candidates re-evaluated in double because their screened (float) gain was near the best.
    std::vector<Index> decided;
    /// C, the configurations of the picks before it (K^(n-1) exact, or M sampled).
    std::vector<Index> configurations;
    /// 1 while the joint entropy was exact for the pick, 0 once sampled.
    std::vector<char> exact;
};

/// @}

namespace detail {

/// The greedy state after some picks: `table` is W (C x T, rows summing to 1, a zero row for a
/// configuration of probability 0), `mass` the weights u_c, `log_p` ln p(c) (exact regime) and
/// `base` H0 = -sum_c u_c ln p(c).
struct BatchBaldJoint {
    Eigen::MatrixXd table;
    Eigen::VectorXd mass, log_p;
    double base = 0;
};

/// Candidates per GEMM call: keeps the C x (g K) result block and the T x (g K) probabilities
/// near 2^16 scalars each, with at least one candidate.
inline Index batch_bald_group(Index C, Index T, Index K) {
    const Index by_result = Index(1 << 16) / std::max<Index>(1, std::min<Index>(C, 512) * K);
    const Index by_probabilities = Index(1 << 16) / std::max<Index>(1, T * K);
    return std::max<Index>(1, std::min(by_result, by_probabilities));
}

/// out[j] = sum_c u_c h(r_c(. | rows[j])), for the n candidates `rows`: r and h in Work (float
/// to screen, double to decide), the weighted sums over configurations in double. Groups of
/// batch_bald_group() candidates run in parallel; every candidate's value is computed by one
/// sequence of operations whatever the thread count.
template <class Work, class Scalar>
void batch_bald_terms(const PredictionStack<Scalar>& s, const Matrix<Work>& table, const Eigen::VectorXd& mass,
                      const Index* rows, Index n, double* out) {
    const Index T = s.members(), K = s.cols(), C = table.rows();
    const Index g = batch_bald_group(C, T, K), groups = (n + g - 1) / g;
    const Index block = std::min<Index>(C, 512);
    parallel_for(groups, 2, [&](Index j) {
        const Index a0 = j * g, m = std::min(g, n - a0);
        Matrix<Work> p(T, m * K);  // p(t, a K + y) = p_t(y | candidate a)
        for (Index a = 0; a < m; ++a)
            for (Index t = 0; t < T; ++t)
                for (Index y = 0; y < K; ++y) p(t, a * K + y) = static_cast<Work>(s(t, rows[a0 + a], y));
        Matrix<Work> r(block, m * K);
        Eigen::MatrixXd r_double(std::is_same<Work, double>::value ? 0 : block, m * K);
        Eigen::RowVectorXd sum = Eigen::RowVectorXd::Zero(m * K);
        for (Index c0 = 0; c0 < C; c0 += block) {
            const Index rows_c = std::min(block, C - c0);
            auto rb = r.topRows(rows_c);
            rb.noalias() = table.middleRows(c0, rows_c) * p;
            // r ln r, with ln clamped so that r = 0 gives 0 (never 0 * -inf).
            rb.array() = rb.array() * rb.array().max(std::numeric_limits<Work>::min()).log();
            // The weighted sum over configurations in double, whatever Work is.
            if constexpr (std::is_same<Work, double>::value) {
                sum.noalias() += mass.segment(c0, rows_c).transpose() * rb;
            } else {
                r_double.topRows(rows_c) = rb.template cast<double>();
                sum.noalias() += mass.segment(c0, rows_c).transpose() * r_double.topRows(rows_c);
            }
        }
        for (Index a = 0; a < m; ++a) out[a0 + a] = 0.0 - sum.segment(a * K, K).sum();
    });
}

/// A coarser joint table for upper bounds: the configurations split into G groups, each
/// replaced by its mass-weighted mean row. h is concave, so by Jensen
///   sum_{c in g} u_c h(r_c(. | x)) <= U_g h(rbar_g(. | x)),  U_g = sum_{c in g} u_c,
///   rbar_g = sum_{c in g} u_c r_c / U_g = (sum_{c in g} u_c W(c, .) / U_g) P_x,
/// and batch_bald_terms() on (table, mass) gives an upper bound on a candidate's joint term for
/// G / C of its cost, in either regime (any weights, any partition). Close configurations in a
/// group make it tight.
struct BatchBaldGroups {
    Eigen::MatrixXf table;  ///< G x T, the groups' mean rows of W
    Eigen::VectorXd mass;   ///< U_g
};

/// Weighted k-means (Lloyd) of the rows order[b, e) of W into at most k groups; sorts that range
/// by group (stably) and appends the ends of the groups after the first to `ends`. Seeds are
/// the heaviest row, then repeatedly the row of largest u_c d_c^2 (d_c: distance to the nearest
/// seed), ties to the earlier row: no randomness, the same groups on any thread count.
inline void batch_bald_split(const RowMatrix<float>& W, const Eigen::VectorXd& u, std::vector<Index>& order, Index b,
                             Index e, Index k, std::vector<Index>& ends) {
    const Index n = e - b, T = W.cols();
    if (n <= 1 || k <= 1) {
        ends.push_back(e);
        return;
    }
    Eigen::MatrixXf X(n, T);
    Eigen::VectorXf w(n);
    for (Index j = 0; j < n; ++j) {
        X.row(j) = W.row(order[std::size_t(b + j)]);
        w[j] = static_cast<float>(u[order[std::size_t(b + j)]]);
    }
    const Eigen::VectorXf x2 = X.rowwise().squaredNorm();
    std::vector<Index> assign(static_cast<std::size_t>(n), 0);
    Eigen::MatrixXf centers(k, T);
    Index g = 0;
    {
        Index first = 0;
        w.maxCoeff(&first);
        centers.row(g++) = X.row(first);
        Eigen::VectorXf d = (x2.array() - 2 * (X * centers.row(0).transpose()).array() + centers.row(0).squaredNorm()).max(0.f);
        while (g < k) {
            Index next = 0;
            if (!((d.array() * w.array()).maxCoeff(&next) > 0)) break;  // every row sits on a seed
            centers.row(g) = X.row(next);
            const Eigen::VectorXf dn =
                (x2.array() - 2 * (X * centers.row(g).transpose()).array() + centers.row(g).squaredNorm()).max(0.f);
            d = d.cwiseMin(dn);
            ++g;
        }
    }
    if (g == 1) {
        ends.push_back(e);
        return;
    }
    const auto nearest = [&] {
        const Eigen::MatrixXf D = X * centers.topRows(g).transpose();  // n x g
        const Eigen::VectorXf c2 = centers.topRows(g).rowwise().squaredNorm();
        for (Index j = 0; j < n; ++j) {
            Index a = 0;
            float best = c2[0] - 2 * D(j, 0);
            for (Index c = 1; c < g; ++c) {
                const float v = c2[c] - 2 * D(j, c);
                if (v < best) best = v, a = c;
            }
            assign[std::size_t(j)] = a;
        }
    };
    nearest();
    for (int iteration = 0; iteration < 2; ++iteration) {
        Eigen::MatrixXf sum = Eigen::MatrixXf::Zero(g, T);
        Eigen::VectorXf mass = Eigen::VectorXf::Zero(g);
        for (Index j = 0; j < n; ++j) {
            sum.row(assign[std::size_t(j)]) += w[j] * X.row(j);
            mass[assign[std::size_t(j)]] += w[j];
        }
        for (Index c = 0; c < g; ++c)
            if (mass[c] > 0) centers.row(c) = sum.row(c) / mass[c];
        nearest();
    }
    std::vector<Index> sorted(static_cast<std::size_t>(n)), count(static_cast<std::size_t>(g) + 1, 0);
    for (Index a : assign) ++count[std::size_t(a) + 1];
    for (Index c = 0; c < g; ++c) count[std::size_t(c) + 1] += count[std::size_t(c)];
    for (Index c = 0; c < g; ++c)
        if (count[std::size_t(c) + 1] > count[std::size_t(c)]) ends.push_back(b + count[std::size_t(c) + 1]);
    for (Index j = 0; j < n; ++j) sorted[std::size_t(count[std::size_t(assign[std::size_t(j)])]++)] = order[std::size_t(b + j)];
    std::copy(sorted.begin(), sorted.end(), order.begin() + b);
}

/// Nested groupings of the configurations of positive mass, coarse to fine, each level about
/// twice as many groups as the one before (1, 2, 4, ...), the new groups shared among the
/// old ones in proportion to their spread sum_c u_c |W(c, .) - mean|^2 (splitting evenly would
/// leave one wide group holding most of the mass as wide), at most 8 per group and level (a k-way
/// split costs k times the group's rows). Levels of at least max(16, T) groups
/// are returned (coarser ones prune too little to pay: configurations gather near the T members,
/// measured T = 8, 20, 50) while they keep 4 configurations per group on average: empty when the
/// table is too small for bounds to pay (evaluate exactly instead).
inline std::vector<BatchBaldGroups> batch_bald_levels(const Eigen::MatrixXd& table, const Eigen::MatrixXf& table_float,
                                                      const Eigen::VectorXd& mass) {
    std::vector<BatchBaldGroups> levels;
    std::vector<Index> order;
    for (Index c = 0; c < table.rows(); ++c)
        if (mass[c] > 0) order.push_back(c);
    const Index C = static_cast<Index>(order.size()), T = table.cols();
    // Rows of W side by side, read once per level: the grouping never walks a column-major row.
    // Float is enough: a group's mean off by float rounding moves its bound by as little, far
    // inside the screening slack.
    const RowMatrix<float> W = table_float;
    std::vector<Index> ends{C};
    std::vector<double> spread{1.0};
    while (4 * 2 * static_cast<Index>(ends.size()) <= C) {
        const Index target = 2 * static_cast<Index>(ends.size());
        double total = 0;
        for (double v : spread) total += v;
        if (!(total > 0)) break;  // every group is one point repeated: nothing left to split
        std::vector<Index> finer;
        Index b = 0;
        for (std::size_t g = 0; g < ends.size(); ++g) {
            const double share = static_cast<double>(target) * spread[g] / total;
            const Index k = std::min<Index>({ends[g] - b, Index(8), std::max<Index>(1, static_cast<Index>(share + 0.5))});
            batch_bald_split(W, mass, order, b, ends[g], k, finer);
            b = ends[g];
        }
        const bool progress = finer.size() > ends.size();
        ends.swap(finer);
        const Index G = static_cast<Index>(ends.size());
        BatchBaldGroups level;
        level.table.resize(G, T);
        level.mass.resize(G);
        spread.assign(static_cast<std::size_t>(G), 0.0);
        b = 0;
        for (Index g = 0; g < G; ++g) {
            const Index e = ends[std::size_t(g)];
            Eigen::RowVectorXd row = Eigen::RowVectorXd::Zero(T);
            double U = 0;
            for (Index j = b; j < e; ++j) {
                row += mass[order[std::size_t(j)]] * W.row(order[std::size_t(j)]).cast<double>();
                U += mass[order[std::size_t(j)]];
            }
            row /= U;
            for (Index j = b; j < e; ++j)
                spread[std::size_t(g)] +=
                    mass[order[std::size_t(j)]] * (W.row(order[std::size_t(j)]).cast<double>() - row).squaredNorm();
            level.table.row(g) = row.cast<float>();
            level.mass[g] = U;
            b = e;
        }
        if (!progress || G == C) break;  // no cheaper than the level before, or than the table
        if (G >= std::max<Index>(16, T)) levels.push_back(std::move(level));
    }
    return levels;
}

/// The state before the first pick: one empty configuration of probability 1.
inline BatchBaldJoint batch_bald_start(Index T) {
    BatchBaldJoint joint;
    joint.table = Eigen::MatrixXd::Constant(1, T, 1.0 / static_cast<double>(T));
    joint.mass = Eigen::VectorXd::Ones(1);
    joint.log_p = Eigen::VectorXd::Zero(1);
    return joint;
}

/// Extends every exact configuration by the K labels of `pick`: row c K + y of the new table is
/// row c times p_t(y | pick), renormalised by r_c(y | pick).
template <class Scalar>
BatchBaldJoint batch_bald_extend(const PredictionStack<Scalar>& s, const BatchBaldJoint& joint, Index pick) {
    const Index T = s.members(), K = s.cols(), C = joint.table.rows();
    Eigen::MatrixXd p(T, K);
    for (Index t = 0; t < T; ++t)
        for (Index y = 0; y < K; ++y) p(t, y) = static_cast<double>(s(t, pick, y));
    const Eigen::MatrixXd r = joint.table * p;  // C x K
    BatchBaldJoint next;
    next.table.resize(C * K, T);
    next.mass.resize(C * K);
    next.log_p.resize(C * K);
    for (Index c = 0; c < C; ++c)
        for (Index y = 0; y < K; ++y) {
            const Index row = c * K + y;
            const double rc = r(c, y);
            if (rc > 0 && joint.mass[c] > 0) {
                for (Index t = 0; t < T; ++t) next.table(row, t) = joint.table(c, t) * p(t, y) / rc;
                next.log_p[row] = joint.log_p[c] + std::log(rc);
                next.mass[row] = std::exp(next.log_p[row]);
            } else {
                next.table.row(row).setZero();
                next.log_p[row] = 0;
                next.mass[row] = 0;
            }
        }
    next.base = 0;
    for (Index c = 0; c < C * K; ++c) next.base -= next.mass[c] * next.log_p[c];
    return next;
}

/// Draws `samples` label configurations of the picks from their joint: table rows are the
/// normalised per-member likelihoods, u = 1/M, H0 = -(1/M) sum_m ln p(yhat_m).
template <class Scalar>
BatchBaldJoint batch_bald_sample(const PredictionStack<Scalar>& s, const std::vector<Index>& picks, Index samples,
                                 Rng& rng) {
    const Index T = s.members(), K = s.cols();
    BatchBaldJoint joint;
    joint.table.resize(samples, T);
    joint.mass = Eigen::VectorXd::Constant(samples, 1.0 / static_cast<double>(samples));
    joint.log_p.resize(samples);
    std::vector<Index> y(picks.size());
    Eigen::VectorXd like(T);
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
            for (std::size_t i = 0; i < picks.size(); ++i) prod *= static_cast<double>(s(tt, picks[i], y[i]));
            like[tt] = prod;
        }
        double total = like.sum();
        double log_scale = 0;
        if (!(total >= std::numeric_limits<double>::min() * static_cast<double>(T))) {
            // The products underflowed (or are 0): redo them as logs, scaled by the largest.
            for (Index tt = 0; tt < T; ++tt) {
                double l = 0;
                for (std::size_t i = 0; i < picks.size(); ++i) {
                    const double pk = static_cast<double>(s(tt, picks[i], y[i]));
                    l += pk > 0 ? std::log(pk) : -std::numeric_limits<double>::infinity();
                }
                like[tt] = l;
            }
            log_scale = like.maxCoeff();
            if (std::isfinite(log_scale)) {
                for (Index tt = 0; tt < T; ++tt) like[tt] = std::exp(like[tt] - log_scale);
                total = like.sum();
            } else {
                total = 0;  // only with the value checks off: no member gave the draw mass
            }
        }
        if (total > 0 && std::isfinite(total)) {
            joint.table.row(m) = like.transpose() / total;
            joint.log_p[m] = log_scale + std::log(total / static_cast<double>(T));
        } else {
            joint.table.row(m).setZero();
            joint.log_p[m] = 0;
            joint.mass[m] = 0;
        }
    }
    joint.base = 0;
    for (Index m = 0; m < samples; ++m) joint.base -= joint.mass[m] * joint.log_p[m];
    return joint;
}

/// The lazy-greedy step of BatchBALD over one set of candidate rows: batch_bald's whole pool,
/// or one rank's shard in mpi::batch_bald (where the best screened gain found so far is agreed
/// across ranks between rounds: `any_known` / `known` below; a single process passes false and
/// -inf). One object lives for the whole batch, since last step's gains bound this step's. Per
/// pick:
///   start();  while (pending()) round();  near(best);  [the near rows' gains in double];  finish().
/// start() screens every candidate (first step, or no lazy greedy) or readies the max-heap of
/// bounds: last step's gains while the joint is exact (submodularity), else +inf, refined at
/// once to the coarsest level of groups at a sampled step (drawn configurations are a new
/// estimator: no bound carries over). round() pops the top bounds, at most C table rows' worth,
/// and refines each by one level: from level l to the bound from groups levels[l], past the
/// finest level to its screened gain. Rounds of a fixed cost in table rows (never
/// thread-dependent) give the same picks on any thread count; a bound within the screening slack
/// of the best screened gain is still refined, so neither rounding nor screening can hide a
/// winner. Every bound holds for the step's own estimator, exact or sampled: the candidates left
/// in the heap cannot win, and near() lists every one that can.
///
/// Candidates are rows 0..n-1 of `s`; `excluded` (n entries) marks those never to evaluate (the
/// labeled rows; each pick is added by finish()). `s` may be null when n = 0 (a rank holding no
/// row). A NaN gain (only with the value checks off) becomes -inf so the heap order stays
/// strict; a NaN bound stays NaN, and min() then keeps the bound the candidate had.
template <class Scalar>
class BatchBaldStep {
public:
    /// A candidate's bound on (or, fresh, its screened) gain. `level` says how the bound was
    /// made this step: 0 carried over (last step's gain or bound, or +inf), l >= 1 from the
    /// groups levels[l - 1].
    struct Bound {
        double gain;
        Index i;
        std::size_t level;
    };

    BatchBaldStep(const PredictionStack<Scalar>* s, Index n, std::vector<char> excluded)
        : s_(s), n_(n), excluded_(std::move(excluded)), conditional_(static_cast<std::size_t>(n)),
          correction_step_(static_cast<std::size_t>(n), -1), correction_value_(static_cast<std::size_t>(n)) {
        if (n_ > 0) {
            const Index T = s_->members(), K = s_->cols();
            parallel_for(n_, 1024, [&](Index i) { conditional_[static_cast<std::size_t>(i)] = conditional(*s_, i, T, K); });
        }
    }

    /// E_w H(y | w) of row i of `s`: (1/T) sum_t H(P_t(x_i)), in double.
    static double conditional(const PredictionStack<Scalar>& s, Index i, Index T, Index K) {
        double h = 0;
        for (Index t = 0; t < T; ++t)
            for (Index k = 0; k < K; ++k) {
                const double p = static_cast<double>(s(t, i, k));
                if (p > 0) h -= p * std::log(p);
            }
        return h / static_cast<double>(T);
    }

    /// What turns row i's joint term sum_c u_c h(r_c) into its gain: H(y_picked, y_x) - H0 =
    /// sum_c u_c h(r_c) + sum_c v_c (sum_y r_cy - 1), v_c = -u_c ln p(c), so the gain adds
    ///   sum_t z_t (sum_y p_t(y | x_i) - 1) - E_w H(y_i | w),   z_t = sum_c v_c W(c, t).
    /// The first term is 0 for rows summing to 1; kept so that rows off by the checks' tolerance
    /// (or float rounding) give the plain formula's value. It is linear in r, so the groups'
    /// bounds carry it unchanged. `row_sums` is scratch of T doubles: the T row sums side by
    /// side, T independent chains of additions, not one.
    static double correction(const PredictionStack<Scalar>& s, Index i, const Eigen::VectorXd& z, double cond,
                             Eigen::VectorXd& row_sums) {
        const Index T = s.members(), K = s.cols();
        row_sums.setConstant(T, -1.0);
        for (Index y = 0; y < K; ++y)
            for (Index t = 0; t < T; ++t) row_sums[t] += static_cast<double>(s(t, i, y));
        double c = 0;
        for (Index t = 0; t < T; ++t) c += z[t] * row_sums[t];
        return c - cond;
    }

    /// The screening slack: a screened gain below threshold(best) cannot win. Screened gains are
    /// within about 1e-6 of the precise ones (r, h in [0, 1] and [0, ln K], float rounding,
    /// double sums; the tests measure it); the slack 1e-4 (1 + |best|) is far above that, so
    /// every candidate that can win in double is re-evaluated in double, and the pick (with its
    /// objective) is exactly the all-double greedy pick. Bounds from groups err as little, so a
    /// bound below it is below the best's precise gain too.
    static double threshold(double best) { return std::isfinite(best) ? best - 1e-4 * (1 + std::abs(best)) : best; }

    /// Precise gains within 1e-12 (relative) of the best are ties, won by the lowest index:
    /// copies of a sample have equal gains, whichever rounding the blocked product gave each.
    static double tie_floor(double best) { return std::isfinite(best) ? best - 1e-12 * (1 + std::abs(best)) : best; }

    /// The position of the pick among the near rows' precise gains (NaN already -inf, in
    /// ascending row order): the first within tie_floor of the largest.
    static std::size_t pick(const std::vector<double>& precise) {
        const double floor = tie_floor(*std::max_element(precise.begin(), precise.end()));
        std::size_t j = 0;
        while (!(precise[j] >= floor)) ++j;
        return j;
    }

    /// Starts step `step` on `joint` (kept by pointer until finish()): every candidate screened
    /// (first step, or no lazy greedy), or the heap readied with last step's gains (exact) or
    /// the coarsest bounds (sampled).
    void start(Index step, bool lazy, bool exact, const BatchBaldJoint& joint) {
        step_ = step;
        joint_ = &joint;
        z_ = joint.table.transpose() * (joint.mass.array() * joint.log_p.array()).matrix() * -1.0;
        table_float_ = joint.table.cast<float>();
        evaluated_ = bounded_ = 0;
        best_ = -std::numeric_limits<double>::infinity();
        fresh_.clear();
        levels_.clear();
        if (step == 0 || !lazy) {
            rows_.clear();
            for (Index i = 0; i < n_; ++i)
                if (!excluded_[static_cast<std::size_t>(i)]) rows_.push_back(i);
            evaluate(rows_, table_float_, joint.mass, true);
            evaluated_ = static_cast<Index>(rows_.size());
            for (std::size_t j = 0; j < rows_.size(); ++j) {
                best_ = std::max(best_, terms_[j]);
                fresh_.push_back({terms_[j], rows_[j], 0});
            }
            return;
        }
        levels_ = batch_bald_levels(joint.table, table_float_, joint.mass);
        for (Bound& e : heap_) {
            if (!exact) e.gain = std::numeric_limits<double>::infinity();
            e.level = 0;
        }
        if (!exact && !levels_.empty() && !heap_.empty()) {
            // No bound yet: every candidate needs the coarsest one, in one call, in row order
            // (the stack is read front to back).
            std::sort(heap_.begin(), heap_.end(), [](const Bound& x, const Bound& y) { return x.i < y.i; });
            rows_.clear();
            for (const Bound& e : heap_) rows_.push_back(e.i);
            evaluate(rows_, levels_[0].table, levels_[0].mass, false);
            bounded_ += static_cast<Index>(rows_.size());
            for (std::size_t j = 0; j < heap_.size(); ++j) heap_[j] = {std::min(heap_[j].gain, terms_[j]), heap_[j].i, 1};
        }
        std::make_heap(heap_.begin(), heap_.end(), lower);
    }

    /// Whether a bound here can still beat the best screened gain known: the larger of `known`
    /// (valid if `any_known`: another rank's best) and this object's own.
    bool pending(bool any_known, double known) const {
        return !heap_.empty() && (!(any_known || !fresh_.empty()) || heap_.front().gain >= threshold(std::max(known, best_)));
    }

    /// One round of refinement: pops the top bounds while they can beat the best screened gain
    /// known (see pending()), at most C table rows' worth, and refines each by one level.
    void round(bool any_known, double known) {
        round_.clear();
        Index spent = 0;
        const bool have = any_known || !fresh_.empty();
        const double best = std::max(known, best_);
        const Index C = joint_->table.rows();
        const auto cost = [&](const Bound& e) { return e.level < levels_.size() ? levels_[e.level].table.rows() : C; };
        while (!heap_.empty() && (round_.empty() || spent < C) && (!have || heap_.front().gain >= threshold(best))) {
            round_.push_back(heap_.front());
            spent += cost(heap_.front());
            std::pop_heap(heap_.begin(), heap_.end(), lower);
            heap_.pop_back();
        }
        if (round_.empty()) return;
        // In row order: nearby rows of the stack are read together.
        std::sort(round_.begin(), round_.end(), [](const Bound& x, const Bound& y) { return x.i < y.i; });
        for (std::size_t level = 0; level <= levels_.size(); ++level) {
            rows_.clear();
            for (const Bound& e : round_)
                if (e.level == level) rows_.push_back(e.i);
            if (rows_.empty()) continue;
            if (level < levels_.size()) {
                evaluate(rows_, levels_[level].table, levels_[level].mass, false);
                bounded_ += static_cast<Index>(rows_.size());
                std::size_t j = 0;
                for (const Bound& e : round_)
                    if (e.level == level) {
                        heap_.push_back({std::min(e.gain, terms_[j++]), e.i, level + 1});
                        std::push_heap(heap_.begin(), heap_.end(), lower);
                    }
            } else {
                evaluate(rows_, table_float_, joint_->mass, true);
                evaluated_ += static_cast<Index>(rows_.size());
                for (std::size_t j = 0; j < rows_.size(); ++j) {
                    best_ = std::max(best_, terms_[j]);
                    fresh_.push_back({terms_[j], rows_[j], 0});
                }
            }
        }
    }

    /// The screened candidates within the screening slack of `best` (the best screened gain, of
    /// every rank), ascending: the rows to decide in double.
    const std::vector<Index>& near(double best) {
        std::sort(fresh_.begin(), fresh_.end(), [](const Bound& x, const Bound& y) { return x.i < y.i; });
        near_.clear();
        near_at_.clear();
        for (std::size_t j = 0; j < fresh_.size(); ++j)
            if (fresh_[j].gain >= threshold(best)) near_.push_back(fresh_[j].i), near_at_.push_back(j);
        return near_;
    }

    /// The precise (all double) gains of `rows`, NaN as -inf: one batch_bald_terms call, in the
    /// order given.
    const std::vector<double>& precise(const std::vector<Index>& rows) {
        evaluate(rows, joint_->table, joint_->mass, true);
        return terms_;
    }

    /// Ends the step: the near candidates' gains become their precise ones (`gains`, in the
    /// order near() gave), and the fresh gains but the pick's (`picked`: a row here, or -1) join
    /// the heap as next step's bounds.
    void finish(const double* gains, Index picked, bool lazy) {
        for (std::size_t j = 0; j < near_at_.size(); ++j) fresh_[near_at_[j]].gain = gains[j];
        if (picked >= 0) excluded_[static_cast<std::size_t>(picked)] = 1;
        if (!lazy) return;
        if (step_ == 0) heap_.clear();
        for (const Bound& f : fresh_)
            if (f.i != picked) heap_.push_back(f);
        std::make_heap(heap_.begin(), heap_.end(), lower);
    }

    double best() const { return best_; }  ///< the best screened gain of this step here
    bool any_fresh() const { return !fresh_.empty(); }
    bool any_bound() const { return !heap_.empty(); }
    double top() const { return heap_.empty() ? -std::numeric_limits<double>::infinity() : heap_.front().gain; }
    Index evaluated() const { return evaluated_; }  ///< screened gains computed this step
    Index bounded() const { return bounded_; }      ///< bounds from groups computed this step
    double conditional(Index i) const { return conditional_[static_cast<std::size_t>(i)]; }  ///< E_w H(y_i | w)
    const Eigen::VectorXd& z() const { return z_; }  ///< this step's z (see correction())

private:
    /// The heap order: by gain, ties to the lowest row on top.
    static bool lower(const Bound& x, const Bound& y) { return x.gain < y.gain || (x.gain == y.gain && x.i > y.i); }

    /// Gains (`gains`: NaN -> -inf), or bounds from a grouped table, of `rows` into terms_: the
    /// joint terms on (table, mass) in Work (float screens, double decides) plus each row's
    /// correction, computed once per row and step (every level of bounds reuses it).
    template <class Work>
    void evaluate(const std::vector<Index>& rows, const Matrix<Work>& table, const Eigen::VectorXd& mass, bool gains) {
        terms_.resize(rows.size());
        if (rows.empty()) return;
        batch_bald_terms<Work>(*s_, table, mass, rows.data(), static_cast<Index>(rows.size()), terms_.data());
        for (std::size_t j = 0; j < rows.size(); ++j) {
            const auto x = static_cast<std::size_t>(rows[j]);
            if (correction_step_[x] != step_) {
                correction_step_[x] = step_;
                correction_value_[x] = correction(*s_, rows[j], z_, conditional_[x], row_sums_);
            }
            terms_[j] += correction_value_[x];
        }
        if (gains)
            for (double& t : terms_)
                if (std::isnan(t)) t = -std::numeric_limits<double>::infinity();
    }

    const PredictionStack<Scalar>* s_;
    Index n_;
    std::vector<char> excluded_;
    std::vector<double> conditional_;
    std::vector<Index> correction_step_;  ///< the step correction_value_ was computed for
    std::vector<double> correction_value_;
    Eigen::VectorXd row_sums_;
    Index step_ = 0, evaluated_ = 0, bounded_ = 0;
    const BatchBaldJoint* joint_ = nullptr;
    Eigen::VectorXd z_;  ///< z_t = -sum_c u_c ln p(c) W(c, t), see correction()
    Eigen::MatrixXf table_float_;  ///< W in float, to screen
    double best_ = -std::numeric_limits<double>::infinity();
    std::vector<BatchBaldGroups> levels_;
    std::vector<Bound> heap_, fresh_, round_;
    std::vector<Index> rows_, near_;
    std::vector<std::size_t> near_at_;
    std::vector<double> terms_;
};

}  // namespace detail

/// \addtogroup batchbald
/// @{

/// BatchBALD: b indices in pick order, greedy on the joint mutual information (see the top of
/// this file). `Selection::objective[j]` is I(y_1..y_{j+1}; w) after pick j (exact while the
/// configurations fit, the sampled estimate after). Ties go to the lowest index.
///
/// With b = 1, or while exact, it equals a brute-force evaluation of the greedy criterion; its
/// first pick is the top of bald(). Labeled indices (options.labeled) are never picked.
/// `stats`, if given, receives the evaluated-candidate count and configurations of every pick.
///
/// Cost per pick: O(E C T K) for E evaluated candidates (all of them without lazy greedy) and
/// C = min(K^(n-1), max_configurations) exact configurations or M samples; C K logarithms per
/// candidate and the (C x T)(T x K) product are the whole cost. Lazy greedy adds O(B G T K) for
/// B bounds from G groups (every unlabeled candidate is bounded from the coarsest level at a
/// sampled step) and O(8 C T) per level to group the configurations. Memory: the inputs plus at
/// most C x T doubles for the table, C x T floats for its screening copy and twice as many for the
/// grouping, C/K x T doubles for the previous table while extending, about 70 bytes per pool
/// row, and per worker thread a group's buffers of at most 2^16 floats of probabilities, 2^16
/// floats and 2^16 doubles of products (about 1 MB): O(T C + N + threads 2^16), never an N x C
/// matrix.
///
/// Throws invalid_input for a bad stack (member and row named), b < 0 or larger than the
/// unlabeled pool, bad labeled indices, or max_configurations / samples < 1.
template <class Scalar>
Selection batch_bald(const PredictionStack<Scalar>& s, Index b, const BatchBaldOptions& options,
                     BatchBaldStats* stats) {
    constexpr const char* fn = "batch_bald";
    if (options.max_configurations < 1)
        detail::fail(fn, "options max_configurations must be >= 1, got ", options.max_configurations);
    if (options.samples < 1) detail::fail(fn, "options samples must be >= 1, got ", options.samples);
    const Index N = s.rows(), T = s.members(), K = s.cols();
    auto excluded = detail::index_mask(fn, "labeled", options.labeled, N);
    detail::check_budget(fn, "b", b, N - static_cast<Index>(options.labeled.size()));
    detail::check_stack(fn, s, options.checks);
    if (stats) *stats = BatchBaldStats{};

    Selection result;
    detail::BatchBaldJoint joint = detail::batch_bald_start(T);
    bool exact = true;
    double picked_conditional = 0;
    Rng rng(options.seed);
    // The whole pool is the one set of candidates: no other best screened gain to know of.
    detail::BatchBaldStep<Scalar> greedy(&s, N, std::move(excluded));
    const double none = -std::numeric_limits<double>::infinity();

    for (Index step = 0; step < b; ++step) {
        greedy.start(step, options.lazy, exact, joint);
        while (greedy.pending(false, none)) greedy.round(false, none);
        // Decide in double among the screened candidates near the best.
        const std::vector<Index>& near = greedy.near(greedy.best());
        const std::vector<double>& precise = greedy.precise(near);
        const std::size_t at = detail::BatchBaldStep<Scalar>::pick(precise);
        const Index pick = near[at];
        const double pick_gain = precise[at];
        greedy.finish(precise.data(), pick, options.lazy);
        if (stats) {
            stats->evaluated.push_back(greedy.evaluated());
            stats->bounded.push_back(greedy.bounded());
            stats->decided.push_back(static_cast<Index>(near.size()));
            stats->configurations.push_back(joint.table.rows());
            stats->exact.push_back(exact ? 1 : 0);
        }
        picked_conditional += greedy.conditional(pick);
        result.indices.push_back(pick);
        result.objective.push_back(joint.base + (pick_gain + greedy.conditional(pick)) - picked_conditional);
        if (step + 1 == b) break;

        const Index C = joint.table.rows();
        if (exact && C * K <= options.max_configurations) {
            joint = detail::batch_bald_extend(s, joint, pick);
        } else {
            exact = false;
            joint = detail::batch_bald_sample(s, result.indices, options.samples, rng);
        }
    }
    return result;
}

/// batch_bald without statistics.
template <class Scalar>
Selection batch_bald(const PredictionStack<Scalar>& s, Index b, const BatchBaldOptions& options = {}) {
    return batch_bald(s, b, options, static_cast<BatchBaldStats*>(nullptr));
}

/// @}

}  // namespace acquire
