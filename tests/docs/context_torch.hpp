// What the documentation's libtorch fragments use (see context.hpp).
#pragma once

#include <acquire/acquire.hpp>
#include <acquire/interop/torch.hpp>
#include <torch/torch.h>

#include <cstdio>
#include <memory>
#include <vector>

namespace snippets {

struct Model {
    torch::Tensor forward(const torch::Tensor& x) { return x; }
};
inline auto model = std::make_shared<Model>();
inline const torch::Tensor pool_images = torch::zeros({100, 10});
inline const torch::Tensor labeled_tensor = torch::tensor({0, 1, 2}, torch::kInt64);
inline const std::vector<torch::Tensor> passes(20, torch::full({100, 10}, 0.1f));

}  // namespace snippets
