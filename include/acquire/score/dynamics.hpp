/// \file
/// Training-dynamics scores: acquire::LabelDispersion and acquire::ForgettingEvents over the
/// epochs of one run.
// Training-dynamics scores: what a model's predictions did over the epochs of one training run.
//
// - LabelDispersion (Bengar et al. 2021, "When Deep Learners Change Their Mind"): how often the
//   predicted label of each pool sample changed its mind across epochs;
// - ForgettingEvents (Toneva et al. 2019, "An Empirical Study of Example Forgetting"): how often
//   each training sample went from classified correctly to misclassified.
//
// Both are trackers: call `observe` from the training loop (once per epoch, or per mini-batch
// for forgetting events), read the scores when the round ends.
//
//     acquire::LabelDispersion dispersion(n, k);
//     for (int epoch = 0; epoch < epochs; ++epoch) {
//         train_one_epoch();
//         dispersion.observe(predicted_labels_on_pool);   // N class ids
//     }
//     auto batch = acquire::top_k(dispersion.scores(), b, labeled);
//
// A tracker is not thread-safe: observe from one thread, or guard it with a lock.
#pragma once

#include "acquire/core/error.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

namespace acquire {

namespace detail {

/// Calls f(i, value) for each entry of a vector-shaped Eigen expression or a std::vector.
template <class Derived, class F>
void for_each_entry(const Eigen::DenseBase<Derived>& v, F&& f) {
    for (Index i = 0; i < v.size(); ++i) f(i, v.coeff(i));
}
template <class T, class A, class F>
void for_each_entry(const std::vector<T, A>& v, F&& f) {
    for (std::size_t i = 0; i < v.size(); ++i) f(static_cast<Index>(i), static_cast<T>(v[i]));
}
template <class Derived>
Index entry_count(const Eigen::DenseBase<Derived>& v) {
    return v.size();
}
template <class T, class A>
Index entry_count(const std::vector<T, A>& v) {
    return static_cast<Index>(v.size());
}
/// Index i of a tracker of n samples, checked, as a std::size_t.
inline std::size_t tracker_index(const char* tracker, const char* what, Index i, Index n) {
    if (i < 0 || i >= n) fail(tracker, what, " index ", i, " out of range [0, ", n, ")");
    return static_cast<std::size_t>(i);
}

template <class V>
using entry_t = std::decay_t<decltype(std::declval<const V&>()[0])>;

}  // namespace detail

/// \addtogroup training_dynamics
/// @{

/// Label dispersion (Bengar, Raducanu, van de Weijer 2021): over T observed epochs,
///
///   dispersion(x) = 1 - f_x / T,   f_x = number of epochs whose prediction was the modal label c*
///
/// (c* the label predicted most often; ties between modal labels do not change f_x). In
/// [0, 1 - 1/K] (capped by 1 - 1/T); 0 when every epoch predicted the same label. Higher = the
/// model kept changing its mind = query first.
///
/// Memory: an N x K table of 32-bit counts plus N running maxima (O(N K), as the definition
/// needs the count of every label), updated in O(N) per epoch; `scores()` is O(N).
class LabelDispersion {
public:
    /// A tracker for a pool of n samples and K classes (both >= 1).
    LabelDispersion(Index n, Index classes) : n_(n), k_(classes) {
        constexpr const char* fn = "LabelDispersion";
        if (n < 1) detail::fail(fn, "n must be >= 1, got ", n);
        if (classes < 1) detail::fail(fn, "classes must be >= 1, got ", classes);
        if (classes > std::numeric_limits<Index>::max() / n)
            detail::fail(fn, "n x classes overflows: ", n, " x ", classes);
        counts_.assign(static_cast<std::size_t>(n * classes), 0);
        modal_.assign(static_cast<std::size_t>(n), 0);
    }

    /// Records one epoch: `labels[i]` is the class predicted for sample i, in [0, K). Any
    /// integer-valued Eigen vector (a Map over a framework's argmax buffer works) or a
    /// std::vector. The whole epoch is validated before anything is recorded, so a throw leaves
    /// the tracker unchanged.
    ///
    /// Throws invalid_input when the number of labels is not the n given at construction (the
    /// pool changed between epochs) or a label is out of [0, K) (naming the row).
    template <class Labels>
    void observe(const Labels& labels) {
        constexpr const char* fn = "LabelDispersion::observe";
        using T = detail::entry_t<Labels>;
        static_assert(std::is_integral_v<T>, "LabelDispersion::observe takes integer class ids");
        detail::check_vector(fn, "labels", labels);
        const Index m = detail::entry_count(labels);
        if (m != n_)
            detail::fail(fn, "labels has ", m, " entries but the tracker was built for ", n_,
                         " samples (the pool must not change between epochs)");
        detail::for_each_entry(labels, [&](Index i, T c) {
            if (static_cast<long long>(c) < 0 || static_cast<long long>(c) >= k_)
                detail::fail(fn, "labels row ", i, " is ", static_cast<long long>(c),
                             ", out of range [0, ", k_, ")");
        });
        if (epochs_ == std::numeric_limits<std::uint32_t>::max())
            detail::fail(fn, "more than 2^32 - 1 epochs observed");
        detail::for_each_entry(labels, [&](Index i, T c) {
            const auto s = static_cast<std::size_t>(i);
            const std::uint32_t v = ++counts_[static_cast<std::size_t>(i * k_ + static_cast<Index>(c))];
            modal_[s] = std::max(modal_[s], v);
        });
        ++epochs_;
    }

    /// Epochs observed so far.
    Index epochs() const { return epochs_; }
    /// N, the samples tracked.
    Index size() const { return n_; }
    /// K, the classes.
    Index classes() const { return k_; }

    /// f_x: the number of epochs that predicted sample x's modal label.
    Index modal_count(Index i) const { return modal_[checked(i, "modal_count")]; }

    /// The modal label of sample i; ties go to the lowest class id.
    Index modal_label(Index i) const {
        const auto s = checked(i, "modal_label");
        const auto first = counts_.begin() + static_cast<std::ptrdiff_t>(s) * k_;
        return std::max_element(first, first + k_) - first;
    }

    /// 1 - f_x / T for every sample. Throws invalid_input before the first epoch (T = 0).
    Eigen::VectorXd scores() const {
        if (epochs_ == 0) detail::fail("LabelDispersion::scores", "no epoch observed yet");
        Eigen::VectorXd out(n_);
        const double t = static_cast<double>(epochs_);
        for (Index i = 0; i < n_; ++i) out[i] = 1.0 - static_cast<double>(modal_[static_cast<std::size_t>(i)]) / t;
        return out;
    }

private:
    std::size_t checked(Index i, const char* what) const {
        return detail::tracker_index("LabelDispersion", what, i, n_);
    }

    Index n_, k_;
    std::uint32_t epochs_ = 0;
    std::vector<std::uint32_t> counts_;  // n x k, row-major
    std::vector<std::uint32_t> modal_;   // max over the row of counts_
};

/// Forgetting events (Toneva et al. 2019): a sample is *learned* at a presentation where it is
/// classified correctly; a *forgetting event* is a presentation where a sample that was correct
/// at its previous presentation is misclassified (a learned -> forgotten transition).
///
/// Per sample the tracker keeps the number of presentations, whether it was ever learned, its
/// last correctness and its forgetting count. Samples never learned are reported apart: the
/// paper ranks them as the most forgettable of all, and `scores()` gives them +infinity.
/// Unforgettable samples are those learned at some presentation and never forgotten after.
/// Memory O(N); each observation O(1).
class ForgettingEvents {
public:
    /// A tracker for n >= 1 training samples.
    explicit ForgettingEvents(Index n) : n_(n) {
        if (n < 1) detail::fail("ForgettingEvents", "n must be >= 1, got ", n);
        const auto s = static_cast<std::size_t>(n);
        presentations_.assign(s, 0);
        forgotten_.assign(s, 0);
        state_.assign(s, unseen);
    }

    /// One presentation of every sample: `correct[i]` says whether sample i was classified
    /// correctly. Bool or 0/1 integer entries (an Eigen vector, a Map over a framework's
    /// `pred == y` buffer, or a std::vector). Validated first; a throw leaves the tracker
    /// unchanged. Throws invalid_input on a size other than n, or an entry other than 0 or 1.
    template <class Correct>
    void observe(const Correct& correct) {
        constexpr const char* fn = "ForgettingEvents::observe";
        detail::check_vector(fn, "correct", correct);
        const Index m = detail::entry_count(correct);
        if (m != n_)
            detail::fail(fn, "correct has ", m, " entries but the tracker was built for ", n_,
                         " samples");
        check_flags(fn, correct);
        detail::for_each_entry(correct, [&](Index i, auto c) { record(i, c != 0); });
    }

    /// One mini-batch, as in the paper's implementation: sample `indices[j]` was presented and
    /// classified correctly iff `correct[j]`. Throws invalid_input when the sizes differ, an
    /// index is out of [0, n) or repeats within the batch, or an entry is not 0 or 1.
    template <class Indices, class Correct>
    void observe(const Indices& indices, const Correct& correct) {
        constexpr const char* fn = "ForgettingEvents::observe";
        detail::check_vector(fn, "indices", indices);
        detail::check_vector(fn, "correct", correct);
        using I = detail::entry_t<Indices>;
        static_assert(std::is_integral_v<I>, "ForgettingEvents::observe takes integer indices");
        const Index m = detail::entry_count(indices);
        if (detail::entry_count(correct) != m)
            detail::fail(fn, "indices has ", m, " entries but correct has ", detail::entry_count(correct));
        check_flags(fn, correct);
        std::vector<Index> batch;
        batch.reserve(static_cast<std::size_t>(m));
        detail::for_each_entry(indices, [&](Index, I i) { batch.push_back(static_cast<Index>(i)); });
        detail::sorted_indices(fn, "indices", batch, n_);  // range and duplicates
        detail::for_each_entry(correct, [&](Index j, auto c) { record(batch[static_cast<std::size_t>(j)], c != 0); });
    }

    /// N, the samples tracked.
    Index size() const { return n_; }
    /// Times sample i was presented.
    Index presentations(Index i) const { return presentations_[checked(i, "presentations")]; }
    /// Learned -> forgotten transitions of sample i.
    Index count(Index i) const { return forgotten_[checked(i, "count")]; }
    /// Sample i was classified correctly at some presentation.
    bool learned(Index i) const { return state_[checked(i, "learned")] >= learned_wrong; }

    /// Forgetting counts of all samples (0 for samples never learned or never presented).
    Eigen::VectorXi counts() const {
        Eigen::VectorXi out(n_);
        for (Index i = 0; i < n_; ++i) out[i] = static_cast<int>(std::min<std::uint32_t>(
            forgotten_[static_cast<std::size_t>(i)], std::numeric_limits<int>::max()));
        return out;
    }

    /// Samples presented at least once and never classified correctly, ascending.
    std::vector<Index> never_learned() const {
        return collect([&](std::size_t s) { return state_[s] == seen_wrong; });
    }

    /// Samples learned at some presentation and never forgotten, ascending (the paper's
    /// candidates for removal from the training set).
    std::vector<Index> unforgettable() const {
        return collect([&](std::size_t s) { return state_[s] >= learned_wrong && forgotten_[s] == 0; });
    }

    /// Higher = more forgettable = query (or keep) first: the forgetting count, +infinity for
    /// samples presented but never learned, 0 for samples never presented.
    Eigen::VectorXd scores() const {
        Eigen::VectorXd out(n_);
        for (Index i = 0; i < n_; ++i) {
            const auto s = static_cast<std::size_t>(i);
            out[i] = state_[s] == seen_wrong ? std::numeric_limits<double>::infinity()
                                             : static_cast<double>(forgotten_[s]);
        }
        return out;
    }

private:
    // unseen: never presented; seen_wrong: presented, never correct; learned_*: correct at some
    // presentation, and the last presentation was wrong / right.
    enum : std::uint8_t { unseen, seen_wrong, learned_wrong, learned_right };

    template <class Correct>
    static void check_flags(const char* fn, const Correct& correct) {
        using T = detail::entry_t<Correct>;
        static_assert(std::is_integral_v<T>, "ForgettingEvents::observe takes bool or 0/1 flags");
        if constexpr (!std::is_same_v<T, bool>)
            detail::for_each_entry(correct, [&](Index j, T c) {
                if (c != T(0) && c != T(1))
                    detail::fail(fn, "correct entry ", j, " is ", static_cast<long long>(c),
                                 " (must be 0 or 1)");
            });
    }

    void record(Index i, bool correct) {
        const auto s = static_cast<std::size_t>(i);
        if (presentations_[s] < std::numeric_limits<std::uint32_t>::max()) ++presentations_[s];
        std::uint8_t& st = state_[s];
        if (correct) {
            st = learned_right;
        } else if (st == learned_right) {
            ++forgotten_[s];
            st = learned_wrong;
        } else if (st == unseen) {
            st = seen_wrong;
        }
    }

    template <class Keep>
    std::vector<Index> collect(Keep keep) const {
        std::vector<Index> out;
        for (Index i = 0; i < n_; ++i)
            if (keep(static_cast<std::size_t>(i))) out.push_back(i);
        return out;
    }

    std::size_t checked(Index i, const char* what) const {
        return detail::tracker_index("ForgettingEvents", what, i, n_);
    }

    Index n_;
    std::vector<std::uint32_t> presentations_, forgotten_;
    std::vector<std::uint8_t> state_;
};

/// @}

}  // namespace acquire
