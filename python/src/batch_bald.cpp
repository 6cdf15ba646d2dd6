#include "common.hpp"

namespace acquire::python {
void bind_batch_bald(py::module_& m) { (void)m; }
}  // namespace acquire::python
