/// \file
/// The result of a batch selector: acquire::Selection.
// The result of a batch selector.
#pragma once

#include "acquire/core/error.hpp"

#include <vector>

namespace acquire {

/// \addtogroup core_vocabulary
/// @{

/// A batch chosen by a selector: the picked pool indices in pick order, and the selector's
/// objective after each pick (`objective[j]` is the value once `indices[0..j]` are chosen:
/// the covering radius for k-center, the D^2 potential for k-means++, the coverage for
/// facility location, the joint mutual information for BatchBALD). Each selector's comment
/// says which objective it records. Picks are unique, in range and never labeled.
struct Selection {
    /// The picked pool indices, in pick order.
    std::vector<Index> indices;
    /// The selector's objective after each pick (see above).
    std::vector<double> objective;

    /// Number of picks.
    Index size() const { return static_cast<Index>(indices.size()); }
};

/// @}

}  // namespace acquire
