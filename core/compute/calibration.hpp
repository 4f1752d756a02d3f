#pragma once
// Calibrated-mode efficiency parameters of one accelerator (hwdb/calibrations/<accelerator>-compute.json), each
// physically bounded, with the data they were fitted on. Schema: docs/compute-model.md ("Calibration file").
#include <map>
#include <string>
#include <vector>

#include "util/data_type.hpp"
#include "util/json_reader.hpp"

namespace moescope {

struct CalibrationProvenance {
  std::string suite;                 // suite file, relative to the repository root
  std::vector<std::string> case_ids; // the calibration rows used
};

struct ComputeCalibration {
  std::string accelerator; // hwdb accelerator name; "" for the built-in default
  std::string file;        // where it was read from ("" = built-in default)

  // Achievable fraction of peak tensor throughput of a large, well-shaped GEMM, per input type (a type absent
  // uses gemm_compute_efficiency_default).
  std::map<DataType, double> gemm_compute_efficiency;
  double gemm_compute_efficiency_default = 0.70;
  double batched_gemm_compute_efficiency = 0.50; // bf16 per-head BMMs (MLA absorption)
  double attention_compute_efficiency = 0.50;    // attention kernels (softmax, two MMAs per tile)
  double memory_bandwidth_efficiency = 0.85;     // achievable fraction of HBM bandwidth for streaming kernels
  // Fraction of the device's HBM bandwidth one compute unit (SM/CU) can draw: a kernel with u parallel work units
  // streams at most min(1, u * share) of the achievable bandwidth.
  double unit_bandwidth_share = 1.0 / 64.0;
  // Per-tile fixed cost of a GEMM (pipeline fill, scale promotion, epilogue) in equivalent K columns: a tile's
  // time is proportional to K + gemm_tile_fixed_k.
  double gemm_tile_fixed_k = 0.0;
  // Overlap of compute and memory traffic inside a kernel: time = (compute^p + memory^p)^(1/p); large p = perfect
  // overlap (pure roofline max), p = 1 = no overlap.
  double roofline_overlap_exponent = 8.0;
  double kernel_overhead_seconds = 3e-6;             // per kernel under CUDA graphs (launch gap, prologue, tail)
  double eager_launch_overhead_seconds = 2e-5;       // extra per kernel when launched eagerly from the host
  std::vector<std::int64_t> gemm_tile_m = {64, 128}; // candidate block rows
  std::vector<std::int64_t> gemm_tile_n = {64, 96, 128, 160, 192, 224, 256}; // candidate block columns
  std::int64_t attention_query_tile_rows = 64;  // query rows one attention CTA processes (heads padded to it)
  std::int64_t attention_kv_split_tokens = 512; // flash-decoding: keys per KV split

  std::vector<CalibrationProvenance> fitted_on;
  Json fit = Json::object(); // fit statistics (objective, cases, error)
  std::string note;

  double gemm_efficiency(DataType t) const;
};

// The built-in default used when an accelerator has no calibration file (documented in docs/compute-model.md).
ComputeCalibration default_compute_calibration();

ComputeCalibration read_compute_calibration(const Json& json, const std::string& file, Diagnostics& diagnostics);
ComputeCalibration load_compute_calibration_file(const std::string& path); // throws InputError
Json compute_calibration_to_json(const ComputeCalibration& c);
// Writes `c` as JSON atomically.
void write_compute_calibration(const ComputeCalibration& c, const std::string& path);

// hwdb/calibrations/<accelerator>-compute.json under `hwdb_dir`.
std::string compute_calibration_path(const std::string& hwdb_dir, const std::string& accelerator);
// The calibration of `accelerator` from `hwdb_dir`, or the default (accelerator set, file "") when there is none.
// A file that exists but is invalid throws InputError.
ComputeCalibration find_compute_calibration(const std::string& hwdb_dir, const std::string& accelerator);

} // namespace moescope
