#include "compute/memory_footprint.hpp"

#include <algorithm>
#include <cmath>

#include "model/parameter_count.hpp"

namespace moescope {

namespace {

// KV-cache bytes one GPU stores per token of context for one layer.
double kv_bytes_per_token_per_layer(const ModelArchitecture& m, std::int64_t attention_tp, DataType kv_dtype) {
  const double elem = bytes_per_element(kv_dtype) + scale_bytes_per_element(kv_dtype);
  const auto& a = m.attention;
  if (a.kind == AttentionKind::mla) return static_cast<double>(a.mla.kv_lora_rank + a.mla.qk_rope_head_dim) * elem;
  // K and V heads split over TP; replicated when TP exceeds the KV heads.
  double heads_per_gpu = std::max(1.0, static_cast<double>(a.num_kv_heads) / static_cast<double>(attention_tp));
  return 2.0 * heads_per_gpu * static_cast<double>(a.head_dim) * elem;
}

} // namespace

MemoryFootprint compute_memory_footprint(const ResolvedScenario& s) {
  MemoryFootprint f;
  const ModelArchitecture& m = s.model;
  const ResolvedDeployment& d = s.deployment;
  const WorkloadSpec& w = s.scenario.workload;
  const ParameterCount p = count_parameters(m);

  const double linear = bytes_per_element(w.dtypes.weights) + scale_bytes_per_element(w.dtypes.weights);
  const double bf16 = bytes_per_element(DataType::bf16);
  const double layers = static_cast<double>(m.num_layers);
  const double stage_layers = static_cast<double>(d.layers_per_stage);
  const double stage_fraction = stage_layers / layers;
  // MoE layers on the busiest stage: at most the stage's layers, at most all MoE layers.
  const double moe_layers = static_cast<double>(m.num_moe_layers());
  const double stage_moe_layers = std::min(stage_layers, moe_layers);
  const double dense_layers = layers - moe_layers;
  const double stage_dense_layers = std::min(stage_layers, dense_layers);

  f.attention_weight_bytes = p.attention * stage_fraction / static_cast<double>(d.attention_tp) * linear;
  if (dense_layers > 0)
    f.dense_ffn_weight_bytes =
        p.dense_ffn * (stage_dense_layers / dense_layers) / static_cast<double>(d.attention_tp) * linear;
  if (m.is_moe() && moe_layers > 0) {
    const double per_expert_per_layer = p.routed_experts / (moe_layers * static_cast<double>(m.moe.num_routed_experts));
    f.routed_expert_weight_bytes = per_expert_per_layer * static_cast<double>(d.expert_slots_per_gpu) *
                                   stage_moe_layers / static_cast<double>(d.moe_tp) * linear;
    f.shared_expert_weight_bytes =
        p.shared_experts * (stage_moe_layers / moe_layers) / static_cast<double>(d.moe_tp) * linear;
  }
  f.router_and_norm_weight_bytes = (p.router + p.norms) * stage_fraction * bf16;
  // First and last stage hold the embedding and the head; with one stage, both.
  const double embedding_share = d.pp == 1 ? p.embedding + p.lm_head : std::max(p.embedding, p.lm_head);
  f.embedding_and_head_weight_bytes = embedding_share / static_cast<double>(d.attention_tp) * bf16;
  f.weight_bytes = f.attention_weight_bytes + f.dense_ffn_weight_bytes + f.routed_expert_weight_bytes +
                   f.shared_expert_weight_bytes + f.router_and_norm_weight_bytes + f.embedding_and_head_weight_bytes;

  // KV cache: sequences of one attention DP rank, context capped by the sliding window on windowed layers.
  const std::int64_t context = w.input_tokens + w.output_tokens;
  double bytes_per_sequence = 0;
  double bytes_per_token_all_layers = 0;
  const double per_layer = kv_bytes_per_token_per_layer(m, d.attention_tp, w.dtypes.kv_cache);
  for (std::int64_t layer = 0; layer < d.layers_per_stage && layer < m.num_layers; ++layer) {
    std::int64_t tokens = context;
    if (m.uses_sliding_window(layer) && m.attention.sliding_window_tokens > 0)
      tokens = std::min(tokens, m.attention.sliding_window_tokens);
    bytes_per_sequence += per_layer * static_cast<double>(tokens);
    bytes_per_token_all_layers += per_layer;
  }
  f.kv_cache_bytes_per_token = bytes_per_token_all_layers;
  f.sequences_per_gpu =
      w.phase == Phase::prefill
          ? std::max<std::int64_t>(1, w.prefill_tokens_per_gpu / std::max<std::int64_t>(1, w.input_tokens)) *
                d.attention_tp
          : w.batch_per_gpu * d.attention_tp;
  f.kv_cache_bytes = bytes_per_sequence * static_cast<double>(f.sequences_per_gpu);

  f.capacity_bytes = s.accelerator.hbm_capacity_bytes.value;
  f.total_bytes = f.weight_bytes + f.kv_cache_bytes;
  f.headroom_bytes = f.capacity_bytes - f.total_bytes;
  f.fits = f.headroom_bytes >= 0;
  const double per_batch_unit = bytes_per_sequence * static_cast<double>(d.attention_tp);
  f.max_batch_per_gpu_that_fits =
      per_batch_unit > 0 && f.capacity_bytes > f.weight_bytes
          ? static_cast<std::int64_t>(std::floor((f.capacity_bytes - f.weight_bytes) / per_batch_unit))
          : 0;
  return f;
}

} // namespace moescope
