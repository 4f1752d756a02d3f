// The compiled part of the `moescope` package. The public API is the package (bindings/python/moescope/), which adds
// pandas frames, Dask, progress bars and plots over these bindings.
#include "bindings.hpp"
#include "util/data_paths.hpp"
#include "util/version.hpp"

namespace moescope::py_bindings {

Session& session_or_default(const py::object& session) {
  if (!session.is_none()) return session.cast<Session&>();
  return py::module_::import("moescope").attr("default_session")().cast<Session&>();
}

py::object data_frame(const py::dict& columns) {
  return py::module_::import("pandas").attr("DataFrame")(columns);
}

} // namespace moescope::py_bindings

PYBIND11_MODULE(_core, m) {
  using namespace moescope::py_bindings;
  m.doc() = "moescope._core: compiled bindings of the moescope study facade (use the `moescope` package)";
  m.attr("__version__") = moescope::moescope_version();
  // The installed package points core at its packaged data, so that every path core resolves itself (calibrations,
  // traces relative to the data root) finds it too, not only what a Session is given.
  m.def("_set_default_data_root", &moescope::set_default_data_root, py::arg("root"));
  m.def("_data_root", &moescope::data_root, "$MOESCOPE_DATA_DIR, else the default root set, else the source tree");
  init_errors(m);
  init_scenario(m);
  init_evaluation(m);
  init_study(m);
  init_data(m);
  init_trace(m);
}
