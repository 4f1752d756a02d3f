#include "compute/model_compute.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "compute/operators.hpp"

namespace moescope {

std::vector<OperatorWork> routed_expert_operators(const std::vector<std::int64_t>& slot_tokens, std::int64_t hidden,
                                                  std::int64_t inter, double gate_factor, DataType weights,
                                                  DataType activations, DataType dispatch_dtype, GroupedLayout layout,
                                                  double received_rows) {
  std::vector<OperatorWork> ops;
  double rows = 0;
  for (auto x : slot_tokens)
    rows += static_cast<double>(x);
  const bool contiguous = layout == GroupedLayout::contiguous;
  const double received = received_rows > 0 ? received_rows : rows;
  const auto h = static_cast<double>(hidden), i = static_cast<double>(inter);
  // Scatter: read each received row, write it once per local expert it chose (two kernels: layout, copy).
  if (contiguous)
    ops.push_back(elementwise("routed_experts.scatter", "routed_experts", received * h, dispatch_dtype, rows * h,
                              dispatch_dtype, 0.0, 2));
  ops.push_back(grouped_gemm("routed_experts.up_gate", "routed_experts", slot_tokens,
                             static_cast<std::int64_t>(gate_factor) * inter, hidden, weights, layout));
  ops.push_back(elementwise("routed_experts.activation", "routed_experts", gate_factor * rows * i, activations,
                            rows * i, weights, 4.0));
  ops.push_back(grouped_gemm("routed_experts.down", "routed_experts", slot_tokens, hidden, inter, weights, layout));
  // Gather: the top-k weighted sum of each received row's expert outputs.
  if (contiguous)
    ops.push_back(elementwise("routed_experts.gather", "routed_experts", rows * h, activations, received * h,
                              activations, 1.0, 1));
  return ops;
}

double uniform_received_rows(double tokens_per_gpu, std::int64_t ep, std::int64_t top_k, std::int64_t experts,
                             std::int64_t experts_per_gpu) {
  // P(none of the top_k distinct experts is one of this GPU's) = prod_j (E - s - j) / (E - j).
  double none = 1.0;
  const auto e = static_cast<double>(experts), s = static_cast<double>(std::min(experts_per_gpu, experts));
  for (std::int64_t j = 0; j < top_k; ++j)
    none *= std::max(0.0, (e - s - static_cast<double>(j)) / (e - static_cast<double>(j)));
  return tokens_per_gpu * static_cast<double>(ep) * (1.0 - none);
}

namespace {

void add_attention_ops(std::vector<OperatorWork>& ops, const ModelArchitecture& m, const ResolvedDeployment& d,
                       const DataTypes& dt, const LayerTokens& t, bool sliding) {
  const auto& a = m.attention;
  const std::int64_t tp = std::max<std::int64_t>(d.attention_tp, 1);
  const std::int64_t heads = std::max<std::int64_t>(a.num_heads / tp, 1);
  const std::int64_t M = t.rank_tokens;
  const std::int64_t H = m.hidden_size;
  const DataType wdt = dt.weights;
  const DataType act = dt.activations;
  std::int64_t kv_len = t.kv_length;
  if (sliding && a.sliding_window_tokens > 0) kv_len = std::min(kv_len, a.sliding_window_tokens);
  if (a.kind == AttentionKind::mla) {
    const auto& x = a.mla;
    const std::int64_t qk_head = x.qk_nope_head_dim + x.qk_rope_head_dim;
    // q_a (or direct q) and kv_a projections, fused; replicated over attention TP.
    const std::int64_t qa_out = x.q_lora_rank > 0 ? x.q_lora_rank : 0;
    ops.push_back(
        dense_gemm("attention.qkv_a_proj", "attention", M, qa_out + x.kv_lora_rank + x.qk_rope_head_dim, H, wdt));
    ops.push_back(elementwise("attention.qkv_a_norms", "attention",
                              static_cast<double>(M) * static_cast<double>(qa_out + x.kv_lora_rank), act,
                              static_cast<double>(M) * static_cast<double>(qa_out + x.kv_lora_rank), act, 4.0));
    const std::int64_t q_in = x.q_lora_rank > 0 ? x.q_lora_rank : H;
    ops.push_back(dense_gemm("attention.q_b_proj", "attention", M, heads * qk_head, q_in, wdt));
    if (t.phase == Phase::decode) {
      // Weight absorption: q_nope x W_UK per head, attention over the latent cache, then x W_UV per head.
      ops.push_back(batched_gemm("attention.q_absorb_bmm", "attention", heads, M, x.kv_lora_rank, x.qk_nope_head_dim,
                                 DataType::bf16));
      ops.push_back(elementwise(
          "attention.rope", "attention",
          static_cast<double>(M) * static_cast<double>(heads * x.qk_rope_head_dim + x.qk_rope_head_dim), act,
          static_cast<double>(M) * static_cast<double>(heads * x.qk_rope_head_dim + x.qk_rope_head_dim), act, 6.0));
      AttentionParams p;
      p.batch = t.rank_sequences;
      p.query_tokens = t.query_tokens;
      p.kv_length = kv_len;
      p.q_heads = heads;
      p.kv_heads = 1;
      p.qk_dim = x.kv_lora_rank + x.qk_rope_head_dim;
      p.v_dim = x.kv_lora_rank;
      p.kv_stored_per_head = x.kv_lora_rank + x.qk_rope_head_dim;
      p.kv_dtype = dt.kv_cache;
      p.activation_dtype = act;
      ops.push_back(attention_op("attention.mla_absorbed", "attention", p));
      ops.push_back(
          batched_gemm("attention.v_absorb_bmm", "attention", heads, M, x.v_head_dim, x.kv_lora_rank, DataType::bf16));
    } else {
      // Naive MLA for prefill: decompress K/V of the whole context, then multi-head attention.
      const std::int64_t ctx_rows = t.rank_sequences * kv_len;
      ops.push_back(dense_gemm("attention.kv_b_proj", "attention", ctx_rows,
                               heads * (x.qk_nope_head_dim + x.v_head_dim), x.kv_lora_rank, wdt));
      ops.push_back(elementwise("attention.rope", "attention",
                                static_cast<double>(M) * static_cast<double>(heads * x.qk_rope_head_dim), act,
                                static_cast<double>(M) * static_cast<double>(heads * x.qk_rope_head_dim), act, 6.0));
      AttentionParams p;
      p.batch = t.rank_sequences;
      p.query_tokens = t.query_tokens;
      p.kv_length = kv_len;
      p.q_heads = heads;
      p.kv_heads = heads;
      p.qk_dim = qk_head;
      p.v_dim = x.v_head_dim;
      p.kv_stored_per_head = qk_head + x.v_head_dim; // decompressed K and V, in the activation type
      p.kv_dtype = act;
      p.activation_dtype = act;
      ops.push_back(attention_op("attention.mla_naive", "attention", p));
    }
    ops.push_back(dense_gemm("attention.o_proj", "attention", M, H, heads * x.v_head_dim, wdt));
    return;
  }
  // MHA / GQA: fused QKV (KV heads replicated when TP exceeds them), attention, output projection.
  const std::int64_t kv_heads = std::max<std::int64_t>(a.num_kv_heads / tp, 1);
  const std::int64_t hd = a.head_dim;
  ops.push_back(dense_gemm("attention.qkv_proj", "attention", M, (heads + 2 * kv_heads) * hd, H, wdt));
  if (a.qk_norm != QkNorm::none)
    ops.push_back(rms_norm("attention.qk_norm", "attention", M, (heads + kv_heads) * hd, act));
  ops.push_back(elementwise("attention.rope", "attention",
                            static_cast<double>(M) * static_cast<double>((heads + kv_heads) * hd), act,
                            static_cast<double>(M) * static_cast<double>((heads + kv_heads) * hd), act, 6.0));
  AttentionParams p;
  p.batch = t.rank_sequences;
  p.query_tokens = t.query_tokens;
  p.kv_length = kv_len;
  p.q_heads = heads;
  p.kv_heads = kv_heads;
  p.qk_dim = hd;
  p.v_dim = hd;
  p.kv_stored_per_head = 2 * hd;
  p.kv_dtype = dt.kv_cache;
  p.activation_dtype = act;
  ops.push_back(attention_op(a.kind == AttentionKind::mha ? "attention.mha" : "attention.gqa", "attention", p));
  ops.push_back(dense_gemm("attention.o_proj", "attention", M, H, heads * hd, wdt));
}

} // namespace

std::vector<OperatorWork> layer_operators(const ModelArchitecture& m, const ResolvedDeployment& d, const DataTypes& dt,
                                          const LayerTokens& t, bool moe_layer, bool sliding_window) {
  std::vector<OperatorWork> ops;
  ops.reserve(20);
  const std::int64_t H = m.hidden_size;
  const DataType wdt = dt.weights;
  const DataType act = dt.activations;
  ops.push_back(rms_norm("norms.input_layernorm", "norms", t.rank_tokens, H, act));
  add_attention_ops(ops, m, d, dt, t, sliding_window);
  ops.push_back(rms_norm("norms.post_attention_layernorm", "norms", t.rank_tokens, H, act));
  const double gate_factor = m.gated_ffn ? 2.0 : 1.0;
  if (!moe_layer) {
    const std::int64_t tp = std::max<std::int64_t>(d.attention_tp, 1);
    const std::int64_t inter = m.dense_intermediate_size / tp;
    const std::int64_t M = t.rank_tokens;
    ops.push_back(
        dense_gemm("dense_ffn.up_gate_proj", "dense_ffn", M, static_cast<std::int64_t>(gate_factor) * inter, H, wdt));
    ops.push_back(elementwise("dense_ffn.activation", "dense_ffn",
                              gate_factor * static_cast<double>(M) * static_cast<double>(inter), act,
                              static_cast<double>(M) * static_cast<double>(inter), act, 4.0));
    ops.push_back(dense_gemm("dense_ffn.down_proj", "dense_ffn", M, H, inter, wdt));
    return ops;
  }
  const auto& moe = m.moe;
  const std::int64_t T = t.moe_tokens_per_gpu;
  const std::int64_t mtp = std::max<std::int64_t>(d.moe_tp, 1);
  ops.push_back(dense_gemm("gate.router", "gate", T, moe.num_routed_experts, H, DataType::bf16, DataType::fp32));
  ops.push_back(elementwise("gate.topk", "gate", static_cast<double>(T) * static_cast<double>(moe.num_routed_experts),
                            DataType::fp32, static_cast<double>(T) * static_cast<double>(moe.top_k) * 2.0,
                            DataType::fp32, 8.0));
  // Routed experts on the busiest GPU. Masked layout in decode, contiguous in prefill.
  const GroupedLayout layout = t.phase == Phase::decode ? GroupedLayout::masked : GroupedLayout::contiguous;
  for (OperatorWork& op : routed_expert_operators(t.busiest_expert_tokens, H, moe.expert_intermediate_size / mtp,
                                                  gate_factor, wdt, act, dt.dispatch, layout, t.received_rows))
    ops.push_back(std::move(op));
  if (moe.num_shared_experts > 0) {
    const std::int64_t s_inter = moe.num_shared_experts * moe.shared_expert_intermediate_size / mtp;
    const std::int64_t M = T * mtp;
    ops.push_back(dense_gemm("shared_experts.up_gate", "shared_experts", M,
                             static_cast<std::int64_t>(gate_factor) * s_inter, H, wdt));
    ops.push_back(elementwise("shared_experts.activation", "shared_experts",
                              gate_factor * static_cast<double>(M) * static_cast<double>(s_inter), act,
                              static_cast<double>(M) * static_cast<double>(s_inter), act, 4.0));
    ops.push_back(dense_gemm("shared_experts.down", "shared_experts", M, H, s_inter, wdt));
  }
  return ops;
}

} // namespace moescope
