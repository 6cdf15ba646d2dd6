// What test_determinism compares: one FNV-1a digest per function over everything it returned,
// on a shared synthetic pool. The calls are spread over tests/determinism/*.cpp (a family per
// file, so the families compile in parallel); test_determinism.cpp runs them all.
#pragma once

#include <acquire/core/selection.hpp>
#include <acquire/score/uncertainty.hpp>
#include <acquire/synthetic.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace determinism {

using acquire::Index;

/// FNV-1a over the bytes of everything a function returned.
class Digest {
public:
    void bytes(const void* p, std::size_t n) {
        const auto* c = static_cast<const unsigned char*>(p);
        for (std::size_t i = 0; i < n; ++i) h_ = (h_ ^ c[i]) * 1099511628211ull;
    }
    template <class Derived>
    Digest& operator<<(const Eigen::DenseBase<Derived>& m) {
        const auto e = m.eval();
        bytes(e.data(), static_cast<std::size_t>(e.size()) * sizeof(typename Derived::Scalar));
        return *this;
    }
    template <class T>
    Digest& operator<<(const std::vector<T>& v) {
        bytes(v.data(), v.size() * sizeof(T));
        return *this;
    }
    Digest& operator<<(const acquire::Selection& s) { return *this << s.indices << s.objective; }
    Digest& operator<<(double v) {
        bytes(&v, sizeof v);
        return *this;
    }
    std::uint64_t value() const { return h_; }

private:
    std::uint64_t h_ = 1469598103934665603ull;
};

/// record(name, f): digests what f feeds its Digest under `name`.
using Record = std::function<void(const std::string&, const std::function<void(Digest&)>&)>;

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// The pool the families share, large enough that every parallel loop has several blocks.
struct Pool {
    static constexpr Index n = 20000, k = 10;
    RowMatrix P = acquire::synthetic::probabilities<float, Eigen::RowMajor>(n, k);
    RowMatrix L = acquire::synthetic::logits<float, Eigen::RowMajor>(n, k);
    RowMatrix H = acquire::synthetic::embeddings<float, Eigen::RowMajor>(n, 16);
    Eigen::VectorXf u = acquire::entropy(P);
};

void record_scorers(const Pool& pool, const Record& record);    // scorers.cpp
void record_batch_bald(const Record& record);                    // batch_bald.cpp
void record_selectors(const Pool& pool, const Record& record);  // selectors.cpp

}  // namespace determinism
