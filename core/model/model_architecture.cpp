#include "model/model_architecture.hpp"

#include <algorithm>
#include <cmath>

#include "model/model_limits.hpp"

namespace moescope {

namespace {

using namespace model_limits;

const std::vector<std::string>& attention_kind_names() {
  static const std::vector<std::string> names = {"mha", "gqa", "mla"};
  return names;
}

const std::vector<std::string>& qk_norm_names() {
  static const std::vector<std::string> names = {"none", "per_head", "per_projection"};
  return names;
}

const std::vector<std::string>& active_convention_names() {
  static const std::vector<std::string> names = {"with_embeddings", "without_input_embedding", "without_embeddings"};
  return names;
}

std::string str(std::int64_t v) {
  return std::to_string(v);
}

MlaDims read_mla(JsonObjectReader r) {
  MlaDims d;
  if (!r.valid()) return d;
  d.q_lora_rank = r.integer_in("q_lora_rank", 0, kMaxDimension);
  d.kv_lora_rank = r.integer_in("kv_lora_rank", 1, kMaxDimension);
  d.qk_nope_head_dim = r.integer_in("qk_nope_head_dim", 1, kMaxDimension);
  d.qk_rope_head_dim = r.integer_in("qk_rope_head_dim", 1, kMaxDimension);
  d.v_head_dim = r.integer_in("v_head_dim", 1, kMaxDimension);
  r.finish();
  return d;
}

AttentionSpec read_attention(JsonObjectReader r) {
  AttentionSpec a;
  if (!r.valid()) return a;
  std::string kind = r.choice("kind", attention_kind_names());
  if (auto k = parse_attention_kind(kind)) a.kind = *k;
  a.num_heads = r.integer_in("num_heads", 1, kMaxDimension);
  a.num_kv_heads = r.integer_in("num_kv_heads", 1, kMaxDimension);
  bool mla = kind == "mla";
  if (mla) {
    if (r.has("head_dim"))
      r.error("head_dim", "not used with kind \"mla\" (the head dimensions are in /attention/mla); remove it");
    r.accept("head_dim");
    a.mla = read_mla(r.object("mla"));
  } else {
    a.head_dim = r.integer_in("head_dim", 1, kMaxDimension);
    if (r.has("mla")) r.error("mla", "only allowed with kind \"mla\"");
    r.accept("mla");
  }
  a.qkv_bias = r.boolean_or("qkv_bias", false);
  a.o_bias = r.boolean_or("o_bias", false);
  a.attention_sinks = r.boolean_or("attention_sinks", false);
  if (auto n = parse_qk_norm(r.choice_or("qk_norm", qk_norm_names(), "none"))) a.qk_norm = *n;
  a.sliding_window_tokens = r.integer_in_or("sliding_window_tokens", 0, 0, kMaxDimension);
  if (const Json* pattern = r.raw("sliding_window_pattern")) {
    if (!pattern->is_array()) {
      r.error("sliding_window_pattern", "expected an array of true/false, got " + describe_json(*pattern));
    } else {
      for (std::size_t i = 0; i < pattern->size(); ++i) {
        const Json& v = (*pattern)[i];
        if (!v.is_boolean()) {
          r.diagnostics().add(r.file(), r.pointer_of("sliding_window_pattern") + "/" + std::to_string(i),
                              "expected true or false, got " + describe_json(v));
          continue;
        }
        a.sliding_window_pattern.push_back(v.get<bool>());
      }
    }
  }
  r.finish();

  // Consistency of the head counts.
  if (a.num_heads > 0 && a.num_kv_heads > 0) {
    if (a.kind == AttentionKind::gqa && a.num_heads % a.num_kv_heads != 0)
      r.error("num_kv_heads", "expected a divisor of num_heads (" + str(a.num_heads) + "), got " + str(a.num_kv_heads));
    if ((a.kind == AttentionKind::mha || a.kind == AttentionKind::mla) && a.num_kv_heads != a.num_heads)
      r.error("num_kv_heads",
              "expected num_heads (" + str(a.num_heads) + ") for kind \"" + kind + "\", got " + str(a.num_kv_heads));
  }
  if (!a.sliding_window_pattern.empty() && a.sliding_window_tokens == 0)
    r.error("sliding_window_pattern", "a pattern needs sliding_window_tokens > 0");
  return a;
}

MoeSpec read_moe(JsonObjectReader r) {
  MoeSpec m;
  if (!r.valid()) return m;
  m.num_routed_experts = r.integer_in("num_routed_experts", 1, kMaxExperts);
  m.top_k = r.integer_in("top_k", 1, kMaxExperts);
  m.expert_intermediate_size = r.integer_in("expert_intermediate_size", 1, kMaxDimension);
  m.num_shared_experts = r.integer_in_or("num_shared_experts", 0, 0, kMaxExperts);
  m.shared_expert_intermediate_size = r.integer_in_or("shared_expert_intermediate_size", 0, 0, kMaxDimension);
  m.num_groups = r.integer_in_or("num_groups", 1, 1, kMaxExperts);
  m.groups_per_token = r.integer_in_or("groups_per_token", 1, 1, kMaxExperts);
  m.expert_bias = r.boolean_or("expert_bias", false);
  m.router_bias = r.boolean_or("router_bias", false);
  m.first_dense_layers = r.integer_in_or("first_dense_layers", 0, 0, kMaxLayers);
  m.layer_interval = r.integer_in_or("layer_interval", 1, 1, kMaxLayers);
  r.finish();

  if (m.num_routed_experts > 0 && m.top_k > m.num_routed_experts)
    r.error("top_k", "expected at most num_routed_experts (" + str(m.num_routed_experts) + "), got " + str(m.top_k));
  if (m.num_groups > 0 && m.groups_per_token > m.num_groups)
    r.error("groups_per_token",
            "expected at most num_groups (" + str(m.num_groups) + "), got " + str(m.groups_per_token));
  if (m.num_groups > 0 && m.num_routed_experts > 0) {
    if (m.num_routed_experts % m.num_groups != 0) {
      r.error("num_groups",
              "expected a divisor of num_routed_experts (" + str(m.num_routed_experts) + "), got " + str(m.num_groups));
    } else if (m.groups_per_token > 0 && m.groups_per_token <= m.num_groups && m.top_k > 0 &&
               m.top_k <= m.num_routed_experts &&
               m.top_k > m.groups_per_token * (m.num_routed_experts / m.num_groups)) {
      r.error("top_k", "expected at most groups_per_token * experts per group (" +
                           str(m.groups_per_token * (m.num_routed_experts / m.num_groups)) + "), got " + str(m.top_k));
    }
  }
  if (m.num_shared_experts > 0 && m.shared_expert_intermediate_size == 0)
    r.error("shared_expert_intermediate_size", "expected an integer > 0 when num_shared_experts > 0");
  if (m.num_shared_experts == 0 && m.shared_expert_intermediate_size > 0)
    r.error("shared_expert_intermediate_size", "expected 0 (or no field) when num_shared_experts is 0");
  return m;
}

ModelArchitecture::Published read_published(JsonObjectReader r) {
  ModelArchitecture::Published p;
  if (!r.valid()) return p;
  p.total_parameters = r.number("total_parameters", NumberRule::positive);
  p.active_parameters = r.number("active_parameters", NumberRule::positive);
  p.active_convention = r.choice("active_convention", active_convention_names());
  p.source = r.string("source");
  if (r.has("source") && p.source.empty()) r.error("source", "expected a non-empty string naming the publication");
  r.finish();
  if (p.total_parameters > 0 && p.active_parameters > p.total_parameters)
    r.error("active_parameters", "expected at most total_parameters");
  return p;
}

bool has_dense_layers(const ModelArchitecture& m) {
  if (!m.is_moe()) return true;
  for (std::int64_t layer = 0; layer < m.num_layers; ++layer)
    if (!m.is_moe_layer(layer)) return true;
  return false;
}

} // namespace

bool is_valid_model_name(const std::string& name) {
  if (name.empty()) return false;
  auto ok = [](char c, bool first) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (!first && (c == '.' || c == '-'));
  };
  for (std::size_t i = 0; i < name.size(); ++i)
    if (!ok(name[i], i == 0)) return false;
  return true;
}

std::string to_string(AttentionKind k) {
  return attention_kind_names()[static_cast<std::size_t>(k)];
}

std::optional<AttentionKind> parse_attention_kind(const std::string& name) {
  const auto& names = attention_kind_names();
  auto it = std::find(names.begin(), names.end(), name);
  if (it == names.end()) return std::nullopt;
  return static_cast<AttentionKind>(it - names.begin());
}

std::string to_string(QkNorm n) {
  return qk_norm_names()[static_cast<std::size_t>(n)];
}

std::optional<QkNorm> parse_qk_norm(const std::string& name) {
  const auto& names = qk_norm_names();
  auto it = std::find(names.begin(), names.end(), name);
  if (it == names.end()) return std::nullopt;
  return static_cast<QkNorm>(it - names.begin());
}

bool ModelArchitecture::is_moe_layer(std::int64_t layer) const {
  if (!is_moe() || layer < 0 || layer >= num_layers || layer < moe.first_dense_layers) return false;
  std::int64_t interval = std::max<std::int64_t>(1, moe.layer_interval);
  return (layer - moe.first_dense_layers) % interval == interval - 1;
}

std::int64_t ModelArchitecture::num_moe_layers() const {
  std::int64_t n = 0;
  for (std::int64_t layer = 0; layer < num_layers; ++layer)
    if (is_moe_layer(layer)) ++n;
  return n;
}

bool ModelArchitecture::uses_sliding_window(std::int64_t layer) const {
  if (attention.sliding_window_tokens <= 0 || layer < 0 || layer >= num_layers) return false;
  const auto& pattern = attention.sliding_window_pattern;
  if (pattern.empty()) return true;
  return pattern[static_cast<std::size_t>(layer) % pattern.size()];
}

ModelArchitecture read_model(const Json& json, const std::string& file, Diagnostics& diagnostics) {
  ModelArchitecture m;
  m.file = file;
  JsonObjectReader r(json, file, "", diagnostics);
  if (!r.valid()) return m;

  m.name = r.string("name");
  if (r.has("name") && json["name"].is_string() && !is_valid_model_name(m.name))
    r.error("name", "expected a lower-case name of [a-z0-9.-] starting with a letter or digit, got \"" + m.name + "\"");
  m.display_name = r.string("display_name");
  if (r.has("display_name") && json["display_name"].is_string() && m.display_name.empty())
    r.error("display_name", "expected a non-empty string");
  m.hf_repo = r.string("hf_repo");
  m.source = r.string("source");
  if (r.has("source") && json["source"].is_string() && m.source.empty())
    r.error("source", "expected a non-empty string saying where the architecture came from");

  m.num_layers = r.integer_in("num_layers", 1, kMaxLayers);
  m.hidden_size = r.integer_in("hidden_size", 1, kMaxDimension);
  m.vocab_size = r.integer_in("vocab_size", 1, kMaxDimension);
  m.tie_word_embeddings = r.boolean("tie_word_embeddings");
  m.dense_intermediate_size = r.integer_in("dense_intermediate_size", 0, kMaxDimension);
  m.gated_ffn = r.boolean("gated_ffn");
  if (auto t = parse_data_type(r.choice("weight_dtype", data_type_names()))) m.weight_dtype = *t;
  m.attention = read_attention(r.object("attention"));
  if (auto moe = r.object_if_present("moe")) m.moe = read_moe(*moe);
  m.mtp_layers = r.integer_in_or("mtp_layers", 0, 0, kMaxLayers);
  if (auto published = r.object_if_present("published")) {
    if (published->valid()) m.published = read_published(*published);
  }
  r.finish();

  // Cross-field consistency (only where the fields themselves were readable).
  if (m.is_moe() && m.num_layers > 0) {
    if (m.moe.first_dense_layers >= m.num_layers)
      diagnostics.add(file, "/moe/first_dense_layers",
                      "expected fewer than num_layers (" + str(m.num_layers) + "), got " +
                          str(m.moe.first_dense_layers));
    else if (m.num_moe_layers() == 0)
      diagnostics.add(file, "/moe/layer_interval", "no layer is a MoE layer with this first_dense_layers and interval");
  }
  if (m.num_layers > 0 && m.dense_intermediate_size == 0 && has_dense_layers(m))
    diagnostics.add(file, "/dense_intermediate_size", "expected an integer > 0: the model has dense layers");
  if (m.num_layers > 0 && m.dense_intermediate_size > 0 && !has_dense_layers(m))
    diagnostics.add(file, "/dense_intermediate_size", "expected 0: every layer is a MoE layer");
  if (static_cast<std::int64_t>(m.attention.sliding_window_pattern.size()) > m.num_layers && m.num_layers > 0)
    diagnostics.add(file, "/attention/sliding_window_pattern",
                    "expected at most num_layers (" + str(m.num_layers) + ") entries");
  return m;
}

namespace {

using OrderedJson = nlohmann::ordered_json;

// Parameter counts are written as integers when they are whole numbers (671000000000, not 671000000000.0).
OrderedJson count_json(double v) {
  if (std::floor(v) == v && std::fabs(v) < 9.0e15) return static_cast<std::int64_t>(v);
  return v;
}

// The catalog layout, keys in the order docs/model-catalog.md lists them.
OrderedJson model_to_ordered_json(const ModelArchitecture& m) {
  const AttentionSpec& a = m.attention;
  OrderedJson attention = {{"kind", to_string(a.kind)}, {"num_heads", a.num_heads}, {"num_kv_heads", a.num_kv_heads}};
  if (a.kind == AttentionKind::mla) {
    attention["mla"] = {
        {"q_lora_rank", a.mla.q_lora_rank},
        {"kv_lora_rank", a.mla.kv_lora_rank},
        {"qk_nope_head_dim", a.mla.qk_nope_head_dim},
        {"qk_rope_head_dim", a.mla.qk_rope_head_dim},
        {"v_head_dim", a.mla.v_head_dim},
    };
  } else {
    attention["head_dim"] = a.head_dim;
  }
  attention["qkv_bias"] = a.qkv_bias;
  attention["o_bias"] = a.o_bias;
  attention["attention_sinks"] = a.attention_sinks;
  attention["qk_norm"] = to_string(a.qk_norm);
  attention["sliding_window_tokens"] = a.sliding_window_tokens;
  attention["sliding_window_pattern"] = OrderedJson::array();
  for (bool b : a.sliding_window_pattern)
    attention["sliding_window_pattern"].push_back(b);

  OrderedJson out = {
      {"name", m.name},
      {"display_name", m.display_name},
      {"hf_repo", m.hf_repo},
      {"source", m.source},
      {"num_layers", m.num_layers},
      {"hidden_size", m.hidden_size},
      {"vocab_size", m.vocab_size},
      {"tie_word_embeddings", m.tie_word_embeddings},
      {"dense_intermediate_size", m.dense_intermediate_size},
      {"gated_ffn", m.gated_ffn},
      {"weight_dtype", to_string(m.weight_dtype)},
      {"attention", attention},
  };
  if (m.is_moe()) {
    out["moe"] = {
        {"num_routed_experts", m.moe.num_routed_experts},
        {"num_shared_experts", m.moe.num_shared_experts},
        {"top_k", m.moe.top_k},
        {"expert_intermediate_size", m.moe.expert_intermediate_size},
        {"shared_expert_intermediate_size", m.moe.shared_expert_intermediate_size},
        {"num_groups", m.moe.num_groups},
        {"groups_per_token", m.moe.groups_per_token},
        {"expert_bias", m.moe.expert_bias},
        {"router_bias", m.moe.router_bias},
        {"first_dense_layers", m.moe.first_dense_layers},
        {"layer_interval", m.moe.layer_interval},
    };
  }
  out["mtp_layers"] = m.mtp_layers;
  if (m.published) {
    out["published"] = {
        {"total_parameters", count_json(m.published->total_parameters)},
        {"active_parameters", count_json(m.published->active_parameters)},
        {"active_convention", m.published->active_convention},
        {"source", m.published->source},
    };
  }
  return out;
}

} // namespace

Json model_to_json(const ModelArchitecture& m) {
  return Json(model_to_ordered_json(m));
}

std::string model_to_json_text(const ModelArchitecture& m) {
  return model_to_ordered_json(m).dump(2) + "\n";
}

} // namespace moescope
