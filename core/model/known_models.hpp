#pragma once
// The models moescope's catalog ships, as the config importer recognizes them: catalog name, display name,
// Hugging Face repository, an architecture fingerprint (model_type, layers, hidden size, routed experts) and
// the parameter counts the publisher gives, with the "active" convention that reproduces them.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/model_architecture.hpp"

namespace moescope {

struct KnownModel {
  std::string name;
  std::string display_name;
  std::string hf_repo;
  // Fingerprint: a config matches when its model_type is one of these and the sizes agree.
  std::vector<std::string> model_types;
  std::int64_t num_layers = 0;
  std::int64_t hidden_size = 0;
  std::int64_t num_routed_experts = 0; // 0: dense
  std::optional<ModelArchitecture::Published> published;
};

const std::vector<KnownModel>& known_models();
const KnownModel* find_known_model(const std::string& name);
// The known model whose fingerprint `m` (imported from a config of `model_type`) matches, or nullptr.
const KnownModel* match_known_model(const std::string& model_type, const ModelArchitecture& m);

} // namespace moescope
