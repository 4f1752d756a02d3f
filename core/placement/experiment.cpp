#include "placement/experiment.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <sstream>

#include "util/diagnostics.hpp"
#include "util/text_table.hpp"

namespace moescope::placement {

const ExperimentRow* ExperimentResult::find(const std::string& split, const std::string& strategy,
                                            std::int32_t redundant) const {
  for (const auto& r : rows)
    if (r.split == split && r.strategy == strategy && r.redundant_slots == redundant) return &r;
  return nullptr;
}

double default_bytes_per_token(const std::string& model) {
  auto has = [&](const char* s) {
    std::string m = model, n = s;
    std::transform(m.begin(), m.end(), m.begin(), ::tolower);
    return m.find(n) != std::string::npos;
  };
  if (has("v2-lite") || has("esft")) return 2048.0;
  if (has("maverick") || has("llama-4") || has("llama4")) return 5120.0;
  if (has("deepseek-v3") || has("deepseek-r1")) return 7168.0;
  return 4096.0;
}

namespace {

void run_split(const trace::ExpertTrace& trace, std::span<const std::size_t> train, std::span<const std::size_t> test,
               const std::string& split, const ExperimentConfig& cfg,
               const std::vector<const PlacementStrategy*>& strategies, ExperimentResult& out, std::size_t& done,
               std::size_t total) {
  if (train.empty() || test.empty()) return;
  const auto tr = compute_stats(trace, train, cfg.stats);
  StatsOptions test_opts = cfg.stats;
  test_opts.coactivation = false;
  const auto te = compute_stats(trace, test, test_opts);
  std::vector<std::int32_t> reds{0};
  if (cfg.redundant_slots > 0) reds.push_back(cfg.redundant_slots);
  for (std::int32_t red : reds)
    for (const auto* st : strategies) {
      PlacementTopology topo = cfg.topology;
      topo.slots_per_gpu = topo.base_slots(std::int32_t(trace.num_experts())) + red;
      PlacementProblem pb{tr, topo, cfg.fit};
      const auto t0 = std::chrono::steady_clock::now();
      const auto plan = st->fit(pb);
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      auto m = evaluate_plan(plan, te, topo, cfg.eval);
      ExperimentRow* row = nullptr;
      for (auto& r : out.rows)
        if (r.split == split && r.strategy == st->name() && r.redundant_slots == red) row = &r;
      if (!row) {
        out.rows.push_back(ExperimentRow{split, st->name(), red, PlanMetrics{}, 0.0, 0});
        row = &out.rows.back();
        row->metrics.strategy = st->name();
      }
      m.home.clear();
      row->metrics.accumulate(m);
      row->fit_seconds = (row->fit_seconds * row->fits + secs) / (row->fits + 1);
      ++row->fits;
      if (cfg.progress) cfg.progress(++done, total);
    }
}

} // namespace

ExperimentResult run_experiment(const trace::ExpertTrace& trace, const ExperimentConfig& cfg,
                                const std::string& label) {
  const auto& t = cfg.topology;
  const auto E = std::int32_t(trace.num_experts());
  if (t.nodes < 1 || t.gpus_per_node < 1) throw InputError(label, "", "nodes and GPUs per node must be at least 1");
  if (t.nodes > 64) throw InputError(label, "", "at most 64 nodes are supported");
  if (E % t.num_gpus() != 0 && t.num_gpus() > E)
    throw InputError(label, "",
                     "more GPUs (" + std::to_string(t.num_gpus()) + ") than experts (" + std::to_string(E) + ")");
  if (trace.num_requests() < 2) throw InputError(label, "", "the trace needs at least two requests to hold some out");
  std::vector<const PlacementStrategy*> strategies;
  if (cfg.strategies.empty()) {
    for (const auto& s : placement_strategies())
      strategies.push_back(s.get());
  } else {
    for (const auto& n : cfg.strategies) {
      const auto* s = find_placement_strategy(n);
      if (!s) throw InputError(label, "", "unknown placement strategy '" + n + "'");
      strategies.push_back(s);
    }
    if (!find_placement_strategy("linear") ||
        std::find(cfg.strategies.begin(), cfg.strategies.end(), "linear") == cfg.strategies.end())
      strategies.insert(strategies.begin(), find_placement_strategy("linear"));
  }
  ExperimentResult res;
  res.label = label;
  res.model = trace.metadata().model;
  res.nodes = t.nodes;
  res.gpus_per_node = t.gpus_per_node;
  res.experts = E;
  res.layers = std::int32_t(trace.num_layers());
  res.top_k = std::int32_t(trace.top_k());
  res.folds = std::max(1, cfg.folds);
  res.requests = trace.num_requests();
  res.bytes_per_token = cfg.eval.bytes_per_token;
  if (cfg.eval.replica_rule) res.replica_rule = to_string(*cfg.eval.replica_rule);
  const auto& domains = trace.metadata().domains;
  const bool cross = cfg.cross_domain && domains.size() >= 2;
  const std::size_t total =
      (std::size_t(res.folds) + (cross ? domains.size() : 0)) * (cfg.redundant_slots > 0 ? 2 : 1) * strategies.size();
  std::size_t done = 0;
  for (std::int32_t f = 0; f < res.folds; ++f) {
    const auto split = trace::split_requests(trace, cfg.test_fraction, cfg.seed + std::uint64_t(f));
    run_split(trace, split.train, split.test, "held-out", cfg, strategies, res, done, total);
  }
  if (cross) {
    for (std::uint32_t d = 0; d < domains.size(); ++d) {
      std::vector<std::size_t> train, test;
      for (std::size_t r = 0; r < trace.num_requests(); ++r)
        (trace.request(r).domain == d ? train : test).push_back(r);
      run_split(trace, train, test, "cross:" + domains[d] + "->others", cfg, strategies, res, done, total);
    }
  }
  return res;
}

namespace {

double ratio(double a, double b) {
  return b > 0 ? a / b : std::nan("");
}
std::string fx(double v, int d = 3) {
  return std::isfinite(v) ? format_fixed(v, d) : "-";
}

std::vector<std::string> splits_of(const ExperimentResult& r) {
  std::vector<std::string> s;
  for (const auto& row : r.rows)
    if (std::find(s.begin(), s.end(), row.split) == s.end()) s.push_back(row.split);
  return s;
}

Json metrics_json(const PlanMetrics& m) {
  Json layers = Json::array();
  for (const auto& l : m.layers)
    layers.push_back({{"pairs", l.pairs},
                      {"inter_node_pairs", l.inter_node_pairs},
                      {"dedup_bytes", l.dedup_bytes},
                      {"busiest_link_bytes", l.busiest_link_bytes},
                      {"gpu_load_max", l.gpu_load_max},
                      {"gpu_load_mean", l.gpu_load_mean},
                      {"a2a_normal_seconds", l.a2a_normal_seconds},
                      {"a2a_low_latency_seconds", l.a2a_low_latency_seconds},
                      {"expert_seconds", l.expert_seconds},
                      {"moe_layer_seconds", l.moe_layer_seconds()}});
  return {{"pairs", m.total.pairs},
          {"inter_node_pairs", m.total.inter_node_pairs},
          {"dedup_bytes", m.total.dedup_bytes},
          {"busiest_link_bytes", m.total.busiest_link_bytes},
          {"gpu_load_max_over_mean", m.gpu_max_over_mean()},
          {"tokens_per_node_max", m.tokens_per_node_max},
          {"tokens_per_node_mean", m.tokens_per_node_mean},
          {"requests_per_node_max", m.requests_per_node_max},
          {"requests_per_node_mean", m.requests_per_node_mean},
          {"traffic_tokens", m.traffic_tokens},
          {"a2a_normal_seconds", m.total.a2a_normal_seconds},
          {"a2a_low_latency_seconds", m.total.a2a_low_latency_seconds},
          {"expert_seconds", m.total.expert_seconds},
          {"moe_layer_seconds", m.total.moe_layer_seconds()},
          {"layers", layers}};
}

} // namespace

Json experiment_json(const ExperimentResult& r) {
  Json rows = Json::array();
  for (const auto& row : r.rows) {
    const auto* base = r.baseline(row.split);
    Json j = {{"split", row.split},
              {"strategy", row.strategy},
              {"redundant_slots_per_gpu", row.redundant_slots},
              {"fit_seconds", row.fit_seconds},
              {"metrics", metrics_json(row.metrics)}};
    if (base) {
      const auto& a = row.metrics.total;
      const auto& b = base->metrics.total;
      j["ratio_to_linear"] = {{"inter_node_pairs", ratio(a.inter_node_pairs, b.inter_node_pairs)},
                              {"dedup_bytes", ratio(a.dedup_bytes, b.dedup_bytes)},
                              {"busiest_link_bytes", ratio(a.busiest_link_bytes, b.busiest_link_bytes)},
                              {"a2a_normal_seconds", ratio(a.a2a_normal_seconds, b.a2a_normal_seconds)},
                              {"a2a_low_latency_seconds", ratio(a.a2a_low_latency_seconds, b.a2a_low_latency_seconds)},
                              {"expert_seconds", ratio(a.expert_seconds, b.expert_seconds)},
                              {"moe_layer_seconds", ratio(a.moe_layer_seconds(), b.moe_layer_seconds())}};
      for (auto& [k, v] : j["ratio_to_linear"].items())
        if (v.is_number() && !std::isfinite(v.get<double>())) v = nullptr;
    }
    rows.push_back(j);
  }
  return {{"trace", r.label},
          {"model", r.model},
          {"nodes", r.nodes},
          {"gpus_per_node", r.gpus_per_node},
          {"experts", r.experts},
          {"layers", r.layers},
          {"top_k", r.top_k},
          {"folds", r.folds},
          {"requests", r.requests},
          {"bytes_per_token", r.bytes_per_token},
          {"replica_rule", r.replica_rule},
          {"expert_compute_model", r.expert_compute_model},
          {"rows", rows}};
}

std::string experiment_markdown(const ExperimentResult& r) {
  std::ostringstream os;
  for (const auto& split : splits_of(r)) {
    const auto* base = r.baseline(split);
    os << "\n**" << r.label << "**, " << r.nodes << " x " << r.gpus_per_node << " GPUs, split `" << split << "`";
    if (base)
      os << " (linear: " << format_bytes(base->metrics.total.dedup_bytes) << " node-dedup inter-node, busiest link "
         << format_bytes(base->metrics.total.busiest_link_bytes) << ")";
    if (!r.replica_rule.empty()) os << ", replica rule `" << r.replica_rule << "`";
    os << "\n\n";
    const bool has_a2a = base && base->metrics.total.a2a_normal_seconds >= 0;
    const bool has_moe = base && base->metrics.total.moe_layer_seconds() >= 0;
    os << "| strategy | redundant/GPU | inter-node pairs | node-dedup bytes | busiest link | GPU max/mean | "
          "tokens/node max/mean | requests/node max/mean |";
    if (has_a2a) os << " a2a normal | a2a LL (padded) |";
    if (has_moe) os << " expert compute | MoE layer | MoE layer ms |";
    os << " fit s |\n|---|---|---|---|---|---|---|---|";
    if (has_a2a) os << "---|---|";
    if (has_moe) os << "---|---|---|";
    os << "---|\n";
    const ExperimentRow* fastest = nullptr;
    const ExperimentRow* fewest_bytes = nullptr;
    for (const auto& row : r.rows) {
      if (row.split != split) continue;
      const auto& a = row.metrics.total;
      const LayerMetrics b = base ? base->metrics.total : LayerMetrics{};
      os << "| " << row.strategy << " | " << row.redundant_slots << " | "
         << fx(ratio(a.inter_node_pairs, b.inter_node_pairs)) << " | " << fx(ratio(a.dedup_bytes, b.dedup_bytes))
         << " | " << fx(ratio(a.busiest_link_bytes, b.busiest_link_bytes)) << " | "
         << fx(row.metrics.gpu_max_over_mean()) << " | " << fx(row.metrics.tokens_max_over_mean()) << " | "
         << fx(row.metrics.requests_max_over_mean()) << " |";
      if (has_a2a)
        os << " " << fx(ratio(a.a2a_normal_seconds, b.a2a_normal_seconds)) << " | "
           << fx(ratio(a.a2a_low_latency_seconds, b.a2a_low_latency_seconds)) << " |";
      if (has_moe)
        os << " " << fx(ratio(a.expert_seconds, b.expert_seconds)) << " | "
           << fx(ratio(a.moe_layer_seconds(), b.moe_layer_seconds())) << " | " << fx(1e3 * a.moe_layer_seconds())
           << " |";
      os << " " << fx(row.fit_seconds, 2) << " |\n";
      if (!fewest_bytes || a.busiest_link_bytes < fewest_bytes->metrics.total.busiest_link_bytes) fewest_bytes = &row;
      if (has_moe && a.moe_layer_seconds() >= 0 &&
          (!fastest || a.moe_layer_seconds() < fastest->metrics.total.moe_layer_seconds()))
        fastest = &row;
    }
    if (fastest) {
      const auto name = [](const ExperimentRow* x) {
        return x->strategy + " (" + std::to_string(x->redundant_slots) + " redundant/GPU)";
      };
      os << "\nWinner by MoE layer time (" << r.expert_compute_model
         << "; DeepEP normal all-to-all, no overlap): " << name(fastest) << ", "
         << fx(ratio(fastest->metrics.total.moe_layer_seconds(), base->metrics.total.moe_layer_seconds()))
         << " of linear's";
      if (fewest_bytes != fastest)
        os << "; by busiest-link bytes alone it would be " << name(fewest_bytes) << ", whose MoE layer takes "
           << fx(ratio(fewest_bytes->metrics.total.moe_layer_seconds(), base->metrics.total.moe_layer_seconds()))
           << " of linear's";
      os << ".\n";
    }
  }
  return os.str();
}

std::string experiment_csv(const ExperimentResult& r, bool header) {
  std::ostringstream os;
  if (header)
    os << "trace,nodes,gpus_per_node,split,strategy,redundant_slots_per_gpu,inter_node_pairs,dedup_bytes,"
          "busiest_link_bytes,gpu_max_over_mean,tokens_per_node_max_over_mean,requests_per_node_max_over_mean,"
          "a2a_normal_seconds,a2a_low_latency_seconds,ratio_inter_node_pairs,ratio_dedup_bytes,ratio_busiest_link,"
          "ratio_a2a_normal,ratio_a2a_low_latency,fit_seconds,expert_seconds,moe_layer_seconds,ratio_moe_layer\n";
  auto q = [](const std::string& s) {
    if (s.find_first_of(",\"") == std::string::npos) return s;
    std::string o = "\"";
    for (char c : s)
      o += c == '"' ? std::string("\"\"") : std::string(1, c);
    return o + "\"";
  };
  auto num = [](double v) {
    if (!std::isfinite(v)) return std::string();
    std::ostringstream s;
    s.precision(10);
    s << v;
    return s.str();
  };
  for (const auto& row : r.rows) {
    const auto* base = r.baseline(row.split);
    const auto& a = row.metrics.total;
    const LayerMetrics b = base ? base->metrics.total : LayerMetrics{};
    os << q(r.label) << "," << r.nodes << "," << r.gpus_per_node << "," << q(row.split) << "," << row.strategy << ","
       << row.redundant_slots << "," << num(a.inter_node_pairs) << "," << num(a.dedup_bytes) << ","
       << num(a.busiest_link_bytes) << "," << num(row.metrics.gpu_max_over_mean()) << ","
       << num(row.metrics.tokens_max_over_mean()) << "," << num(row.metrics.requests_max_over_mean()) << ","
       << (a.a2a_normal_seconds >= 0 ? num(a.a2a_normal_seconds) : "") << ","
       << (a.a2a_low_latency_seconds >= 0 ? num(a.a2a_low_latency_seconds) : "") << ","
       << num(ratio(a.inter_node_pairs, b.inter_node_pairs)) << "," << num(ratio(a.dedup_bytes, b.dedup_bytes)) << ","
       << num(ratio(a.busiest_link_bytes, b.busiest_link_bytes)) << ","
       << num(ratio(a.a2a_normal_seconds, b.a2a_normal_seconds)) << ","
       << num(ratio(a.a2a_low_latency_seconds, b.a2a_low_latency_seconds)) << "," << num(row.fit_seconds) << ","
       << (a.expert_seconds >= 0 ? num(a.expert_seconds) : "") << ","
       << (a.moe_layer_seconds() >= 0 ? num(a.moe_layer_seconds()) : "") << ","
       << num(ratio(a.moe_layer_seconds(), b.moe_layer_seconds())) << "\n";
  }
  return os.str();
}

} // namespace moescope::placement
