#pragma once
// A small ordered JSON value for writing the measurement file. Header-only and C++17 so that both nvcc (CUDA sources,
// C++17) and the host compiler (C++20) can include it; the suite has no other JSON dependency.
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace mcb {

class Json {
public:
  enum class Type { null, boolean, integer, number, string, array, object };

  Json() = default;
  Json(std::nullptr_t) {}
  Json(bool v) : type_(Type::boolean), b_(v) {}
  Json(int v) : type_(Type::integer), i_(v) {}
  Json(long v) : type_(Type::integer), i_(v) {}
  Json(long long v) : type_(Type::integer), i_(v) {}
  Json(unsigned v) : type_(Type::integer), i_(static_cast<long long>(v)) {}
  Json(unsigned long v) : type_(Type::integer), i_(static_cast<long long>(v)) {}
  Json(unsigned long long v) : type_(Type::integer), i_(static_cast<long long>(v)) {}
  Json(double v) : type_(Type::number), d_(v) {}
  Json(const char* v) : type_(Type::string), s_(v) {}
  Json(std::string v) : type_(Type::string), s_(std::move(v)) {}

  static Json array() {
    Json j;
    j.type_ = Type::array;
    return j;
  }
  static Json object() {
    Json j;
    j.type_ = Type::object;
    return j;
  }
  template <class T> static Json array_of(const std::vector<T>& values) {
    Json j = array();
    for (const T& v : values)
      j.push_back(Json(v));
    return j;
  }

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::null; }
  bool is_number() const { return type_ == Type::integer || type_ == Type::number; }
  double number() const { return type_ == Type::integer ? static_cast<double>(i_) : d_; }

  // Object member access: inserts a null member when the key is new; keeps insertion order.
  Json& operator[](const std::string& key) {
    if (type_ == Type::null) type_ = Type::object;
    for (auto& kv : obj_)
      if (kv.first == key) return kv.second;
    obj_.emplace_back(key, Json());
    return obj_.back().second;
  }
  const Json* find(const std::string& key) const {
    for (const auto& kv : obj_)
      if (kv.first == key) return &kv.second;
    return nullptr;
  }
  void push_back(Json v) {
    if (type_ == Type::null) type_ = Type::array;
    arr_.push_back(std::move(v));
  }
  size_t size() const { return type_ == Type::array ? arr_.size() : obj_.size(); }

  // Compact when indent < 0; otherwise pretty-printed, except that arrays of scalars stay on one line.
  std::string dump(int indent = -1) const {
    std::string out;
    write(out, indent, 0);
    return out;
  }

private:
  static void write_string(std::string& out, const std::string& s) {
    out += '"';
    for (unsigned char c : s) {
      switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
      }
    }
    out += '"';
  }
  static void write_number(std::string& out, double v) {
    if (!std::isfinite(v)) { // JSON has no NaN or infinity
      out += "null";
      return;
    }
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, v); // shortest representation that round-trips
    out.append(buf, res.ptr);
  }
  bool is_scalar() const { return type_ != Type::array && type_ != Type::object; }
  static void newline(std::string& out, int indent, int depth) {
    if (indent < 0) return;
    out += '\n';
    out.append(static_cast<size_t>(indent * depth), ' ');
  }
  void write(std::string& out, int indent, int depth) const {
    switch (type_) {
    case Type::null:
      out += "null";
      break;
    case Type::boolean:
      out += b_ ? "true" : "false";
      break;
    case Type::integer:
      out += std::to_string(i_);
      break;
    case Type::number:
      write_number(out, d_);
      break;
    case Type::string:
      write_string(out, s_);
      break;
    case Type::array: {
      bool flat = true;
      for (const auto& v : arr_)
        flat = flat && v.is_scalar();
      out += '[';
      for (size_t k = 0; k < arr_.size(); ++k) {
        if (k) out += ',';
        if (flat) {
          if (k && indent >= 0) out += ' ';
        } else {
          newline(out, indent, depth + 1);
        }
        arr_[k].write(out, indent, depth + 1);
      }
      if (!flat && !arr_.empty()) newline(out, indent, depth);
      out += ']';
      break;
    }
    case Type::object: {
      out += '{';
      for (size_t k = 0; k < obj_.size(); ++k) {
        if (k) out += ',';
        newline(out, indent, depth + 1);
        write_string(out, obj_[k].first);
        out += indent >= 0 ? ": " : ":";
        obj_[k].second.write(out, indent, depth + 1);
      }
      if (!obj_.empty()) newline(out, indent, depth);
      out += '}';
      break;
    }
    }
  }

  Type type_ = Type::null;
  bool b_ = false;
  long long i_ = 0;
  double d_ = 0.0;
  std::string s_;
  std::vector<Json> arr_;
  std::vector<std::pair<std::string, Json>> obj_;
};

} // namespace mcb
