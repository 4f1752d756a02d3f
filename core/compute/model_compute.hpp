#pragma once
// The operators of one layer of a model for one micro-batch on the busiest GPU, under attention TP/DP and MoE EP/TP
// (the work; the step model in engine/ times and composes them). Rules: docs/compute-model.md.
#include <map>
#include <string>
#include <vector>

#include "compute/compute_engine.hpp"
#include "compute/operator_work.hpp"
#include "scenario/resolved_scenario.hpp"

namespace moescope {

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
// Group limits are not applied; the engine takes the received rows from the network model, which applies them (this
// closed form is the reference its tests compare against).
double uniform_received_rows(double tokens_per_gpu, std::int64_t ep, std::int64_t top_k, std::int64_t experts,
                             std::int64_t experts_per_gpu);

// The operators of one layer.
std::vector<OperatorWork> layer_operators(const ModelArchitecture& m, const ResolvedDeployment& d, const DataTypes& dt,
                                          const LayerTokens& t, bool moe_layer, bool sliding_window);

} // namespace moescope
