#pragma once
// Layer and step composition: the operators of every layer of a resolved scenario for one phase, on the busiest
// GPU, under attention TP/DP and MoE EP/TP, timed by one ComputeEngine. Rules: docs/compute-model.md.
#include <map>
#include <string>
#include <vector>

#include "compute/engine.hpp"
#include "scenario/resolved_scenario.hpp"

namespace moescope {

// Settings of the time model from the scenario's "engine" object: {"mode": "calibrated" | "speed_of_light",
// "cuda_graphs": bool (default true), "overlap": reserved for the network model}.
struct EngineSettings {
  EngineOptions options;
};
EngineSettings read_engine_settings(const Scenario& s, Diagnostics& diagnostics);

// The layer breakdown buckets, in report order.
const std::vector<std::string>& compute_components();

// Routed tokens per expert for `total_tokens` tokens choosing top_k of `experts` (uniform, or power law with
// popularity of the i-th expert ~ (i+1)^-exponent), rounded to integers that sum to total_tokens * top_k.
std::vector<std::int64_t> routed_tokens_per_expert(double total_tokens, std::int64_t top_k, std::int64_t experts,
                                                   RoutingKind kind, double exponent);
// The experts of the GPU with the most routed tokens under linear placement (experts_per_gpu consecutive experts).
std::vector<std::int64_t> busiest_gpu_expert_tokens(const std::vector<std::int64_t>& per_expert,
                                                    std::int64_t experts_per_gpu);

struct LayerTokens {
  Phase phase = Phase::decode;
  std::int64_t rank_sequences = 1;                 // sequences on this GPU's attention DP rank
  std::int64_t query_tokens = 1;                   // new tokens per sequence
  std::int64_t kv_length = 1;                      // context per sequence (new tokens included)
  std::int64_t rank_tokens = 1;                    // rank_sequences * query_tokens: rows of the attention projections
  std::int64_t moe_tokens_per_gpu = 1;             // tokens one GPU routes (and runs shared experts / gate on)
  std::vector<std::int64_t> busiest_expert_tokens; // routed tokens of each expert slot on the busiest GPU
  // Token rows the dispatch delivers to the busiest GPU (one per token and destination GPU, however many of its
  // experts the token chose there): the scatter's input and the gather's output in the contiguous (prefill) layout.
  // 0: not known, taken as the expert rows (no deduplication).
  double received_rows = 0;
};

// The routed-expert module of one GPU as SGLang runs it over DeepEP and DeepGEMM, the same operators the
// kernel-level validation (moe_experts) times: masked layout (decode): up/gate grouped GEMM, SiLU-and-multiply
// quantized to the weight type, down GEMM; contiguous layout (prefill) adds the scatter of the `received_rows`
// dispatched rows (`dispatch_dtype`) into per-expert blocks before, and the gather (top-k weighted sum) of the
// expert outputs back to those rows after.
std::vector<OperatorWork> routed_expert_operators(const std::vector<std::int64_t>& slot_tokens, std::int64_t hidden,
                                                  std::int64_t inter, double gate_factor, DataType weights,
                                                  DataType activations, DataType dispatch_dtype, GroupedLayout layout,
                                                  double received_rows);

// Expected token rows one GPU receives when `tokens_per_gpu` tokens on each of `ep` GPUs choose top_k of `experts`
// uniformly, `experts_per_gpu` of them on each GPU: ep x tokens_per_gpu x P(a token chooses one of its experts).
// Group limits are not applied (the compute-only section has no placement); the engine takes the received rows
// from the network model, which applies them.
double uniform_received_rows(double tokens_per_gpu, std::int64_t ep, std::int64_t top_k, std::int64_t experts,
                             std::int64_t experts_per_gpu);

// The operators of one layer.
std::vector<OperatorWork> layer_operators(const ModelArchitecture& m, const ResolvedDeployment& d, const DataTypes& dt,
                                          const LayerTokens& t, bool moe_layer, bool sliding_window);

struct LayerTypeCompute {
  std::string id; // "dense", "moe", "moe_sliding", ...
  bool moe = false;
  bool sliding_window = false;
  std::int64_t count = 0; // layers of this type on the stage
  std::vector<OperatorWork> operators;
  std::vector<OperatorTime> times;
  std::map<std::string, double> component_seconds;
  double seconds = 0;
};

struct StepCompute {
  Phase phase = Phase::decode;
  EngineMode mode = EngineMode::calibrated;
  LayerTokens tokens;
  std::vector<LayerTypeCompute> layer_types;
  std::vector<int> layer_type_of;            // per layer of the stage: index into layer_types
  std::vector<OperatorWork> outer_operators; // embedding, final norm, LM head
  std::vector<OperatorTime> outer_times;
  std::map<std::string, double> component_seconds; // over the whole step
  double step_seconds = 0;
  double flop = 0;
  double weight_bytes = 0; // weights read by the step
  double kv_bytes = 0;     // KV cache read and written by the step
  std::string routing_note;
};

LayerTokens layer_tokens(const ResolvedScenario& s, Phase phase);
StepCompute compute_step(const ResolvedScenario& s, Phase phase, const ComputeEngine& engine);

} // namespace moescope
