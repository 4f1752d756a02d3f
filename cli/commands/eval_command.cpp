// `moescope eval SCENARIO [-o REPORT.json]`.
#include "cli_context.hpp"
#include "model/model_catalog.hpp"
#include "report/eval_report.hpp"
#include "util/atomic_file.hpp"
#include "util/data_paths.hpp"

namespace moescope::cli {

void register_eval_command(CLI::App& app, CliContext& ctx) {
  auto* eval = app.add_subcommand("eval", "Evaluate a scenario file: memory, time and traffic per GPU");
  auto scenario_path = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>();
  eval->add_option("scenario", *scenario_path, "Scenario JSON (see docs/scenario-format.md)")->required();
  eval->add_option("-o,--output", *output, "Write the JSON report here (atomically)");
  eval->callback([&ctx, scenario_path, output] {
    Scenario scenario = load_scenario_file(*scenario_path);
    auto hwdb = HardwareDatabase::load_or_throw(hwdb_dir());
    auto catalog = ModelCatalog::load_or_throw(model_catalog_dir());
    ResolvedScenario resolved = resolve_scenario(scenario, hwdb, catalog);
    EvalReport report = evaluate_scenario(resolved);
    if (!output->empty()) write_file_atomically(*output, report.json.dump(2) + "\n");
    ctx.emit(report.json, [&] {
      std::cout << "Scenario " << scenario.name << (scenario.description.empty() ? "" : ": " + scenario.description)
                << "\n\n"
                << report.text;
    });
  });
}

} // namespace moescope::cli
