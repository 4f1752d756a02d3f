// The hardware database and the model catalog as the file format (dicts with value/source/note per figure); the
// package flattens them into DataFrames with *_source columns.
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "py_json.hpp"
#include "study/models.hpp"
#include "util/diagnostics.hpp"

namespace moescope::py_bindings {

void init_data(py::module_& m) {
  m.def(
      "_hw_items",
      [](const std::string& kind, const py::object& session) {
        const auto db = session_or_default(session).hwdb();
        py::list out;
        if (kind == "accelerators")
          for (const auto& [name, a] : db->accelerators())
            out.append(to_python(accelerator_to_json(a)));
        else if (kind == "interconnects")
          for (const auto& [name, i] : db->interconnects())
            out.append(to_python(interconnect_to_json(i)));
        else if (kind == "systems")
          for (const auto& [name, s] : db->systems())
            out.append(to_python(system_to_json(s)));
        else
          throw InputError("kind", "", "expected accelerators, interconnects or systems, got '" + kind + "'");
        return out;
      },
      py::arg("kind"), py::arg("session"));
  m.def(
      "_models",
      [](const py::object& session) {
        const auto catalog = session_or_default(session).catalog();
        py::list out;
        for (const auto& name : catalog->names()) {
          const ModelArchitecture& arch = catalog->get(name);
          Json j = model_to_json(arch);
          const ParameterCount p = count_parameters(arch);
          j["parameters"] = {{"total", p.total}, {"active_per_token", p.active_per_token}};
          out.append(to_python(j));
        }
        return out;
      },
      py::arg("session"));
}

} // namespace moescope::py_bindings
