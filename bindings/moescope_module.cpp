// Python module `moescope`: a thin layer over core/ for design studies. Everything crosses as plain Python
// data (dicts, lists, floats) in SI units, the same JSON the CLI writes with --json; nothing here computes
// performance itself.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "study/models.hpp"
#include "study/session.hpp"
#include "util/version.hpp"

namespace py = pybind11;
using namespace moescope;

namespace {

py::object to_python(const Json& j) {
  return py::module_::import("json").attr("loads")(j.dump());
}
Json from_python(const py::handle& obj) {
  return Json::parse(py::module_::import("json").attr("dumps")(obj).cast<std::string>());
}

// The module's session: files are re-read when they change.
Session& session() {
  static Session s;
  return s;
}
std::shared_ptr<const HardwareDatabase> hwdb() {
  return session().hwdb();
}
std::shared_ptr<const ModelCatalog> catalog() {
  return session().catalog();
}

Scenario scenario_from(const py::object& scenario) {
  if (py::isinstance<py::str>(scenario)) return session().load_scenario(scenario.cast<std::string>());
  return session().read_scenario(from_python(scenario), "<python dict>");
}

} // namespace

PYBIND11_MODULE(moescope, m) {
  m.doc() = "moescope: analytical model of multi-node Mixture-of-Experts inference";
  m.attr("__version__") = moescope_version();
  py::register_exception<InputError>(m, "InputError", PyExc_ValueError);

  m.def(
      "accelerator_names",
      [] {
        std::vector<std::string> names;
        const auto db = hwdb();
        for (const auto& [name, a] : db->accelerators())
          names.push_back(name);
        return names;
      },
      "Names of the accelerators in hwdb/");
  m.def(
      "accelerator", [](const std::string& name) { return to_python(accelerator_to_json(hwdb()->accelerator(name))); },
      py::arg("name"), "Every figure of one accelerator, with sources (SI units)");
  m.def(
      "system", [](const std::string& name) { return to_python(system_to_json(hwdb()->system(name))); },
      py::arg("name"), "One system (node and cluster) from hwdb/");
  m.def(
      "hbm_bandwidth_bytes_per_s",
      [](const std::string& name) { return hwdb()->accelerator(name).hbm_bandwidth_bytes_per_s.value; },
      py::arg("accelerator"), "HBM bandwidth of an accelerator, bytes/s");
  m.def(
      "model_names", [] { return catalog()->names(); }, "Names of the models in models/catalog/");
  m.def(
      "model",
      [](const std::string& name) {
        const auto models = catalog();
        const ModelArchitecture& arch = models->get(name);
        Json j = model_to_json(arch);
        const ParameterCount p = count_parameters(arch);
        j["parameters"] = {{"total", p.total}, {"active_per_token", p.active_per_token}};
        return to_python(j);
      },
      py::arg("name"), "A model's architecture and parameter counts");
  m.def(
      "evaluate",
      [](const py::object& scenario) {
        Scenario s = scenario_from(scenario);
        return to_python(session().evaluate(s).report().json);
      },
      py::arg("scenario"),
      "Evaluate a scenario (a path to a scenario JSON file, or a dict in the same format); returns the report "
      "that `moescope eval -o` writes, as a dict. Bad input raises InputError (a ValueError) naming the JSON path.");
}
