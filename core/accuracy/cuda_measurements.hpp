#pragma once
// Reading the measurement files of moescope_cuda_bench (validation/cuda/, schema "moescope-cuda-measurements/1",
// format in docs/cuda-microbenchmarks.md) and converting their cases into ValidationCases of the compute
// predictors, so that `moescope calibrate` can fit a device's calibration on them. Reading is strict: every
// problem names the file and the JSON pointer. Conversion rules and the calibration / held-out split are
// documented in docs/calibration.md.
#include <cstddef>
#include <map>
#include <string>

#include "accuracy/validation_suite.hpp"

namespace moescope {

inline constexpr const char* kCudaMeasurementSchema = "moescope-cuda-measurements/1";

// True when `json` is an object with a "schema" key (a CUDA measurement file, whatever its version); validation
// suites have "kind": "validation_suite" and no "schema".
bool is_cuda_measurement_json(const Json& json);

struct CudaConversionOptions {
  std::string device;    // hwdb accelerator name given to every converted case (the file names the GPU, not hwdb)
  int holdout_every = 4; // per operation, converted case number i (0-based, file order) is held out when
                         // i % holdout_every == holdout_every - 1; 0 or 1 = everything is a calibration row
};

struct CudaConversion {
  ValidationSuite suite; // the converted cases (unit "seconds", measured = median_seconds), split assigned
  std::string gpu_name;  // /device/name
  std::string date_utc;  // /date_utc
  bool complete = true;  // /complete (false: an interrupted or aborted run)
  std::size_t total_cases = 0;
  std::size_t errored_cases = 0;                     // "error" set: never used
  std::map<std::string, std::size_t> errors_by_kind; // "unsupported", "skipped", "verification failed", ..., "other"
  // "family/op" -> measured cases of a family with a defined conversion whose operation has no registered
  // predictor ("without a compute predictor"; none since attention_decode and memory_stream are registered).
  std::map<std::string, std::size_t> unmapped;
  // "family/op" -> measured cases of families with no counterpart in the compute model (reference measurements:
  // hbm_bandwidth/read_l2_resident, launch_overhead, small_message, nccl); never converted.
  std::map<std::string, std::size_t> not_modeled;
  std::map<std::string, std::size_t> converted_by_operation;
  // grouped_gemm cases (the bench's loop of one cuBLASLt kernel per expert) predicted as ONE grouped kernel because
  // the grouped_gemm predictor does not accept "kernel_per_group" (docs/calibration.md, "Known limitations").
  std::size_t grouped_as_single_kernel = 0;
};

// Converts a parsed measurement file. Problems (wrong schema, missing or mistyped fields, unknown parameters of
// the converted families) go to `diagnostics` with `file` and the JSON pointer.
CudaConversion read_cuda_measurements(const Json& json, const std::string& file, const CudaConversionOptions& options,
                                      Diagnostics& diagnostics);
// Reads and converts a file; throws InputError listing every problem.
CudaConversion load_cuda_measurements(const std::string& path, const CudaConversionOptions& options);

// The counts of a conversion (total, converted per operation, errors by kind, without a predictor, not modeled) as
// JSON.
Json cuda_conversion_summary_to_json(const CudaConversion& c);

// The validation operation a family/op of the bench is converted to, or "" when none is defined (counted in
// CudaConversion::not_modeled). Such a case is converted only when the operation has a registered predictor
// (find_operation_predictor); otherwise it is counted in CudaConversion::unmapped.
std::string cuda_case_operation(const std::string& family, const std::string& op);

} // namespace moescope
