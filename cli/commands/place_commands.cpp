// `moescope place ...`: expert placement and request homing strategies, compared on held-out requests of a trace.
//   place strategies                                      the registered strategies
//   place compare --trace PATH --nodes N --gpus-per-node G [--slots S | --redundant R] [--format F]
//                 [--folds F] [--test-fraction X] [--strategies a,b] [--window W] [--balance-cap C] [--a2a]
//                 [--moe-time [--system S]] [--bytes-per-token B] [-o table.md] [--csv out.csv] [--json-out out.json]
//   place drift --trace PATH --nodes N --gpus-per-node G --window W[,W...] [--strategy S] [--redundant R]
//               [--train-domain A --serve-domain B] [--system S | --scale-up-bytes-per-s X --scale-out-bytes-per-s Y]
//               [--model M | --expert-bytes B] [--window-seconds T] [-o table.md] [--json-out out.json]
#include <iostream>
#include <memory>
#include <sstream>

#include "cli_context.hpp"
#include "study/placement_drift_study.hpp"
#include "study/placement_study.hpp"
#include "util/atomic_file.hpp"
#include "util/diagnostics.hpp"
#include "util/text_table.hpp"

namespace moescope::cli {

namespace {

struct CompareArgs {
  std::string trace_path;
  trace::ImportOptions import;
  std::int32_t nodes = 0, gpus_per_node = 0, slots = 0, redundant = -1, folds = 3;
  double test_fraction = 0.2, balance_cap = 1.10, node_load_cap = 1.05, bytes_per_token = 0.0, prefix_fraction = 0.25;
  std::size_t window = 0;
  std::vector<std::string> strategies;
  bool a2a = false, no_cross = false, moe_time = false;
  std::string system = "hgx-h200";
  std::uint64_t seed = 0;
  std::string out_md, out_csv, out_json;
  std::string replica_rule = "node_cover";
};

struct DriftArgs {
  PlacementDriftStudy study;
  std::size_t batch = 0;
  double balance_cap = 1.10, node_load_cap = 1.05;
  std::uint64_t seed = 0;
  std::string replica_rule = "node_cover";
  std::string out_md, out_json;
  bool no_align = false;
};

void register_drift(CLI::App& place, CliContext& ctx) {
  auto d = std::make_shared<DriftArgs>();
  auto& s = d->study;
  auto* cmd = place.add_subcommand("drift", "Re-fit the placement every window of requests and weigh the traffic it "
                                            "saves against the expert weights it moves (vs a static placement)");
  cmd->add_option("--trace", s.trace_path, "Trace file or directory, requests in arrival order")->required();
  cmd->add_option("--format", s.import.format, "Trace format (default: detected)");
  cmd->add_option("--nodes", s.config.topology.nodes, "Nodes (scale-up domains)")->required();
  cmd->add_option("--gpus-per-node", s.config.topology.gpus_per_node, "GPUs per node")->required();
  cmd->add_option("--redundant", s.redundant, "Redundant expert slots per GPU");
  cmd->add_option("--strategy", s.config.strategy, "Placement strategy (moescope place strategies)");
  cmd->add_option("--window", s.window_requests,
                  "Requests per window: re-fit every W requests (a list runs "
                  "each)")
      ->required()
      ->delimiter(',');
  cmd->add_option("--train-domain", s.config.train_domain, "Domain shift: fit on this domain's requests ...");
  cmd->add_option("--serve-domain", s.config.serve_domain, "... and serve this one's (default: time order)");
  cmd->add_option("--system", s.system, "hwdb system whose per-GPU scale-up and scale-out bandwidths move weights");
  cmd->add_option("--scale-up-bytes-per-s", s.config.scale_up_bytes_per_s,
                  "Per-GPU scale-up bandwidth (overrides "
                  "--system)");
  cmd->add_option("--scale-out-bytes-per-s", s.config.scale_out_bytes_per_s,
                  "Per-GPU scale-out bandwidth (overrides --system)");
  cmd->add_option("--model", s.model, "Catalog model whose expert size is moved (default: the trace's model)");
  cmd->add_option("--expert-bytes", s.config.expert_bytes, "Weight bytes of one expert (overrides --model)");
  cmd->add_option("--window-seconds", s.config.window_seconds,
                  "Wall time of serving one window: the migration hides in the links' idle time (default: fully)");
  cmd->add_option("--bytes-per-token", s.bytes_per_token, "Dispatch bytes per token row (default: from the model)");
  cmd->add_option("--batch", d->batch, "Requests homed together within a window (default: the whole window)");
  cmd->add_option("--balance-cap", d->balance_cap, "Homing: tokens per node <= cap x mean");
  cmd->add_option("--node-load-cap", d->node_load_cap, "Placement: expert load per node <= cap x mean");
  cmd->add_option("--seed", d->seed, "K-means seed");
  cmd->add_option("--replica-rule", d->replica_rule, "Which copy of an expert a token uses")
      ->check(CLI::IsMember(replica_choice_names()));
  cmd->add_flag("--no-align", d->no_align, "Keep re-fitted plans as fitted (do not relabel nodes and GPUs)");
  cmd->add_option("-o,--output", d->out_md, "Write the Markdown table here");
  cmd->add_option("--json-out", d->out_json, "Write the JSON (every window) here");
  cmd->callback([&ctx, d] {
    PlacementDriftStudy study = d->study;
    study.config.eval.window = d->batch;
    study.config.eval.replica_rule = parse_replica_choice(d->replica_rule);
    study.config.fit.balance_cap = d->balance_cap;
    study.config.fit.node_load_cap = d->node_load_cap;
    study.config.fit.seed = d->seed;
    study.config.align = !d->no_align;
    const auto res = run_placement_drift_study(ctx.session(), study);
    const std::string md = placement::drift_markdown(res);
    const Json j = placement::drift_json(res);
    std::vector<std::pair<std::string, std::string>> outputs;
    if (!d->out_md.empty()) outputs.emplace_back(d->out_md, md);
    if (!d->out_json.empty()) outputs.emplace_back(d->out_json, j.dump(2) + "\n");
    write_files_atomically(outputs);
    ctx.emit(j, [&] { std::cout << md; });
  });
}

} // namespace

void register_place_commands(CLI::App& app, CliContext& ctx) {
  auto* place = app.add_subcommand("place", "Expert placement and request homing: strategies and their comparison");
  place->require_subcommand(1);

  auto* list = place->add_subcommand("strategies", "List the placement strategies");
  list->callback([&ctx] {
    Json j = Json::array();
    for (const auto& s : placement::placement_strategies())
      j.push_back({{"name", s->name()}, {"description", s->description()}});
    ctx.emit(j, [&] {
      TextTable t({"strategy", "description"});
      for (const auto& s : placement::placement_strategies())
        t.add_row({s->name(), s->description()});
      std::cout << t.render();
    });
  });

  auto a = std::make_shared<CompareArgs>();
  auto* cmp = place->add_subcommand("compare", "Fit every strategy on training requests of a trace and compare them "
                                               "on held-out requests (ratios to linear)");
  cmp->add_option("--trace", a->trace_path, "Trace file or directory (any importer format or .mst)")->required();
  cmp->add_option("--format", a->import.format, "Trace format (default: detected)");
  cmp->add_option("--max-requests", a->import.max_requests, "Import at most this many requests per domain");
  cmp->add_option("--nodes", a->nodes, "Nodes (scale-up domains)")->required();
  cmp->add_option("--gpus-per-node", a->gpus_per_node, "GPUs per node")->required();
  cmp->add_option("--slots", a->slots, "Expert slots per GPU including redundant ones (default: experts / GPUs)");
  cmp->add_option("--redundant", a->redundant, "Redundant slots per GPU for the second run (default: from --slots)");
  cmp->add_option("--folds", a->folds, "Held-out splits (seeds seed..seed+folds-1)");
  cmp->add_option("--test-fraction", a->test_fraction, "Share of each domain's requests held out");
  cmp->add_option("--seed", a->seed, "Split and K-means seed");
  cmp->add_option("--strategies", a->strategies, "Strategies to run (default: all; linear is always run)")
      ->delimiter(',');
  cmp->add_option("--window", a->window, "Requests homed together per batch (default: all held-out requests)");
  cmp->add_option("--balance-cap", a->balance_cap, "Homing: tokens per node <= cap x mean");
  cmp->add_option("--node-load-cap", a->node_load_cap, "Placement: expert load per node <= cap x mean");
  cmp->add_option("--prefix-fraction", a->prefix_fraction, "Homing part of prefill-only requests");
  cmp->add_option("--bytes-per-token", a->bytes_per_token, "Dispatch bytes per token row (default: from the model)");
  cmp->add_flag("--a2a", a->a2a,
                "Also compute all-to-all time through the network model (DeepEP normal and low-latency)");
  cmp->add_flag("--moe-time", a->moe_time,
                "Also time the MoE layer: routed experts on the slowest GPU through the compute model, plus the "
                "all-to-all (implies --a2a); the fastest strategy is named the winner");
  cmp->add_option("--system", a->system, "hwdb system whose accelerator times the experts (with --moe-time)");
  cmp->add_option("--replica-rule", a->replica_rule,
                  "Which copy of an expert a token uses (node_cover: fewest nodes; same_node_first: the old rule)")
      ->check(CLI::IsMember(replica_choice_names()));
  cmp->add_flag("--no-cross-domain", a->no_cross, "Skip the cross-domain runs");
  cmp->add_option("-o,--output", a->out_md, "Write the Markdown table here");
  cmp->add_option("--csv", a->out_csv, "Write the CSV here");
  cmp->add_option("--json-out", a->out_json, "Write the JSON here");
  cmp->callback([&ctx, a] {
    PlacementStudy study;
    study.trace_path = a->trace_path;
    study.import = a->import;
    study.slots = a->slots;
    study.redundant = a->redundant;
    study.bytes_per_token = a->bytes_per_token;
    placement::ExperimentConfig& cfg = study.config;
    cfg.topology.nodes = a->nodes;
    cfg.topology.gpus_per_node = a->gpus_per_node;
    cfg.folds = a->folds;
    cfg.test_fraction = a->test_fraction;
    cfg.seed = a->seed;
    cfg.cross_domain = !a->no_cross;
    cfg.strategies = a->strategies;
    cfg.fit.balance_cap = a->balance_cap;
    cfg.fit.node_load_cap = a->node_load_cap;
    cfg.fit.seed = a->seed;
    cfg.stats.prefix_fraction = a->prefix_fraction;
    cfg.eval.window = a->window;
    cfg.eval.all_to_all_time = a->a2a;
    cfg.eval.replica_rule = parse_replica_choice(a->replica_rule);
    if (a->moe_time) study.moe_time_system = a->system;
    const auto res = run_placement_study(study, &ctx.session());
    const std::string md = placement::experiment_markdown(res);
    const Json j = placement::experiment_json(res);
    std::vector<std::pair<std::string, std::string>> outputs;
    if (!a->out_md.empty()) outputs.emplace_back(a->out_md, md);
    if (!a->out_csv.empty()) outputs.emplace_back(a->out_csv, placement::experiment_csv(res));
    if (!a->out_json.empty()) outputs.emplace_back(a->out_json, j.dump(2) + "\n");
    write_files_atomically(outputs);
    ctx.emit(j, [&] { std::cout << md; });
  });

  register_drift(*place, ctx);
}

} // namespace moescope::cli
