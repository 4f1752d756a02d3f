#include "util/json_reader.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "util/name_style.hpp"

namespace moescope {

namespace {

std::string line_and_column(const std::string& text, std::size_t byte) {
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i < text.size() && i + 1 < byte; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

std::string too_large(std::uintmax_t bytes) {
  return "the file has " + std::to_string(bytes) + " bytes; moescope reads JSON files of at most " +
         std::to_string(kMaxJsonFileBytes) + " bytes";
}

std::string format_number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

const char* rule_text(NumberRule rule) {
  switch (rule) {
  case NumberRule::any:
    return "a number";
  case NumberRule::non_negative:
    return "a number >= 0";
  case NumberRule::positive:
    return "a number > 0";
  case NumberRule::fraction:
    return "a number in [0, 1]";
  }
  return "a number";
}

} // namespace

std::string json_pointer_escape(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

std::string describe_json(const Json& value) {
  switch (value.type()) {
  case Json::value_t::null:
    return "null";
  case Json::value_t::object:
    return "an object";
  case Json::value_t::array:
    return "an array";
  case Json::value_t::string:
    return "the string \"" + value.get<std::string>() + "\"";
  case Json::value_t::boolean:
    return value.get<bool>() ? "true" : "false";
  case Json::value_t::number_integer:
  case Json::value_t::number_unsigned:
  case Json::value_t::number_float:
    return "the number " + value.dump();
  default:
    return "an unsupported value";
  }
}

std::optional<Json> parse_json_text(const std::string& text, const std::string& file_label, Diagnostics& diagnostics) {
  if (text.size() > kMaxJsonFileBytes) {
    diagnostics.add(file_label, "", too_large(text.size()));
    return std::nullopt;
  }
  // Nesting is bounded while parsing: the parsed value is later copied and destroyed recursively, so a 10^6-deep
  // array would overflow the stack.
  std::size_t deepest_byte = 0;
  const auto bound_depth = [&](int depth, Json::parse_event_t event, Json&) {
    if (depth > kMaxJsonDepth &&
        (event == Json::parse_event_t::object_start || event == Json::parse_event_t::array_start))
      throw std::length_error("nesting");
    return true;
  };
  try {
    return Json::parse(text, bound_depth);
  } catch (const std::length_error&) {
    // The byte of the first opening bracket deeper than the limit, for the line and column.
    int depth = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
      const char c = text[i];
      if (in_string) {
        if (c == '\\')
          ++i;
        else if (c == '"')
          in_string = false;
      } else if (c == '"') {
        in_string = true;
      } else if (c == '[' || c == '{') {
        if (++depth > kMaxJsonDepth) {
          deepest_byte = i + 1;
          break;
        }
      } else if (c == ']' || c == '}') {
        --depth;
      }
    }
    diagnostics.add(file_label, line_and_column(text, deepest_byte),
                    "malformed JSON: nested deeper than " + std::to_string(kMaxJsonDepth) +
                        " arrays or objects (moescope's formats need fewer than 10)");
    return std::nullopt;
  } catch (const Json::out_of_range& e) {
    // e.g. a number too large for a double ("27E1532"): bad input, not a crash.
    diagnostics.add(file_label, "", std::string("malformed JSON: ") + e.what());
    return std::nullopt;
  } catch (const Json::parse_error& e) {
    std::string what = e.what();
    // nlohmann's message is "[json.exception.parse_error.101] parse error at line 3, column 5: ..."; keep the tail.
    auto colon = what.find(": ", what.find("parse error"));
    std::string detail = colon == std::string::npos ? what : what.substr(colon + 2);
    diagnostics.add(file_label, line_and_column(text, e.byte), "malformed JSON: " + detail);
    return std::nullopt;
  }
}

std::optional<Json> read_json_file(const std::string& path, Diagnostics& diagnostics) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    diagnostics.add(path, "", "expected a JSON file, got a directory");
    return std::nullopt;
  }
  // Refused before reading: a 100 MB file would otherwise cost gigabytes as a parsed value.
  if (const auto bytes = std::filesystem::file_size(path, ec); !ec && bytes > kMaxJsonFileBytes) {
    diagnostics.add(path, "", too_large(bytes));
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diagnostics.add(path, "", "cannot open file for reading");
    return std::nullopt;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse_json_text(buffer.str(), path, diagnostics);
}

JsonObjectReader::JsonObjectReader(const Json& value, std::string file, std::string pointer, Diagnostics& diagnostics)
    : file_(std::move(file)), pointer_(std::move(pointer)), diagnostics_(&diagnostics) {
  if (value.is_object()) {
    object_ = &value;
  } else {
    diagnostics_->add(file_, pointer_.empty() ? "/" : pointer_, "expected an object, got " + describe_json(value));
  }
}

std::string JsonObjectReader::pointer_of(std::string_view key) const {
  return pointer_ + "/" + json_pointer_escape(key);
}

bool JsonObjectReader::has(std::string_view key) const {
  return object_ && object_->find(std::string(key)) != object_->end();
}

void JsonObjectReader::error(std::string_view key, std::string message) const {
  diagnostics_->add(file_, pointer_of(key), std::move(message));
}

void JsonObjectReader::error_here(std::string message) const {
  diagnostics_->add(file_, pointer_.empty() ? "/" : pointer_, std::move(message));
}

const Json* JsonObjectReader::find(std::string_view key, bool required, const char* expected) {
  if (!object_) return nullptr;
  used_.insert(std::string(key));
  auto it = object_->find(std::string(key));
  if (it == object_->end()) {
    if (required) error(key, std::string("missing required field; expected ") + expected);
    return nullptr;
  }
  return &*it;
}

void JsonObjectReader::accept(std::string_view key) {
  used_.insert(std::string(key));
}

std::string JsonObjectReader::string(std::string_view key) {
  const Json* v = find(key, true, "a string");
  if (!v) return {};
  if (!v->is_string()) {
    error(key, "expected a string, got " + describe_json(*v));
    return {};
  }
  return v->get<std::string>();
}

std::string JsonObjectReader::string_or(std::string_view key, std::string fallback) {
  if (!has(key)) {
    accept(key);
    return fallback;
  }
  return string(key);
}

namespace {
std::string one_of(const std::vector<std::string>& allowed) {
  std::string out = "one of ";
  for (std::size_t i = 0; i < allowed.size(); ++i) {
    if (i) out += ", ";
    out += "\"" + allowed[i] + "\"";
  }
  return out;
}
} // namespace

std::string JsonObjectReader::choice(std::string_view key, const std::vector<std::string>& allowed) {
  const Json* v = find(key, true, one_of(allowed).c_str());
  if (!v) return {};
  if (!v->is_string()) {
    error(key, "expected " + one_of(allowed) + ", got " + describe_json(*v));
    return {};
  }
  std::string s = v->get<std::string>();
  for (const auto& a : allowed) // either spelling (util/name_style.hpp); the canonical one is returned
    if (same_name(a, s)) return a;
  error(key, "expected " + one_of(allowed) + ", got \"" + s + "\"");
  return {};
}

std::string JsonObjectReader::choice_or(std::string_view key, const std::vector<std::string>& allowed,
                                        std::string fallback) {
  if (!has(key)) {
    accept(key);
    return fallback;
  }
  return choice(key, allowed);
}

bool JsonObjectReader::check_number(std::string_view key, double v, NumberRule rule) const {
  bool ok = std::isfinite(v);
  switch (rule) {
  case NumberRule::any:
    break;
  case NumberRule::non_negative:
    ok = ok && v >= 0;
    break;
  case NumberRule::positive:
    ok = ok && v > 0;
    break;
  case NumberRule::fraction:
    ok = ok && v >= 0 && v <= 1;
    break;
  }
  if (!ok) error(key, std::string("expected ") + rule_text(rule) + ", got " + format_number(v));
  return ok;
}

double JsonObjectReader::number(std::string_view key, NumberRule rule) {
  const Json* v = find(key, true, rule_text(rule));
  if (!v) return 0.0;
  if (!v->is_number()) {
    error(key, std::string("expected ") + rule_text(rule) + ", got " + describe_json(*v));
    return 0.0;
  }
  double d = v->get<double>();
  return check_number(key, d, rule) ? d : 0.0;
}

double JsonObjectReader::number_or(std::string_view key, double fallback, NumberRule rule) {
  if (!has(key)) {
    accept(key);
    return fallback;
  }
  return number(key, rule);
}

std::int64_t JsonObjectReader::integer(std::string_view key, NumberRule rule) {
  std::string expected = std::string(rule == NumberRule::positive       ? "an integer > 0"
                                     : rule == NumberRule::non_negative ? "an integer >= 0"
                                                                        : "an integer");
  const Json* v = find(key, true, expected.c_str());
  if (!v) return 0;
  if (!v->is_number() || (v->is_number_float() && std::floor(v->get<double>()) != v->get<double>())) {
    error(key, "expected " + expected + ", got " + describe_json(*v));
    return 0;
  }
  double d = v->get<double>();
  if ((rule == NumberRule::positive && d <= 0) || (rule == NumberRule::non_negative && d < 0)) {
    error(key, "expected " + expected + ", got " + format_number(d));
    return 0;
  }
  // Beyond 2^53 a JSON number is no longer an exact integer here, and converting one at or above 2^63 is undefined.
  if (std::fabs(d) > kMaxJsonInteger) {
    error(key, "expected " + expected + " of magnitude at most 2^53, got " + format_number(d));
    return 0;
  }
  return static_cast<std::int64_t>(d);
}

namespace {

std::string range_text(const char* kind, const std::string& min, const std::string& max) {
  return std::string(kind) + " in [" + min + ", " + max + "]";
}

} // namespace

double JsonObjectReader::value_in(std::string_view key, const FieldRange& range) {
  return range.integer ? static_cast<double>(integer_in(key, static_cast<std::int64_t>(range.min),
                                                        static_cast<std::int64_t>(range.max)))
                       : number_in(key, range.min, range.max);
}

double JsonObjectReader::number_in(std::string_view key, double min, double max) {
  const std::string expected = range_text("a number", format_number(min), format_number(max));
  const Json* v = find(key, true, expected.c_str());
  if (!v) return min;
  if (!v->is_number()) {
    error(key, "expected " + expected + ", got " + describe_json(*v));
    return min;
  }
  const double d = v->get<double>();
  if (!(d >= min && d <= max)) { // also refuses NaN
    error(key, "expected " + expected + ", got " + format_number(d));
    return min;
  }
  return d;
}

double JsonObjectReader::number_in_or(std::string_view key, double fallback, double min, double max) {
  if (!has(key)) {
    accept(key);
    return fallback;
  }
  return number_in(key, min, max);
}

std::int64_t JsonObjectReader::integer_in(std::string_view key, std::int64_t min, std::int64_t max) {
  const std::string expected = range_text("an integer", std::to_string(min), std::to_string(max));
  const Json* v = find(key, true, expected.c_str());
  if (!v) return min;
  const bool integral = v->is_number() && std::floor(v->get<double>()) == v->get<double>();
  const double d = integral ? v->get<double>() : 0.0;
  if (!integral || !(d >= double(min) && d <= double(max))) {
    error(key, "expected " + expected + ", got " + (integral ? format_number(d) : describe_json(*v)));
    return min;
  }
  return static_cast<std::int64_t>(d);
}

std::int64_t JsonObjectReader::integer_in_or(std::string_view key, std::int64_t fallback, std::int64_t min,
                                             std::int64_t max) {
  if (!has(key)) {
    accept(key);
    return fallback;
  }
  return integer_in(key, min, max);
}

std::int64_t JsonObjectReader::integer_or(std::string_view key, std::int64_t fallback, NumberRule rule) {
  if (!has(key)) {
    accept(key);
    return fallback;
  }
  return integer(key, rule);
}

bool JsonObjectReader::boolean(std::string_view key) {
  const Json* v = find(key, true, "true or false");
  if (!v) return false;
  if (!v->is_boolean()) {
    error(key, "expected true or false, got " + describe_json(*v));
    return false;
  }
  return v->get<bool>();
}

bool JsonObjectReader::boolean_or(std::string_view key, bool fallback) {
  if (!has(key)) {
    accept(key);
    return fallback;
  }
  return boolean(key);
}

namespace {
const Json& null_json() {
  static const Json null_value;
  return null_value;
}
} // namespace

JsonObjectReader JsonObjectReader::object(std::string_view key) {
  const Json* v = find(key, false, "an object");
  if (!v) {
    if (object_) error(key, "missing required field; expected an object");
    // An invalid reader that records nothing more.
    Diagnostics scratch;
    JsonObjectReader invalid(null_json(), file_, pointer_of(key), scratch);
    invalid.diagnostics_ = diagnostics_;
    return invalid;
  }
  return JsonObjectReader(*v, file_, pointer_of(key), *diagnostics_);
}

std::optional<JsonObjectReader> JsonObjectReader::object_if_present(std::string_view key) {
  accept(key);
  if (!has(key)) return std::nullopt;
  return object(key);
}

const Json* JsonObjectReader::raw(std::string_view key) {
  return find(key, false, "a value");
}

const Json* JsonObjectReader::required_array(std::string_view key) {
  const Json* v = find(key, true, "an array");
  if (!v) return nullptr;
  if (!v->is_array()) {
    error(key, "expected an array, got " + describe_json(*v));
    return nullptr;
  }
  return v;
}

void JsonObjectReader::finish() {
  if (!object_) return;
  for (auto it = object_->begin(); it != object_->end(); ++it) {
    if (used_.find(it.key()) == used_.end())
      error(it.key(), "unknown field (check the spelling; see the schema in docs/)");
  }
}

} // namespace moescope
