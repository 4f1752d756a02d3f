#pragma once
// `moescope check` as a facade operation: every file of a data root (hwdb/ with its calibrations, the model catalog,
// scenarios/) read strictly and cross-checked, every problem collected.
#include <cstddef>
#include <string>

#include "util/diagnostics.hpp"
#include "util/json_reader.hpp"

namespace moescope {

struct DataCheck {
  std::size_t accelerators = 0, interconnects = 0, systems = 0, models = 0, scenarios = 0, calibrations = 0;
  Diagnostics problems; // empty: everything is valid
  // Valid but doubtful: a compute calibration fitted on fewer measured rows than the parameters its fit moves, or with
  // a fitted parameter at a bound of its range (the rows did not pin it). Reported, not an error.
  Diagnostics flags;
};

DataCheck check_data(const std::string& data_root);
Json data_check_to_json(const DataCheck& c);

} // namespace moescope
