#include "common.hpp"

namespace acquire::python {
void bind_stack_scorers(py::module_& m) { (void)m; }
}  // namespace acquire::python
