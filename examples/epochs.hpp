// Minibatches in shuffled epochs, shared by examples/libtorch and examples/segmentation: each
// epoch is a Fisher-Yates shuffle of 0..n-1 on acquire's Rng, batches are taken in order, and an
// epoch runs on across batches (the batch that ends one starts the next).
#pragma once

#include <acquire/core/random.hpp>
#include <acquire/core/types.hpp>

#include <cstdint>
#include <numeric>
#include <utility>
#include <vector>

namespace examples {

class Epochs {
public:
    Epochs(acquire::Index n, std::uint64_t seed) : rng_(seed), order_(static_cast<std::size_t>(n)), at_(n) {
        std::iota(order_.begin(), order_.end(), acquire::Index(0));
    }

    /// Fills `batch` (its size is the batch size) with the next indices.
    void next(std::vector<acquire::Index>& batch) {
        const auto n = static_cast<acquire::Index>(order_.size());
        for (auto& pick : batch) {
            if (at_ == n) {  // a new epoch: reshuffle
                for (acquire::Index i = n - 1; i > 0; --i)
                    std::swap(order_[std::size_t(i)], order_[std::size_t(rng_.below(std::uint64_t(i + 1)))]);
                at_ = 0;
            }
            pick = order_[std::size_t(at_++)];
        }
    }

private:
    acquire::Rng rng_;
    std::vector<acquire::Index> order_;
    acquire::Index at_;
};

}  // namespace examples
