#include "common.hpp"

namespace acquire::python {
void bind_by_score(py::module_& m) { (void)m; }
}  // namespace acquire::python
