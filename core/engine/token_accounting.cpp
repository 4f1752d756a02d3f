// Token accounting of the step model: how many sequences and tokens one micro-batch puts on the busiest GPU, and
// which layer kinds its pipeline stage holds.
#include <algorithm>
#include <cmath>

#include "engine/step_internals.hpp"

namespace moescope::step {

LayerTokens make_tokens(const ResolvedScenario& s, Phase phase, double per_gpu, std::int64_t query_tokens) {
  const auto& w = s.scenario.workload;
  const auto& d = s.deployment;
  LayerTokens t;
  t.phase = phase;
  const std::int64_t tp = std::max<std::int64_t>(d.attention_tp, 1);
  if (phase == Phase::prefill) {
    t.query_tokens = uncached_prompt_tokens(w);
    t.kv_length = w.input_tokens;
    const std::int64_t g = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::llround(per_gpu)));
    t.rank_tokens = g * tp;
    // A micro-batch smaller than one prompt is a chunk of it (chunked prefill: its tokens attend to the context).
    t.query_tokens = std::min(t.query_tokens, t.rank_tokens);
    t.rank_sequences = std::max<std::int64_t>(1, t.rank_tokens / t.query_tokens);
    t.moe_tokens_per_gpu = g;
  } else {
    const std::int64_t b = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::llround(per_gpu)));
    t.query_tokens = std::max<std::int64_t>(1, query_tokens);
    t.kv_length = w.input_tokens + std::max<std::int64_t>(w.output_tokens / 2, 1) + t.query_tokens - 1;
    t.rank_sequences = b * tp;
    t.rank_tokens = t.rank_sequences * t.query_tokens;
    t.moe_tokens_per_gpu = b * t.query_tokens;
  }
  return t;
}

std::vector<std::int64_t> spread(double total, std::int64_t slots) {
  slots = std::max<std::int64_t>(slots, 1);
  const auto n = static_cast<std::int64_t>(std::llround(std::max(0.0, total)));
  std::vector<std::int64_t> out(static_cast<std::size_t>(slots), n / slots);
  for (std::int64_t i = 0; i < n % slots; ++i)
    out[static_cast<std::size_t>(i)] += 1;
  return out;
}

std::int64_t uncached_prompt_tokens(const WorkloadSpec& w) {
  const auto cached = static_cast<std::int64_t>(std::floor(w.kv_cache_hit_rate * static_cast<double>(w.input_tokens)));
  return std::max<std::int64_t>(1, w.input_tokens - cached);
}

std::vector<LayerKind> stage_layer_kinds(const ResolvedScenario& s, std::vector<int>* sequence) {
  const auto& m = s.model;
  const std::int64_t layers =
      std::max<std::int64_t>(s.deployment.layers_per_stage > 0 ? s.deployment.layers_per_stage : m.num_layers, 0);
  std::vector<LayerKind> kinds;
  // The busiest stage holds the MoE layers first counted from the end (stages after the dense prefix): count
  // dense layers only as far as the model has them in the stage's window of the first stage when pp == 1.
  const std::int64_t offset = s.deployment.pp > 1 ? m.num_layers - layers : 0; // last stage: all MoE in DeepSeek
  for (std::int64_t i = 0; i < layers; ++i) {
    const std::int64_t layer = std::min(offset + i, m.num_layers - 1);
    const bool moe = m.is_moe_layer(layer);
    const bool sliding = m.uses_sliding_window(layer);
    auto it = std::find_if(kinds.begin(), kinds.end(),
                           [&](const LayerKind& k) { return k.moe == moe && k.sliding == sliding; });
    if (it == kinds.end()) {
      kinds.push_back({moe, sliding, 1});
      it = kinds.end() - 1;
    } else {
      it->count += 1;
    }
    if (sequence) sequence->push_back(static_cast<int>(it - kinds.begin()));
  }
  return kinds;
}

} // namespace moescope::step
