#pragma once
// The end-to-end step model: prefill and decode steps of a resolved scenario composed from the compute module's
// operator costs and the network module's dispatch/combine and collective costs, with the overlap assumption of
// the scenario's "engine" settings, pipeline parallelism, KV-cache capacity and prefill/decode disaggregation.
// Outputs TTFT, TPOT, tokens/s per GPU and per node, utilization and memory. Rules: docs/engine.md.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "compute/compute_engine.hpp"
#include "compute/memory_footprint.hpp"
#include "compute/model_compute.hpp"
#include "engine/moe_network.hpp"
#include "scenario/engine_config.hpp"
#include "scenario/resolved_scenario.hpp"

namespace moescope {

// The per-layer breakdown buckets, in report order. Compute buckets come from the compute module
// (attention, norms, gate, routed_experts, shared_experts, dense_ffn); communication buckets are the engine's.
const std::vector<std::string>& engine_components();

// One layer type (dense / MoE / MTP module) of a step: seconds per occurrence of each bucket, and the layer's time
// under each overlap assumption.
struct LayerBreakdown {
  std::string id;                                  // "dense", "moe", "mtp"
  std::int64_t count = 0;                          // occurrences per step on the busiest pipeline stage
  std::map<std::string, double> component_seconds; // bucket -> seconds per occurrence (no overlap, full batch)
  double compute_seconds = 0;                      // compute stream, full batch
  double communication_seconds = 0;                // communication stream, full batch
  double serial_seconds = 0;                       // overlap none
  double two_batch_seconds = 0;                    // two half-batches, dependency-aware two-stream schedule (per layer)
  double two_batch_ideal_seconds = 0;              // two half-batches, perfect overlap (the longer stream)
  double intra_layer_seconds = 0;                  // shared experts hidden under dispatch + combine
  double seconds = 0;                              // under the configured overlap
  double flop = 0;
  double hbm_bytes = 0;
  // The layer's operators (full micro-batch) and their times on all SMs: what the compute view and the roofline show.
  std::shared_ptr<const std::vector<OperatorWork>> operators;
  std::vector<OperatorTime> operator_times;
};

// The MoE all-to-all of one layer (full micro-batch) as the engine used it; busiest_gpu_slot_tokens are the loads
// the routed-expert GEMMs ran.
using MoeTraffic = MoeNetworkCost;

struct PhaseResult {
  Phase phase = Phase::decode;
  bool evaluated = false;
  std::int64_t nodes = 0, gpus = 0, gpus_per_node = 0; // the pool that runs this phase
  std::int64_t pp = 1, microbatches = 1;
  double batch_per_gpu = 0; // decode: sequences per GPU actually run (after the KV bound)
  double requested_batch_per_gpu = 0;
  bool kv_bounded = false;
  double tokens_per_gpu_per_step = 0; // decode: new tokens verified per GPU; prefill: computed prompt tokens per GPU
  double sequences_per_gpu_per_step = 0;

  LayerTokens tokens; // one micro-batch on the busiest GPU, with the expert loads the routed experts ran
  std::vector<LayerBreakdown> layers;
  std::vector<OperatorWork> outer_operators; // embedding, final norm, LM head
  std::vector<OperatorTime> outer_operator_times;
  std::map<std::string, double> outer_seconds;          // embedding, lm_head, mtp, pipeline_send
  std::map<std::string, double> step_component_seconds; // bucket -> seconds per step (no overlap)
  double stage_seconds_serial = 0, stage_seconds_two_batch = 0, stage_seconds_two_batch_ideal = 0,
         stage_seconds_intra_layer = 0;
  // Two-batch schedule of the MoE layers (per stage and micro-batch set): compute-stream stalls waiting for
  // communication, and the SMs the communication kernels held (0: none).
  double two_batch_compute_idle_seconds = 0;
  double communication_sms = 0;
  double stage_seconds = 0; // one pipeline stage, one micro-batch set, configured overlap
  double pipeline_bubble_fraction = 0;
  double step_seconds = 0; // wall time of one step (all stages, configured overlap)
  double step_seconds_by_overlap_none = 0, step_seconds_by_overlap_two_batch = 0,
         step_seconds_by_overlap_two_batch_ideal = 0, step_seconds_by_overlap_intra_layer = 0;

  // Latency and throughput.
  double accepted_tokens_per_step = 1; // decode with MTP: 1 + sum of acceptance^i
  double tpot_seconds = 0;             // decode
  double ttft_seconds = 0;             // prefill (+ KV transfer under disaggregation)
  double kv_transfer_seconds = 0;
  double tokens_per_s_per_gpu = 0; // decode: output tokens; prefill: input (prompt) tokens
  double tokens_per_s_per_node = 0;
  double computed_tokens_per_s_per_gpu = 0; // prefill: prompt tokens not served from the prefix cache

  // Utilization over the step (0..1).
  double compute_utilization = 0;
  double hbm_bandwidth_utilization = 0;
  double scale_up_utilization = 0;
  double scale_out_utilization = 0;
  double flop_per_step = 0, hbm_bytes_per_step = 0;

  // Memory per GPU.
  double memory_weight_bytes = 0, memory_kv_cache_bytes = 0, memory_total_bytes = 0, memory_capacity_bytes = 0;
  std::int64_t max_batch_per_gpu_that_fits = 0;

  // Cost and energy (0 when no price / power is known).
  double cost_per_million_tokens_usd = 0;
  double energy_per_token_joules = 0;

  MoeTraffic moe;
  std::vector<std::string> notes;
};

struct DeploymentResult {
  std::string scenario;
  EngineMode mode = EngineMode::calibrated;
  Overlap overlap = Overlap::none;
  std::string compute_calibration; // file used ("" = built-in default or speed of light)
  std::string network_calibration; // file used ("" = none: speed of light)
  MemoryFootprint memory;          // the scenario's workload as requested (before any KV bound)
  PhaseResult prefill, decode;
  bool disaggregated = false;
};

// Evaluates the phases the scenario's workload asks for (workload.phase; "both" = prefill and decode).
// Throws InputError for settings that do not apply (e.g. MTP on a model without MTP modules).
// `all_phases`: evaluate prefill and decode whatever workload.phase says (the prefill of a decode scenario runs
// prefill_tokens_per_gpu tokens per GPU, or one prompt per GPU when 0), so that a report gives TTFT and TPOT.
DeploymentResult evaluate_deployment(const ResolvedScenario& s, const EngineConfig& config, bool all_phases = false);
DeploymentResult evaluate_deployment(const ResolvedScenario& s, bool all_phases = false); // s.scenario.engine
// Calibrations and the trace are read from s.inputs (engine/input_loader.hpp); a scenario whose inputs were not
// loaded for `config` has them loaded from hwdb_dir() for this call.

// One phase on the scenario's own deployment (no pool split), for tests and sweeps.
PhaseResult evaluate_phase(const ResolvedScenario& s, Phase phase, const EngineConfig& config);

// The pool a phase runs on under disaggregation: nodes = prefill_nodes or decode_nodes, DP and EP over the pool.
ResolvedScenario pool_scenario(const ResolvedScenario& s, Phase phase);

Json phase_result_to_json(const PhaseResult& r);
Json deployment_result_to_json(const DeploymentResult& r);

// Headline figures of a result, flat, for sweeps and solve: ttft_seconds, tpot_seconds,
// decode_tokens_per_s_per_gpu, prefill_tokens_per_s_per_gpu, ... (docs/engine.md, "Metrics").
std::map<std::string, double> deployment_metrics(const DeploymentResult& r);

} // namespace moescope
