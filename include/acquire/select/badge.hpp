/// \file
/// BADGE, batch active learning by diverse gradient embeddings (Ash et al. 2020).
// BADGE, batch active learning by diverse gradient embeddings (Ash et al. 2020).
//
// A sample's gradient embedding is the gradient of the cross-entropy loss at its own predicted
// label yhat with respect to the last linear layer: g_x = (p_x - e_yhat) (outer) h_x, K d numbers,
// with p_x the softmax output and h_x the penultimate embedding. Its norm grows with the model's
// uncertainty and its direction encodes what the sample would teach; k-means++ seeding on the
// g_x picks a batch that is both uncertain and diverse.
//
// Never materialised: with a = p - e_yhat,
//   ||g_i - g_j||^2 = ||a_i||^2 ||h_i||^2 + ||a_j||^2 ||h_j||^2 - 2 (a_i . a_j)(h_i . h_j),
// so each pick costs at most one K-dot and one d-dot per row, and memory stays O(N (K + d)).
#pragma once

#include "acquire/core/error.hpp"
#include "acquire/core/parallel.hpp"
#include "acquire/core/simd.hpp"
#include "acquire/select/kmeans_pp.hpp"

#include <cstdint>
#include <limits>
#include <vector>

namespace acquire {

/// \addtogroup diversity_selectors
/// @{

/// Options of `badge`.
struct BadgeOptions {
    /// Seed of the D^2 draws (race keys, as kmeans_pp: the same picks on every platform and
    /// thread count).
    std::uint64_t seed = 0;
    /// Skip distances the triangle inequality rules out (see kmeans_pp). The picks are the same
    /// either way; false computes every distance at every pick.
    bool prune = true;
    /// If not null, receives the work counters.
    D2Stats* stats = nullptr;
    /// checks.values: P rows are distributions and H is finite (one pass over each).
    CheckOptions checks;
};

/// @}

namespace detail {

/// a = p - e_yhat per row, yhat = argmax p (ties: lowest class), in double; row-major, or
/// column-major (`Storage`) for GradientRows, which reads one class across a block of rows.
template <int Storage = Eigen::RowMajor, class Derived>
Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Storage> badge_residuals(const Eigen::MatrixBase<Derived>& P) {
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Storage> a = P.template cast<double>();
    parallel_for(a.rows(), 4096, [&](Index i) {
        Index best = 0;
        for (Index k = 1; k < a.cols(); ++k)
            if (a(i, k) > a(i, best)) best = k;
        a(i, best) -= 1.0;
    });
    return a;
}

/// The gradient embeddings g_i = a_i (outer) h_i as a D^2 sampling space (see D2Shard), never
/// materialised: ||g_i - g_c||^2 = n_i + n_c - 2 (a_i . a_c)(h_i . h_c), n = |a|^2 |h|^2.
/// a is in double, h . h_c in Scalar; the computed distance is off by at most
/// gamma (n_i + n_c), gamma = 4 ((d + 4) eps_Scalar + (K + 8) eps_double), a bound on the rounding
/// of the three terms (|a_i . a_c| |h_i . h_c| <= (n_i + n_c) / 2).
template <class DerivedH>
class GradientRows {
public:
    using Scalar = typename DerivedH::Scalar;
    struct Point {
        Eigen::Matrix<double, 1, Eigen::Dynamic> a;
        Eigen::Matrix<Scalar, 1, Eigen::Dynamic> h;
        double n;  // |a|^2 |h|^2 as computed for the row
    };

    /// `a`: badge_residuals<Eigen::ColMajor>(P), kept by reference.
    GradientRows(const Eigen::MatrixXd& a, const Eigen::MatrixBase<DerivedH>& H)
        : a_(a), H_(H), a2_(row_norms(a)), h2_(H.rowwise().squaredNorm().template cast<double>()),
          norm2_(a2_.cwiseProduct(h2_)), h_norm_(h2_.cwiseSqrt()),
          gamma_(4.0 * (static_cast<double>(H.cols() + 4) * static_cast<double>(std::numeric_limits<Scalar>::epsilon()) +
                        static_cast<double>(a.cols() + 8) * std::numeric_limits<double>::epsilon())) {}

    /// Row-major residuals would bind a temporary copy: pass the column-major ones.
    GradientRows(const RowMatrix<double>&, const Eigen::MatrixBase<DerivedH>&) = delete;

    /// |g_i|^2 = |a_i|^2 |h_i|^2.
    const Eigen::VectorXd& norm2() const { return norm2_; }
    Point point(Index i) const { return {a_.row(i), H_.row(i), norm2_[i]}; }
    double relative() const { return 0; }
    double row_slack(Index i) const { return gamma_ * norm2_[i]; }
    double point_slack(const Point& p) const { return gamma_ * p.n; }
    double center_lower(const Point& p, const Point& q) const {
        const double d2 = p.n + q.n - 2.0 * p.a.dot(q.a) * p.h.template cast<double>().dot(q.h.template cast<double>());
        return d2 - gamma_ * (p.n + q.n);
    }
    /// a . a_c (K reads a row), then rows whose a . a_c
    /// alone shows the distance cannot drop skip h_i . h_c (d reads): with |h_i . h_c| <= |h_i| |h_c|,
    /// n_i + n_c - 2 |a_i . a_c| |h_i| |h_c| - gamma (n_i + n_c) <= the computed distance.
    template <class Needed, class Update>
    Index distances(const Point& c, Index r0, Index len, Needed&& needed, const double* nearest,
                    Update&& update) const {
        const double hc_norm = std::sqrt(c.h.template cast<double>().squaredNorm());
        thread_local Eigen::ArrayXd ac_tls;
        thread_local std::vector<Index> rest_tls;
        Eigen::ArrayXd& ac = ac_tls;
        std::vector<Index>& rest = rest_tls;
        // a_i . a_c for the whole block, one class at a time: each row's sum is the chain
        // 0 + a_i0 c_0 + a_i1 c_1 + ... in class order (the same bits whether pruning is on or
        // off), vectorised across the rows (in AVX2 where the CPU has it: the same chains).
        ac.resize(len);
        Index summed = 0;
#ifdef ACQUIRE_AVX2
        if (cpu_has_avx2())
            summed = column_dots_avx2(a_.data() + r0, a_.outerStride(), len, a_.cols(), c.a.data(), ac.data());
#endif
        ac.segment(summed, len - summed).setZero();
        for (Index k = 0; k < a_.cols(); ++k)
            ac.segment(summed, len - summed) += a_.col(k).segment(r0 + summed, len - summed).array() * c.a[k];
        rest.resize(static_cast<std::size_t>(len));
        std::size_t kept = 0;
        for (Index i = r0; i < r0 + len; ++i) {  // branch-free, as D2Shard's needed()
            // Rows whose a . a_c alone shows the distance cannot drop skip h_i . h_c.
            const double dot = ac[i - r0];
            const bool far = nearest && (norm2_[i] + c.n) * (1.0 - gamma_) - 2.0 * std::abs(dot) * h_norm_[i] * hc_norm >= nearest[i];
            rest[kept] = i;
            kept += static_cast<std::size_t>(needed(i) & int(!far));
        }
        rest.resize(kept);
        const auto computed = static_cast<Index>(rest.size());
        // Column-major H: a row is d scattered entries, so when more than an eighth of the block
        // is left, one block product (contiguous columns) replaces the row-by-row dots.
        if (!DerivedH::IsRowMajor && computed * 8 >= len && H_.cols() > 1) {
            thread_local Vector<Scalar> hc_tls;
            Vector<Scalar>& hc = hc_tls;
            hc.noalias() = H_.middleRows(r0, len) * c.h.transpose();
            for (Index i : rest) update(i, combine(i, c, ac[i - r0], hc[i - r0]));
        } else {
            for (std::size_t k = 0; k < rest.size(); ++k) {
                const Index i = rest[k];
                // The rows left are scattered through H: fetch two ahead, so memory latency
                // overlaps the arithmetic.
                if (k + 2 < rest.size()) prefetch_row(H_, rest[k + 2]);
                update(i, combine(i, c, ac[i - r0], H_.row(i).dot(c.h)));
            }
        }
        return computed;
    }

private:
    /// |a_i|^2, each summed as for a contiguous row (as Point::a is), not across the columns.
    static Eigen::VectorXd row_norms(const Eigen::MatrixXd& a) {
        Eigen::VectorXd out(a.rows());
        Eigen::Matrix<double, 1, Eigen::Dynamic> row;
        for (Index i = 0; i < a.rows(); ++i) {
            row = a.row(i);
            out[i] = row.squaredNorm();
        }
        return out;
    }
    double combine(Index i, const Point& c, double ac, Scalar hc) const {
        return norm2_[i] + c.n - 2.0 * ac * static_cast<double>(hc);
    }
    const Eigen::MatrixXd& a_;
    const Eigen::MatrixBase<DerivedH>& H_;
    Eigen::VectorXd a2_, h2_, norm2_, h_norm_;
    double gamma_;
};

}  // namespace detail

/// \addtogroup diversity_selectors
/// @{

/// The gradient embeddings materialised: an N x (K d) row-major matrix whose row i is
/// g_i = (p_i - e_yhat_i) (outer) h_i, entry k d + j = (p_ik - [k = yhat_i]) h_ij. O(N K d)
/// memory: for inspection and small pools; badge() never builds it.
template <class DerivedP, class DerivedH>
RowMatrix<typename DerivedH::Scalar> gradient_embedding(const Eigen::MatrixBase<DerivedP>& P,
                                                        const Eigen::MatrixBase<DerivedH>& H,
                                                        const CheckOptions& checks = {}) {
    constexpr const char* fn = "gradient_embedding";
    using Scalar = typename DerivedH::Scalar;
    detail::check_shape(fn, "P", P.rows(), P.cols());
    detail::check_shape(fn, "H", H.rows(), H.cols());
    detail::check_same_rows(fn, "P", P.rows(), "H", H.rows());
    detail::check_probabilities(fn, "P", P, checks);
    if (checks.values) detail::check_finite(fn, "H", H);
    const RowMatrix<double> a = detail::badge_residuals(P);
    const Index K = P.cols(), d = H.cols();
    RowMatrix<Scalar> g(P.rows(), K * d);
    for (Index i = 0; i < P.rows(); ++i)
        for (Index k = 0; k < K; ++k)
            g.row(i).segment(k * d, d) = (static_cast<Scalar>(a(i, k)) * H.row(i)).eval();
    return g;
}

/// BADGE (Ash et al. 2020): b unlabeled indices in pick order, chosen by k-means++ seeding on the
/// gradient embeddings g_x = (p_x - e_yhat) (outer) h_x. The first pick is the largest
/// ||g_x|| = ||p_x - e_yhat|| ||h_x|| (ties: lowest index), as in the authors' code; each later
/// pick is drawn with probability D(x)^2 / sum_y D(y)^2, D the Euclidean distance in gradient
/// space to the nearest pick. Labeled points are never picked and, as in the authors' code, are
/// not centers: the seeding runs on the unlabeled pool. `Selection::objective[j]` is the
/// potential sum over unlabeled x of D(x)^2 after pick j.
///
/// P: N x K probabilities (argmax ties: lowest class); H: N x d penultimate embeddings; both read
/// in place, any layout (row-major H is the fast one). Draws and pruning as kmeans_pp; pruning
/// also skips h . h_c where n_x + n_c - 2 |a_x . a_c| |h_x| |h_c| (a lower bound of the distance)
/// already reaches D(x)^2. Time O(b N (K + d)) in the worst case; memory O(N (K + d)) (a double
/// copy of P - e_yhat and a few N-vectors), never the N x K d matrix.
///
/// Throws invalid_input for shape mismatches, bad probabilities, non-finite H, bad labeled
/// indices, and b < 0 or larger than the unlabeled pool.
template <class DerivedP, class DerivedH>
Selection badge(const Eigen::MatrixBase<DerivedP>& P, const Eigen::MatrixBase<DerivedH>& H,
                const std::vector<Index>& labeled, Index b, const BadgeOptions& options = {}) {
    constexpr const char* fn = "badge";
    const Index n = P.rows();
    detail::check_shape(fn, "P", n, P.cols());
    detail::check_shape(fn, "H", H.rows(), H.cols());
    detail::check_same_rows(fn, "P", n, "H", H.rows());
    const auto blocked = detail::index_mask(fn, "labeled", labeled, n);
    detail::check_budget(fn, "b", b, n - static_cast<Index>(labeled.size()));
    detail::check_probabilities(fn, "P", P, options.checks);
    if (options.checks.values) detail::check_finite(fn, "H", H);
    if (b == 0) return {};

    const Eigen::MatrixXd a = detail::badge_residuals<Eigen::ColMajor>(P);
    const detail::GradientRows<DerivedH> space(a, H);
    const Eigen::VectorXd& norm2 = space.norm2();
    Index first = -1;
    for (Index i = 0; i < n; ++i)
        if (!blocked[static_cast<std::size_t>(i)] && (first < 0 || norm2[i] > norm2[first])) first = i;
    return detail::d2_sampling(space, blocked, {}, first, b, options.seed, options.prune, options.stats);
}

/// @}

}  // namespace acquire
