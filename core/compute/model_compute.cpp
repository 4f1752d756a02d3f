#include "compute/model_compute.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "compute/operators.hpp"

namespace moescope {

EngineSettings read_engine_settings(const Scenario& s, Diagnostics& diagnostics) {
  EngineSettings e;
  auto it = s.extensions.find("engine");
  if (it == s.extensions.end()) return e;
  JsonObjectReader r(*it, s.file.empty() ? "<inline>" : s.file, "/engine", diagnostics);
  if (!r.valid()) return e;
  const std::string mode = r.choice_or("mode", {"calibrated", "speed_of_light"}, "calibrated");
  e.options.mode = mode == "speed_of_light" ? EngineMode::speed_of_light : EngineMode::calibrated;
  e.options.cuda_graphs = r.boolean_or("cuda_graphs", true);
  // The "engine" section is shared: the engine module (core/engine/engine_config.cpp) reads every key of it,
  // these included, and reports unknown ones. Reporting here too would reject the engine's own keys.
  return e;
}

const std::vector<std::string>& compute_components() {
  static const std::vector<std::string> c = {"attention", "routed_experts", "shared_experts", "dense_ffn",
                                             "gate",      "norms",          "embedding",      "lm_head"};
  return c;
}

std::vector<std::int64_t> routed_tokens_per_expert(double total_tokens, std::int64_t top_k, std::int64_t experts,
                                                   RoutingKind kind, double exponent) {
  std::vector<std::int64_t> out(static_cast<std::size_t>(std::max<std::int64_t>(experts, 0)), 0);
  if (experts <= 0) return out;
  const double pairs = std::round(std::max(0.0, total_tokens) * static_cast<double>(top_k));
  // Popularity shares; the power-law table is cached per thread (the same model is evaluated many times).
  thread_local std::vector<double> cached_share;
  thread_local std::int64_t cached_experts = -1;
  thread_local double cached_exponent = -1;
  thread_local RoutingKind cached_kind = RoutingKind::trace;
  if (cached_experts != experts || cached_exponent != exponent || cached_kind != kind) {
    cached_share.assign(out.size(), 1.0);
    if (kind == RoutingKind::power_law)
      for (std::size_t i = 0; i < cached_share.size(); ++i)
        cached_share[i] = std::pow(static_cast<double>(i + 1), -exponent);
    cached_experts = experts;
    cached_exponent = exponent;
    cached_kind = kind;
  }
  const std::vector<double>& share = cached_share;
  const double sum = std::accumulate(share.begin(), share.end(), 0.0);
  if (kind != RoutingKind::power_law) {
    // Equal shares: the first pairs % experts experts get one more.
    const std::int64_t base = static_cast<std::int64_t>(pairs) / experts,
                       extra = static_cast<std::int64_t>(pairs) % experts;
    for (std::int64_t i = 0; i < experts; ++i)
      out[static_cast<std::size_t>(i)] = base + (i < extra ? 1 : 0);
    return out;
  }
  std::vector<std::pair<double, std::size_t>> remainders;
  remainders.reserve(out.size());
  double assigned = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const double exact = pairs * share[i] / sum;
    out[i] = static_cast<std::int64_t>(std::floor(exact));
    assigned += static_cast<double>(out[i]);
    remainders.emplace_back(exact - std::floor(exact), i);
  }
  // Largest remainders get the leftover tokens (ties: lower expert index first).
  const std::size_t left = static_cast<std::size_t>(std::max(0.0, pairs - assigned));
  if (left > 0) {
    auto before = [](const auto& a, const auto& b) {
      return a.first > b.first || (a.first == b.first && a.second < b.second);
    };
    const std::size_t n = std::min(left, remainders.size());
    std::nth_element(remainders.begin(), remainders.begin() + static_cast<std::ptrdiff_t>(n - 1), remainders.end(),
                     before);
    for (std::size_t i = 0; i < n; ++i)
      out[remainders[i].second] += 1;
  }
  return out;
}

std::vector<std::int64_t> busiest_gpu_expert_tokens(const std::vector<std::int64_t>& per_expert,
                                                    std::int64_t experts_per_gpu) {
  const std::size_t per = static_cast<std::size_t>(std::max<std::int64_t>(experts_per_gpu, 1));
  std::size_t best = 0;
  std::int64_t best_sum = -1;
  for (std::size_t start = 0; start < per_expert.size(); start += per) {
    std::int64_t sum = 0;
    for (std::size_t i = start; i < std::min(per_expert.size(), start + per); ++i)
      sum += per_expert[i];
    if (sum > best_sum) {
      best_sum = sum;
      best = start;
    }
  }
  std::vector<std::int64_t> out;
  for (std::size_t i = best; i < std::min(per_expert.size(), best + per); ++i)
    out.push_back(per_expert[i]);
  return out;
}

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

LayerTokens layer_tokens(const ResolvedScenario& s, Phase phase) {
  const auto& w = s.scenario.workload;
  const auto& d = s.deployment;
  const auto& m = s.model;
  LayerTokens t;
  t.phase = phase;
  if (phase == Phase::prefill) {
    const std::int64_t cached =
        static_cast<std::int64_t>(std::floor(w.kv_cache_hit_rate * static_cast<double>(w.input_tokens)));
    t.query_tokens = std::max<std::int64_t>(1, w.input_tokens - cached);
    t.kv_length = w.input_tokens;
    const std::int64_t per_gpu = w.prefill_tokens_per_gpu > 0 ? w.prefill_tokens_per_gpu : t.query_tokens;
    t.rank_tokens = per_gpu * d.attention_tp;
    if (t.rank_tokens < t.query_tokens) {
      // Chunked prefill: the rank processes one chunk of a prompt, taken as its last chunk (full context).
      t.query_tokens = t.rank_tokens;
    }
    t.rank_sequences = std::max<std::int64_t>(1, t.rank_tokens / t.query_tokens);
    t.moe_tokens_per_gpu = per_gpu;
  } else {
    t.query_tokens = 1;
    t.kv_length = w.input_tokens + std::max<std::int64_t>(w.output_tokens / 2, 1); // mid-generation context
    t.rank_sequences = w.batch_per_gpu * d.attention_tp;
    t.rank_tokens = t.rank_sequences;
    t.moe_tokens_per_gpu = w.batch_per_gpu;
  }
  if (m.is_moe()) {
    const double stage_tokens = static_cast<double>(t.moe_tokens_per_gpu) * static_cast<double>(d.gpus_per_stage);
    const RoutingKind kind =
        s.scenario.routing.kind == RoutingKind::power_law ? RoutingKind::power_law : RoutingKind::uniform;
    auto per_expert = routed_tokens_per_expert(stage_tokens, m.moe.top_k, m.moe.num_routed_experts, kind,
                                               s.scenario.routing.power_law_exponent);
    const std::int64_t per_gpu = (m.moe.num_routed_experts + d.moe_ep - 1) / std::max<std::int64_t>(d.moe_ep, 1);
    t.busiest_expert_tokens = busiest_gpu_expert_tokens(per_expert, per_gpu);
    t.received_rows = uniform_received_rows(static_cast<double>(t.moe_tokens_per_gpu), d.moe_ep, m.moe.top_k,
                                            m.moe.num_routed_experts, per_gpu);
  }
  return t;
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

StepCompute compute_step(const ResolvedScenario& s, Phase phase, const ComputeEngine& engine) {
  StepCompute step;
  step.phase = phase;
  step.mode = engine.options().mode;
  step.tokens = layer_tokens(s, phase);
  const auto& m = s.model;
  const auto& d = s.deployment;
  const auto& dt = s.scenario.workload.dtypes;
  if (m.is_moe()) {
    step.routing_note = s.scenario.routing.kind == RoutingKind::trace
                            ? "trace routing: this section uses uniform loads; the engine section replays the trace"
                            : "linear placement; the busiest GPU's experts set the routed-expert time";
  }
  for (const auto& c : compute_components())
    step.component_seconds[c] = 0.0;
  const std::int64_t layers = std::max<std::int64_t>(d.layers_per_stage > 0 ? d.layers_per_stage : m.num_layers, 0);
  step.layer_type_of.reserve(static_cast<std::size_t>(layers));
  for (std::int64_t layer = 0; layer < layers; ++layer) {
    const bool moe = m.is_moe_layer(layer);
    const bool sliding = m.uses_sliding_window(layer);
    int idx = -1;
    for (std::size_t i = 0; i < step.layer_types.size(); ++i)
      if (step.layer_types[i].moe == moe && step.layer_types[i].sliding_window == sliding) idx = static_cast<int>(i);
    if (idx < 0) {
      LayerTypeCompute lt;
      lt.moe = moe;
      lt.sliding_window = sliding;
      lt.id = std::string(moe ? "moe" : "dense") + (sliding ? "_sliding_window" : "");
      lt.operators = layer_operators(m, d, dt, step.tokens, moe, sliding);
      lt.times.reserve(lt.operators.size());
      for (const auto& op : lt.operators) {
        OperatorTime ot = engine.evaluate(op);
        lt.component_seconds[op.component] += ot.seconds;
        lt.seconds += ot.seconds;
        lt.times.push_back(ot);
      }
      step.layer_types.push_back(std::move(lt));
      idx = static_cast<int>(step.layer_types.size()) - 1;
    }
    step.layer_types[static_cast<std::size_t>(idx)].count += 1;
    step.layer_type_of.push_back(idx);
  }
  // Embedding (first stage), final norm and LM head (last stage): vocabulary-parallel over attention TP.
  const std::int64_t tp = std::max<std::int64_t>(d.attention_tp, 1);
  step.outer_operators.push_back(
      embedding_lookup("embedding.lookup", step.tokens.rank_tokens, m.hidden_size, DataType::bf16));
  const std::int64_t head_rows = phase == Phase::prefill ? step.tokens.rank_sequences : step.tokens.rank_tokens;
  step.outer_operators.push_back(rms_norm("lm_head.final_norm", "lm_head", head_rows, m.hidden_size, dt.activations));
  step.outer_operators.push_back(dense_gemm("lm_head.projection", "lm_head", head_rows, m.vocab_size / tp,
                                            m.hidden_size, DataType::bf16, DataType::fp32));
  for (const auto& op : step.outer_operators) {
    OperatorTime ot = engine.evaluate(op);
    step.component_seconds[op.component] += ot.seconds;
    step.step_seconds += ot.seconds;
    step.flop += op.flop;
    step.weight_bytes += op.weight_bytes;
    step.kv_bytes += op.kv_bytes;
    step.outer_times.push_back(ot);
  }
  for (const auto& lt : step.layer_types) {
    const double n = static_cast<double>(lt.count);
    step.step_seconds += n * lt.seconds;
    for (const auto& [c, sec] : lt.component_seconds)
      step.component_seconds[c] += n * sec;
    for (const auto& op : lt.operators) {
      step.flop += n * op.flop;
      step.weight_bytes += n * op.weight_bytes;
      step.kv_bytes += n * op.kv_bytes;
    }
  }
  return step;
}

} // namespace moescope
