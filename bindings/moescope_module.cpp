// Python module `moescope`: a thin layer over core/. For now: the hardware database and the model catalog.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "hw/hardware_database.hpp"
#include "util/data_paths.hpp"

namespace py = pybind11;

PYBIND11_MODULE(moescope, m) {
  m.doc() = "moescope: analytical model of multi-node Mixture-of-Experts inference";
  m.attr("__version__") = "0.1.0";
  m.def(
      "accelerator_names",
      [] {
        auto db = moescope::HardwareDatabase::load_or_throw(moescope::hwdb_dir());
        std::vector<std::string> names;
        for (const auto& [name, a] : db.accelerators()) names.push_back(name);
        return names;
      },
      "Names of the accelerators in hwdb/");
  m.def(
      "hbm_bandwidth_bytes_per_s",
      [](const std::string& name) {
        auto db = moescope::HardwareDatabase::load_or_throw(moescope::hwdb_dir());
        return db.accelerator(name).hbm_bandwidth_bytes_per_s.value;
      },
      py::arg("accelerator"), "HBM bandwidth of an accelerator, bytes/s");
  py::register_exception<moescope::InputError>(m, "InputError", PyExc_ValueError);
}
