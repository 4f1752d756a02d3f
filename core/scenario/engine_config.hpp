#pragma once
// The scenario's "engine" object, read once into a typed spec (docs/engine.md, "Engine settings"): how work becomes
// time (mode, CUDA graphs), how communication overlaps compute, which calibrations and dispatch kernels to use, and
// the serving features of the step model. Read strictly: unknown keys, wrong types and out-of-range values are
// diagnostics naming the file and JSON pointer. Names of registered extensions (dispatch kernels) are checked by the
// module that owns the registry when the scenario is evaluated.
#include <cstdint>
#include <string>

#include "util/json_reader.hpp"

namespace moescope {

enum class EngineMode { speed_of_light, calibrated };
std::string to_string(EngineMode m);

// How the compute engine turns work into time.
struct EngineOptions {
  EngineMode mode = EngineMode::calibrated;
  bool cuda_graphs = true; // false: every kernel also pays eager_launch_overhead_seconds
};

// How communication overlaps compute inside a step (docs/engine.md, "Overlap").
enum class Overlap {
  none,            // every kernel in sequence: layer = compute + communication
  two_batch,       // two micro-batches on a compute and a communication stream, dependency-aware (SGLang's issue order)
  two_batch_ideal, // two micro-batches, perfect overlap: layer = the longer stream
  intra_layer,     // one batch; the shared experts run while dispatch and combine are in flight
};
std::string to_string(Overlap o);

struct EngineConfig {
  EngineOptions compute; // mode (speed_of_light | calibrated) and CUDA graphs
  Overlap overlap = Overlap::none;
  // Compute calibration: "" = the scenario accelerator's file (or the built-in default when it has none);
  // an accelerator name = that accelerator's file (e.g. "h800-sxm" for an H100: same GH100 die); "default".
  std::string compute_calibration;
  // Network (dispatch kernel and collective) calibration: "" = the scenario system's file if any; a system name
  // (its file must exist); "none" = speed of light.
  std::string network_calibration;
  std::string decode_kernel = "deepep-low-latency";
  std::string prefill_kernel = "deepep-normal";
  // Collective algorithm of the tensor-parallel all-reduces (attention and MoE TP): "auto" = the collective
  // calibration where it covers the rank count, else the fastest algorithm at speed of light; a registered name
  // (ring, tree, ...) = that algorithm at speed of light (the calibration measures NCCL's own choice, so it does not
  // apply; the result says so).
  std::string collective_algorithm = "auto";
  bool use_scale_up = true;            // dispatch may use the scale-up fabric inside a node
  std::int64_t mtp_draft_tokens = 0;   // multi-token prediction: draft tokens verified per decode step
  double mtp_acceptance_rate = 0.0;    // probability that each successive draft token is accepted
  std::int64_t pp_microbatches = 0;    // micro-batches in flight over the pipeline (0 = pp)
  double price_per_gpu_hour_usd = 0.0; // 0 = no cost figures
  bool kv_bound_batch = true;          // decode batch limited to what fits in HBM
  bool kv_transfer = true;             // disaggregation: TTFT includes moving the prompt's KV to the decode pool
  std::string routing_source = "auto"; // "auto" (trace when the scenario has one), "expected", "trace"
  std::int64_t trace_steps = 4;        // trace-driven: batches sampled from the trace per layer
  // What-if assumption, not a calibration: MoE dispatch and combine take this many times their calibrated time
  // while they overlap compute (two-batch and intra-layer overlap; the no-overlap sum is unchanged). 1 = the
  // kernel-level calibration, which measures the kernels alone.
  double overlap_communication_slowdown = 1.0;
};

// Reads the "engine" object at `pointer` of `file` (`json` null = absent = defaults). Problems go to `diagnostics`.
EngineConfig read_engine_config(const Json* json, const std::string& file, Diagnostics& diagnostics);
// The keys that differ from the defaults, so that a scenario written back reads the same and stays short.
Json engine_config_to_json(const EngineConfig& c);

} // namespace moescope
