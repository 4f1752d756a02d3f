#include "study/placement_study.hpp"

#include <cmath>

#include "util/diagnostics.hpp"

namespace moescope {

placement::ExperimentResult run_placement_study(const PlacementStudy& study) {
  placement::ExperimentConfig cfg = study.config;
  if (cfg.topology.nodes < 1 || cfg.topology.gpus_per_node < 1)
    throw InputError("--nodes/--gpus-per-node", "", "must be at least 1");
  if (!(cfg.test_fraction > 0.0 && cfg.test_fraction < 1.0))
    throw InputError("--test-fraction", "", "must be strictly between 0 and 1");
  if (cfg.folds < 1) throw InputError("--folds", "", "must be at least 1");
  if (cfg.fit.balance_cap < 1.0) throw InputError("--balance-cap", "", "must be at least 1");
  const trace::ExpertTrace trace = import_expert_trace(study.trace_path, study.import);
  const auto experts = std::int32_t(trace.num_experts());
  const auto base = cfg.topology.base_slots(experts);
  if (study.slots > 0 && study.slots < base)
    throw InputError("--slots", "",
                     "at least " + std::to_string(base) + " slots per GPU are needed for " + std::to_string(experts) +
                         " experts");
  cfg.redundant_slots = study.redundant >= 0 ? study.redundant : (study.slots > 0 ? study.slots - base : 0);
  cfg.eval.bytes_per_token =
      study.bytes_per_token > 0 ? study.bytes_per_token : placement::default_bytes_per_token(trace.metadata().model);
  cfg.fit.bytes_per_token = cfg.eval.bytes_per_token;
  return placement::run_experiment(trace, cfg, study.trace_path);
}

trace::ExpertTrace import_expert_trace(const std::string& path, const trace::ImportOptions& import) {
  trace::AnyTrace any = trace::import_trace(path, import);
  auto* tr = std::get_if<trace::ExpertTrace>(&any);
  if (!tr) throw InputError(path, "", "placement needs a per-token trace; this one holds only expert counts");
  return std::move(*tr);
}

std::vector<PlacementComparisonRow> placement_comparison_rows(const placement::ExperimentResult& result) {
  const auto ratio = [](double a, double b) { return b > 0 ? a / b : std::nan(""); };
  std::vector<PlacementComparisonRow> rows;
  for (const auto& row : result.rows) {
    const auto* base = result.baseline(row.split);
    const placement::LayerMetrics& a = row.metrics.total;
    const placement::LayerMetrics b = base ? base->metrics.total : placement::LayerMetrics{};
    PlacementComparisonRow r;
    r.split = row.split;
    r.strategy = row.strategy;
    r.redundant_slots = row.redundant_slots;
    r.inter_node_pairs_ratio = ratio(a.inter_node_pairs, b.inter_node_pairs);
    r.dedup_bytes_ratio = ratio(a.dedup_bytes, b.dedup_bytes);
    r.busiest_link_ratio = ratio(a.busiest_link_bytes, b.busiest_link_bytes);
    r.dedup_bytes = a.dedup_bytes;
    r.busiest_link_bytes = a.busiest_link_bytes;
    r.gpu_max_over_mean = row.metrics.gpu_max_over_mean();
    r.tokens_per_node_max_over_mean = row.metrics.tokens_max_over_mean();
    r.requests_per_node_max_over_mean = row.metrics.requests_max_over_mean();
    r.fit_seconds = row.fit_seconds;
    rows.push_back(r);
  }
  return rows;
}

} // namespace moescope
