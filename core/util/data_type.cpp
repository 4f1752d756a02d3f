#include "util/data_type.hpp"

namespace moescope {

namespace {
struct Entry {
  DataType type;
  const char* name;
  double bytes;
  double scale_bytes;
};
constexpr Entry kTypes[] = {
    {DataType::fp32, "fp32", 4.0, 0.0},       {DataType::tf32, "tf32", 4.0, 0.0},
    {DataType::bf16, "bf16", 2.0, 0.0},       {DataType::fp16, "fp16", 2.0, 0.0},
    {DataType::fp8, "fp8", 1.0, 4.0 / 128.0}, {DataType::fp6, "fp6", 0.75, 1.0 / 32.0},
    {DataType::fp4, "fp4", 0.5, 1.0 / 32.0},  {DataType::nvfp4, "nvfp4", 0.5, 1.0 / 16.0},
    {DataType::int8, "int8", 1.0, 0.0},
};
} // namespace

std::string to_string(DataType t) {
  for (const auto& e : kTypes)
    if (e.type == t) return e.name;
  return "?";
}

std::optional<DataType> parse_data_type(std::string_view name) {
  for (const auto& e : kTypes)
    if (name == e.name) return e.type;
  return std::nullopt;
}

const std::vector<std::string>& data_type_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& e : kTypes)
      n.emplace_back(e.name);
    return n;
  }();
  return names;
}

double bytes_per_element(DataType t) {
  for (const auto& e : kTypes)
    if (e.type == t) return e.bytes;
  return 0.0;
}

double scale_bytes_per_element(DataType t) {
  for (const auto& e : kTypes)
    if (e.type == t) return e.scale_bytes;
  return 0.0;
}

} // namespace moescope
