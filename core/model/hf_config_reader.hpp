#pragma once
// Internal to the Hugging Face importer: the strict reader of one config.json object and the per-family importers
// (hf_model_families.cpp), looked up by model_type.
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "model/model_architecture.hpp"
#include "model/model_limits.hpp"
#include "util/diagnostics.hpp"
#include "util/json_reader.hpp"

namespace moescope::hf_detail {

// Reads keys of one config object, recording every problem with the file and the JSON pointer. Unlike
// JsonObjectReader it does not complain about keys nobody reads: a config.json carries many (token ids,
// rope scaling, ...) that do not change the architecture. A null value counts as absent.
class ConfigReader {
public:
  ConfigReader(const Json& object, std::string file, std::string pointer, Diagnostics& diagnostics)
      : object_(object), file_(std::move(file)), pointer_(std::move(pointer)), diagnostics_(&diagnostics) {}

  const Json& json() const { return object_; }
  const std::string& file() const { return file_; }
  const std::string& pointer() const { return pointer_; }
  Diagnostics& diagnostics() const { return *diagnostics_; }
  std::string pointer_of(std::string_view key) const { return pointer_ + "/" + json_pointer_escape(key); }

  const Json* get(std::string_view key) const {
    auto it = object_.find(std::string(key));
    if (it == object_.end() || it->is_null()) return nullptr;
    return &*it;
  }
  bool has(std::string_view key) const { return get(key) != nullptr; }

  void error(std::string_view key, const std::string& message) const {
    diagnostics_->add(file_, pointer_of(key), message);
  }

  // A required integer >= `min`.
  std::int64_t integer(std::string_view key, std::int64_t min = 1) const {
    const Json* v = get(key);
    if (!v) {
      error(key, "missing required field; expected " + expectation(min));
      return 0;
    }
    return checked_integer(key, *v, min, 0);
  }
  std::int64_t integer_or(std::string_view key, std::int64_t fallback, std::int64_t min = 1) const {
    const Json* v = get(key);
    return v ? checked_integer(key, *v, min, fallback) : fallback;
  }
  bool boolean_or(std::string_view key, bool fallback) const {
    const Json* v = get(key);
    if (!v) return fallback;
    if (!v->is_boolean()) {
      error(key, "expected true or false, got " + describe_json(*v));
      return fallback;
    }
    return v->get<bool>();
  }
  std::string string_or(std::string_view key, std::string fallback) const {
    const Json* v = get(key);
    if (!v) return fallback;
    if (!v->is_string()) {
      error(key, "expected a string, got " + describe_json(*v));
      return fallback;
    }
    return v->get<std::string>();
  }
  // An optional array of integers >= min (absent or null: empty).
  std::vector<std::int64_t> integer_array(std::string_view key, std::int64_t min) const {
    std::vector<std::int64_t> out;
    const Json* v = get(key);
    if (!v) return out;
    if (!v->is_array()) {
      error(key, "expected an array of integers, got " + describe_json(*v));
      return out;
    }
    for (std::size_t i = 0; i < v->size(); ++i) {
      const Json& e = (*v)[i];
      if (!is_integer(e) || e.get<double>() < static_cast<double>(min) ||
          e.get<double>() > static_cast<double>(model_limits::kMaxDimension)) {
        diagnostics_->add(file_, pointer_of(key) + "/" + std::to_string(i),
                          "expected " + expectation(min) + ", got " + describe_json(e));
        continue;
      }
      out.push_back(e.get<std::int64_t>());
    }
    return out;
  }

private:
  static bool is_integer(const Json& v) {
    if (v.is_number_integer() || v.is_number_unsigned()) return true;
    return v.is_number_float() && std::isfinite(v.get<double>()) && std::floor(v.get<double>()) == v.get<double>();
  }
  static std::string expectation(std::int64_t min) {
    if (min == 1) return "an integer > 0";
    return "an integer >= " + std::to_string(min);
  }
  std::int64_t checked_integer(std::string_view key, const Json& v, std::int64_t min, std::int64_t fallback) const {
    if (!is_integer(v) || v.get<double>() < static_cast<double>(min)) {
      error(key, "expected " + expectation(min) + ", got " + describe_json(v));
      return fallback;
    }
    if (const std::int64_t max = model_limits::hf_integer_limit(key); v.get<double>() > static_cast<double>(max)) {
      error(key, "expected " + expectation(min) + " of at most " + std::to_string(max) + ", got " + describe_json(v));
      return fallback;
    }
    return static_cast<std::int64_t>(v.get<double>());
  }

  const Json& object_;
  std::string file_;
  std::string pointer_;
  Diagnostics* diagnostics_;
};

using HfFamilyImporter = std::function<void(const ConfigReader&, ModelArchitecture&)>;

// model_type -> the importer of that family (several types can share one).
const std::map<std::string, HfFamilyImporter>& hf_family_importers();

} // namespace moescope::hf_detail
