#include "model/hf_config_importer.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <map>

#include "model/hf_config_reader.hpp"
#include "model/known_models.hpp"

namespace moescope {

using hf_detail::ConfigReader;

namespace {

std::string joined_model_types() {
  std::string out;
  for (const auto& t : supported_hf_model_types())
    out += (out.empty() ? "" : ", ") + t;
  return out;
}

// Weights' storage type: the quantization method if any, else torch_dtype / dtype.
void read_weight_dtype(const ConfigReader& top, ModelArchitecture& m) {
  const ConfigReader* r = &top;
  std::optional<ConfigReader> text;
  if (const Json* t = top.get("text_config"); t && t->is_object())
    text.emplace(*t, top.file(), top.pointer_of("text_config"), top.diagnostics());

  if (const Json* q = top.get("quantization_config")) {
    if (!q->is_object()) {
      top.error("quantization_config", "expected an object, got " + describe_json(*q));
      return;
    }
    ConfigReader qr(*q, top.file(), top.pointer_of("quantization_config"), top.diagnostics());
    std::string method = qr.string_or("quant_method", "");
    if (method == "fp8") {
      m.weight_dtype = DataType::fp8;
    } else if (method == "mxfp4") {
      m.weight_dtype = DataType::fp4; // the experts; attention, router and embeddings stay bf16
    } else {
      qr.error("quant_method", "expected \"fp8\" or \"mxfp4\" (the quantizations moescope imports), got " +
                                   (qr.has("quant_method") ? describe_json(*qr.get("quant_method")) : "nothing"));
    }
    return;
  }
  std::string key = top.has("torch_dtype") ? "torch_dtype" : "dtype";
  if (!top.has(key) && text && (text->has("torch_dtype") || text->has("dtype"))) {
    r = &*text;
    key = text->has("torch_dtype") ? "torch_dtype" : "dtype";
  }
  std::string name = r->string_or(key, "bfloat16");
  static const std::map<std::string, DataType> types = {
      {"bfloat16", DataType::bf16}, {"float16", DataType::fp16}, {"float32", DataType::fp32}};
  auto it = types.find(name);
  if (it == types.end())
    r->error(key, "expected \"bfloat16\", \"float16\" or \"float32\", got \"" + name + "\"");
  else
    m.weight_dtype = it->second;
}

std::string file_stem_name(const std::string& file) {
  namespace fs = std::filesystem;
  fs::path p(file);
  std::string stem = p.stem().string();
  if (stem == "config") stem = p.parent_path().filename().string();
  const std::string suffix = "_config";
  if (stem.size() > suffix.size() && stem.compare(stem.size() - suffix.size(), suffix.size(), suffix) == 0)
    stem.erase(stem.size() - suffix.size());
  return stem;
}

std::string repo_from_file(const std::string& file) {
  std::string stem = file_stem_name(file);
  auto sep = stem.find("--");
  if (sep == std::string::npos || sep == 0 || sep + 2 >= stem.size()) return "";
  return stem.substr(0, sep) + "/" + stem.substr(sep + 2);
}

} // namespace

const std::vector<std::string>& supported_hf_model_types() {
  static const std::vector<std::string> types = [] {
    std::vector<std::string> t;
    for (const auto& [name, importer] : hf_detail::hf_family_importers())
      t.push_back(name);
    return t;
  }();
  return types;
}

std::string catalog_name_from_file(const std::string& file) {
  std::string stem = file_stem_name(file);
  auto sep = stem.rfind("--");
  if (sep != std::string::npos) stem = stem.substr(sep + 2);
  std::string out;
  for (char c : stem) {
    char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    bool ok = (lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9') || lower == '.';
    char next = ok ? lower : '-';
    if (next == '-' && (out.empty() || out.back() == '-')) continue;
    out += next;
  }
  while (!out.empty() && (out.back() == '-' || out.back() == '.'))
    out.pop_back();
  while (!out.empty() && out.front() == '.')
    out.erase(out.begin());
  return out.empty() ? "model" : out;
}

ModelArchitecture import_hf_config(const Json& config, const std::string& file, Diagnostics& diagnostics,
                                   const std::string& name_override) {
  ModelArchitecture m;
  m.file = file;
  if (!config.is_object()) {
    diagnostics.add(file, "/", "expected a Hugging Face config.json object, got " + describe_json(config));
    return m;
  }
  ConfigReader top(config, file, "", diagnostics);
  const Json* type = top.get("model_type");
  if (!type || !type->is_string()) {
    top.error("model_type", (type ? "expected a string, got " + describe_json(*type) : "missing required field") +
                                "; expected one of: " + joined_model_types());
    return m;
  }
  std::string model_type = type->get<std::string>();
  const auto& importers = hf_detail::hf_family_importers();
  auto importer = importers.find(model_type);
  if (importer == importers.end()) {
    top.error("model_type", "unsupported model_type \"" + model_type + "\"; supported: " + joined_model_types());
    return m;
  }
  importer->second(top, m);
  read_weight_dtype(top, m);

  if (!name_override.empty() && !is_valid_model_name(name_override))
    diagnostics.add(file, "",
                    "the catalog name \"" + name_override +
                        "\" is not lower-case [a-z0-9.-] starting with a letter or digit");
  const KnownModel* known = name_override.empty() ? match_known_model(model_type, m) : find_known_model(name_override);
  m.name = !name_override.empty() ? name_override : known ? known->name : catalog_name_from_file(file);
  std::string basename = std::filesystem::path(file).filename().string();
  if (known) {
    m.display_name = known->display_name;
    m.hf_repo = known->hf_repo;
    m.published = known->published;
  } else {
    std::string stem = file_stem_name(file);
    auto sep = stem.rfind("--");
    m.display_name = sep == std::string::npos ? stem : stem.substr(sep + 2);
    if (m.display_name.empty()) m.display_name = m.name;
    m.hf_repo = repo_from_file(file);
  }
  m.source = m.hf_repo.empty() ? "Hugging Face config.json (" + model_type + "), imported from " + basename
                               : "Hugging Face config.json of " + m.hf_repo + ", imported from " + basename;
  return m;
}

ModelArchitecture import_hf_config_file(const std::string& path, Diagnostics& diagnostics,
                                        const std::string& name_override) {
  auto json = read_json_file(path, diagnostics);
  if (!json) {
    ModelArchitecture m;
    m.file = path;
    return m;
  }
  return import_hf_config(*json, path, diagnostics, name_override);
}

} // namespace moescope
