/// \file
/// Two-stage selection: the most uncertain candidates by any score, then a diversity selector on
/// them.
// Two-stage selection: the most uncertain candidates by any score, then a diversity selector on
// them (Yang et al. 2017's Suggestive Annotation: uncertainty, then facility location).
#pragma once

#include "acquire/core/error.hpp"
#include "acquire/core/selection.hpp"
#include "acquire/core/top_k.hpp"

#include <algorithm>
#include <vector>

namespace acquire {

/// \addtogroup score_selectors
/// @{

/// The m unlabeled indices with the highest scores, highest first (ties: lowest index): the
/// candidate set for a second, diversity stage. Same contract and errors as top_k (m larger
/// than the unlabeled pool is an invalid_input naming `k`).
template <class Derived>
std::vector<Index> prefilter(const Eigen::MatrixBase<Derived>& scores, Index m, const std::vector<Index>& labeled) {
    return top_k(scores, m, labeled);
}

/// Uncertainty then diversity: `select(candidates, b)` runs on prefilter(scores, m, labeled) and
/// must return b of those candidates (pool indices). For example, with facility location:
///
///     auto batch = acquire::hybrid(acquire::entropy(P), 10 * b, labeled, b,
///         [&](const std::vector<acquire::Index>& c, acquire::Index k) {
///             return acquire::facility_location(H, c, k);
///         });
///
/// Throws invalid_input when b > m, m exceeds the unlabeled pool, or the selector returns
/// anything but b distinct indices from the candidates.
template <class Derived, class Selector>
Selection hybrid(const Eigen::MatrixBase<Derived>& scores, Index m, const std::vector<Index>& labeled, Index b,
                 Selector&& select) {
    constexpr const char* fn = "hybrid";
    detail::check_budget(fn, "b", b, m);
    const std::vector<Index> candidates = prefilter(scores, m, labeled);
    Selection picked = select(candidates, b);
    std::vector<Index> sorted = candidates;
    std::sort(sorted.begin(), sorted.end());
    if (picked.size() != b) detail::fail(fn, "the selector returned ", picked.size(), " picks, expected ", b);
    std::vector<Index> seen;
    for (Index i : picked.indices) {
        if (!std::binary_search(sorted.begin(), sorted.end(), i))
            detail::fail(fn, "the selector picked ", i, ", which is not a candidate");
        seen.push_back(i);
    }
    std::sort(seen.begin(), seen.end());
    if (std::adjacent_find(seen.begin(), seen.end()) != seen.end()) detail::fail(fn, "the selector repeated a pick");
    return picked;
}

/// @}

}  // namespace acquire
