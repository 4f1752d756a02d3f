// The model families the Hugging Face importer knows: how each family's config.json keys map onto a
// ModelArchitecture (attention kind, head dimensions, MoE layer pattern, expert shapes, sliding windows).
#include <algorithm>
#include <cmath>
#include <map>

#include "model/hf_config_reader.hpp"

namespace moescope::hf_detail {

namespace {

std::string str(std::int64_t v) {
  return std::to_string(v);
}

// ---------------------------------------------------------------------------------------------------------
// Pieces shared by the families.

void read_common(const ConfigReader& r, ModelArchitecture& m) {
  m.hidden_size = r.integer("hidden_size");
  m.num_layers = r.integer("num_hidden_layers");
  m.vocab_size = r.integer("vocab_size");
  m.attention.num_heads = r.integer("num_attention_heads");
  m.attention.num_kv_heads = r.integer_or("num_key_value_heads", m.attention.num_heads);
  m.tie_word_embeddings = r.boolean_or("tie_word_embeddings", false);
}

// MHA or GQA with an explicit head_dim, or hidden_size / num_attention_heads.
void read_head_dims(const ConfigReader& r, ModelArchitecture& m) {
  AttentionSpec& a = m.attention;
  a.head_dim = r.integer_or("head_dim", 0);
  if (a.head_dim == 0 && a.num_heads > 0 && m.hidden_size > 0) {
    if (m.hidden_size % a.num_heads != 0)
      r.error("head_dim", "missing, and hidden_size (" + str(m.hidden_size) +
                              ") is not a multiple of "
                              "num_attention_heads (" +
                              str(a.num_heads) + "); expected an explicit head_dim");
    else
      a.head_dim = m.hidden_size / a.num_heads;
  }
  a.kind = a.num_kv_heads == a.num_heads ? AttentionKind::mha : AttentionKind::gqa;
  if (a.num_heads > 0 && a.num_kv_heads > 0 && a.num_heads % a.num_kv_heads != 0)
    r.error("num_key_value_heads",
            "expected a divisor of num_attention_heads (" + str(a.num_heads) + "), got " + str(a.num_kv_heads));
}

// attention_bias puts biases on q, k, v and (unless `o_too` is false) the output projection.
void read_attention_bias(const ConfigReader& r, ModelArchitecture& m, bool o_too) {
  bool bias = r.boolean_or("attention_bias", false);
  m.attention.qkv_bias = bias;
  m.attention.o_bias = bias && o_too;
}

// Expresses which layers are MoE as first_dense_layers and layer_interval; a placement that these cannot
// describe is reported at `key`.
void set_moe_layers(const ConfigReader& r, ModelArchitecture& m, const std::vector<bool>& is_moe,
                    std::string_view key) {
  auto first = std::find(is_moe.begin(), is_moe.end(), true);
  if (first == is_moe.end()) {
    r.error(key, "no layer is a MoE layer");
    return;
  }
  std::int64_t first_moe = first - is_moe.begin();
  std::int64_t layers = static_cast<std::int64_t>(is_moe.size());
  for (std::int64_t interval = 1; interval <= layers; ++interval) {
    std::int64_t first_dense = first_moe - (interval - 1);
    if (first_dense < 0) break;
    bool match = true;
    for (std::int64_t l = 0; l < layers && match; ++l) {
      bool expected = l >= first_dense && (l - first_dense) % interval == interval - 1;
      match = expected == is_moe[static_cast<std::size_t>(l)];
    }
    if (match) {
      m.moe.first_dense_layers = first_dense;
      m.moe.layer_interval = interval;
      return;
    }
  }
  r.error(key, "this placement of MoE layers is not supported (moescope describes it as a number of leading dense "
               "layers followed by every n-th layer)");
}

bool any_dense(const std::vector<bool>& is_moe) {
  return std::find(is_moe.begin(), is_moe.end(), false) != is_moe.end();
}

// The shortest repeating unit of a per-layer pattern.
std::vector<bool> shortest_period(const std::vector<bool>& v) {
  for (std::size_t p = 1; p <= v.size(); ++p) {
    bool ok = true;
    for (std::size_t i = p; i < v.size() && ok; ++i)
      ok = v[i] == v[i % p];
    if (ok) return std::vector<bool>(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(p));
  }
  return v;
}

void set_window(ModelArchitecture& m, std::int64_t window, const std::vector<bool>& per_layer) {
  if (window <= 0 || std::find(per_layer.begin(), per_layer.end(), true) == per_layer.end()) {
    m.attention.sliding_window_tokens = 0;
    m.attention.sliding_window_pattern.clear();
    return;
  }
  m.attention.sliding_window_tokens = window;
  std::vector<bool> period = shortest_period(per_layer);
  bool all = std::find(period.begin(), period.end(), false) == period.end();
  m.attention.sliding_window_pattern = all ? std::vector<bool>{} : period;
}

struct MoeKeys {
  const char* experts;
  const char* top_k;
  const char* groups = nullptr;
  const char* groups_per_token = nullptr;
};

void check_moe(const ConfigReader& r, const ModelArchitecture& m, const MoeKeys& keys) {
  const MoeSpec& e = m.moe;
  if (e.num_routed_experts > 0 && e.top_k > e.num_routed_experts)
    r.error(keys.top_k, "expected at most " + std::string(keys.experts) + " (" + str(e.num_routed_experts) + "), got " +
                            str(e.top_k));
  if (keys.groups && e.num_groups > 0) {
    if (e.num_routed_experts > 0 && e.num_routed_experts % e.num_groups != 0)
      r.error(keys.groups, "expected a divisor of " + std::string(keys.experts) + " (" + str(e.num_routed_experts) +
                               "), got " + str(e.num_groups));
    if (e.groups_per_token > e.num_groups)
      r.error(keys.groups_per_token, "expected at most " + std::string(keys.groups) + " (" + str(e.num_groups) +
                                         "), got " + str(e.groups_per_token));
  }
}

// The DeepSeek-style MoE keys (DeepSeek, Kimi, GLM-4.5): routed and shared experts of one size, group-limited routing.
MoeSpec& read_grouped_moe(const ConfigReader& r, ModelArchitecture& m) {
  MoeSpec& e = m.moe;
  e.num_routed_experts = r.integer("n_routed_experts");
  e.top_k = r.integer("num_experts_per_tok");
  e.expert_intermediate_size = r.integer("moe_intermediate_size");
  e.num_shared_experts = r.integer_or("n_shared_experts", 0, 0);
  e.shared_expert_intermediate_size = e.num_shared_experts > 0 ? e.expert_intermediate_size : 0;
  e.num_groups = r.integer_or("n_group", 1);
  e.groups_per_token = r.integer_or("topk_group", 1);
  return e;
}

// ---------------------------------------------------------------------------------------------------------
// The families.

// DeepSeek-V2, DeepSeek-V3 and Kimi K2: MLA, fine-grained experts with shared experts, leading dense layers.
void import_deepseek(const ConfigReader& r, ModelArchitecture& m) {
  read_common(r, m);
  AttentionSpec& a = m.attention;
  a.kind = AttentionKind::mla;
  a.num_kv_heads = a.num_heads; // MLA: every head has its own (decompressed) keys and values
  a.mla.q_lora_rank = r.integer_or("q_lora_rank", 0, 0);
  a.mla.kv_lora_rank = r.integer("kv_lora_rank");
  a.mla.qk_nope_head_dim = r.integer("qk_nope_head_dim");
  a.mla.qk_rope_head_dim = r.integer("qk_rope_head_dim");
  a.mla.v_head_dim = r.integer("v_head_dim");
  if (r.boolean_or("attention_bias", false))
    r.error("attention_bias", "MLA with attention biases is not supported; expected false");

  MoeSpec& e = read_grouped_moe(r, m);
  e.router_bias = r.string_or("topk_method", "greedy") == "noaux_tc"; // e_score_correction_bias
  check_moe(r, m, {"n_routed_experts", "num_experts_per_tok", "n_group", "topk_group"});

  std::int64_t first_dense = r.integer_or("first_k_dense_replace", 0, 0);
  std::int64_t frequency = r.integer_or("moe_layer_freq", 1);
  std::vector<bool> is_moe(static_cast<std::size_t>(m.num_layers));
  for (std::int64_t l = 0; l < m.num_layers; ++l)
    is_moe[static_cast<std::size_t>(l)] = l >= first_dense && frequency > 0 && l % frequency == 0;
  if (m.num_layers > 0)
    set_moe_layers(r, m, is_moe, r.has("moe_layer_freq") ? "moe_layer_freq" : "first_k_dense_replace");
  if (any_dense(is_moe)) m.dense_intermediate_size = r.integer("intermediate_size");
  m.mtp_layers = r.integer_or("num_nextn_predict_layers", 0, 0);
}

// GLM-4.5: GQA with q/k bias and per-head q/k norms, DeepSeek-style MoE with leading dense layers.
void import_glm4_moe(const ConfigReader& r, ModelArchitecture& m) {
  read_common(r, m);
  read_head_dims(r, m);
  read_attention_bias(r, m, /*o_too=*/false); // Glm4MoeAttention: o_proj has no bias
  if (r.boolean_or("use_qk_norm", false)) m.attention.qk_norm = QkNorm::per_head;

  MoeSpec& e = read_grouped_moe(r, m);
  e.router_bias = true; // Glm4MoeTopkRouter always carries e_score_correction_bias
  check_moe(r, m, {"n_routed_experts", "num_experts_per_tok", "n_group", "topk_group"});

  std::int64_t first_dense = r.integer_or("first_k_dense_replace", 0, 0);
  std::vector<bool> is_moe(static_cast<std::size_t>(m.num_layers));
  for (std::int64_t l = 0; l < m.num_layers; ++l)
    is_moe[static_cast<std::size_t>(l)] = l >= first_dense;
  if (m.num_layers > 0) set_moe_layers(r, m, is_moe, "first_k_dense_replace");
  if (any_dense(is_moe)) m.dense_intermediate_size = r.integer("intermediate_size");
  m.mtp_layers = r.integer_or("num_nextn_predict_layers", 0, 0);
}

void reject_sliding_window(const ConfigReader& r) {
  if (r.boolean_or("use_sliding_window", false))
    r.error("use_sliding_window", "Qwen-style sliding windows (max_window_layers) are not supported; expected false");
}

void import_qwen3_moe(const ConfigReader& r, ModelArchitecture& m) {
  read_common(r, m);
  read_head_dims(r, m);
  read_attention_bias(r, m, true);
  m.attention.qk_norm = QkNorm::per_head;
  reject_sliding_window(r);

  MoeSpec& e = m.moe;
  e.num_routed_experts = r.integer("num_experts");
  e.top_k = r.integer("num_experts_per_tok");
  e.expert_intermediate_size = r.integer("moe_intermediate_size");
  check_moe(r, m, {"num_experts", "num_experts_per_tok"});

  std::int64_t step = r.integer_or("decoder_sparse_step", 1);
  std::vector<std::int64_t> mlp_only = r.integer_array("mlp_only_layers", 0);
  std::vector<bool> is_moe(static_cast<std::size_t>(m.num_layers));
  for (std::int64_t l = 0; l < m.num_layers; ++l) {
    bool dense = std::find(mlp_only.begin(), mlp_only.end(), l) != mlp_only.end();
    is_moe[static_cast<std::size_t>(l)] = !dense && step > 0 && (l + 1) % step == 0;
  }
  if (m.num_layers > 0) set_moe_layers(r, m, is_moe, mlp_only.empty() ? "decoder_sparse_step" : "mlp_only_layers");
  if (any_dense(is_moe)) m.dense_intermediate_size = r.integer("intermediate_size");
}

// Dense Llama-style decoders (Llama 2/3, Qwen3).
void import_dense(const ConfigReader& r, ModelArchitecture& m, bool qwen3) {
  read_common(r, m);
  read_head_dims(r, m);
  read_attention_bias(r, m, true);
  if (qwen3) {
    m.attention.qk_norm = QkNorm::per_head;
    reject_sliding_window(r);
  }
  if (r.boolean_or("mlp_bias", false))
    r.error("mlp_bias", "FFN biases in dense layers are not supported; expected false");
  m.dense_intermediate_size = r.integer("intermediate_size");
}

// Llama 4: the text model's fields are under "text_config". Experts of intermediate_size plus one shared
// expert of the same size; dense layers use intermediate_size_mlp; MoE every interleave_moe_layer_step-th
// layer; chunked attention on the RoPE layers (three of every four), global NoPE attention on the others.
void import_llama4(const ConfigReader& top, ModelArchitecture& m) {
  const Json* text = top.get("text_config");
  if (!text || !text->is_object()) {
    top.error("text_config", text ? "expected an object, got " + describe_json(*text)
                                  : "missing required field; expected an object with the text model's fields");
    return;
  }
  ConfigReader r(*text, top.file(), top.pointer_of("text_config"), top.diagnostics());
  read_common(r, m);
  if (!r.has("tie_word_embeddings")) m.tie_word_embeddings = top.boolean_or("tie_word_embeddings", false);
  read_head_dims(r, m);
  read_attention_bias(r, m, true);
  // use_qk_norm is Llama4TextL2Norm: an L2 normalization without weights, so no parameters.

  MoeSpec& e = m.moe;
  e.num_routed_experts = r.integer("num_local_experts");
  e.top_k = r.integer("num_experts_per_tok");
  e.expert_intermediate_size = r.integer("intermediate_size");
  e.num_shared_experts = 1;
  e.shared_expert_intermediate_size = e.expert_intermediate_size;
  check_moe(r, m, {"num_local_experts", "num_experts_per_tok"});

  std::vector<bool> is_moe(static_cast<std::size_t>(m.num_layers));
  if (r.has("moe_layers")) {
    for (std::int64_t l : r.integer_array("moe_layers", 0))
      if (l < m.num_layers) is_moe[static_cast<std::size_t>(l)] = true;
  } else {
    std::int64_t step = r.integer_or("interleave_moe_layer_step", 1);
    for (std::int64_t l = 0; l < m.num_layers; ++l)
      is_moe[static_cast<std::size_t>(l)] = step > 0 && l % step == step - 1;
  }
  if (m.num_layers > 0) set_moe_layers(r, m, is_moe, r.has("moe_layers") ? "moe_layers" : "interleave_moe_layer_step");
  if (any_dense(is_moe)) m.dense_intermediate_size = r.integer("intermediate_size_mlp");

  std::int64_t chunk = r.integer_or("attention_chunk_size", 0, 0);
  std::vector<std::int64_t> rope_layers = r.integer_array("no_rope_layers", 0); // 1: the layer uses RoPE
  std::vector<bool> chunked(static_cast<std::size_t>(m.num_layers));
  std::int64_t interval = r.integer_or("no_rope_layer_interval", 4);
  for (std::int64_t l = 0; l < m.num_layers; ++l) {
    auto i = static_cast<std::size_t>(l);
    chunked[i] = rope_layers.empty() ? (l + 1) % interval != 0 : (i < rope_layers.size() && rope_layers[i] != 0);
  }
  set_window(m, chunk, chunked);
}

void import_mixtral(const ConfigReader& r, ModelArchitecture& m) {
  read_common(r, m);
  read_head_dims(r, m);
  MoeSpec& e = m.moe;
  e.num_routed_experts = r.integer("num_local_experts");
  e.top_k = r.integer("num_experts_per_tok");
  e.expert_intermediate_size = r.integer("intermediate_size");
  check_moe(r, m, {"num_local_experts", "num_experts_per_tok"});
  std::int64_t window = r.integer_or("sliding_window", 0, 0);
  set_window(m, window, std::vector<bool>(static_cast<std::size_t>(m.num_layers), true));
}

// gpt-oss: biases everywhere (q/k/v/o, experts, router), attention sinks, alternating sliding-window layers.
void import_gpt_oss(const ConfigReader& r, ModelArchitecture& m) {
  read_common(r, m);
  read_head_dims(r, m);
  read_attention_bias(r, m, true);
  m.attention.attention_sinks = true;
  MoeSpec& e = m.moe;
  e.num_routed_experts = r.integer("num_local_experts");
  const char* top_k_key = r.has("num_experts_per_tok") ? "num_experts_per_tok" : "experts_per_token";
  e.top_k = r.integer(top_k_key);
  e.expert_intermediate_size = r.integer("intermediate_size");
  e.expert_bias = true;
  e.router_bias = true;
  check_moe(r, m, {"num_local_experts", top_k_key});

  std::vector<bool> sliding(static_cast<std::size_t>(m.num_layers));
  const Json* types = r.get("layer_types");
  if (types && !types->is_array()) {
    r.error("layer_types",
            "expected an array of \"sliding_attention\" / \"full_attention\", got " + describe_json(*types));
  } else if (types) {
    if (static_cast<std::int64_t>(types->size()) != m.num_layers)
      r.error("layer_types",
              "expected num_hidden_layers (" + str(m.num_layers) + ") entries, got " + std::to_string(types->size()));
    for (std::size_t i = 0; i < types->size() && i < sliding.size(); ++i) {
      const Json& t = (*types)[i];
      if (t == "sliding_attention") {
        sliding[i] = true;
      } else if (t != "full_attention") {
        r.diagnostics().add(r.file(), r.pointer_of("layer_types") + "/" + std::to_string(i),
                            "expected \"sliding_attention\" or \"full_attention\", got " + describe_json(t));
      }
    }
  } else {
    for (std::size_t i = 0; i < sliding.size(); ++i)
      sliding[i] = i % 2 == 0; // GptOssConfig's default
  }
  std::int64_t window = r.integer_or("sliding_window", 0, 0);
  if (window == 0 && std::find(sliding.begin(), sliding.end(), true) != sliding.end())
    r.error("sliding_window", "missing required field; expected an integer > 0 (layer_types has sliding layers)");
  set_window(m, window, sliding);
}

void import_olmoe(const ConfigReader& r, ModelArchitecture& m) {
  read_common(r, m);
  read_head_dims(r, m);
  read_attention_bias(r, m, true);
  m.attention.qk_norm = QkNorm::per_projection; // OlmoeAttention normalizes the whole q and k projections
  MoeSpec& e = m.moe;
  e.num_routed_experts = r.integer("num_experts");
  e.top_k = r.integer("num_experts_per_tok");
  e.expert_intermediate_size = r.integer("intermediate_size");
  check_moe(r, m, {"num_experts", "num_experts_per_tok"});
}

} // namespace

const std::map<std::string, HfFamilyImporter>& hf_family_importers() {
  static const std::map<std::string, HfFamilyImporter> table = {
      {"deepseek_v2", import_deepseek},
      {"deepseek_v3", import_deepseek},
      {"kimi_k2", import_deepseek},
      {"glm4_moe", import_glm4_moe},
      {"qwen3_moe", import_qwen3_moe},
      {"qwen3", [](const ConfigReader& r, ModelArchitecture& m) { import_dense(r, m, true); }},
      {"llama", [](const ConfigReader& r, ModelArchitecture& m) { import_dense(r, m, false); }},
      {"llama4", import_llama4},
      {"mixtral", import_mixtral},
      {"gpt_oss", import_gpt_oss},
      {"olmoe", import_olmoe},
  };
  return table;
}

} // namespace moescope::hf_detail
