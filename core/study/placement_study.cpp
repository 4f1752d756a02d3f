#include "study/placement_study.hpp"

#include <cctype>
#include <cmath>
#include <stdexcept>

#include "study/expert_compute_timer.hpp"
#include "util/diagnostics.hpp"

namespace moescope {

namespace {

std::string normalized(const std::string& s) {
  std::string out;
  for (char c : s)
    if (std::isalnum(static_cast<unsigned char>(c))) out += char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

} // namespace

const ModelArchitecture* catalog_model_of_trace(const ModelCatalog& catalog, const std::string& trace_model) {
  std::string t = normalized(trace_model);
  // ESFT's released models are DeepSeek-V2-Lite fine-tunes (deepseek-ai/ESFT, "ESFT-vanilla-lite").
  if (t.rfind("esft", 0) == 0 && t.find("lite") != std::string::npos) t = "deepseekv2lite";
  const ModelArchitecture* best = nullptr;
  std::size_t best_len = 0;
  for (const auto& [name, m] : catalog.all())
    for (const auto& key : {normalized(m.name), normalized(m.display_name)})
      if (!key.empty() && t.rfind(key, 0) == 0 && key.size() > best_len) best = &m, best_len = key.size();
  return best;
}

void check_placement_topology_options(const placement::PlacementTopology& topology) {
  if (topology.nodes < 1 || topology.gpus_per_node < 1)
    throw InputError("--nodes/--gpus-per-node", "", "must be at least 1");
  if (topology.nodes > 64) throw InputError("--nodes", "", "at most 64 nodes are supported");
  if (topology.gpus_per_node > 65536) throw InputError("--gpus-per-node", "", "must be at most 65536");
}

void check_redundant_slots_option(std::int32_t redundant, std::int32_t experts, std::int32_t base_slots) {
  if (redundant > experts - base_slots)
    throw InputError("--redundant", "",
                     "at most " + std::to_string(experts - base_slots) + " (" + std::to_string(experts) + " experts, " +
                         std::to_string(base_slots) + " base slots; a GPU holds each expert once)");
}

placement::ExperimentResult run_placement_study(const PlacementStudy& study, Session* session) {
  placement::ExperimentConfig cfg = study.config;
  check_placement_topology_options(cfg.topology);
  if (!(cfg.test_fraction > 0.0 && cfg.test_fraction < 1.0))
    throw InputError("--test-fraction", "", "must be strictly between 0 and 1");
  if (cfg.folds < 1 || cfg.folds > 100) throw InputError("--folds", "", "must be in [1, 100]");
  if (cfg.fit.balance_cap < 1.0) throw InputError("--balance-cap", "", "must be at least 1");
  const trace::ExpertTrace trace = import_expert_trace(study.trace_path, study.import);
  const auto experts = std::int32_t(trace.num_experts());
  const auto base = cfg.topology.base_slots(experts);
  if (study.slots > 0 && study.slots < base)
    throw InputError("--slots", "",
                     "at least " + std::to_string(base) + " slots per GPU are needed for " + std::to_string(experts) +
                         " experts");
  // A GPU holds each expert at most once.
  if (study.slots > experts)
    throw InputError("--slots", "", "at most " + std::to_string(experts) + " (the experts; a GPU holds each once)");
  check_redundant_slots_option(study.redundant, experts, base);
  cfg.redundant_slots = study.redundant >= 0 ? study.redundant : (study.slots > 0 ? study.slots - base : 0);
  cfg.eval.bytes_per_token =
      study.bytes_per_token > 0 ? study.bytes_per_token : placement::default_bytes_per_token(trace.metadata().model);
  cfg.fit.bytes_per_token = cfg.eval.bytes_per_token;
  std::string expert_model;
  if (!study.moe_time_system.empty()) {
    if (!session) throw std::logic_error("run_placement_study: timing the MoE layer needs a Session");
    const auto catalog = session->catalog();
    const ModelArchitecture* m = catalog_model_of_trace(*catalog, trace.metadata().model);
    if (!m)
      throw InputError(study.trace_path, "",
                       "timing the MoE layer needs the trace's model in the catalog; no catalog model matches '" +
                           trace.metadata().model + "'");
    const ExpertComputeTimer timer = make_expert_compute_timer(*session, study.moe_time_system, *m);
    cfg.eval.expert_seconds = timer.seconds;
    cfg.eval.all_to_all_time = true;
    expert_model = timer.description;
  }
  auto res = placement::run_experiment(trace, cfg, study.trace_path);
  res.expert_compute_model = expert_model;
  return res;
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
    r.moe_layer_seconds = a.moe_layer_seconds();
    r.moe_layer_ratio = r.moe_layer_seconds >= 0 ? ratio(r.moe_layer_seconds, b.moe_layer_seconds()) : std::nan("");
    rows.push_back(r);
  }
  return rows;
}

} // namespace moescope
