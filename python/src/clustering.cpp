#include "common.hpp"

namespace acquire::python {
void bind_clustering(py::module_& m) { (void)m; }
}  // namespace acquire::python
