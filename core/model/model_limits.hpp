#pragma once
// The ranges of a model's integer fields, in catalog files and imported config.json alike (docs/model-catalog.md).
// Per-layer and per-expert state is held in vectors, so layers and experts bound memory; the dimensions multiply
// into FLOP and byte counts that must stay finite.
#include <cstdint>
#include <string_view>

namespace moescope::model_limits {

inline constexpr std::int64_t kMaxLayers = 4096;
inline constexpr std::int64_t kMaxExperts = 65536;
inline constexpr std::int64_t kMaxDimension = 16777216; // 2^24: widths, vocabulary, heads, ranks, windows

// The largest value of a config.json integer, by its Hugging Face key.
inline std::int64_t hf_integer_limit(std::string_view key) {
  if (key == "num_hidden_layers") return kMaxLayers;
  if (key == "n_routed_experts" || key == "num_experts" || key == "num_local_experts") return kMaxExperts;
  return kMaxDimension;
}

} // namespace moescope::model_limits
