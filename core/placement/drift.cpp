#include "placement/drift.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "placement/plan_alignment.hpp"
#include "util/diagnostics.hpp"
#include "util/text_table.hpp"

namespace moescope::placement {

Migration migration_between(const std::vector<Placement>& before, const std::vector<Placement>& after,
                            std::int32_t gpus_per_node, double expert_bytes, double scale_up_bytes_per_s,
                            double scale_out_bytes_per_s) {
  if (before.size() != after.size()) throw std::invalid_argument("migration_between: different numbers of layers");
  Migration m;
  if (before.empty()) return m;
  const std::int32_t G = before.front().num_gpus;
  // Bytes each GPU receives and sends, per fabric.
  std::vector<double> up_in(G), up_out(G), out_in(G), out_out(G);
  for (std::size_t l = 0; l < before.size(); ++l) {
    const Placement& a = before[l];
    const Placement& b = after[l];
    if (a.num_gpus != G || b.num_gpus != G || a.num_experts != b.num_experts)
      throw std::invalid_argument("migration_between: placements of different shapes");
    for (std::int32_t e = 0; e < b.num_experts; ++e)
      for (std::int32_t i = 0; i < b.replicas(e); ++i) {
        const std::int32_t dst = b.replicas_begin(e)[i];
        const std::int32_t *had = a.replicas_begin(e), *has = b.replicas_begin(e);
        if (std::find(had, had + a.replicas(e), dst) != had + a.replicas(e)) continue; // already there
        if (std::find(has, has + i, dst) != has + i) continue; // a second new copy on a GPU is the same copy
        const std::int32_t node = dst / gpus_per_node;
        // The least-busy sender on the same node, else on any other node.
        std::int32_t src = -1;
        bool same_node = false;
        for (std::int32_t j = 0; j < a.replicas(e); ++j) {
          const std::int32_t g = a.replicas_begin(e)[j];
          const bool local = g / gpus_per_node == node;
          if (local && !same_node) {
            src = g, same_node = true;
          } else if (local == same_node && src >= 0) {
            const auto& sent = same_node ? up_out : out_out;
            if (sent[g] < sent[src] || (sent[g] == sent[src] && g < src)) src = g;
          } else if (src < 0) {
            src = g;
          }
        }
        m.copies += 1;
        if (same_node) {
          up_in[dst] += expert_bytes, up_out[src] += expert_bytes;
          m.scale_up_bytes += expert_bytes;
        } else {
          out_in[dst] += expert_bytes, out_out[src] += expert_bytes;
          m.scale_out_bytes += expert_bytes;
        }
      }
  }
  const auto time = [](double bytes, double bw) { return bytes > 0 ? bytes / bw : 0.0; };
  for (std::int32_t g = 0; g < G; ++g) {
    m.busiest_scale_up_bytes = std::max({m.busiest_scale_up_bytes, up_in[g], up_out[g]});
    m.busiest_scale_out_bytes = std::max({m.busiest_scale_out_bytes, out_in[g], out_out[g]});
  }
  m.seconds = std::max(time(m.busiest_scale_up_bytes, scale_up_bytes_per_s),
                       time(m.busiest_scale_out_bytes, scale_out_bytes_per_s));
  return m;
}

double DriftRun::break_even_overlap() const {
  if (migration_seconds <= saved_seconds) return 0.0;
  if (saved_seconds <= 0) return std::numeric_limits<double>::infinity();
  return 1.0 - saved_seconds / migration_seconds;
}

double DriftRun::break_even_tokens_per_window() const {
  if (saved_seconds <= 0 || windows.empty()) return std::numeric_limits<double>::infinity();
  return traffic_tokens / double(windows.size()) * migration_seconds / saved_seconds;
}

namespace {

struct Sequence {
  std::vector<std::size_t> fit;                 // the first fit's requests
  std::vector<std::vector<std::size_t>> served; // served windows
};

Sequence make_sequence(const trace::ExpertTrace& trace, const DriftConfig& cfg, std::size_t window,
                       const std::string& label) {
  Sequence s;
  std::vector<std::size_t> serve;
  if (cfg.train_domain.empty()) {
    for (std::size_t r = 0; r < trace.num_requests(); ++r)
      (r < window ? s.fit : serve).push_back(r);
  } else {
    for (std::size_t r = 0; r < trace.num_requests(); ++r) {
      if (trace.domain_of(r) == cfg.train_domain) s.fit.push_back(r);
      if (trace.domain_of(r) == cfg.serve_domain) serve.push_back(r);
    }
  }
  for (std::size_t i = 0; i < serve.size(); i += window)
    s.served.emplace_back(serve.begin() + std::ptrdiff_t(i),
                          serve.begin() + std::ptrdiff_t(std::min(serve.size(), i + window)));
  if (s.served.empty())
    throw InputError(label, "",
                     "a window of " + std::to_string(window) + " requests leaves none to serve: " +
                         (cfg.train_domain.empty() ? "the trace has " + std::to_string(trace.num_requests()) +
                                                         " requests and the first window is fitted on, not served"
                                                   : "domain '" + cfg.serve_domain + "' has no requests"));
  return s;
}

void check_config(const trace::ExpertTrace& trace, const DriftConfig& cfg, const std::string& label) {
  const auto& t = cfg.topology;
  const auto E = std::int32_t(trace.num_experts());
  if (t.nodes < 1 || t.gpus_per_node < 1) throw InputError(label, "", "nodes and GPUs per node must be at least 1");
  if (t.nodes > 64) throw InputError(label, "", "at most 64 nodes are supported");
  if (t.num_gpus() > E && E % t.num_gpus() != 0)
    throw InputError(label, "",
                     "more GPUs (" + std::to_string(t.num_gpus()) + ") than experts (" + std::to_string(E) + ")");
  if (!find_placement_strategy(cfg.strategy))
    throw InputError(label, "", "unknown placement strategy '" + cfg.strategy + "'");
  if (cfg.window_requests.empty()) throw InputError(label, "", "at least one window size is needed");
  for (std::size_t w : cfg.window_requests)
    if (w < 1) throw InputError(label, "", "a window holds at least one request");
  if (cfg.train_domain.empty() != cfg.serve_domain.empty())
    throw InputError(label, "", "a domain shift needs both a training and a serving domain");
  const auto& domains = trace.metadata().domains;
  for (const auto* d : {&cfg.train_domain, &cfg.serve_domain})
    if (!d->empty() && std::find(domains.begin(), domains.end(), *d) == domains.end()) {
      std::string known;
      for (const auto& n : domains)
        known += (known.empty() ? "" : ", ") + n;
      throw InputError(label, "", "no domain '" + *d + "' in the trace (it has: " + known + ")");
    }
  const auto positive = [](double v) { return std::isfinite(v) && v > 0; };
  if (!positive(cfg.expert_bytes)) throw InputError(label, "", "expert bytes must be a positive number");
  if (!positive(cfg.scale_up_bytes_per_s) || !positive(cfg.scale_out_bytes_per_s))
    throw InputError(label, "", "scale-up and scale-out bandwidths must be positive numbers");
  if (!(std::isfinite(cfg.window_seconds) && cfg.window_seconds >= 0))
    throw InputError(label, "", "window seconds must be a number >= 0");
}

DriftRun run_one(const trace::ExpertTrace& trace, const DriftConfig& cfg, const PlacementStrategy& strategy,
                 const PlacementTopology& topo, std::size_t window, const std::string& label) {
  const Sequence seq = make_sequence(trace, cfg, window, label);
  DriftRun run;
  run.window_requests = window;
  run.fit_requests = seq.fit.size();
  const double node_bytes_per_s = cfg.scale_out_bytes_per_s * topo.gpus_per_node;
  const auto fit = [&](const RoutingStats& stats) {
    const auto t0 = std::chrono::steady_clock::now();
    PlacementPlan plan = strategy.fit(PlacementProblem{stats, topo, cfg.fit});
    run.fit_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return plan;
  };
  const PlacementPlan fixed = fit(compute_stats(trace, seq.fit, cfg.stats));
  PlacementPlan in_place = fixed; // serving the previous window
  PlacementPlan next = fixed;     // fitted on the previous window
  PlacementPlan guarded = fixed;  // the guarded policy's plan for this window
  Migration guarded_move;         // into it
  bool guarded_moved = false;
  std::size_t first = 0;
  for (const auto& requests : seq.served) {
    const RoutingStats stats = compute_stats(trace, requests, cfg.stats);
    DriftWindow w;
    w.first_request = first;
    w.requests = requests.size();
    run.served_requests += w.requests;
    w.traffic_tokens = stats.total_traffic_tokens;
    first += requests.size();
    w.migration = migration_between(in_place.layers, next.layers, topo.gpus_per_node, cfg.expert_bytes,
                                    cfg.scale_up_bytes_per_s, cfg.scale_out_bytes_per_s);
    const PlanMetrics s = evaluate_plan(fixed, stats, topo, cfg.eval);
    const PlanMetrics r = evaluate_plan(next, stats, topo, cfg.eval);
    const PlanMetrics g = evaluate_plan(guarded, stats, topo, cfg.eval);
    w.guarded_moved = guarded_moved;
    w.guarded_busiest_link_bytes = g.total.busiest_link_bytes;
    w.guarded_migration_seconds = guarded_move.seconds;
    w.guarded_saved_seconds = 2.0 * (s.total.busiest_link_bytes - w.guarded_busiest_link_bytes) / node_bytes_per_s;
    w.static_dedup_bytes = s.total.dedup_bytes;
    w.replaced_dedup_bytes = r.total.dedup_bytes;
    w.static_busiest_link_bytes = s.total.busiest_link_bytes;
    w.replaced_busiest_link_bytes = r.total.busiest_link_bytes;
    w.static_gpu_max_over_mean = s.gpu_max_over_mean();
    w.replaced_gpu_max_over_mean = r.gpu_max_over_mean();
    w.saved_seconds = 2.0 * (w.static_busiest_link_bytes - w.replaced_busiest_link_bytes) / node_bytes_per_s;
    const double a2a_seconds = 2.0 * w.replaced_busiest_link_bytes / node_bytes_per_s;
    w.exposed_seconds = cfg.window_seconds > 0
                            ? std::max(0.0, w.migration.seconds - std::max(0.0, cfg.window_seconds - a2a_seconds))
                            : 0.0;
    run.traffic_tokens += w.traffic_tokens;
    run.static_dedup_bytes += w.static_dedup_bytes;
    run.replaced_dedup_bytes += w.replaced_dedup_bytes;
    run.static_busiest_link_bytes += w.static_busiest_link_bytes;
    run.replaced_busiest_link_bytes += w.replaced_busiest_link_bytes;
    run.migrated_bytes += w.migration.scale_up_bytes + w.migration.scale_out_bytes;
    run.saved_seconds += w.saved_seconds;
    run.migration_seconds += w.migration.seconds;
    run.exposed_seconds += w.exposed_seconds;
    run.guarded_moves += w.guarded_moved ? 1 : 0;
    run.guarded_busiest_link_bytes += w.guarded_busiest_link_bytes;
    run.guarded_saved_seconds += w.guarded_saved_seconds;
    run.guarded_migration_seconds += w.guarded_migration_seconds;
    run.windows.push_back(w);
    in_place = std::move(next);
    if (&requests != &seq.served.back()) {
      next = fit(stats);
      if (cfg.align) align_plan(in_place, next, topo.gpus_per_node);
      // The guarded policy: the same re-fit, relabelled to its own plan, taken only if its in-sample saving on this
      // window pays for the move.
      PlacementPlan candidate = next;
      if (cfg.align) align_plan(guarded, candidate, topo.gpus_per_node);
      const Migration move = migration_between(guarded.layers, candidate.layers, topo.gpus_per_node, cfg.expert_bytes,
                                               cfg.scale_up_bytes_per_s, cfg.scale_out_bytes_per_s);
      const double gain =
          2.0 *
          (g.total.busiest_link_bytes - evaluate_plan(candidate, stats, topo, cfg.eval).total.busiest_link_bytes) /
          node_bytes_per_s;
      guarded_moved = move.copies > 0 && gain > move.seconds;
      guarded_move = guarded_moved ? move : Migration{};
      if (guarded_moved) guarded = std::move(candidate);
    }
  }
  return run;
}

} // namespace

DriftResult run_drift(const trace::ExpertTrace& trace, const DriftConfig& cfg, const std::string& label) {
  check_config(trace, cfg, label);
  const PlacementStrategy& strategy = *find_placement_strategy(cfg.strategy);
  PlacementTopology topo = cfg.topology;
  const auto E = std::int32_t(trace.num_experts());
  if (topo.slots_per_gpu == 0) topo.slots_per_gpu = topo.base_slots(E);
  if (topo.slots_per_gpu < topo.base_slots(E))
    throw InputError(label, "", "at least " + std::to_string(topo.base_slots(E)) + " slots per GPU are needed");
  DriftResult res;
  res.label = label;
  res.model = trace.metadata().model;
  res.strategy = cfg.strategy;
  res.mode = cfg.train_domain.empty() ? "time order" : cfg.train_domain + " -> " + cfg.serve_domain;
  res.nodes = topo.nodes;
  res.gpus_per_node = topo.gpus_per_node;
  res.slots_per_gpu = topo.slots_per_gpu;
  res.redundant_slots = topo.redundant_slots(E);
  res.bytes_per_token = cfg.eval.bytes_per_token;
  res.expert_bytes = cfg.expert_bytes;
  res.scale_up_bytes_per_s = cfg.scale_up_bytes_per_s;
  res.scale_out_bytes_per_s = cfg.scale_out_bytes_per_s;
  res.window_seconds = cfg.window_seconds;
  if (cfg.eval.replica_rule) res.replica_rule = to_string(*cfg.eval.replica_rule);
  res.aligned = cfg.align;
  for (std::size_t w : cfg.window_requests)
    res.runs.push_back(run_one(trace, cfg, strategy, topo, w, label));
  return res;
}

namespace {

Json finite_or_null(double v) {
  return std::isfinite(v) ? Json(v) : Json(nullptr);
}

} // namespace

Json drift_json(const DriftResult& r) {
  Json runs = Json::array();
  for (const auto& run : r.runs) {
    Json windows = Json::array();
    for (const auto& w : run.windows)
      windows.push_back({{"first_request", w.first_request},
                         {"requests", w.requests},
                         {"traffic_tokens", w.traffic_tokens},
                         {"static_dedup_bytes", w.static_dedup_bytes},
                         {"replaced_dedup_bytes", w.replaced_dedup_bytes},
                         {"static_busiest_link_bytes", w.static_busiest_link_bytes},
                         {"replaced_busiest_link_bytes", w.replaced_busiest_link_bytes},
                         {"static_gpu_max_over_mean", w.static_gpu_max_over_mean},
                         {"replaced_gpu_max_over_mean", w.replaced_gpu_max_over_mean},
                         {"migrated_copies", w.migration.copies},
                         {"migrated_scale_up_bytes", w.migration.scale_up_bytes},
                         {"migrated_scale_out_bytes", w.migration.scale_out_bytes},
                         {"busiest_gpu_scale_up_bytes", w.migration.busiest_scale_up_bytes},
                         {"busiest_gpu_scale_out_bytes", w.migration.busiest_scale_out_bytes},
                         {"migration_seconds", w.migration.seconds},
                         {"saved_seconds", w.saved_seconds},
                         {"exposed_seconds", w.exposed_seconds},
                         {"guarded_moved", w.guarded_moved},
                         {"guarded_busiest_link_bytes", w.guarded_busiest_link_bytes},
                         {"guarded_migration_seconds", w.guarded_migration_seconds},
                         {"guarded_saved_seconds", w.guarded_saved_seconds}});
    runs.push_back({{"window_requests", run.window_requests},
                    {"fit_requests", run.fit_requests},
                    {"served_requests", run.served_requests},
                    {"served_windows", run.windows.size()},
                    {"traffic_tokens", run.traffic_tokens},
                    {"static_dedup_bytes", run.static_dedup_bytes},
                    {"replaced_dedup_bytes", run.replaced_dedup_bytes},
                    {"static_busiest_link_bytes", run.static_busiest_link_bytes},
                    {"replaced_busiest_link_bytes", run.replaced_busiest_link_bytes},
                    {"migrated_bytes", run.migrated_bytes},
                    {"saved_seconds", run.saved_seconds},
                    {"migration_seconds", run.migration_seconds},
                    {"exposed_seconds", run.exposed_seconds},
                    {"net_seconds_without_overlap", run.net_seconds_without_overlap()},
                    {"net_seconds_with_overlap", run.net_seconds_with_overlap()},
                    {"break_even_overlap", finite_or_null(run.break_even_overlap())},
                    {"break_even_tokens_per_window", finite_or_null(run.break_even_tokens_per_window())},
                    {"guarded_moves", run.guarded_moves},
                    {"guarded_busiest_link_bytes", run.guarded_busiest_link_bytes},
                    {"guarded_saved_seconds", run.guarded_saved_seconds},
                    {"guarded_migration_seconds", run.guarded_migration_seconds},
                    {"guarded_net_seconds_without_overlap", run.guarded_net_seconds_without_overlap()},
                    {"fit_seconds", run.fit_seconds},
                    {"windows", windows}});
  }
  return {{"trace", r.label},
          {"model", r.model},
          {"strategy", r.strategy},
          {"mode", r.mode},
          {"nodes", r.nodes},
          {"gpus_per_node", r.gpus_per_node},
          {"slots_per_gpu", r.slots_per_gpu},
          {"redundant_slots_per_gpu", r.redundant_slots},
          {"bytes_per_token", r.bytes_per_token},
          {"expert_bytes", r.expert_bytes},
          {"expert_bytes_source", r.expert_bytes_source},
          {"scale_up_bytes_per_s", r.scale_up_bytes_per_s},
          {"scale_out_bytes_per_s", r.scale_out_bytes_per_s},
          {"bandwidth_source", r.bandwidth_source},
          {"window_seconds", r.window_seconds},
          {"overlap", r.window_seconds > 0 ? "migration hidden in the scale-out links' idle time of each window"
                                           : "full (window_seconds not given): an upper bound"},
          {"replica_rule", r.replica_rule},
          {"aligned", r.aligned},
          {"runs", runs}};
}

std::string drift_markdown(const DriftResult& r) {
  const auto ms = [](double s) { return format_fixed(s * 1e3, 2); };
  const auto ratio = [](double a, double b) { return b > 0 ? format_fixed(a / b, 3) : std::string("-"); };
  std::ostringstream o;
  o << "Re-placement over time: " << r.strategy << " on " << r.label << " (" << r.model << "), " << r.nodes << "x"
    << r.gpus_per_node << " GPUs, " << r.slots_per_gpu << " slots per GPU (" << r.redundant_slots << " redundant), "
    << r.mode << "\n\n";
  o << "Expert " << format_fixed(r.expert_bytes / 1e6, 2) << " MB (" << r.expert_bytes_source << "); scale-up "
    << format_fixed(r.scale_up_bytes_per_s / 1e9, 1) << " GB/s, scale-out "
    << format_fixed(r.scale_out_bytes_per_s / 1e9, 1) << " GB/s per GPU and direction (" << r.bandwidth_source << "); "
    << format_fixed(r.bytes_per_token, 0) << " dispatch bytes per token. Re-fitted plans "
    << (r.aligned ? "relabelled to move the fewest copies" : "as fitted (not relabelled)") << ". Overlap: "
    << (r.window_seconds > 0 ? "the migration hides in the scale-out links' idle time of a " +
                                   format_fixed(r.window_seconds, 3) + " s window"
                             : "full (no --window-seconds: an upper bound)")
    << ".\n\n";
  o << "| window (requests) | fitted on (requests) | served windows (requests) | busiest link re-placed/static | "
       "node-dedup re-placed/static | "
       "migrated GB | saved ms | migration ms | net ms, no overlap | net ms, overlap | break-even overlap | "
       "break-even tokens/window | guarded: moves, net ms |\n"
    << "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& run : r.runs) {
    const double be = run.break_even_overlap(), bt = run.break_even_tokens_per_window();
    o << "| " << run.window_requests << " | " << run.fit_requests << " | " << run.windows.size() << " ("
      << run.served_requests << ") | " << ratio(run.replaced_busiest_link_bytes, run.static_busiest_link_bytes) << " | "
      << ratio(run.replaced_dedup_bytes, run.static_dedup_bytes) << " | " << format_fixed(run.migrated_bytes / 1e9, 3)
      << " | " << ms(run.saved_seconds) << " | " << ms(run.migration_seconds) << " | "
      << ms(run.net_seconds_without_overlap()) << " | " << ms(run.net_seconds_with_overlap()) << " | "
      << (!std::isfinite(be) ? std::string("never pays")
          : be > 0.999       ? std::string("> 99.9%")
                             : format_fixed(100.0 * be, 1) + "%")
      << " | "
      << (run.migration_seconds == 0 ? std::string("-")
          : std::isfinite(bt)        ? format_si(bt, "", 3)
                                     : std::string("never pays"))
      << " | " << run.guarded_moves << ", " << ms(run.guarded_net_seconds_without_overlap()) << " |\n";
  }
  return o.str();
}

} // namespace moescope::placement
