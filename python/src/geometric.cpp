#include "common.hpp"

namespace acquire::python {
void bind_geometric(py::module_& m) { (void)m; }
}  // namespace acquire::python
