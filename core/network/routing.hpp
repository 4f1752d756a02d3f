#pragma once
// Routing as the network model reads it: per-token top-k expert ids with each token's source GPU (from a trace or
// synthetic), or an expected-value description (uniform / power-law popularity) for sweeps without a trace.
#include <cstdint>
#include <vector>

namespace moescope {

// Per-token routing of one MoE layer: token t lives on GPU source_gpu[t] (its attention rank) and selects the
// experts experts[t * top_k + j], j < top_k (-1 = no expert, e.g. a dropped or masked slot).
struct TokenRouting {
  std::int32_t top_k = 0;
  std::vector<std::int32_t> experts;
  std::vector<std::int32_t> source_gpu;

  std::int32_t num_tokens() const { return static_cast<std::int32_t>(source_gpu.size()); }
};

// Expected-value routing: every GPU holds `tokens_per_gpu` tokens; each token selects `top_k` distinct experts;
// expert popularity p_i ~ (i + 1)^-exponent for power law (exponent 0 = uniform), in expert-id order unless
// `popularity_order` permutes it (popularity_order[r] = the expert with rank r).
struct ExpectedRouting {
  double tokens_per_gpu = 0.0;
  std::int32_t top_k = 0;
  std::int32_t num_experts = 0;
  double power_law_exponent = 0.0;
  std::vector<std::int32_t> popularity_order; // empty: expert i has rank i
  // Group-limited routing (DeepSeek-V3: 8 groups, 4 per token), applied with uniform popularity (exponent 0) only;
  // 1 / 1 = no limit. See GroupLimitedSelection.
  std::int32_t num_groups = 1;
  std::int32_t groups_per_token = 1;

  // Whether the group limit is applied (uniform popularity and a shape GroupLimitedSelection accepts).
  bool group_limited() const;
};

// Per-token inclusion probabilities pi_e (probability that a token selects expert e; sum = top_k, each <= 1):
// pi_e = top_k * p_e, with experts whose pi would exceed 1 capped at 1 and the rest rescaled (iteratively).
std::vector<double> inclusion_probabilities(const ExpectedRouting& r);

// Small fast deterministic generator (xoshiro128+-style splitmix seeding) for synthetic routings.
class SplitMix {
public:
  explicit SplitMix(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

private:
  std::uint64_t state_;
};

// Synthetic per-token routing with exactly the inclusion probabilities of `r` (systematic sampling over a random
// permutation of the experts per token, so each token has top_k distinct experts), `tokens_per_gpu` tokens on each
// of `num_gpus` GPUs.
TokenRouting sample_token_routing(const ExpectedRouting& r, std::int32_t num_gpus, std::uint64_t seed);

// Group-limited routing as DeepEP's tests generate it (and as DeepSeek-V3 routes): i.i.d. random expert scores,
// experts split into `num_groups` contiguous groups, a token keeps the `groups_per_token` groups with the highest
// maximum score and takes its top_k experts among them.
TokenRouting sample_group_limited_routing(std::int32_t tokens_per_gpu, std::int32_t num_gpus, std::int32_t num_experts,
                                          std::int32_t top_k, std::int32_t num_groups, std::int32_t groups_per_token,
                                          std::uint64_t seed);

} // namespace moescope
