#pragma once
// The ranges of a scenario's integer fields (docs/scenario-format.md, "Ranges"). They bound what one evaluation
// costs: a deployment's per-GPU state is linear in the GPU count, and token and batch counts multiply into byte
// and FLOP totals that must stay finite and exact.
#include <cstdint>

namespace moescope::scenario_limits {

inline constexpr std::int64_t kMaxGpus = 131072;      // nodes x GPUs per node, and any parallel degree
inline constexpr std::int64_t kMaxGpusPerNode = 1024; // one scale-up domain
inline constexpr std::int64_t kMaxBatchPerGpu = 65536;
inline constexpr std::int64_t kMaxTokens = 16777216; // 2^24: prompt, output and prefill tokens per GPU
inline constexpr std::int64_t kMaxExpertSlotsPerGpu = 65536;
inline constexpr double kMaxPowerLawExponent = 100;

} // namespace moescope::scenario_limits
