// Bad input crosses as moescope.InputError, a ValueError whose .diagnostics lists every problem found as
// (file, JSON pointer or location, message) tuples, so that a design-study script can point at the offending field.
#include "bindings.hpp"
#include "util/diagnostics.hpp"

namespace moescope::py_bindings {

void init_errors(py::module_& m) {
  static py::exception<InputError> input_error(m, "InputError", PyExc_ValueError);
  input_error.doc() = "Bad input (a ValueError). `.diagnostics`: list of (file, location, message) tuples; the "
                      "location is a JSON pointer such as '/deployment/nodes', a line or byte offset, or ''.";
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const InputError& e) {
      py::list diagnostics;
      for (const auto& d : e.diagnostics().items())
        diagnostics.append(py::make_tuple(d.file, d.location, d.message));
      py::object instance = py::reinterpret_borrow<py::object>(input_error)(py::str(e.what()));
      instance.attr("diagnostics") = diagnostics;
      PyErr_SetObject(input_error.ptr(), instance.ptr());
    }
  });
}

} // namespace moescope::py_bindings
