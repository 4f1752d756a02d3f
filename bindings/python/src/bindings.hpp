#pragma once
// Shared declarations of the extension module `moescope._core`: each bindings file registers one part of the API.
// The bindings arrange core results for Python (attributes, numpy arrays, column dicts); they compute nothing.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <memory>

#include "study/session.hpp"

namespace moescope::py_bindings {

namespace py = pybind11;

// A scenario as Python holds it: the parsed scenario (its JSON form is scenario_to_json, the file format).
struct PyScenario {
  Scenario scenario;
};

// The Session Python code passes, or the package's default one (moescope.default_session()) when None.
Session& session_or_default(const py::object& session);

// A read-only numpy array over `data` (no copy) kept alive by `owner`.
template <typename T>
py::array_t<T> borrowed_array(const T* data, std::vector<py::ssize_t> shape, std::shared_ptr<const void> owner) {
  auto* keep = new std::shared_ptr<const void>(std::move(owner));
  py::capsule base(keep, [](void* p) { delete static_cast<std::shared_ptr<const void>*>(p); });
  py::array_t<T> a(shape, data, base);
  py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return a;
}

// A pandas DataFrame from a dict of columns (pandas imported on first use).
py::object data_frame(const py::dict& columns);

void init_errors(py::module_& m);
void init_scenario(py::module_& m);
void init_evaluation(py::module_& m);
void init_study(py::module_& m);
void init_data(py::module_& m);
void init_trace(py::module_& m);

} // namespace moescope::py_bindings
