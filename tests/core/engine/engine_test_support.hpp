#pragma once
// Shared helpers of the engine tests: the bundled hardware database and model catalog, and scenarios from JSON.
#include <string>

#include "hw/hardware_database.hpp"
#include "model/model_catalog.hpp"
#include "scenario/resolved_scenario.hpp"
#include "test_paths.hpp"
#include "util/data_paths.hpp"

namespace moescope::engine_test {

inline const HardwareDatabase& hwdb() {
  static const HardwareDatabase db = HardwareDatabase::load_or_throw(hwdb_dir());
  return db;
}
inline const ModelCatalog& catalog() {
  static const ModelCatalog c = ModelCatalog::load_or_throw(model_catalog_dir());
  return c;
}
inline ResolvedScenario resolve_json(const Json& j, const std::string& file = "<test>") {
  Diagnostics d;
  Scenario s = read_scenario(j, file, d);
  d.throw_if_any();
  return resolve_scenario(s, hwdb(), catalog());
}
inline Json scenario_json(const std::string& path) {
  Diagnostics d;
  auto j = read_json_file(path, d);
  d.throw_if_any();
  return *j;
}
inline std::string repo(const std::string& rel) {
  return std::string(MOESCOPE_SOURCE_DIR) + "/" + rel;
}

} // namespace moescope::engine_test
