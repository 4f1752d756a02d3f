#include "model/known_models.hpp"

#include <algorithm>

namespace moescope {

namespace {

ModelArchitecture::Published published(double total, double active, const char* convention, const char* source) {
  return ModelArchitecture::Published{total, active, convention, source};
}

std::vector<KnownModel> make_known_models() {
  std::vector<KnownModel> k;
  k.push_back({"deepseek-v3",
               "DeepSeek-V3",
               "deepseek-ai/DeepSeek-V3",
               {"deepseek_v3"},
               61,
               7168,
               256,
               published(671e9, 37e9, "without_input_embedding",
                         "DeepSeek-V3 Technical Report (arXiv:2412.19437): 671B total parameters, 37B activated for "
                         "each token; the 14B multi-token-prediction module is not part of the 671B")});
  k.push_back({"kimi-k2",
               "Kimi K2",
               "moonshotai/Kimi-K2-Instruct",
               {"kimi_k2", "deepseek_v3"},
               61,
               7168,
               384,
               published(1e12, 32e9, "without_input_embedding",
                         "moonshotai/Kimi-K2-Instruct model card and Kimi K2 tech report (arXiv:2507.20534): 1T total "
                         "parameters (rounded; the checkpoint holds 1.03T), 32B activated")});
  k.push_back({"deepseek-v2-lite",
               "DeepSeek-V2-Lite",
               "deepseek-ai/DeepSeek-V2-Lite",
               {"deepseek_v2"},
               27,
               2048,
               64,
               published(15.7e9, 2.4e9, "without_input_embedding",
                         "DeepSeek-V2 paper (arXiv:2405.04434), DeepSeek-V2-Lite: 15.7B total parameters, 2.4B "
                         "activated for each token")});
  k.push_back({"glm-4.5",
               "GLM-4.5",
               "zai-org/GLM-4.5",
               {"glm4_moe"},
               92,
               5120,
               160,
               published(355e9, 32e9, "without_embeddings",
                         "zai-org/GLM-4.5 model card: 355B total parameters, 32B active parameters")});
  k.push_back({"qwen3-235b-a22b",
               "Qwen3-235B-A22B",
               "Qwen/Qwen3-235B-A22B",
               {"qwen3_moe"},
               94,
               4096,
               128,
               published(235e9, 22e9, "with_embeddings",
                         "Qwen/Qwen3-235B-A22B model card: 235B parameters in total, 22B activated")});
  k.push_back({"qwen3-30b-a3b",
               "Qwen3-30B-A3B",
               "Qwen/Qwen3-30B-A3B",
               {"qwen3_moe"},
               48,
               2048,
               128,
               published(30.5e9, 3.3e9, "with_embeddings",
                         "Qwen/Qwen3-30B-A3B model card: 30.5B parameters in total, 3.3B activated")});
  k.push_back({"llama-4-maverick",
               "Llama 4 Maverick 17B-128E",
               "meta-llama/Llama-4-Maverick-17B-128E-Instruct",
               {"llama4"},
               48,
               5120,
               128,
               published(400e9, 17e9, "with_embeddings",
                         "Meta Llama 4 model card (meta-llama/Llama-4-Maverick-17B-128E-Instruct): 17B activated, "
                         "400B total parameters")});
  k.push_back({"llama-4-scout",
               "Llama 4 Scout 17B-16E",
               "meta-llama/Llama-4-Scout-17B-16E-Instruct",
               {"llama4"},
               48,
               5120,
               16,
               published(109e9, 17e9, "with_embeddings",
                         "Meta Llama 4 model card (meta-llama/Llama-4-Scout-17B-16E-Instruct): 17B activated, 109B "
                         "total parameters")});
  k.push_back({"mixtral-8x7b",
               "Mixtral 8x7B",
               "mistralai/Mixtral-8x7B-v0.1",
               {"mixtral"},
               32,
               4096,
               8,
               published(46.7e9, 12.9e9, "with_embeddings",
                         "Mistral AI, \"Mixtral of experts\" (announcement, Dec 2023): 46.7B total parameters, 12.9B "
                         "used per token")});
  k.push_back({"mixtral-8x22b",
               "Mixtral 8x22B",
               "mistralai/Mixtral-8x22B-v0.1",
               {"mixtral"},
               56,
               6144,
               8,
               published(141e9, 39e9, "with_embeddings",
                         "Mistral AI, \"Cheaper, Better, Faster, Stronger\" (Mixtral 8x22B announcement, Apr 2024): "
                         "39B active parameters out of 141B")});
  k.push_back({"gpt-oss-120b",
               "gpt-oss-120b",
               "openai/gpt-oss-120b",
               {"gpt_oss"},
               36,
               2880,
               128,
               published(117e9, 5.1e9, "without_input_embedding",
                         "OpenAI, gpt-oss-120b & gpt-oss-20b model card (Aug 2025): 117B total parameters, 5.1B active "
                         "per token (active counts the unembedding but not the input embedding)")});
  k.push_back({"olmoe-1b-7b",
               "OLMoE-1B-7B-0924",
               "allenai/OLMoE-1B-7B-0924",
               {"olmoe"},
               16,
               2048,
               64,
               published(6.9e9, 1.3e9, "with_embeddings",
                         "OLMoE: Open Mixture-of-Experts Language Models (arXiv:2409.02060): 6.9B total, 1.3B active "
                         "parameters")});
  k.push_back({"llama-3-70b",
               "Meta-Llama-3-70B",
               "meta-llama/Meta-Llama-3-70B",
               {"llama"},
               80,
               8192,
               0,
               published(70e9, 70e9, "with_embeddings", "Meta Llama 3 model card: 70B parameters (dense)")});
  return k;
}

} // namespace

const std::vector<KnownModel>& known_models() {
  static const std::vector<KnownModel> models = make_known_models();
  return models;
}

const KnownModel* find_known_model(const std::string& name) {
  for (const auto& k : known_models())
    if (k.name == name) return &k;
  return nullptr;
}

const KnownModel* match_known_model(const std::string& model_type, const ModelArchitecture& m) {
  for (const auto& k : known_models()) {
    bool type_ok = std::find(k.model_types.begin(), k.model_types.end(), model_type) != k.model_types.end();
    if (type_ok && k.num_layers == m.num_layers && k.hidden_size == m.hidden_size &&
        k.num_routed_experts == m.moe.num_routed_experts)
      return &k;
  }
  return nullptr;
}

} // namespace moescope
