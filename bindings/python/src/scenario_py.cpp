// Session (the caches of files read) and Scenario (typed, immutable: JSON-pointer edits return a new scenario).
#include "bindings.hpp"
#include "py_json.hpp"
#include "study/json_pointer.hpp"
#include "util/diagnostics.hpp"

namespace moescope::py_bindings {

namespace {

PyScenario replaced(const PyScenario& s, const py::dict& edits, Session& session) {
  Json j = scenario_to_json(s.scenario);
  Diagnostics bad;
  for (const auto& [k, v] : edits) {
    const std::string path = py::str(k);
    if (!valid_json_pointer(path) || !set_json_pointer(j, path, from_python(v, path)))
      bad.add(s.scenario.file.empty() ? "<inline>" : s.scenario.file, path,
              "not a JSON pointer to a field of the scenario");
  }
  bad.throw_if_any();
  return PyScenario{session.read_scenario(j, s.scenario.file)};
}

Json get_pointer(const PyScenario& s, const std::string& path) {
  const Json j = scenario_to_json(s.scenario);
  if (!valid_json_pointer(path)) throw InputError(s.scenario.file, path, "not a JSON pointer");
  const Json::json_pointer p(path);
  if (!j.contains(p)) throw InputError(s.scenario.file, path, "the scenario has no such field");
  return j.at(p);
}

} // namespace

void init_scenario(py::module_& m) {
  py::class_<Session>(m, "Session",
                      "The files a process reads (hardware database, model catalog, calibrations, traces), cached by "
                      "file version: an edited file is read again on the next call.")
      .def(py::init<std::string>(), py::arg("data_root") = "",
           "data_root: the folder holding hwdb/ and models/ (default: $MOESCOPE_DATA_DIR or the source tree)")
      .def_property_readonly("data_root", &Session::data_root, "the folder holding hwdb/ and models/")
      .def_property_readonly("hwdb_dir", &Session::hwdb_dir, "data_root + '/hwdb'")
      .def_property_readonly("model_catalog_dir", &Session::model_catalog_dir, "data_root + '/models/catalog'");

  py::class_<PyScenario>(m, "Scenario",
                         "A scenario (model, hardware, deployment, workload, routing, placement, engine), checked on "
                         "construction. Immutable: replace() returns a new one.")
      .def_static(
          "load",
          [](const std::string& path, const py::object& session) {
            return PyScenario{session_or_default(session).load_scenario(path)};
          },
          py::arg("path"), py::arg("session") = py::none(),
          "Reads a scenario file; InputError names the file and JSON pointer of every problem.")
      .def_static(
          "from_dict",
          [](const py::dict& d, const std::string& file, const py::object& session) {
            return PyScenario{session_or_default(session).read_scenario(from_python(d), file)};
          },
          py::arg("data"), py::arg("file") = "", py::arg("session") = py::none(),
          "A scenario from a dict in the file format; `file` resolves relative trace paths.")
      .def(
          "replace",
          [](const PyScenario& s, const py::dict& edits, const py::object& session) {
            return replaced(s, edits, session_or_default(session));
          },
          py::arg("edits"), py::arg("session") = py::none(),
          "A new scenario with {JSON pointer: value} edits applied, e.g. {'/deployment/nodes': 4}.")
      .def(
          "get", [](const PyScenario& s, const std::string& path) { return to_python(get_pointer(s, path)); },
          py::arg("path"), "The value at a JSON pointer of to_dict().")
      .def(
          "to_dict", [](const PyScenario& s) { return to_python(scenario_to_json(s.scenario)); },
          "The scenario in the file format (trace paths absolute).")
      .def_property_readonly(
          "name", [](const PyScenario& s) { return s.scenario.name; }, "the scenario's name field")
      .def_property_readonly(
          "file", [](const PyScenario& s) { return s.scenario.file; }, "The file it was read from ('' for a dict)")
      .def("__repr__",
           [](const PyScenario& s) {
             return "<moescope.Scenario '" + s.scenario.name + "'" +
                    (s.scenario.file.empty() ? "" : " from " + s.scenario.file) + ">";
           })
      .def(py::pickle(
          // Pickled as (file format, file) so that Dask workers rebuild it with their own session.
          [](const PyScenario& s) { return py::make_tuple(to_python(scenario_to_json(s.scenario)), s.scenario.file); },
          [](const py::tuple& t) {
            return PyScenario{
                session_or_default(py::none()).read_scenario(from_python(t[0]), t[1].cast<std::string>())};
          }));
}

} // namespace moescope::py_bindings
