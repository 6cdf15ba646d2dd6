// The acquire_al._core extension: one registration function per binding file, each mirroring
// a family of include/acquire.
#include "common.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace acquire::python {

int& requested_threads() {
    static int n = 0;
    return n;
}

}  // namespace acquire::python

PYBIND11_MODULE(_core, m) {
    using namespace acquire::python;
    m.doc() = "acquire: active-learning acquisition functions (C++ core). Import acquire_al.";
    m.def(
        "set_num_threads",
        [](int n) {
            if (n < 1) throw acquire::invalid_input("acquire::set_num_threads: n must be >= 1, got " + std::to_string(n));
            requested_threads() = n;
#ifdef _OPENMP
            omp_set_num_threads(n);
#endif
        },
        py::arg("n"),
        "Threads for every later call, from any Python thread (OpenMP; without OpenMP the module\n"
        "is serial and this only records n). Results do not depend on it.");
    m.def(
        "get_num_threads",
        []() {
#ifdef _OPENMP
            return requested_threads() > 0 ? requested_threads() : omp_get_max_threads();
#else
            return 1;
#endif
        },
        "Threads a call uses (set_num_threads, else OMP_NUM_THREADS, else the cores).");
    m.attr("openmp") = py::bool_(
#ifdef _OPENMP
        true
#else
        false
#endif
    );
    bind_core(m);
    bind_neighbors(m);
    bind_uncertainty(m);
    bind_stack_scorers(m);
    bind_dense(m);
    bind_embedding_scorers(m);
    bind_dynamics(m);
    bind_geometric(m);
    bind_clustering(m);
    bind_batch_bald(m);
    bind_by_score(m);
    bind_synthetic(m);
}
