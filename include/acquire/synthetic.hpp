/// \file
/// Seeded synthetic pools in namespace acquire::synthetic: probabilities, logits, prediction
/// stacks, embeddings.
// Seeded synthetic pools for benchmarks, examples and tests: probabilities and logits with
// controllable confidence and ties, prediction stacks with controllable disagreement, clustered
// embeddings. Every generator is driven by acquire::Rng, so the same arguments give the same pool
// on every platform. Use them to size a labeling round: generate a pool shaped like yours and run
// the benchmarks on it.
#pragma once

#include "acquire/core/error.hpp"
#include "acquire/core/parallel.hpp"
#include "acquire/core/random.hpp"

#include <cmath>
#include <vector>

namespace acquire::synthetic {

/// \addtogroup synthetic_pools
/// @{

/// Options of `probabilities` and `logits`.
struct ProbabilityOptions {
    /// Scale of the random logits: 0 gives uniform rows, large values near one-hot rows.
    double sharpness = 3.0;
    /// Fraction of rows whose two largest probabilities are made exactly equal.
    double tie_fraction = 0.0;
    /// Seed of the generator (the same data on every platform).
    std::uint64_t seed = 1;
};

/// @}

namespace detail {
/// Rows are generated in blocks of 1024, each from its own stream seeded by (seed, block), so a
/// pool is the same whatever the thread count, and large pools are generated in parallel.
constexpr Index synthetic_block = 1024;
inline Rng block_rng(std::uint64_t seed, Index block) {
    return Rng(seed * 0x100000001b3ULL + 0x9e3779b97f4a7c15ULL * static_cast<std::uint64_t>(block + 1));
}
template <class Body>
void for_each_block(Index n, Body&& body) {
    const Index blocks = (n + synthetic_block - 1) / synthetic_block;
    acquire::detail::parallel_for(blocks, 2, [&](Index b) {
        body(b * synthetic_block, std::min(n, (b + 1) * synthetic_block), b);
    });
}
}  // namespace detail

/// \addtogroup synthetic_pools
/// @{

/// N x K logits: standard normal draws times `sharpness`; rows chosen with probability
/// `tie_fraction` get their largest logit copied onto another class (an exact top-2 tie).
template <class Scalar, int Storage = Eigen::RowMajor>
Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Storage> logits(
    Index n, Index k, const ProbabilityOptions& options = {}) {
    if (n < 0 || k < 1) acquire::detail::fail("synthetic::logits", "needs n >= 0 and k >= 1, got ", n, " x ", k);
    Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Storage> l(n, k);
    detail::for_each_block(n, [&](Index begin, Index end, Index block) {
        Rng rng = detail::block_rng(options.seed, block);
        for (Index i = begin; i < end; ++i) {
            for (Index j = 0; j < k; ++j) l(i, j) = static_cast<Scalar>(options.sharpness * rng.normal());
            if (k >= 2 && rng.uniform() < options.tie_fraction) {
                Index best;
                l.row(i).maxCoeff(&best);
                const Index other = (best + 1 + static_cast<Index>(rng.below(static_cast<std::uint64_t>(k - 1)))) % k;
                l(i, other) = l(i, best);
            }
        }
    });
    return l;
}

/// Row-wise softmax in place (stable: the row maximum is subtracted first).
template <class Derived>
void softmax_in_place(Eigen::MatrixBase<Derived>& l) {
    detail::for_each_block(l.rows(), [&](Index begin, Index end, Index) {
        for (Index i = begin; i < end; ++i) {
            l.row(i).array() = (l.row(i).array() - l.row(i).maxCoeff()).exp();
            l.row(i) /= l.row(i).sum();
        }
    });
}

/// Row-wise softmax of any logits matrix, in a new matrix of the same storage order.
template <class Derived>
Eigen::Matrix<typename Derived::Scalar, Eigen::Dynamic, Eigen::Dynamic,
              Derived::IsRowMajor ? Eigen::RowMajor : Eigen::ColMajor>
softmax(const Eigen::MatrixBase<Derived>& l) {
    Eigen::Matrix<typename Derived::Scalar, Eigen::Dynamic, Eigen::Dynamic,
                  Derived::IsRowMajor ? Eigen::RowMajor : Eigen::ColMajor>
        p = l;
    softmax_in_place(p);
    return p;
}

/// N x K probabilities: the softmax of `logits(n, k, options)`, computed in place.
template <class Scalar, int Storage = Eigen::RowMajor>
Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Storage> probabilities(
    Index n, Index k, const ProbabilityOptions& options = {}) {
    auto p = logits<Scalar, Storage>(n, k, options);
    softmax_in_place(p);
    return p;
}

/// Options of `stack`.
struct StackOptions {
    /// Scale of the shared (consensus) logits.
    double sharpness = 3.0;
    /// Scale of each member's own noise on top of the shared logits: 0 gives T identical
    /// members (no disagreement), values near `sharpness` give strong disagreement.
    double disagreement = 1.0;
    /// Seed of the generator (the same data on every platform).
    std::uint64_t seed = 1;
};

/// T predictions of N x K probabilities in one contiguous buffer laid out [T][N][K] (what
/// torch.stack of T forward passes gives): member t, sample i, class k at ((t N) + i) K + k.
template <class Scalar>
std::vector<Scalar> stack_buffer(Index t, Index n, Index k, const StackOptions& options = {}) {
    if (t < 1 || n < 0 || k < 1)
        acquire::detail::fail("synthetic::stack_buffer", "needs t >= 1, n >= 0, k >= 1, got ", t, " x ", n, " x ", k);
    std::vector<Scalar> out(static_cast<std::size_t>(t * n * k));
    detail::for_each_block(n, [&](Index begin, Index end, Index block) {
        Rng rng = detail::block_rng(options.seed, block);
        Eigen::ArrayXd shared(k), row(k);
        for (Index i = begin; i < end; ++i) {
            for (auto& v : shared) v = options.sharpness * rng.normal();
            for (Index m = 0; m < t; ++m) {
                double top = -INFINITY, sum = 0;
                for (Index j = 0; j < k; ++j) {
                    row[j] = shared[j] + options.disagreement * rng.normal();
                    top = std::max(top, row[j]);
                }
                row = (row - top).exp();
                sum = row.sum();
                Scalar* dst = out.data() + (m * n + i) * k;
                for (Index j = 0; j < k; ++j) dst[j] = static_cast<Scalar>(row[j] / sum);
            }
        }
    });
    return out;
}

/// Options of `embeddings`.
struct EmbeddingOptions {
    /// Number of Gaussian clusters the points are drawn around.
    Index clusters = 32;
    /// Standard deviation of points around their cluster centre (centres are standard normal
    /// in every dimension, so spread 0.1 gives well separated clusters).
    double spread = 0.3;
    /// Seed of the generator (the same data on every platform).
    std::uint64_t seed = 1;
};

/// N x d clustered embeddings. Each point belongs to a uniformly drawn cluster.
template <class Scalar, int Storage = Eigen::RowMajor>
Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Storage> embeddings(
    Index n, Index d, const EmbeddingOptions& options = {}) {
    if (n < 0 || d < 1 || options.clusters < 1)
        acquire::detail::fail("synthetic::embeddings", "needs n >= 0, d >= 1, clusters >= 1, got ", n, " x ", d,
                     " with ", options.clusters, " clusters");
    Rng rng(options.seed);
    Eigen::MatrixXd centres(options.clusters, d);
    for (Index c = 0; c < options.clusters; ++c)
        for (Index j = 0; j < d; ++j) centres(c, j) = rng.normal();
    Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Storage> x(n, d);
    detail::for_each_block(n, [&](Index begin, Index end, Index block) {
        Rng points = detail::block_rng(options.seed, block);
        for (Index i = begin; i < end; ++i) {
            const auto c = static_cast<Index>(points.below(static_cast<std::uint64_t>(options.clusters)));
            for (Index j = 0; j < d; ++j)
                x(i, j) = static_cast<Scalar>(centres(c, j) + options.spread * points.normal());
        }
    });
    return x;
}

/// @}

}  // namespace acquire::synthetic
