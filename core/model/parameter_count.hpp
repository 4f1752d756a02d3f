#pragma once
// Exact parameter counts of a ModelArchitecture, by component, and the parameters one token touches.
//
// "Active" parameters are counted three ways because publishers differ: Meta (Llama 4), DeepSeek, Qwen and
// Mistral include the input embedding and the LM head; OpenAI's gpt-oss figure leaves out the input embedding
// (a table lookup, no FLOPs) but keeps the unembedding; some count neither. ModelArchitecture::Published
// records which convention reproduces a publisher's figure.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "model/model_architecture.hpp"

namespace moescope {

enum class ActiveConvention { with_embeddings, without_input_embedding, without_embeddings };
std::string to_string(ActiveConvention c);
std::optional<ActiveConvention> parse_active_convention(std::string_view name);

// Parameters of one decoder layer. For a MoE layer, dense_ffn is 0; for a dense layer, the expert fields are 0.
struct LayerParameterCount {
  double attention = 0;      // projections, their biases, MLA's internal norms, q/k norms, sinks
  double dense_ffn = 0;      // the dense FFN of a dense layer
  double routed_experts = 0; // all routed experts of the layer
  double shared_experts = 0;
  double router = 0;                // gate weight (+ bias)
  double norms = 0;                 // the layer's input and post-attention RMSNorm weights
  double active_routed_experts = 0; // top_k experts' worth

  double total() const { return attention + dense_ffn + routed_experts + shared_experts + router + norms; }
  // Parameters one token touches in this layer: everything but the routed experts it was not sent to.
  double active() const { return attention + dense_ffn + active_routed_experts + shared_experts + router + norms; }
};

struct ParameterCount {
  double total = 0;            // main model, excluding MTP modules
  double active_per_token = 0; // = active_with_embeddings()
  double embedding = 0;        // input token embedding (vocab x hidden)
  double lm_head = 0;          // output projection; 0 when tied to the embedding
  double unembedding = 0;      // the matrix the LM head multiplies by (vocab x hidden), tied or not
  double attention = 0;
  double dense_ffn = 0;
  double routed_experts = 0;
  double shared_experts = 0;
  double router = 0;
  double norms = 0;       // per-layer norms plus the final norm
  double mtp = 0;         // multi-token-prediction modules (embedding and head shared, so not included)
  double active_body = 0; // active parameters of the decoder layers and the final norm, no embeddings

  double active_with_embeddings() const { return active_body + embedding + lm_head; }
  double active_without_input_embedding() const { return active_body + unembedding; }
  double active_without_embeddings() const { return active_body; }
  double active(ActiveConvention c) const;
  double total_with_mtp() const { return total + mtp; }
};

// Per-component sizes.
double attention_parameters_per_layer(const ModelArchitecture& m);
double parameters_per_routed_expert(const ModelArchitecture& m);
double parameters_per_shared_expert(const ModelArchitecture& m);
double router_parameters_per_layer(const ModelArchitecture& m);
double dense_ffn_parameters_per_layer(const ModelArchitecture& m);
// One MTP module besides its decoder layer: the embedding and hidden-state norms, the 2*hidden -> hidden
// projection and the norm in front of the shared head.
double mtp_extra_parameters_per_module(const ModelArchitecture& m);

LayerParameterCount count_layer_parameters(const ModelArchitecture& m, std::int64_t layer);
ParameterCount count_parameters(const ModelArchitecture& m);

} // namespace moescope
