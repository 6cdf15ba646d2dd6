// Information density (Settles & Craven 2008): weight an informativeness score by how
// representative a sample is of the pool, so outliers are not queried first.
#pragma once

#include "acquire/core/error.hpp"
#include "acquire/core/parallel.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace acquire {

/// Information density (Settles & Craven 2008, eq. 1):
///   ID(x) = score(x) * (max(0, (1/N) sum_{u in pool} cos(x, x_u)))^beta,
/// the sum running over all N rows (x itself included). Because the mean cosine is linear,
/// (1/N) sum_u cos(x, x_u) = xhat . mean_u(xhat_u) with xhat = x / ||x||, it costs O(N d) time
/// (two passes over X) and O(N + d N / 2048) memory: no N x N matrix, no tiles. A negative mean
/// similarity counts as 0 (so the power is defined for any beta >= 0); beta = 0 returns the
/// scores. Integer beta <= 8 and beta = 0.5 are evaluated by products and sqrt rather than
/// std::pow (equal up to rounding). Higher = query first. Any layout of X, read in place.
///
/// Throws invalid_input for shape mismatches, non-finite X or scores, zero rows, and beta
/// negative or not finite.
template <class DerivedX, class DerivedS>
Vector<typename DerivedS::Scalar> information_density(const Eigen::MatrixBase<DerivedX>& X,
                                                      const Eigen::MatrixBase<DerivedS>& scores, double beta,
                                                      const CheckOptions& checks = {}) {
    constexpr const char* fn = "information_density";
    using Scalar = typename DerivedS::Scalar;
    const Index n = X.rows();
    detail::check_shape(fn, "X", n, X.cols());
    if (scores.size() != n) detail::fail(fn, "scores has ", scores.size(), " entries but X has ", n, " rows");
    if (!(beta >= 0) || !std::isfinite(beta)) detail::fail(fn, "beta must be finite and >= 0, got ", beta);
    // Two passes over X, each a block of rows at a time. Pass 1 fuses the norms, the mean unit
    // row and the finiteness check: a block's squared norms, then its contribution to the mean
    // while the block is still in cache. Pass 2 walks the blocks in reverse, so the rows pass 1
    // read last are still cached. Per-chunk partial means are added in chunk order in double:
    // the result does not depend on the thread count.
    using XScalar = typename DerivedX::Scalar;
    using XVector = Vector<XScalar>;
    const Index d = X.cols();
    constexpr Index chunk = 2048, block = 256;
    const Index chunks = (n + chunk - 1) / chunk;
    XVector inverse(n);  // 1 / ||x_i||, or 0 where the squared norm is 0, NaN or Inf
    Eigen::MatrixXd partial(d, chunks);
    std::vector<Index> first_zero(static_cast<std::size_t>(chunks), -1), first_overflow(first_zero);
    detail::parallel_for(chunks, 2, [&](Index j) {
        const Index c0 = j * chunk, c1 = std::min(n, c0 + chunk);
        XVector sum = XVector::Zero(d);
        // s = ||x_i||^2 -> 1 / ||x_i||, recording the first zero (or NaN) and overflowing row.
        auto invert = [&](Index i, XScalar s) {
            if (s > 0 && s <= std::numeric_limits<XScalar>::max()) return XScalar(1) / std::sqrt(s);
            auto& first = s > 0 ? first_overflow[static_cast<std::size_t>(j)] : first_zero[static_cast<std::size_t>(j)];
            if (first < 0) first = i;
            return XScalar(0);
        };
        for (Index r0 = c0; r0 < c1; r0 += block) {
            const Index len = std::min(block, c1 - r0);
            const auto rows = X.middleRows(r0, len);
            auto inv = inverse.segment(r0, len);
            inv = rows.rowwise().squaredNorm();
            for (Index i = 0; i < len; ++i) inv[i] = invert(r0 + i, inv[i]);
            sum.noalias() += rows.transpose() * inv;
        }
        partial.col(j) = sum.template cast<double>();
    });
    auto first_of = [](const std::vector<Index>& firsts) {
        for (Index i : firsts)
            if (i >= 0) return i;
        return Index(-1);
    };
    // The checks in their documented order: X's values, the scores, then zero rows. A squared
    // norm of Inf or NaN is the only sign of a non-finite entry, so X is re-scanned only then.
    if (checks.values) {
        if (first_of(first_overflow) >= 0 || first_of(first_zero) >= 0) detail::check_finite(fn, "X", X);
        detail::check_finite(fn, "scores", scores.derived().reshaped());
    }
    const Index zero_row = first_of(first_zero);
    if (zero_row >= 0) detail::fail(fn, "X row ", zero_row, " has zero norm (cosine similarity)");
    // Rows whose squared norm overflows (finite entries near the top of the range): their unit
    // row is taken with a scaled norm, one row at a time.
    for (Index i = 0; i < n; ++i)
        if (inverse[i] == 0) {
            const XScalar norm = X.row(i).stableNorm();
            inverse[i] = XScalar(1) / norm;
            partial.col(i / chunk) += (X.row(i).transpose().template cast<double>() / static_cast<double>(norm));
        }
    const XVector mean = (partial.rowwise().sum() / static_cast<double>(n)).template cast<XScalar>();

    const int power = beta == std::floor(beta) && beta <= 8 ? static_cast<int>(beta) : -1;
    auto weight = [&](double similarity) {
        switch (power) {
            case 0: return 1.0;  // as std::pow(x, 0), also for x = 0
            case 1: return similarity;
            case -1: return beta == 0.5 ? std::sqrt(similarity) : std::pow(similarity, beta);
            default: {
                double w = similarity;
                for (int k = 1; k < power; ++k) w *= similarity;
                return w;
            }
        }
    };
    Vector<Scalar> out(n);
    const auto flat = scores.derived().reshaped();
    detail::parallel_for(chunks, 2, [&](Index reversed) {
        const Index j = chunks - 1 - reversed;
        const Index c0 = j * chunk, c1 = std::min(n, c0 + chunk);
        XVector dots(block);
        for (Index r1 = c1; r1 > c0;) {
            const Index r0 = std::max(c0, r1 - block), len = r1 - r0;
            dots.head(len).noalias() = X.middleRows(r0, len) * mean;
            for (Index i = 0; i < len; ++i) {
                const double similarity = std::max(0.0, static_cast<double>(dots[i] * inverse[r0 + i]));
                out[r0 + i] = static_cast<Scalar>(static_cast<double>(flat(r0 + i)) * weight(similarity));
            }
            r1 = r0;
        }
    });
    return out;
}

}  // namespace acquire
