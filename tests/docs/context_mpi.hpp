// What the documentation's MPI fragments use (see context.hpp): this rank's rows of a pool.
#pragma once

#include <acquire/acquire.hpp>
#include <acquire/mpi.hpp>

#include <cstdio>
#include <vector>

namespace snippets {

using acquire::Index;
using acquire::RowMatrix;

inline const Index n_r = 100, K = 10, T = 20, round = 3;
inline RowMatrix<float> my_embeddings() { return RowMatrix<float>::Random(n_r, 16); }
inline RowMatrix<float> my_probabilities() { return RowMatrix<float>::Constant(n_r, K, 1.0f / K); }
inline Eigen::VectorXf my_scores() { return Eigen::VectorXf::Zero(n_r); }
inline std::vector<Index> global_labeled() { return {0, 1, 2}; }
inline const std::vector<float> my_passes(T * n_r * K, 1.0f / K);
inline const std::vector<Index> labeled = global_labeled();

}  // namespace snippets
