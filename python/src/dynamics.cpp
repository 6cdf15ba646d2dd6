#include "common.hpp"

namespace acquire::python {
void bind_dynamics(py::module_& m) { (void)m; }
}  // namespace acquire::python
