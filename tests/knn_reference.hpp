// Shared by the k-NN tests (core/knn.hpp and the contrastive score built on it): the plain
// definition of the k nearest neighbours, to compare the tiled search against.
#pragma once

#include <acquire/core/types.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <numeric>
#include <vector>

namespace knn_reference {

using acquire::Index;

/// The k nearest rows of R to q by direct squared differences in double; ties: lowest index.
inline std::vector<Index> brute_knn(const Eigen::MatrixXd& R, const Eigen::RowVectorXd& q, Index k) {
    std::vector<Index> order(static_cast<std::size_t>(R.rows()));
    std::iota(order.begin(), order.end(), Index(0));
    std::vector<double> d(order.size());
    for (Index j = 0; j < R.rows(); ++j) d[static_cast<std::size_t>(j)] = (R.row(j) - q).squaredNorm();
    std::stable_sort(order.begin(), order.end(),
                     [&](Index a, Index b) { return d[static_cast<std::size_t>(a)] < d[static_cast<std::size_t>(b)]; });
    order.resize(static_cast<std::size_t>(k));
    return order;
}

}  // namespace knn_reference
