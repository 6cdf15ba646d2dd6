// Information density (Settles & Craven 2008): weight an informativeness score by how
// representative a sample is of the pool, so outliers are not queried first.
#pragma once

#include "acquire/core/error.hpp"
#include "acquire/core/parallel.hpp"

#include <cmath>

namespace acquire {

/// Information density (Settles & Craven 2008, eq. 1):
///   ID(x) = score(x) * (max(0, (1/N) sum_{u in pool} cos(x, x_u)))^beta,
/// the sum running over all N rows (x itself included). Because the mean cosine is linear,
/// (1/N) sum_u cos(x, x_u) = xhat . mean_u(xhat_u) with xhat = x / ||x||, it costs O(N d) time
/// and O(d) memory: no N x N matrix, no tiles. A negative mean similarity counts as 0 (so the
/// power is defined for any beta >= 0); beta = 0 returns the scores. Higher = query first.
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
    if (checks.values) {
        detail::check_finite(fn, "X", X);
        detail::check_finite(fn, "scores", scores.derived().reshaped());
    }
    using XScalar = typename DerivedX::Scalar;
    const Vector<XScalar> norms = X.rowwise().norm();
    for (Index i = 0; i < n; ++i)
        if (!(norms[i] > 0)) detail::fail(fn, "X row ", i, " has zero norm (cosine similarity)");
    // Two matrix-vector products: the mean unit row, then every row against it.
    const Vector<XScalar> inverse = norms.cwiseInverse();
    const Vector<XScalar> mean = X.transpose() * (inverse / static_cast<XScalar>(n));
    const Vector<XScalar> dots = X * mean;
    Vector<Scalar> out(n);
    const auto flat = scores.derived().reshaped();
    detail::parallel_for(n, 4096, [&](Index i) {
        const double similarity = std::max(0.0, static_cast<double>(dots[i] * inverse[i]));
        out[i] = static_cast<Scalar>(static_cast<double>(flat(i)) * std::pow(similarity, beta));
    });
    return out;
}

}  // namespace acquire
