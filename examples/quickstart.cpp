// Quickstart: score a synthetic pool of model outputs and pick the batch to label.
#include <acquire/acquire.hpp>
#include <acquire/synthetic.hpp>

#include <cstdio>
#include <vector>

int main() {
    // Stand-in for your model's softmax output over the unlabeled pool: a row-major [N, K]
    // buffer, as libtorch, ONNX Runtime or NumPy hand it out.
    const acquire::Index n = 10000, k = 10;
    const auto pool = acquire::synthetic::probabilities<float>(n, k);
    std::vector<float> buffer(pool.data(), pool.data() + pool.size());

    // Map it without a copy, score it, and take the 8 most uncertain samples that are not
    // labeled yet.
    Eigen::Map<const acquire::RowMatrix<float>> probabilities(buffer.data(), n, k);
    const Eigen::VectorXf scores = acquire::entropy(probabilities);
    const std::vector<acquire::Index> labeled = {3, 17, 42};
    const std::vector<acquire::Index> batch = acquire::top_k(scores, 8, labeled);

    std::printf("pool of %ld samples, %ld classes; entropy ranges over [0, ln %ld]\n",
                static_cast<long>(n), static_cast<long>(k), static_cast<long>(k));
    std::printf("send these to the annotators:\n");
    for (const auto i : batch) {
        const auto p = probabilities.row(i);
        acquire::Index guess;
        p.maxCoeff(&guess);
        std::printf("  sample %5ld  entropy %.4f  (model's guess: class %ld at p = %.3f)\n",
                    static_cast<long>(i), scores[i], static_cast<long>(guess), p[guess]);
    }
}
