// Shared by the libFuzzer targets: turns the fuzzer's bytes into shapes, layouts, hostile values
// and index sets, and checks the contract every public function promises:
//
//   either acquire::invalid_input is thrown, or the output is well-formed (scores of the right
//   length, finite when the value checks ran; picks unique, in range, never labeled, exactly b).
//
// Anything else (a crash, a sanitizer report, another exception, a hang) fails the target.
#pragma once

#include <acquire/core/error.hpp>
#include <acquire/core/selection.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <vector>

namespace fuzz {

using acquire::Index;

[[noreturn]] inline void contract_broken(const char* what) {
    std::fprintf(stderr, "contract broken: %s\n", what);
    std::abort();
}

/// The fuzzer's bytes read as a stream of decisions; past the end every read is 0, so short
/// inputs still decode to something (small, mostly ordinary).
class Bytes {
public:
    Bytes(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

    std::uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
    bool flag() { return byte() & 1; }
    /// A size in [0, max].
    Index upto(Index max) { return static_cast<Index>(byte()) % (max + 1); }
    /// True with probability about 1/n.
    bool rarely(int n) { return byte() % n == 0; }

    /// A value for a matrix entry: mostly ordinary numbers with frequent exact repeats (ties),
    /// sometimes NaN, +-Inf, a negative, a denormal, 1e30, 0 or 1.
    template <class Scalar>
    Scalar value() {
        const std::uint8_t c = byte();
        switch (c % 24) {
            case 0: return std::numeric_limits<Scalar>::quiet_NaN();
            case 1: return std::numeric_limits<Scalar>::infinity();
            case 2: return -std::numeric_limits<Scalar>::infinity();
            case 3: return Scalar(-0.25);
            case 4: return std::numeric_limits<Scalar>::denorm_min() * Scalar(3);
            case 5: return Scalar(1e30);
            case 6: return Scalar(0);
            case 7: return Scalar(1);
            case 8: return Scalar(0.5);  // ties
            default: return static_cast<Scalar>(byte()) / Scalar(64) - Scalar(2);
        }
    }

    /// An ordinary value in [-2, 2), or 0 (exact ties).
    template <class Scalar>
    Scalar plain() {
        const std::uint8_t c = byte();
        return c < 16 ? Scalar(0) : static_cast<Scalar>(c) / Scalar(64) - Scalar(2);
    }

    /// rows x cols of free values (embeddings, logits, scores): ordinary, with a hostile entry
    /// or two when `hostile`.
    template <class Scalar, int Storage = Eigen::ColMajor>
    Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Storage> matrix(Index rows, Index cols, bool hostile) {
        Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Storage> m(rows, cols);
        for (Index i = 0; i < rows; ++i)
            for (Index j = 0; j < cols; ++j) m(i, j) = plain<Scalar>();
        corrupt(m, hostile);
        return m;
    }

    /// rows x cols of probabilities: each row normalised from byte weights (exact zeros and
    /// ties are common), then, when `hostile`, an entry or two replaced by a hostile value or a
    /// row left unnormalised.
    template <class Scalar, int Storage = Eigen::ColMajor>
    Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Storage> probabilities(Index rows, Index cols, bool hostile) {
        Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Storage> m(rows, cols);
        for (Index i = 0; i < rows; ++i) {
            double sum = 0;
            std::vector<double> w(static_cast<std::size_t>(cols));
            for (auto& v : w) sum += v = byte() % 5 == 0 ? 0.0 : double(byte() % 8);
            for (Index j = 0; j < cols; ++j)
                m(i, j) = static_cast<Scalar>(sum > 0 ? w[static_cast<std::size_t>(j)] / sum : 1.0 / double(cols));
        }
        if (hostile && m.size() > 0 && rarely(2)) m.row(upto(rows - 1)) *= Scalar(1.5);
        corrupt(m, hostile);
        return m;
    }

    /// Up to `max_count` indices meant for [0, n): mostly valid, sometimes out of range or
    /// repeated when `hostile`.
    std::vector<Index> indices(Index n, Index max_count, bool hostile) {
        std::vector<Index> out;
        const Index count = upto(max_count);
        for (Index j = 0; j < count; ++j) {
            if (hostile && rarely(6)) {
                const std::uint8_t c = byte() % 3;
                out.push_back(c == 0 ? -1 : c == 1 ? n : (out.empty() ? 0 : out.back()));
            } else if (n > 0) {
                const Index i = static_cast<Index>(byte()) % n;
                if (std::find(out.begin(), out.end(), i) == out.end()) out.push_back(i);
            }
        }
        return out;
    }

private:
    template <class M>
    void corrupt(M& m, bool hostile) {
        if (!hostile || m.size() == 0) return;
        const Index hits = upto(2);
        for (Index h = 0; h < hits; ++h)
            m(upto(m.rows() - 1), upto(m.cols() - 1)) = value<typename M::Scalar>();
    }

    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t pos_ = 0;
};

/// Runs f; invalid_input is an accepted outcome, any other exception escapes (and fails).
template <class F>
void accept_invalid(F&& f) {
    try {
        f();
    } catch (const acquire::invalid_input&) {
    }
}

/// Scores of length n; finite when `finite` (value checks ran and accepted the input).
template <class V>
void expect_scores(const V& s, Index n, bool finite, bool allow_infinity = false) {
    if (static_cast<Index>(s.size()) != n) contract_broken("score vector has the wrong length");
    if (!finite) return;
    for (Index i = 0; i < n; ++i) {
        const double v = static_cast<double>(s[i]);
        if (std::isnan(v) || (!allow_infinity && std::isinf(v))) contract_broken("non-finite score on checked input");
    }
}

/// Exactly b picks, unique, in [0, n), none in `unavailable`.
inline void expect_picks(const std::vector<Index>& picks, Index n, Index b, const std::vector<Index>& unavailable) {
    if (static_cast<Index>(picks.size()) != b) contract_broken("wrong number of picks");
    std::vector<Index> sorted = picks;
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) contract_broken("repeated pick");
    for (Index i : picks) {
        if (i < 0 || i >= n) contract_broken("pick out of range");
        if (std::find(unavailable.begin(), unavailable.end(), i) != unavailable.end())
            contract_broken("picked a labeled index");
    }
}

inline void expect_selection(const acquire::Selection& s, Index n, Index b, const std::vector<Index>& unavailable) {
    expect_picks(s.indices, n, b, unavailable);
    if (s.objective.size() != s.indices.size()) contract_broken("objective trace has the wrong length");
}

}  // namespace fuzz

using fuzz::Index;
