#pragma once
// The model catalog: every models/catalog/<name>.json, read strictly (see docs/model-catalog.md).
#include <map>
#include <string>
#include <vector>

#include "model/model_architecture.hpp"

namespace moescope {

class ModelCatalog {
public:
  // Loads every *.json in `dir`. Problems (and a missing directory) are added to `diagnostics`; models with
  // problems are left out, so a lookup of one of them fails with the known names.
  static ModelCatalog load(const std::string& dir, Diagnostics& diagnostics);
  // Loads and throws InputError listing every problem.
  static ModelCatalog load_or_throw(const std::string& dir);

  // Throws InputError naming the known models when `name` is unknown; `file`/`pointer` say where the name was
  // read from, for the message.
  const ModelArchitecture& get(const std::string& name, const std::string& file = "",
                               const std::string& pointer = "") const;
  const ModelArchitecture* find(const std::string& name) const;
  bool contains(const std::string& name) const { return models_.count(name) != 0; }
  const std::map<std::string, ModelArchitecture>& all() const { return models_; }
  std::vector<std::string> names() const;
  bool empty() const { return models_.empty(); }
  std::size_t size() const { return models_.size(); }

  void add(ModelArchitecture m) { models_[m.name] = std::move(m); }

private:
  std::map<std::string, ModelArchitecture> models_;
};

} // namespace moescope
