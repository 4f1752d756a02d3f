// `moescope eval SCENARIO [-o REPORT.json]`.
#include "cli_context.hpp"
#include "util/atomic_file.hpp"

namespace moescope::cli {

void register_eval_command(CLI::App& app, CliContext& ctx) {
  auto* eval = app.add_subcommand("eval", "Evaluate a scenario file: memory, time and traffic per GPU");
  auto scenario_path = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>();
  eval->add_option("scenario", *scenario_path, "Scenario JSON (see docs/scenario-format.md)")->required();
  eval->add_option("-o,--output", *output, "Write the JSON report here (atomically)");
  eval->callback([&ctx, scenario_path, output] {
    const Evaluation evaluation = ctx.session().evaluate_file(*scenario_path);
    const Scenario& scenario = evaluation.scenario.scenario;
    const EvalReport report = evaluation.report();
    if (!output->empty()) write_file_atomically(*output, report.json.dump(2) + "\n");
    ctx.emit(report.json, [&] {
      std::cout << "Scenario " << scenario.name << (scenario.description.empty() ? "" : ": " + scenario.description)
                << "\n\n"
                << report.text;
    });
  });
}

} // namespace moescope::cli
