/// \file
/// The k highest scores: acquire::top_k, and acquire::TopK, the streaming and mergeable
/// accumulator.
// top_k and the streaming, mergeable TopK accumulator.
//
// Order: higher score first; equal scores by lower index. This is a strict total order on
// (score, index) pairs, so the k best are unique and the answer does not depend on the order
// in which scores arrive: scoring a pool chunk by chunk, or on several workers whose TopK are
// merged, gives exactly the indices of top_k on the whole vector.
#pragma once

#include "acquire/core/error.hpp"

#include <algorithm>
#include <utility>
#include <vector>

namespace acquire {

namespace detail {

/// Calls f with the vector `v` (a row or a column) seen as a column with direct, vectorisable
/// access; `reshaped()` would compute a row and a column for every coefficient.
template <class Derived, class F>
void as_column(const Eigen::MatrixBase<Derived>& v, F&& f) {
    if (v.cols() == 1)
        f(v.derived().col(0));
    else
        f(v.derived().row(0).transpose());
}

}  // namespace detail

/// \addtogroup core_vocabulary
/// @{

/// Streaming top-k: keeps the k best (score, index) pairs seen so far in a heap of size k.
/// O(k) memory; `push` is O(1) for a score below the current k-th best (the common case) and
/// O(log k) otherwise. Indices pushed must be distinct (each sample scored once).
///
///     acquire::TopK<float> best(1000);
///     for (each chunk of the pool starting at row `offset`)
///         best.push(acquire::entropy(chunk), offset);
///     std::vector<acquire::Index> picks = best.indices();   // best first
///
/// NaN scores throw invalid_input: they have no place in the order.
template <class Scalar>
class TopK {
public:
    /// Keeps the best k scores pushed (k >= 0, else invalid_input).
    explicit TopK(Index k) : k_(k) {
        if (k < 0) detail::fail("TopK", "k must be >= 0, got ", k);
        heap_.reserve(static_cast<std::size_t>(k));
    }

    /// The k given at construction.
    Index k() const { return k_; }
    /// Scores kept so far: min(k, scores pushed).
    Index size() const { return static_cast<Index>(heap_.size()); }

    /// Offers one sample.
    void push(Index index, Scalar score) {
        if (score != score) detail::fail("TopK::push", "score of index ", index, " is NaN");
        offer(index, score);
    }

    /// Offers a chunk of scores (any Eigen vector expression); entry j is sample `offset + j`.
    template <class Derived>
    void push(const Eigen::MatrixBase<Derived>& scores, Index offset = 0) {
        detail::check_vector("TopK::push", "scores", scores);
        detail::as_column(scores, [&](const auto& flat) { push_column(flat, offset); });
    }

    /// Folds in another accumulator's candidates (same k).
    void merge(const TopK& other) {
        for (const auto& [s, i] : other.heap_) offer(i, s);
    }

    /// The indices kept, best first.
    std::vector<Index> indices() const {
        std::vector<Index> out;
        out.reserve(heap_.size());
        for (const auto& [s, i] : sorted()) out.push_back(i);
        return out;
    }

    /// The (score, index) pairs kept, best first.
    std::vector<std::pair<Scalar, Index>> sorted() const {
        auto out = heap_;
        std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) {
            return better(a.first, a.second, b.first, b.second);
        });
        return out;
    }

private:
    using Entry = std::pair<Scalar, Index>;
    static constexpr Index chunk = 128;  // scores per vectorised skip test in push(vector)

    template <class Column>
    void push_column(const Column& flat, Index offset) {
        const Index n = flat.size();
        for (Index begin = 0; begin < n; begin += chunk) {
            const Index end = std::min(n, begin + chunk);
            // Once the heap is full, a chunk whose maximum is strictly below the k-th best cannot
            // contribute: one vectorised max replaces `chunk` compares. NaN propagates into the
            // max, so a chunk holding one is never skipped and the loop below names it.
            if (k_ > 0 && full() &&
                static_cast<Scalar>(flat.segment(begin, end - begin)
                                        .template maxCoeff<Eigen::PropagateNaN>()) <
                    heap_.front().first)
                continue;
            for (Index j = begin; j < end; ++j) {
                const auto s = static_cast<Scalar>(flat.coeff(j));
                if (s != s)
                    detail::fail("TopK::push", "scores entry ", j, " (index ", offset + j,
                                 ") is NaN");
                // Below the k-th best: one comparison and no heap work.
                if (k_ == 0 ||
                    (full() && !better(s, offset + j, heap_.front().first, heap_.front().second)))
                    continue;
                offer(offset + j, s);
            }
        }
    }

    static bool better(Scalar sa, Index ia, Scalar sb, Index ib) {
        return sa > sb || (sa == sb && ia < ib);
    }
    // Heap order: the worst kept entry sits at the front.
    static bool heap_less(const Entry& a, const Entry& b) {
        return better(a.first, a.second, b.first, b.second);
    }
    bool full() const { return static_cast<Index>(heap_.size()) >= k_; }

    void offer(Index index, Scalar score) {
        if (k_ == 0) return;
        if (!full()) {
            heap_.emplace_back(score, index);
            std::push_heap(heap_.begin(), heap_.end(), heap_less);
        } else if (better(score, index, heap_.front().first, heap_.front().second)) {
            std::pop_heap(heap_.begin(), heap_.end(), heap_less);
            heap_.back() = Entry(score, index);
            std::push_heap(heap_.begin(), heap_.end(), heap_less);
        }
    }

    Index k_;
    std::vector<Entry> heap_;
};

/// The indices of the k highest scores, highest first, ties by lowest index, never an index in
/// `exclude`. One streaming pass, O(k + |exclude| log |exclude|) extra memory.
///
/// Throws invalid_input when `scores` is not a vector or holds a NaN, `exclude` has an index
/// out of range or a duplicate, or k is negative or larger than the number of scores left
/// once `exclude` is removed.
template <class Derived>
std::vector<Index> top_k(const Eigen::MatrixBase<Derived>& scores, Index k,
                         const std::vector<Index>& exclude = {}) {
    constexpr const char* fn = "top_k";
    detail::check_vector(fn, "scores", scores);
    const Index n = scores.size();
    const auto skip = detail::sorted_indices(fn, "exclude", exclude, n);
    detail::check_budget(fn, "k", k, n - static_cast<Index>(skip.size()));
    using Scalar = typename Derived::Scalar;
    TopK<Scalar> best(k);
    detail::as_column(scores, [&](const auto& v) {
        if (v.hasNaN())
            for (Index i = 0; i < n; ++i)
                if (v.coeff(i) != v.coeff(i)) detail::fail(fn, "scores entry ", i, " is NaN");
        // Walk the scores between consecutive excluded indices as contiguous segments.
        Index begin = 0;
        auto push_segment = [&](Index end) {
            if (end > begin) best.push(v.segment(begin, end - begin), begin);
        };
        for (const Index e : skip) {
            push_segment(e);
            begin = e + 1;
        }
        push_segment(n);
    });
    return best.indices();
}

/// @}

}  // namespace acquire
