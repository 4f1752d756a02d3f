#include "model/model_catalog.hpp"

#include <algorithm>
#include <filesystem>

namespace moescope {

namespace {

namespace fs = std::filesystem;

std::string unknown_model_message(const std::string& name, const std::vector<std::string>& known) {
  std::string out = "unknown model \"" + name + "\"; expected one of: ";
  if (known.empty()) return out + "(the model catalog is empty)";
  for (std::size_t i = 0; i < known.size(); ++i)
    out += (i ? ", " : "") + known[i];
  return out;
}

} // namespace

ModelCatalog ModelCatalog::load(const std::string& dir, Diagnostics& diagnostics) {
  ModelCatalog catalog;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    diagnostics.add(dir, "", "model catalog directory not found");
    return catalog;
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.is_regular_file() && entry.path().extension() == ".json") files.push_back(entry.path());
  std::sort(files.begin(), files.end());

  for (const auto& path : files) {
    std::string file = path.string();
    Diagnostics problems;
    auto json = read_json_file(file, problems);
    if (json) {
      ModelArchitecture m = read_model(*json, file, problems);
      std::string stem = path.stem().string();
      if (!m.name.empty() && m.name != stem)
        problems.add(file, "/name", "expected \"" + stem + "\" (the file name), got \"" + m.name + "\"");
      if (problems.empty()) {
        if (catalog.contains(m.name))
          problems.add(file, "/name", "duplicate model name \"" + m.name + "\"");
        else
          catalog.add(std::move(m));
      }
    }
    diagnostics.append(problems);
  }
  return catalog;
}

ModelCatalog ModelCatalog::load_or_throw(const std::string& dir) {
  Diagnostics diagnostics;
  ModelCatalog catalog = load(dir, diagnostics);
  diagnostics.throw_if_any();
  return catalog;
}

const ModelArchitecture* ModelCatalog::find(const std::string& name) const {
  auto it = models_.find(name);
  return it == models_.end() ? nullptr : &it->second;
}

const ModelArchitecture& ModelCatalog::get(const std::string& name, const std::string& file,
                                           const std::string& pointer) const {
  if (const ModelArchitecture* m = find(name)) return *m;
  throw InputError(file, pointer, unknown_model_message(name, names()));
}

std::vector<std::string> ModelCatalog::names() const {
  std::vector<std::string> out;
  for (const auto& [name, m] : models_)
    out.push_back(name);
  return out;
}

} // namespace moescope
