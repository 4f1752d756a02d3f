#include "util/json_reader.hpp"

#include <cmath>
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
  try {
    return Json::parse(text);
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
  return static_cast<std::int64_t>(d);
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
