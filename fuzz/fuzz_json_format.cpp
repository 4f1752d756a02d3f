// libFuzzer target for one JSON input format (FUZZ_FORMAT, set per executable by fuzz/CMakeLists.txt): the input
// is one file's bytes, parsed with the same bounded parser and strict reader as the CLI. Anything but an InputError
// escaping, a crash, a leak or a sanitizer report is a bug. A scenario that reads cleanly is also resolved against
// the bundled hwdb/ and model catalog, which exercises the cross-field checks.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "accuracy/calibrate.hpp"
#include "accuracy/cuda_measurements.hpp"
#include "accuracy/validation_suite.hpp"
#include "compute/calibration.hpp"
#include "hw/hardware_database.hpp"
#include "model/hf_config_importer.hpp"
#include "model/model_architecture.hpp"
#include "model/model_catalog.hpp"
#include "network/network_calibration.hpp"
#include "scenario/resolved_scenario.hpp"
#include "scenario/scenario.hpp"
#include "study/sweep.hpp"
#include "util/data_paths.hpp"
#include "util/diagnostics.hpp"
#include "util/json_reader.hpp"

namespace {

using namespace moescope;

void read_as(std::string_view format, const Json& j, Diagnostics& d) {
  const std::string file = "fuzz.json";
  if (format == "scenario") {
    const Scenario s = read_scenario(j, file, d);
    if (d.empty()) {
      static const HardwareDatabase hwdb = HardwareDatabase::load_or_throw(hwdb_dir());
      static const ModelCatalog catalog = ModelCatalog::load_or_throw(model_catalog_dir());
      (void)resolve_scenario(s, hwdb, catalog);
    }
  } else if (format == "sweep") {
    (void)read_sweep(j, file, d);
  } else if (format == "accelerator") {
    (void)read_accelerator(j, file, d);
  } else if (format == "system") {
    (void)read_system(j, file, d);
  } else if (format == "interconnect") {
    (void)read_interconnect(j, file, d);
  } else if (format == "compute-calibration") {
    (void)read_compute_calibration(j, file, d);
  } else if (format == "network-calibration") {
    (void)read_network_calibration(j, file, d);
  } else if (format == "catalog-model") {
    (void)read_model(j, file, d);
  } else if (format == "hf-config") {
    (void)import_hf_config(j, file, d);
  } else if (format == "validation-suite") {
    (void)read_validation_suite(j, file, d);
  } else if (format == "cuda-measurements") {
    (void)read_cuda_measurements(j, file, CudaConversionOptions{}, d);
  } else if (format == "calibration-input") {
    (void)read_calibration_input(j, file, "h100-sxm", 4, d);
  } else {
    __builtin_trap(); // a format named in CMakeLists.txt but not here
  }
}

} // namespace

// One input read as `format`; returns 0 (libFuzzer's convention). Also called by fuzz/replay_inputs.cpp, which
// replays the seeds and recorded regressions in the ordinary build under ctest.
int fuzz_json_input(std::string_view format, const std::uint8_t* data, std::size_t size) {
  Diagnostics d;
  try {
    const auto j = parse_json_text(std::string(reinterpret_cast<const char*>(data), size), "fuzz.json", d);
    if (j) read_as(format, *j, d);
  } catch (const InputError&) {
  }
  return 0;
}

#ifdef FUZZ_FORMAT
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return fuzz_json_input(FUZZ_FORMAT, data, size);
}
#endif
