// `moescope place ...`: expert placement and request homing strategies, compared on held-out requests of a trace.
//   place strategies                                      the registered strategies
//   place compare --trace PATH --nodes N --gpus-per-node G [--slots S | --redundant R] [--format F]
//                 [--folds F] [--test-fraction X] [--strategies a,b] [--window W] [--balance-cap C] [--a2a]
//                 [--bytes-per-token B] [-o table.md] [--csv out.csv] [--json-out out.json]
#include <iostream>
#include <memory>
#include <sstream>

#include "cli_context.hpp"
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
  bool a2a = false, no_cross = false;
  std::uint64_t seed = 0;
  std::string out_md, out_csv, out_json;
  std::string replica_rule = "node_cover";
};

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
    const auto res = run_placement_study(study);
    const std::string md = placement::experiment_markdown(res);
    const Json j = placement::experiment_json(res);
    std::vector<std::pair<std::string, std::string>> outputs;
    if (!a->out_md.empty()) outputs.emplace_back(a->out_md, md);
    if (!a->out_csv.empty()) outputs.emplace_back(a->out_csv, placement::experiment_csv(res));
    if (!a->out_json.empty()) outputs.emplace_back(a->out_json, j.dump(2) + "\n");
    write_files_atomically(outputs);
    ctx.emit(j, [&] { std::cout << md; });
  });
}

} // namespace moescope::cli
