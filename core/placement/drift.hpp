#pragma once
// Re-placement over time: is it worth moving expert weights when the routing drifts?
//
// The requests are served in windows of `window_requests` consecutive requests, in the order they appear in the
// trace (the trace's order is taken as arrival order). Two modes:
//  - time order: window 0 is the first window of the trace; both plans are fitted on it, and the served windows are
//    windows 1, 2, ...;
//  - domain shift (train_domain and serve_domain set): the plans are fitted on every request of the training
//    domain, and the served windows are consecutive windows of the serving domain's requests.
// The static plan stays as fitted. The re-placed plan serving window w is fitted on window w-1 (on the fitting
// requests for the first served window, so it starts as the static plan): it always lags one window, as a
// deployment that re-fits from what it has just served would. A re-fitted plan is relabelled to the plan in place
// (plan_alignment.hpp: nodes and GPUs permuted to share the most copies) unless `align` is off.
//
// Moving from the plan in place to the next one loads every copy that the new plan has on a GPU and the old one does
// not (expert_bytes each; dropped copies cost nothing). A copy is fetched from a GPU of the same node that holds the
// expert in the old plan when there is one (scale-up), else from a holder on another node (scale-out); among the
// possible senders the one that has sent the fewest bytes so far on that fabric (lowest GPU on ties). A GPU's
// migration time is the larger of its scale-up and scale-out times, each the larger of the bytes it receives and
// sends over that fabric's per-GPU bandwidth; the migration takes the slowest GPU's time.
//
// Saved seconds of a window: the difference of busiest-link bytes (evaluation.hpp: dispatch; combine mirrors it, so
// x 2) between the static and the re-placed plan, over the node's scale-out bandwidth (gpus_per_node x per-GPU).
// A second, guarded policy moves only when it expects to gain: at each window boundary it re-fits as above but moves
// to the new plan only if the all-to-all seconds that plan saves over the plan in place *on the window it was fitted
// on* (an optimistic, in-sample estimate) exceed the migration seconds; otherwise the plan in place stays.
// Net benefit without overlap: saved - migration. With overlap, the migration runs while the window is served: when
// window_seconds (the wall time of serving one window) is given, only the part of the migration that does not fit in
// the scale-out links' idle time (window_seconds - the re-placed plan's all-to-all seconds) is exposed; without it
// the migration is taken to hide entirely (an upper bound, reported as such).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "placement/evaluation.hpp"
#include "placement/strategy.hpp"
#include "util/json_reader.hpp"

namespace moescope::placement {

struct DriftConfig {
  PlacementTopology topology; // slots_per_gpu 0: base slots (no redundant copies)
  std::string strategy = "joint-minmax";
  FitOptions fit;
  EvalOptions eval; // eval.window: requests homed together within a served window (0: the whole window)
  StatsOptions stats;
  std::vector<std::size_t> window_requests; // one run per window size
  std::string train_domain, serve_domain;   // both empty: time order over every request
  double expert_bytes = 0.0;                // weights of one routed expert
  double scale_up_bytes_per_s = 0.0;        // per GPU, one direction
  double scale_out_bytes_per_s = 0.0;       // per GPU, one direction
  double window_seconds = 0.0;              // wall time of serving one window (0: unknown, full overlap assumed)
  bool align = true;                        // relabel re-fitted plans to move the fewest copies
};

struct Migration {
  double copies = 0.0;          // expert copies loaded (all layers)
  double scale_up_bytes = 0.0;  // summed over receiving GPUs
  double scale_out_bytes = 0.0; // summed over receiving GPUs
  // The busiest GPU link of each fabric: the most bytes one GPU receives or sends over it.
  double busiest_scale_up_bytes = 0.0, busiest_scale_out_bytes = 0.0;
  double seconds = 0.0; // the slowest GPU's time
};

// The move from `before` to `after` (one Placement per layer each, same shape).
Migration migration_between(const std::vector<Placement>& before, const std::vector<Placement>& after,
                            std::int32_t gpus_per_node, double expert_bytes, double scale_up_bytes_per_s,
                            double scale_out_bytes_per_s);

struct DriftWindow {
  std::size_t first_request = 0; // index among the served requests
  std::size_t requests = 0;
  double traffic_tokens = 0.0; // tokens whose dispatch is counted (routing_stats.hpp: the traffic parts)
  double static_dedup_bytes = 0.0, replaced_dedup_bytes = 0.0;
  double static_busiest_link_bytes = 0.0, replaced_busiest_link_bytes = 0.0;
  double static_gpu_max_over_mean = 0.0, replaced_gpu_max_over_mean = 0.0;
  Migration migration;          // into the plan serving this window
  double saved_seconds = 0.0;   // all-to-all seconds the re-placed plan saves (negative: it costs)
  double exposed_seconds = 0.0; // migration seconds not hidden behind serving
  // The guarded policy: whether it moved before this window, its busiest-link bytes, migration and saved seconds.
  bool guarded_moved = false;
  double guarded_busiest_link_bytes = 0.0, guarded_migration_seconds = 0.0, guarded_saved_seconds = 0.0;
};

struct DriftRun {
  std::size_t window_requests = 0;
  std::size_t fit_requests = 0, served_requests = 0; // the first fit's requests; those served
  std::vector<DriftWindow> windows;
  double static_dedup_bytes = 0.0, replaced_dedup_bytes = 0.0;
  double static_busiest_link_bytes = 0.0, replaced_busiest_link_bytes = 0.0;
  double migrated_bytes = 0.0; // scale-up + scale-out
  double saved_seconds = 0.0, migration_seconds = 0.0, exposed_seconds = 0.0;
  double traffic_tokens = 0.0;
  std::size_t guarded_moves = 0;
  double guarded_busiest_link_bytes = 0.0, guarded_saved_seconds = 0.0, guarded_migration_seconds = 0.0;
  double fit_seconds = 0.0; // wall time of all the fits of this run
  double guarded_net_seconds_without_overlap() const { return guarded_saved_seconds - guarded_migration_seconds; }
  double net_seconds_without_overlap() const { return saved_seconds - migration_seconds; }
  double net_seconds_with_overlap() const { return saved_seconds - exposed_seconds; }
  // Share of the migration time that must overlap serving for re-placing to break even: 0 when it pays without
  // overlap, in (0, 1] when it pays with enough overlap, and infinity when it saves nothing to pay with.
  double break_even_overlap() const;
  // Traffic tokens a window would have to carry for the saving to pay for the migration without overlap, at the
  // same saving per token (infinity when it saves nothing).
  double break_even_tokens_per_window() const;
};

struct DriftResult {
  std::string label, model, strategy, mode; // mode: "time order" or "<train> -> <serve>"
  std::int32_t nodes = 0, gpus_per_node = 0, slots_per_gpu = 0, redundant_slots = 0;
  double bytes_per_token = 0.0, expert_bytes = 0.0, scale_up_bytes_per_s = 0.0, scale_out_bytes_per_s = 0.0;
  double window_seconds = 0.0;
  std::string expert_bytes_source, bandwidth_source; // where the figures came from, for the report
  std::string replica_rule;
  bool aligned = true;
  std::vector<DriftRun> runs;
};

// Throws InputError when the configuration does not fit the trace (unknown strategy or domain, a window size that
// leaves no served window, a topology the experts do not fill).
DriftResult run_drift(const trace::ExpertTrace& trace, const DriftConfig& config, const std::string& label);

Json drift_json(const DriftResult& r);
std::string drift_markdown(const DriftResult& r);

} // namespace moescope::placement
