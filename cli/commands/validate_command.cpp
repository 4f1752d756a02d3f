// `moescope validate SUITE.json... [--mode calibrated|speed_of_light|both] [--summary] [--fit DEVICE...]`:
// predicts every case of the suites, prints per-case predicted, measured and error and a summary for calibration
// and held-out rows (docs/validation-format.md). --fit refits the compute calibration of DEVICE on the suites'
// calibration rows of compute operations (is_compute_operation: not nccl_*/deepep_*) and writes
// hwdb/calibrations/DEVICE-compute.json before validating.
#include <filesystem>
#include <set>

#include "cli_context.hpp"
#include "compute/calibration.hpp"
#include "util/data_paths.hpp"
#include "validation/calibrate.hpp"
#include "validation/compute_calibration_fit.hpp"
#include "validation/validation_run.hpp"

namespace moescope::cli {

void register_validate_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("validate",
                                 "Compare model predictions with measured kernels and collectives (validation suites)");
  auto files = std::make_shared<std::vector<std::string>>();
  auto mode = std::make_shared<std::string>("calibrated");
  auto summary_only = std::make_shared<bool>(false);
  auto fit_devices = std::make_shared<std::vector<std::string>>();
  cmd->add_option("suites", *files, "Validation suite JSON files (see docs/validation-format.md)")->required();
  cmd->add_option("--mode", *mode, "Time model: calibrated, speed_of_light or both")
      ->check(CLI::IsMember({"calibrated", "speed_of_light", "both"}));
  cmd->add_flag("--summary", *summary_only, "Print only the summaries, not every case");
  cmd->add_option("--fit", *fit_devices,
                  "Refit the compute calibration of this accelerator on the calibration rows and write "
                  "hwdb/calibrations/<accelerator>-compute.json first (repeatable)")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->callback([&ctx, files, mode, summary_only, fit_devices] {
    auto hwdb = HardwareDatabase::load_or_throw(hwdb_dir());
    std::vector<ValidationSuite> suites;
    Diagnostics problems;
    for (const auto& f : *files) { // every problem of every suite, at once
      auto json = read_json_file(f, problems);
      if (json) suites.push_back(read_validation_suite(*json, f, problems));
    }
    // A case names an accelerator, or a system for multi-GPU cases.
    std::vector<std::string> known, known_devices;
    for (const auto& [name, a] : hwdb.accelerators())
      known.push_back(name);
    known_devices = known;
    for (const auto& [name, sys] : hwdb.systems())
      known_devices.push_back(name);
    for (const auto& s : suites)
      for (const auto& c : s.cases)
        if (!hwdb.accelerators().count(c.device) && !hwdb.systems().count(c.device))
          problems.add(s.file, c.pointer + "/device",
                       unknown_name_message("accelerator or system", c.device, known_devices));
    problems.throw_if_any();

    Json fits = Json::array();
    for (const auto& device : *fit_devices) {
      if (!hwdb.accelerators().count(device))
        throw InputError("", "--fit", unknown_name_message("accelerator", device, known));
      std::vector<const ValidationCase*> cal;
      for (const auto& s : suites)
        for (const auto& c : s.cases)
          // Compute cases only: nccl_*/deepep_* rows are predicted by the network model and its own calibration.
          if (c.split == CaseSplit::calibration && c.device == device && is_compute_operation(c.operation))
            cal.push_back(&c);
      ComputeCalibration start = default_compute_calibration();
      start.accelerator = device;
      ComputeCalibration fitted = fit_compute_calibration(device, cal, hwdb, start);
      // Suite paths relative to the repository root where possible.
      for (auto& p : fitted.fitted_on) {
        std::error_code ec;
        auto rel =
            std::filesystem::relative(std::filesystem::absolute(p.suite), std::filesystem::absolute(data_root()), ec);
        if (!ec && !rel.empty() && rel.string().rfind("..", 0) != 0) p.suite = rel.generic_string();
      }
      fitted.note = "fitted by `moescope validate --fit " + device +
                    "` on the calibration rows of the suites listed in fitted_on";
      const std::string path = compute_calibration_path(hwdb_dir(), device);
      std::filesystem::create_directories(std::filesystem::path(path).parent_path());
      write_compute_calibration(fitted, path);
      fits.push_back({{"accelerator", device}, {"file", path}, {"fit", fitted.fit}});
      if (!ctx.json)
        std::cout << "fitted " << device << " on " << cal.size() << " calibration rows -> " << path << " (MAPE "
                  << fitted.fit.value("mape_percent_before", 0.0) << "% -> "
                  << fitted.fit.value("mape_percent_after", 0.0) << "%)\n";
    }

    std::vector<TimeModelMode> modes;
    if (*mode == "both" || *mode == "speed_of_light") modes.push_back(TimeModelMode::speed_of_light);
    if (*mode == "both" || *mode == "calibrated") modes.push_back(TimeModelMode::calibrated);
    Json out = {{"suites", Json::array()}, {"fits", fits}};
    std::string text;
    for (TimeModelMode m : modes) {
      PredictionContext pc;
      pc.hwdb = &hwdb;
      pc.mode = m;
      pc.hwdb_dir = hwdb_dir();
      for (const auto& s : suites) {
        SuiteResult r = run_validation_suite(s, pc);
        Json j = suite_result_to_json(r);
        if (*summary_only) j.erase("cases");
        out["suites"].push_back(j);
        text += render_suite_result(r, !*summary_only) + "\n";
      }
    }
    ctx.emit(out, [&] { std::cout << text; });
  });
}

} // namespace moescope::cli
