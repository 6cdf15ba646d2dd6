// What the documentation's C++ fragments use, declared once: a pool of N x K probabilities and
// logits, N x d embeddings, a prediction stack's buffer, a labeled set. The fragments are
// compiled (tests/docs/snippets.py), not run, so the values only need the right types.
#pragma once

#include <acquire/acquire.hpp>
#include <acquire/synthetic.hpp>

#include <cstdint>
#include <cstdio>
#include <vector>

namespace snippets {

using acquire::Index;
using acquire::RowMatrix;

inline const Index n = 1000, k = 10, d = 16, T = 20;
inline const std::vector<float> probs(n * k, 1.0f / k);
inline const std::vector<float> passes(T * n * k, 1.0f / k);
inline const RowMatrix<float> P = RowMatrix<float>::Constant(n, k, 1.0f / k);
inline const RowMatrix<float> L = RowMatrix<float>::Zero(n, k);
inline const RowMatrix<float> H = RowMatrix<float>::Random(n, d);
inline const RowMatrix<float> X = H;
inline const std::vector<Index> labeled = {0, 1, 2}, already_labeled = labeled, candidates = {};
inline void send_to_annotator(Index) {}
// Segmentation outputs: images x k x height x width probabilities, MC passes of them, a mask;
// detection boxes (rows of P) in CSR form.
inline const Index images = 8, height = 32, width = 32;
inline const std::vector<float> seg_probs(images * k * height * width, 1.0f / k);
inline const std::vector<float> seg_passes(T * images * k * height * width, 1.0f / k);
inline const std::vector<std::uint8_t> valid(images * height * width, 1);
inline const std::vector<Index> box_offsets = {0, 400, 400, 1000};

}  // namespace snippets
