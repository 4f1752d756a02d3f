#pragma once
// Strict, path-tracking reading of JSON objects. Every accessor records a Diagnostic (file, JSON pointer,
// expectation) instead of throwing, returns a harmless default, and lets the caller carry on, so that one
// run reports every problem of a file. finish() reports keys nobody asked for (typos must not be ignored).
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/diagnostics.hpp"

namespace moescope {

using Json = nlohmann::json;

// Limits of every JSON input: its size, its nesting (moescope's formats nest fewer than 10 levels) and the magnitude
// of an integer field (exact in a double up to 2^53).
inline constexpr std::size_t kMaxJsonFileBytes = std::size_t(64) << 20;
inline constexpr int kMaxJsonDepth = 64;
inline constexpr double kMaxJsonInteger = 9007199254740992.0;

// Reads and parses a JSON file. On a missing file or a syntax error, records a diagnostic naming the line and
// column and returns std::nullopt.
std::optional<Json> read_json_file(const std::string& path, Diagnostics& diagnostics);
// Parses JSON text that came from `file_label` (for messages).
std::optional<Json> parse_json_text(const std::string& text, const std::string& file_label, Diagnostics& diagnostics);

// Describes a JSON value's type for messages: "a string", "the number -3", "an array", ...
std::string describe_json(const Json& value);

// A field's documented range (docs/scenario-format.md, docs/hwdb-schema.md): what the quantity can mean, and what the
// model can evaluate in bounded time and memory.
struct FieldRange {
  double min;
  double max;
  bool integer = false;
};

enum class NumberRule { any, non_negative, positive, fraction /* [0, 1] */ };

class JsonObjectReader {
public:
  // `value` must outlive the reader. If it is not an object, a diagnostic is recorded and every accessor returns
  // defaults.
  JsonObjectReader(const Json& value, std::string file, std::string pointer, Diagnostics& diagnostics);

  bool valid() const { return object_ != nullptr; }
  bool has(std::string_view key) const;
  const std::string& file() const { return file_; }
  const std::string& pointer() const { return pointer_; }
  std::string pointer_of(std::string_view key) const;
  Diagnostics& diagnostics() const { return *diagnostics_; }

  std::string string(std::string_view key);
  std::string string_or(std::string_view key, std::string fallback);
  // A string that must be one of `allowed` (in either spelling, util/name_style.hpp); returns the canonical one.
  std::string choice(std::string_view key, const std::vector<std::string>& allowed);
  std::string choice_or(std::string_view key, const std::vector<std::string>& allowed, std::string fallback);

  double number(std::string_view key, NumberRule rule = NumberRule::any);
  double number_or(std::string_view key, double fallback, NumberRule rule = NumberRule::any);
  std::int64_t integer(std::string_view key, NumberRule rule = NumberRule::positive);
  std::int64_t integer_or(std::string_view key, std::int64_t fallback, NumberRule rule = NumberRule::positive);

  // A number or integer that must lie in [min, max]; on a problem, a diagnostic and `min`.
  double value_in(std::string_view key, const FieldRange& range);
  double number_in(std::string_view key, double min, double max);
  double number_in_or(std::string_view key, double fallback, double min, double max);
  std::int64_t integer_in(std::string_view key, std::int64_t min, std::int64_t max);
  std::int64_t integer_in_or(std::string_view key, std::int64_t fallback, std::int64_t min, std::int64_t max);

  bool boolean(std::string_view key);
  bool boolean_or(std::string_view key, bool fallback);

  // Nested object; the returned reader is invalid (and a diagnostic recorded) when absent or not an object.
  JsonObjectReader object(std::string_view key);
  std::optional<JsonObjectReader> object_if_present(std::string_view key);
  // Raw access for arrays and free-form members; marks the key as used. nullptr when absent.
  const Json* raw(std::string_view key);
  const Json* required_array(std::string_view key);

  // Marks a key as known without reading it.
  void accept(std::string_view key);
  // Records a diagnostic for every key not read. Call once, after reading.
  void finish();

  // Records a problem at this object's key.
  void error(std::string_view key, std::string message) const;
  void error_here(std::string message) const;

private:
  const Json* find(std::string_view key, bool required, const char* expected);
  bool check_number(std::string_view key, double v, NumberRule rule) const;

  const Json* object_ = nullptr;
  std::string file_;
  std::string pointer_;
  Diagnostics* diagnostics_;
  std::set<std::string, std::less<>> used_;
};

// Escapes a key for use in a JSON pointer (RFC 6901).
std::string json_pointer_escape(std::string_view key);

} // namespace moescope
