#pragma once
// An LLM architecture as moescope models it: enough to count parameters, FLOPs and bytes of every operator.
// The catalog (models/catalog/*.json) is produced from Hugging Face config.json files by `moescope model import`.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "util/data_type.hpp"
#include "util/json_reader.hpp"

namespace moescope {

enum class AttentionKind { mha, gqa, mla };
std::string to_string(AttentionKind k);
std::optional<AttentionKind> parse_attention_kind(const std::string& name);

// RMSNorm on queries and keys before RoPE: none; per head (Qwen3, GLM-4.5: one head_dim-wide weight each for q
// and k); or over the whole projection (OLMoE: num_heads * head_dim for q, num_kv_heads * head_dim for k).
enum class QkNorm { none, per_head, per_projection };
std::string to_string(QkNorm n);
std::optional<QkNorm> parse_qk_norm(const std::string& name);

// Multi-head latent attention (DeepSeek-V2/V3, Kimi K2) dimensions.
struct MlaDims {
  std::int64_t q_lora_rank = 0; // 0: queries projected directly from the hidden state (DeepSeek-V2-Lite)
  std::int64_t kv_lora_rank = 0;
  std::int64_t qk_nope_head_dim = 0;
  std::int64_t qk_rope_head_dim = 0;
  std::int64_t v_head_dim = 0;
};

struct AttentionSpec {
  AttentionKind kind = AttentionKind::gqa;
  std::int64_t num_heads = 0;
  std::int64_t num_kv_heads = 0; // = num_heads for MHA and MLA
  std::int64_t head_dim = 0;     // q/k/v head dimension for MHA/GQA
  MlaDims mla;                   // MLA only
  bool qkv_bias = false;         // biases on the q, k and v projections
  bool o_bias = false;           // bias on the output projection (gpt-oss, Llama-style attention_bias)
  bool attention_sinks = false;  // one learned sink logit per head (gpt-oss)
  QkNorm qk_norm = QkNorm::none;
  // Sliding-window (or chunked) attention: window in tokens (0 = none) and the per-layer pattern, repeated
  // over the layers: pattern[i % size] true = this layer uses the window.
  std::int64_t sliding_window_tokens = 0;
  std::vector<bool> sliding_window_pattern;
};

struct MoeSpec {
  std::int64_t num_routed_experts = 0; // 0: dense model
  std::int64_t num_shared_experts = 0;
  std::int64_t top_k = 0;
  std::int64_t expert_intermediate_size = 0;
  std::int64_t shared_expert_intermediate_size = 0; // per shared expert
  // Group-limited routing (DeepSeek-V3): experts in `num_groups` groups, each token picks `groups_per_token`.
  std::int64_t num_groups = 1;
  std::int64_t groups_per_token = 1;
  bool expert_bias = false; // gpt-oss experts carry biases
  // The router carries one bias per routed expert: gpt-oss's router bias, DeepSeek-V3 / GLM-4.5's
  // e_score_correction_bias (noaux_tc routing).
  bool router_bias = false;
  // Which layers are MoE: layers [first_dense_layers, num_layers) with (layer - first_dense_layers) % interval
  // == interval - 1 when interval > 1 (Llama 4 Maverick: interval 2, layers 1, 3, 5, ...), every one when 1.
  std::int64_t first_dense_layers = 0;
  std::int64_t layer_interval = 1;
};

struct ModelArchitecture {
  std::string name;         // catalog name, e.g. "deepseek-v3"
  std::string display_name; // "DeepSeek-V3"
  std::string hf_repo;      // "deepseek-ai/DeepSeek-V3"
  std::string source;       // where the config came from
  std::string file;

  std::int64_t num_layers = 0;
  std::int64_t hidden_size = 0;
  std::int64_t vocab_size = 0;
  bool tie_word_embeddings = false;
  std::int64_t dense_intermediate_size = 0; // FFN of dense layers (0 when every layer is MoE)
  bool gated_ffn = true;                    // SwiGLU-style: gate, up and down projections
  AttentionSpec attention;
  MoeSpec moe;
  std::int64_t mtp_layers = 0; // multi-token-prediction modules (DeepSeek-V3: 1); not part of the main model
  DataType weight_dtype = DataType::bf16;

  // Published parameter counts to check ours against, and how the publisher counts "active".
  struct Published {
    double total_parameters = 0;
    double active_parameters = 0;
    std::string active_convention; // "with_embeddings", "without_input_embedding", "without_embeddings"
    std::string source;
  };
  std::optional<Published> published;

  bool is_moe() const { return moe.num_routed_experts > 0; }
  bool is_moe_layer(std::int64_t layer) const;
  std::int64_t num_moe_layers() const;
  bool uses_sliding_window(std::int64_t layer) const;
};

// Catalog names: lower-case [a-z0-9.-], starting with a letter or digit ("deepseek-v3", "glm-4.5").
bool is_valid_model_name(const std::string& name);

ModelArchitecture read_model(const Json& json, const std::string& file, Diagnostics& diagnostics);
// The catalog form (docs/model-catalog.md); read_model(model_to_json(m)) reproduces m (except `file`).
Json model_to_json(const ModelArchitecture& m);
// The same, as the text of a catalog file: keys in the documented order, 2-space indent, final newline.
std::string model_to_json_text(const ModelArchitecture& m);

} // namespace moescope
