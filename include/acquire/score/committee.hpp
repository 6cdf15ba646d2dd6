/// \file
/// Committee scorers on a stack of T predictions: vote entropy, consensus entropy, KL disagreement
/// and variation ratio.
// Committee scorers on a stack of T predictions (an ensemble of T models, T MC-dropout passes,
// T weight samples): vote entropy, consensus entropy, KL disagreement (mean and max), and the
// variation ratio. Query-by-committee: Seung, Opper & Sompolinsky 1992; the scorers follow
// McCallum & Nigam 1998, Settles 2009 (section 3.2) and Beluch et al. 2018.
//
// Input: an acquire::PredictionStack (any layout, read in place). Output: an N-vector of the
// stack's Scalar, higher = query first, natural log. Every scorer reads the stack once, in
// blocks of rows packed to [T][b][K] so the logs vectorise whatever the layout; O(N) output
// plus O(T K) scratch per thread. Rows run in parallel under OpenMP with results identical on
// any thread count. Value checks (finite, rows are distributions, per member) run on each packed
// block in the same pass, while it is in cache, unless `checks.values` is false.
#pragma once

#include "acquire/core/error.hpp"
#include "acquire/core/stack.hpp"

#include <cmath>
#include <limits>
#include <vector>

namespace acquire {
namespace detail {

template <class Scalar>
using PackedBlock =
    Eigen::Map<const Eigen::Array<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;
template <class Scalar>
using BlockArray = Eigen::Array<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class Scalar>
using ColumnArray = Eigen::Array<Scalar, Eigen::Dynamic, 1>;

/// x ln x elementwise with 0 ln 0 = 0 (x is clamped to the smallest normal inside the log only).
template <class Derived>
auto xlogx(const Eigen::ArrayBase<Derived>& x) {
    using Scalar = typename Derived::Scalar;
    return x * x.max(std::numeric_limits<Scalar>::min()).log();
}

/// Row sums of an evaluated b x K block, adding k = 0, 1, ... in order for every row. Eigen's
/// vectorised rowwise().sum() peels each row to an aligned address, so a row's rounding would
/// depend on where it sits in the packed block; this keeps scores exactly permutation-invariant.
template <class Scalar>
ColumnArray<Scalar> row_sums(const BlockArray<Scalar>& x) {
    ColumnArray<Scalar> sum = x.col(0);
    for (Index k = 1; k < x.cols(); ++k) sum += x.col(k);
    return sum;
}

/// Fills an N-vector with kernel(packed, b, out_block) per block of rows, validating each block
/// in the same pass (see for_each_checked_stack_block).
template <class Scalar, class Kernel>
Vector<Scalar> stack_score(const char* function, const PredictionStack<Scalar>& s,
                           const CheckOptions& checks, Kernel&& kernel) {
    Vector<Scalar> out(s.rows());
    for_each_checked_stack_block(function, s, checks, [&](Index r0, Index b, const Scalar* packed) {
        kernel(packed, b, out.segment(r0, b));
    });
    return out;
}

/// The consensus (mean) prediction of a packed [T][b][K] block, b x K.
template <class Scalar>
BlockArray<Scalar> consensus(const Scalar* packed, Index T, Index b, Index K) {
    BlockArray<Scalar> pc = PackedBlock<Scalar>(packed, b, K);
    for (Index t = 1; t < T; ++t) pc += PackedBlock<Scalar>(packed + t * b * K, b, K);
    return pc / static_cast<Scalar>(T);
}

/// Entropy of each row of a b x K block of distributions.
template <class Scalar>
ColumnArray<Scalar> row_entropy(const BlockArray<Scalar>& p) {
    return Scalar(0) - row_sums<Scalar>(xlogx(p));
}

using VoteCounts = Eigen::Array<Index, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// The argmax class of each of `rows` packed rows of K into best[r] (ties: lowest class; a NaN
/// never takes over), and with `check` whether every row is a distribution (packed_block_ok's
/// verdict): short rows get both from one AVX2 pass over the block while it is in cache.
template <class Scalar>
bool packed_argmax(const Scalar* packed, Index rows, Index K, bool check, Scalar tol, Index* best) {
    bool ok = true;
    Index done = 0;
#ifdef ACQUIRE_AVX2
    if (K < short_row_limit<Scalar> && cpu_has_avx2()) {
        thread_local std::vector<Scalar> found;
        found.resize(static_cast<std::size_t>(rows));
        done = check ? short_rows_avx2<RowScore::argmax, true>(packed, K, rows, K, found.data(), tol, ok)
                     : short_rows_avx2<RowScore::argmax, false>(packed, K, rows, K, found.data(), tol, ok);
        for (Index r = 0; r < done; ++r) best[r] = static_cast<Index>(found[static_cast<std::size_t>(r)]);
    }
#endif
    for (Index r = done; r < rows; ++r) {
        const Scalar* row = packed + r * K;
        Index arg = 0;
        for (Index k = 1; k < K; ++k)
            if (row[k] > row[arg]) arg = k;
        best[r] = arg;
    }
    if (check && ok) ok = packed_block_ok(packed + done * K, rows - done, K, tol);
    return ok;
}

/// Scores of the committee's hard votes: score(count, out) per block, count(i, k) the number of
/// members whose argmax for row i is class k, found in the pass that validates the block.
template <class Scalar, class Score>
Vector<Scalar> vote_score(const char* function, const PredictionStack<Scalar>& s, const CheckOptions& checks,
                          Score&& score) {
    const Index T = s.members(), K = s.cols();
    const auto tol = static_cast<Scalar>(checks.tolerance);
    Vector<Scalar> out(s.rows());
    stack_pass<true>(function, s, checks, [&](Index r0, Index b, const Scalar* packed, bool check) {
        thread_local std::vector<Index> best;
        best.resize(static_cast<std::size_t>(T * b));
        const bool ok = packed_argmax(packed, T * b, K, check, tol, best.data());
        VoteCounts count = VoteCounts::Zero(b, K);
        for (Index t = 0; t < T; ++t)
            for (Index i = 0; i < b; ++i) ++count(i, best[static_cast<std::size_t>(t * b + i)]);
        score(count, out.segment(r0, b));
        return ok;
    });
    return out;
}

/// KL(P_t || P_C) for every member t and row of a block: a b x T array, each entry clamped
/// at 0 (it is >= 0 exactly; rounding can push it a hair below).
template <class Scalar>
BlockArray<Scalar> member_kl(const Scalar* packed, Index T, Index b, Index K) {
    const BlockArray<Scalar> pc = consensus(packed, T, b, K);
    const BlockArray<Scalar> log_pc = pc.max(std::numeric_limits<Scalar>::min()).log();
    BlockArray<Scalar> kl(b, T), term(b, K);
    for (Index t = 0; t < T; ++t) {
        const PackedBlock<Scalar> x(packed + t * b * K, b, K);
        // p ln p - p ln p_C; a class with p = 0 contributes exactly 0.
        term = xlogx(x) - x * log_pc;
        kl.col(t) = row_sums(term).max(Scalar(0));
    }
    return kl;
}

}  // namespace detail

/// \addtogroup committee_scorers
/// @{

/// Vote entropy (Dagan & Engelson 1995; Settles 2009 eq. 3.2):
///   VE(x) = -sum_y (V(y) / T) ln (V(y) / T),
/// V(y) the number of members whose argmax is y. A member whose top probability is tied votes
/// for the lowest such class. Higher = the committee's hard votes disagree more. Range
/// [0, ln min(T, K)]; 0 when all members agree (always when T = 1).
template <class Scalar>
Vector<Scalar> vote_entropy(const PredictionStack<Scalar>& s, const CheckOptions& checks = {}) {
    const Index T = s.members();
    return detail::vote_score("vote_entropy", s, checks, [&](const detail::VoteCounts& count, auto out) {
        const detail::BlockArray<Scalar> share = count.template cast<Scalar>() / static_cast<Scalar>(T);
        out = detail::row_entropy(share).matrix();
    });
}

/// Consensus entropy (Settles 2009 eq. 3.3's soft vote): H(P_C) = -sum_k P_C,k ln P_C,k with
/// P_C = (1/T) sum_t P_t the mean prediction; 0 ln 0 = 0. Higher = the averaged model is less
/// sure (aleatoric plus epistemic uncertainty). Equals entropy(P) when T = 1.
template <class Scalar>
Vector<Scalar> consensus_entropy(const PredictionStack<Scalar>& s, const CheckOptions& checks = {}) {
    const Index T = s.members(), K = s.cols();
    return detail::stack_score("consensus_entropy", s, checks,
                               [&](const Scalar* packed, Index b, auto out) {
                                   out = detail::row_entropy(detail::consensus(packed, T, b, K))
                                             .matrix();
                               });
}

/// KL disagreement (McCallum & Nigam 1998; Settles 2009 eq. 3.4), the mean over members:
///   KL(x) = (1/T) sum_t KL(P_t || P_C),  KL(p || q) = sum_k p_k ln (p_k / q_k),
/// P_C the consensus. Terms with p_k = 0 are 0, and P_C,k >= p_k / T > 0 wherever p_k > 0, so
/// it is always finite. Higher = members disagree with the consensus more. Identical, up to
/// rounding, to bald() (the mean KL to the mean is the mutual information); 0 when T = 1.
template <class Scalar>
Vector<Scalar> kl_disagreement(const PredictionStack<Scalar>& s, const CheckOptions& checks = {}) {
    const Index T = s.members(), K = s.cols();
    return detail::stack_score("kl_disagreement", s, checks, [&](const Scalar* packed, Index b, auto out) {
        out = (detail::row_sums(detail::member_kl(packed, T, b, K)) / static_cast<Scalar>(T)).matrix();
    });
}

/// Max KL disagreement: max_t KL(P_t || P_C), the most dissenting member (same conventions as
/// kl_disagreement). Higher = some member disagrees more; 0 when T = 1.
template <class Scalar>
Vector<Scalar> max_kl_disagreement(const PredictionStack<Scalar>& s,
                                   const CheckOptions& checks = {}) {
    const Index T = s.members(), K = s.cols();
    return detail::stack_score("max_kl_disagreement", s, checks,
                               [&](const Scalar* packed, Index b, auto out) {
                                   out = detail::member_kl(packed, T, b, K).rowwise().maxCoeff().matrix();
                               });
}

/// Variation ratio over a committee (Freeman 1965; Gal et al. 2017; Beluch et al. 2018):
///   VR(x) = 1 - f_m / T,
/// f_m the number of members voting for the modal class (argmax ties in a member: lowest
/// class). Higher = less agreement. Range [0, 1 - ceil(T / K) / T]; 0 when all members agree,
/// always when T = 1.
template <class Scalar>
Vector<Scalar> variation_ratio(const PredictionStack<Scalar>& s, const CheckOptions& checks = {}) {
    const Index T = s.members();
    return detail::vote_score("variation_ratio", s, checks, [&](const detail::VoteCounts& count, auto out) {
        out = (Scalar(1) - count.rowwise().maxCoeff().template cast<Scalar>() / static_cast<Scalar>(T))
                  .matrix();
    });
}

/// @}

}  // namespace acquire
