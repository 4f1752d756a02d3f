#pragma once
// Builds a ModelArchitecture from a Hugging Face config.json (what `moescope model import` does).
//
// Recognized model_type values: deepseek_v2, deepseek_v3, kimi_k2, glm4_moe, qwen3_moe, qwen3, llama, llama4
// (fields under "text_config"), mixtral, gpt_oss, olmoe. Problems (an unknown model_type, a missing or
// malformed key, a layout moescope cannot represent) are added to `diagnostics` with the file and the JSON
// pointer of the key. The catalog name is the override when given, else the name of the known model whose
// architecture matches (see known_models.hpp), else one derived from the file name ("org--Name.json" or
// ".../Name/config.json" -> "name"). Known models also get their display name, repository and published
// parameter counts.
#include <string>
#include <vector>

#include "model/model_architecture.hpp"

namespace moescope {

// `file` is the path of the config (for messages and the derived name); `name_override` is the catalog name
// to use instead of the derived one (empty: derive).
ModelArchitecture import_hf_config(const Json& config, const std::string& file, Diagnostics& diagnostics,
                                   const std::string& name_override = "");

// Reads `path` and imports it; a missing file or malformed JSON is a diagnostic.
ModelArchitecture import_hf_config_file(const std::string& path, Diagnostics& diagnostics,
                                        const std::string& name_override = "");

const std::vector<std::string>& supported_hf_model_types();

// "deepseek-ai--DeepSeek-V3.json" -> "deepseek-v3"; ".../Mixtral-8x7B-v0.1/config.json" -> "mixtral-8x7b-v0.1".
std::string catalog_name_from_file(const std::string& file);

} // namespace moescope
