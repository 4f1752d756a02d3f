#pragma once
// Bytes each GPU holds for a resolved deployment: weights by component, KV cache, and whether it fits.
// The accounting rules are documented in docs/scenario-format.md ("Memory accounting").
#include "scenario/resolved_scenario.hpp"

namespace moescope {

struct MemoryFootprint {
  // Weights on the busiest GPU (pipeline stage with the most layers), bytes.
  double attention_weight_bytes = 0;
  double dense_ffn_weight_bytes = 0;
  double routed_expert_weight_bytes = 0;
  double shared_expert_weight_bytes = 0;
  double router_and_norm_weight_bytes = 0;
  double embedding_and_head_weight_bytes = 0;
  double weight_bytes = 0; // sum of the above

  double kv_cache_bytes_per_token = 0; // one token of context, all layers of a stage, on one GPU
  double kv_cache_bytes = 0;           // for the workload's batch and context
  double total_bytes = 0;
  double capacity_bytes = 0;
  double headroom_bytes = 0; // capacity - total (negative: does not fit)
  bool fits = false;
  std::int64_t sequences_per_gpu = 0;           // sequences whose KV one GPU holds
  std::int64_t max_batch_per_gpu_that_fits = 0; // decode batch per GPU at this context that still fits
};

MemoryFootprint compute_memory_footprint(const ResolvedScenario& s);

} // namespace moescope
