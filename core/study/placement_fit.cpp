#include "study/placement_fit.hpp"

#include "placement/experiment.hpp"
#include "placement/routing_stats.hpp"
#include "util/diagnostics.hpp"

namespace moescope {

PlacementFit fit_placement(const trace::ExpertTrace& trace, const std::string& strategy, std::int32_t nodes,
                           std::int32_t gpus_per_node, std::int32_t redundant, double bytes_per_token,
                           std::uint64_t seed) {
  const auto* st = placement::find_placement_strategy(strategy);
  if (!st) {
    std::string known;
    for (const auto& n : placement::placement_strategy_names())
      known += (known.empty() ? "" : ", ") + n;
    throw InputError("strategy", "", "unknown placement strategy '" + strategy + "' (known: " + known + ")");
  }
  if (nodes < 1 || gpus_per_node < 1) throw InputError("nodes/gpus_per_node", "", "must be at least 1");
  if (redundant < 0) throw InputError("redundant", "", "must be at least 0");
  const auto experts = std::int32_t(trace.num_experts());
  PlacementFit f;
  f.topology.nodes = nodes;
  f.topology.gpus_per_node = gpus_per_node;
  if (f.topology.num_gpus() > experts)
    throw InputError("nodes/gpus_per_node", "",
                     "more GPUs (" + std::to_string(f.topology.num_gpus()) + ") than experts (" +
                         std::to_string(experts) + ")");
  f.topology.slots_per_gpu = f.topology.base_slots(experts) + redundant;
  f.fit.seed = seed;
  f.fit.bytes_per_token =
      bytes_per_token > 0 ? bytes_per_token : placement::default_bytes_per_token(trace.metadata().model);
  const auto stats = placement::compute_stats(trace);
  f.plan = st->fit({stats, f.topology, f.fit});
  return f;
}

placement::PlanMetrics evaluate_placement(const PlacementFit& fit, const trace::ExpertTrace& test) {
  if (fit.plan.layers.size() != test.num_layers() ||
      (!fit.plan.layers.empty() && fit.plan.layers.front().num_experts != std::int32_t(test.num_experts())))
    throw InputError("trace", "",
                     "the test trace has " + std::to_string(test.num_layers()) + " layers of " +
                         std::to_string(test.num_experts()) + " experts; the placement was fitted on " +
                         std::to_string(fit.plan.layers.size()) + " layers");
  placement::StatsOptions so;
  so.coactivation = false; // evaluation reads token-level routing, not pair counts
  const auto stats = placement::compute_stats(test, so);
  placement::EvalOptions eval;
  eval.bytes_per_token = fit.fit.bytes_per_token;
  return placement::evaluate_plan(fit.plan, stats, fit.topology, eval);
}

} // namespace moescope
