#pragma once
// Fit-on-train, evaluate-on-held-out comparison of placement strategies on one trace and topology.
//  - held-out: `folds` splits by trace::split_requests(trace, test_fraction, seed + f) (within each domain, requests
//    ordered by a hash of (seed, request id); the first round(test_fraction x n) are held out); each strategy is fitted
//    on the training requests and evaluated on the held-out ones; the metrics are summed over folds;
//  - cross-domain (traces with two or more domains): for each domain D, fit on D's requests and evaluate on all others.
// Each strategy runs without redundant slots, and again with `redundant_slots` per GPU when that is > 0.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "placement/evaluation.hpp"
#include "util/json_reader.hpp"

namespace moescope::placement {

struct ExperimentConfig {
  PlacementTopology topology;       // slots_per_gpu ignored: base slots (+ redundant_slots for the second run)
  std::int32_t redundant_slots = 0; // extra slots per GPU for the second run (0: none)
  FitOptions fit;
  EvalOptions eval;
  StatsOptions stats;
  double test_fraction = 0.2;
  std::int32_t folds = 3;
  std::uint64_t seed = 0;
  bool cross_domain = true;
  std::vector<std::string> strategies; // empty: all registered
  // Called after each fit and evaluation with the fits done and the fits to do (folds and cross-domain splits x
  // redundancy runs x strategies); it may throw to stop the experiment (e.g. a front end's Cancel).
  std::function<void(std::size_t done, std::size_t total)> progress;
};

struct ExperimentRow {
  std::string split; // "held-out" or "cross:<train domain>-><others>"
  std::string strategy;
  std::int32_t redundant_slots = 0;
  PlanMetrics metrics;      // summed over folds
  double fit_seconds = 0.0; // mean per fit
  std::int32_t fits = 0;
};

struct ExperimentResult {
  std::string label;
  std::string model;
  std::int32_t nodes = 0, gpus_per_node = 0, experts = 0, layers = 0, top_k = 0, folds = 0;
  std::size_t requests = 0;
  double bytes_per_token = 0.0;
  std::string replica_rule;         // the evaluation's replica rule ("": each placement's own)
  std::string expert_compute_model; // what timed the routed experts ("": not timed)
  std::vector<ExperimentRow> rows;
  const ExperimentRow* find(const std::string& split, const std::string& strategy, std::int32_t redundant) const;
  // The linear row without redundancy of the same split (the baseline of every ratio).
  const ExperimentRow* baseline(const std::string& split) const { return find(split, "linear", 0); }
};

// Throws InputError when the topology does not fit the trace (e.g. more GPUs than experts x slots).
ExperimentResult run_experiment(const trace::ExpertTrace& trace, const ExperimentConfig& config,
                                const std::string& label);

// Renderings (ratios are to linear without redundant slots on the same split).
Json experiment_json(const ExperimentResult& r);
std::string experiment_markdown(const ExperimentResult& r);
std::string experiment_csv(const ExperimentResult& r, bool header = true);

// Dispatch bytes per token row for a model name (hidden size x 1 byte, FP8 dispatch): DeepSeek-V2-Lite 2048,
// Llama 4 Maverick 5120, DeepSeek-V3 7168, else 4096.
double default_bytes_per_token(const std::string& model);

} // namespace moescope::placement
