#include "engine/trace_routing.hpp"

#include "trace/importer.hpp"
#include "util/diagnostics.hpp"

namespace moescope {

TraceRouting::TraceRouting(const std::string& path, const std::string& format, std::string version)
    : version_(std::move(version)) {
  trace::ImportOptions o;
  if (format != "auto") o.format = format;
  trace::AnyTrace any = trace::import_trace(path, o);
  auto* et = std::get_if<trace::ExpertTrace>(&any);
  if (!et) throw InputError(path, "", "expected a token-level trace (per-token expert ids) for trace-driven routing");
  trace_ = std::make_shared<const trace::ExpertTrace>(std::move(*et));
  placement::StatsOptions so;
  so.coactivation = true;
  stats_ = std::make_unique<placement::RoutingStats>(placement::compute_stats(*trace_, so));
}

const placement::PlacementPlan& TraceRouting::plan(const placement::PlacementStrategy& strategy,
                                                   const placement::PlacementTopology& shape,
                                                   const placement::FitOptions& options) const {
  const std::string key = strategy.name() + "/" + std::to_string(shape.nodes) + "/" +
                          std::to_string(shape.gpus_per_node) + "/" + std::to_string(shape.slots_per_gpu) + "/" +
                          std::to_string(options.bytes_per_token) + "/" + std::to_string(options.balance_cap) + "/" +
                          std::to_string(options.node_load_cap) + "/" + std::to_string(options.seed) + "/" +
                          std::to_string(options.eplb_groups);
  std::lock_guard<std::mutex> lock(mutex_);
  auto& slot = plans_[key];
  if (!slot) slot = std::make_unique<placement::PlacementPlan>(strategy.fit({*stats_, shape, options}));
  return *slot;
}

} // namespace moescope
