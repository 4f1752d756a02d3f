#include "model/parameter_count.hpp"

namespace moescope {

namespace {

double d(std::int64_t v) {
  return static_cast<double>(v);
}

double ffn_parameters(const ModelArchitecture& m, std::int64_t intermediate, bool with_bias) {
  double h = d(m.hidden_size), i = d(intermediate);
  double matrices = (m.gated_ffn ? 3.0 : 2.0) * h * i;
  // Biases: gate and up (or the single up) projection give `intermediate` each, down gives `hidden`.
  double biases = with_bias ? (m.gated_ffn ? 2.0 : 1.0) * i + h : 0.0;
  return matrices + biases;
}

double mla_parameters(const ModelArchitecture& m) {
  const MlaDims& x = m.attention.mla;
  double h = d(m.hidden_size), heads = d(m.attention.num_heads);
  double qk_head = d(x.qk_nope_head_dim + x.qk_rope_head_dim);
  double q = x.q_lora_rank > 0
                 ? h * d(x.q_lora_rank) + d(x.q_lora_rank) /* q_a_layernorm */ + d(x.q_lora_rank) * heads * qk_head
                 : h * heads * qk_head;
  double kv_a = h * d(x.kv_lora_rank + x.qk_rope_head_dim);
  double kv_norm = d(x.kv_lora_rank);
  double kv_b = d(x.kv_lora_rank) * heads * d(x.qk_nope_head_dim + x.v_head_dim);
  double o = heads * d(x.v_head_dim) * h;
  return q + kv_a + kv_norm + kv_b + o;
}

double mha_gqa_parameters(const ModelArchitecture& m) {
  const AttentionSpec& a = m.attention;
  double h = d(m.hidden_size);
  double q_out = d(a.num_heads * a.head_dim), kv_out = d(a.num_kv_heads * a.head_dim);
  double p = h * q_out + 2.0 * h * kv_out + q_out * h;
  if (a.qkv_bias) p += q_out + 2.0 * kv_out;
  if (a.o_bias) p += h;
  return p;
}

double qk_norm_parameters(const ModelArchitecture& m) {
  const AttentionSpec& a = m.attention;
  // With MLA the head dimension of q and k is nope + rope.
  std::int64_t head_dim = a.kind == AttentionKind::mla ? a.mla.qk_nope_head_dim + a.mla.qk_rope_head_dim : a.head_dim;
  switch (a.qk_norm) {
  case QkNorm::none:
    return 0.0;
  case QkNorm::per_head:
    return 2.0 * d(head_dim);
  case QkNorm::per_projection:
    return d((a.num_heads + a.num_kv_heads) * head_dim);
  }
  return 0.0;
}

LayerParameterCount layer_parameters(const ModelArchitecture& m, bool moe_layer) {
  LayerParameterCount c;
  c.attention = attention_parameters_per_layer(m);
  c.norms = 2.0 * d(m.hidden_size);
  if (moe_layer) {
    double per_expert = parameters_per_routed_expert(m);
    c.routed_experts = d(m.moe.num_routed_experts) * per_expert;
    c.active_routed_experts = d(m.moe.top_k) * per_expert;
    c.shared_experts = d(m.moe.num_shared_experts) * parameters_per_shared_expert(m);
    c.router = router_parameters_per_layer(m);
  } else {
    c.dense_ffn = dense_ffn_parameters_per_layer(m);
  }
  return c;
}

} // namespace

std::string to_string(ActiveConvention c) {
  switch (c) {
  case ActiveConvention::with_embeddings:
    return "with_embeddings";
  case ActiveConvention::without_input_embedding:
    return "without_input_embedding";
  case ActiveConvention::without_embeddings:
    return "without_embeddings";
  }
  return "?";
}

std::optional<ActiveConvention> parse_active_convention(std::string_view name) {
  for (auto c : {ActiveConvention::with_embeddings, ActiveConvention::without_input_embedding,
                 ActiveConvention::without_embeddings})
    if (name == to_string(c)) return c;
  return std::nullopt;
}

double ParameterCount::active(ActiveConvention c) const {
  switch (c) {
  case ActiveConvention::with_embeddings:
    return active_with_embeddings();
  case ActiveConvention::without_input_embedding:
    return active_without_input_embedding();
  case ActiveConvention::without_embeddings:
    return active_without_embeddings();
  }
  return active_with_embeddings();
}

double attention_parameters_per_layer(const ModelArchitecture& m) {
  double p = m.attention.kind == AttentionKind::mla ? mla_parameters(m) : mha_gqa_parameters(m);
  p += qk_norm_parameters(m);
  if (m.attention.attention_sinks) p += d(m.attention.num_heads);
  return p;
}

double parameters_per_routed_expert(const ModelArchitecture& m) {
  if (!m.is_moe()) return 0.0;
  return ffn_parameters(m, m.moe.expert_intermediate_size, m.moe.expert_bias);
}

double parameters_per_shared_expert(const ModelArchitecture& m) {
  if (m.moe.num_shared_experts == 0) return 0.0;
  return ffn_parameters(m, m.moe.shared_expert_intermediate_size, false);
}

double router_parameters_per_layer(const ModelArchitecture& m) {
  if (!m.is_moe()) return 0.0;
  double experts = d(m.moe.num_routed_experts);
  return d(m.hidden_size) * experts + (m.moe.router_bias ? experts : 0.0);
}

double dense_ffn_parameters_per_layer(const ModelArchitecture& m) {
  return ffn_parameters(m, m.dense_intermediate_size, false);
}

double mtp_extra_parameters_per_module(const ModelArchitecture& m) {
  double h = d(m.hidden_size);
  // enorm + hnorm + eh_proj (2h -> h) + the norm of the shared head.
  return 2.0 * h + 2.0 * h * h + h;
}

LayerParameterCount count_layer_parameters(const ModelArchitecture& m, std::int64_t layer) {
  return layer_parameters(m, m.is_moe_layer(layer));
}

ParameterCount count_parameters(const ModelArchitecture& m) {
  ParameterCount c;
  double vocab_by_hidden = d(m.vocab_size) * d(m.hidden_size);
  c.embedding = vocab_by_hidden;
  c.lm_head = m.tie_word_embeddings ? 0.0 : vocab_by_hidden;
  c.unembedding = vocab_by_hidden;

  for (std::int64_t layer = 0; layer < m.num_layers; ++layer) {
    LayerParameterCount l = count_layer_parameters(m, layer);
    c.attention += l.attention;
    c.dense_ffn += l.dense_ffn;
    c.routed_experts += l.routed_experts;
    c.shared_experts += l.shared_experts;
    c.router += l.router;
    c.norms += l.norms;
    c.active_body += l.active();
  }
  double final_norm = d(m.hidden_size);
  c.norms += final_norm;
  c.active_body += final_norm;

  c.total =
      c.embedding + c.lm_head + c.attention + c.dense_ffn + c.routed_experts + c.shared_experts + c.router + c.norms;
  c.active_per_token = c.active_with_embeddings();

  // Each MTP module is one more decoder layer (a MoE layer in a MoE model) plus its own norms and projection.
  LayerParameterCount mtp_layer = layer_parameters(m, m.is_moe());
  c.mtp = d(m.mtp_layers) * (mtp_layer.total() + mtp_extra_parameters_per_module(m));
  return c;
}

} // namespace moescope
