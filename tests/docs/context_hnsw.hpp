// What the documentation's hnswlib fragments use (see context.hpp): a pool's embeddings, the
// labeled rows' features and the probabilities of both.
#pragma once

#include "context.hpp"

#include <acquire/hnsw.hpp>

namespace snippets {

inline const RowMatrix<float> H_pool = RowMatrix<float>::Random(n, d), H_labeled = RowMatrix<float>::Random(50, d);
inline const RowMatrix<float> P_pool = RowMatrix<float>::Constant(n, k, 1.0f / k);
inline const RowMatrix<float> P_labeled = RowMatrix<float>::Constant(50, k, 1.0f / k);

}  // namespace snippets
