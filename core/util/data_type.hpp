#pragma once
// Numeric data types of weights, activations, KV cache and messages, with their storage size.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace moescope {

enum class DataType { fp32, tf32, bf16, fp16, fp8, fp6, fp4, nvfp4, int8 };

std::string to_string(DataType t);
std::optional<DataType> parse_data_type(std::string_view name);
const std::vector<std::string>& data_type_names();
// Storage bytes per element, excluding block scales (fp8 = 1, fp4 = 0.5, tf32 stored as fp32 = 4).
double bytes_per_element(DataType t);
// Extra bytes per element for block scales: fp8 with 128-wide blocks carries one fp32 scale per 128 values
// (DeepSeek-V3 / DeepGEMM layout), nvfp4 one fp8 scale per 16 values.
double scale_bytes_per_element(DataType t);

} // namespace moescope
