// `moescope validate SUITE.json... [--mode calibrated|speed-of-light|both] [--summary] [--fit DEVICE...]`:
// predicts every case of the suites, prints per-case predicted, measured and error and a summary for calibration
// and held-out rows (docs/validation-format.md). --fit refits the compute calibration of DEVICE on the suites'
// calibration rows of compute operations (is_compute_operation: not nccl_*/deepep_*) and writes
// hwdb/calibrations/DEVICE-compute.json before validating.
#include "cli_context.hpp"
#include "study/validation_study.hpp"
#include "util/name_style.hpp"

namespace moescope::cli {

void register_validate_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("validate",
                                 "Compare model predictions with measured kernels and collectives (validation suites)");
  auto files = std::make_shared<std::vector<std::string>>();
  auto mode = std::make_shared<std::string>("calibrated");
  auto summary_only = std::make_shared<bool>(false);
  auto fit_devices = std::make_shared<std::vector<std::string>>();
  cmd->add_option("suites", *files, "Validation suite JSON files (see docs/validation-format.md)")->required();
  cmd->add_option("--mode", *mode, "Time model: calibrated, speed-of-light or both")
      ->transform([](const std::string& typed) { return canonical_name(typed); }) // speed_of_light: the 0.1 spelling
      ->check(CLI::IsMember({"calibrated", "speed-of-light", "both"}));
  cmd->add_flag("--summary", *summary_only, "Print only the summaries, not every case");
  cmd->add_option("--fit", *fit_devices,
                  "Refit the compute calibration of this accelerator on the calibration rows and write "
                  "hwdb/calibrations/<accelerator>-compute.json first (repeatable)")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->callback([&ctx, files, mode, summary_only, fit_devices] {
    ValidationStudy study;
    study.suite_files = *files;
    study.modes.clear();
    if (*mode == "both" || *mode == "speed-of-light") study.modes.push_back(TimeModelMode::speed_of_light);
    if (*mode == "both" || *mode == "calibrated") study.modes.push_back(TimeModelMode::calibrated);
    study.keep_cases = !*summary_only;
    study.fit_devices = *fit_devices;
    const ValidationOutcome out = run_validation_study(ctx.session(), study);
    if (!ctx.json)
      for (const auto& line : out.fits)
        std::cout << line << "\n";
    ctx.emit(out.json, [&] { std::cout << out.text; });
  });
}

} // namespace moescope::cli
