#include "common.hpp"

namespace acquire::python {
void bind_embedding_scorers(py::module_& m) { (void)m; }
}  // namespace acquire::python
