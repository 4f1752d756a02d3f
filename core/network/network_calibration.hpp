#pragma once
// Calibrated network-model parameters of one system: hwdb/calibrations/<system>-network.json (schema in
// docs/network-model.md), fitted by validation/scripts/network_report.py on the calibration split of the
// network validation suites.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "network/dispatch.hpp"
#include "util/json_reader.hpp"

namespace moescope {

// One size regime of a collective on a given rank count: below max_bytes (message size as nccl-tests counts it),
// time = latency + bus bytes / bus bandwidth.
struct CollectiveRegime {
  std::string protocol;   // "ll", "ll128", "simple" (informative: the regime NCCL's tuner is expected to pick)
  double max_bytes = 0.0; // upper end of the regime (inclusive); the last regime extends to infinity
  double latency_seconds = 0.0;
  double bus_bandwidth_bytes_per_s = 0.0;
};

struct CollectiveCalibration {
  std::int64_t ranks = 0;
  std::vector<CollectiveRegime> regimes; // ascending max_bytes
};

struct NetworkCalibration {
  std::string name;
  std::string system;
  std::string file;
  std::string description;
  Json fitted_on = Json::array();
  std::map<std::string, std::vector<CollectiveCalibration>> collectives; // op name -> per rank count
  std::map<std::string, KernelCosts> dispatch_kernels;                   // kernel name -> costs
};

NetworkCalibration read_network_calibration(const Json& json, const std::string& file, Diagnostics& diagnostics);
NetworkCalibration load_network_calibration(const std::string& path); // throws InputError with every problem
// hwdb/calibrations/<system>-network.json if it exists (nullopt otherwise); loaded once per process and cached.
const NetworkCalibration* find_network_calibration(const std::string& system);
Json network_calibration_to_json(const NetworkCalibration& c);

} // namespace moescope
