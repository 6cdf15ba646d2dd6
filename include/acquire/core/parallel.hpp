/// \file
/// Internal: the one place acquire touches OpenMP (namespace acquire::detail, no public names).
// The one place acquire touches OpenMP. Without -fopenmp everything runs serially; with it,
// loops whose iterations are independent run in parallel. Every parallel loop in acquire writes
// each output element from exactly one iteration and reduces nothing across threads, so results
// are bit-identical on any thread count.
#pragma once

#include "acquire/core/types.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace acquire::detail {

/// Calls body(i) for i in [0, n), in parallel when OpenMP is enabled, n is at least
/// `min_parallel` and we are not already inside a parallel region. `body` must not throw
/// (validate before the loop) and must write disjoint outputs for different i.
template <class Body>
void parallel_for(Index n, Index min_parallel, Body&& body) {
#ifdef _OPENMP
    if (n >= min_parallel && n > 1 && !omp_in_parallel() && omp_get_max_threads() > 1) {
#pragma omp parallel for schedule(static)
        for (Index i = 0; i < n; ++i) body(i);
        return;
    }
#else
    (void)min_parallel;
#endif
    for (Index i = 0; i < n; ++i) body(i);
}

}  // namespace acquire::detail
