// Includes the umbrella header, scores a tiny row-major buffer and checks one value.
#include <acquire/acquire.hpp>

#include <cmath>
#include <cstdio>

int main() {
    const float buffer[] = {0.5f, 0.5f, 1.0f, 0.0f};
    Eigen::Map<const acquire::RowMatrix<float>> p(buffer, 2, 2);
    const Eigen::VectorXf h = acquire::entropy(p);
    const auto best = acquire::top_k(h, 1);
    const bool ok = std::abs(h[0] - std::log(2.0f)) < 1e-6f && h[1] == 0.0f && best[0] == 0;
    std::printf("consumer: %s\n", ok ? "ok" : "wrong");
    return ok ? 0 : 1;
}
