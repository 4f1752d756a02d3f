// `moescope calibrate INPUT.json... --device NAME [-o OUT.json] [--holdout-every N]`: fits the compute calibration of
// one accelerator on the calibration rows of CUDA measurement files (validation/cuda, docs/cuda-microbenchmarks.md)
// and validation suites (docs/validation-format.md), writes it atomically with its provenance (default
// hwdb/calibrations/<device>-compute.json under the data directory, where `moescope validate` reads it) and prints
// the error of the default calibration, of the installed one and of the fitted one, on the calibration rows and,
// apart, on the held-out rows. Documented in docs/calibration.md.
#include "cli_context.hpp"
#include "study/calibration_study.hpp"
#include "util/text_table.hpp"

namespace moescope::cli {

namespace {

// `path` relative to the data root when it lies below it (provenance that does not depend on the checkout).
std::string summary_cell(const ErrorSummary& s) {
  if (s.count == 0) return "-";
  return std::to_string(s.count) + ": " + format_fixed(s.mape_percent, 1) + "% / " +
         format_fixed(s.median_abs_percent, 1) + "% / " + format_fixed(s.max_abs_percent, 1) + "%";
}

std::string counts_text(const std::map<std::string, std::size_t>& m) {
  std::string s;
  for (const auto& [k, n] : m)
    s += (s.empty() ? "" : ", ") + k + " " + std::to_string(n);
  return s;
}

} // namespace

void register_calibrate_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("calibrate",
                                 "Fit an accelerator's compute calibration on CUDA measurements or validation suites");
  auto files = std::make_shared<std::vector<std::string>>();
  auto device = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>();
  auto holdout_every = std::make_shared<int>(4);
  auto operations = std::make_shared<std::vector<std::string>>();
  cmd->add_option("inputs", *files,
                  "CUDA measurement files (moescope_cuda_bench) or validation suites, detected by content")
      ->required();
  cmd->add_option("--device", *device, "hwdb accelerator to calibrate (the GPU the CUDA files measured)")->required();
  cmd->add_option("-o,--output", *output,
                  "Calibration file to write (default: hwdb/calibrations/<device>-compute.json)");
  cmd->add_option("--holdout-every", *holdout_every,
                  "CUDA files: hold out every Nth converted case of each operation (default 4; 1 = no hold-out)")
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--operation", *operations,
                  "Fit and evaluate only cases of this validation operation (gemm, grouped_gemm, ...; repeatable)");
  cmd->callback([&ctx, files, device, output, holdout_every, operations] {
    CalibrationStudy study;
    study.files = *files;
    study.device = *device;
    study.output = *output;
    study.holdout_every = *holdout_every;
    study.operations = *operations;
    const CalibrationOutcome outcome = run_calibration_study(ctx.session(), study);
    const CalibrateResult& r = outcome.result;
    const std::vector<CalibrationInput>& inputs = outcome.inputs;
    const std::string& path = outcome.output;
    Json out = {{"device", r.device},
                {"output", path},
                {"inputs", r.fitted.fit["inputs"]},
                {"cases", r.cases.size()},
                {"calibration_cases", r.calibration_cases},
                {"holdout_cases", r.holdout_cases},
                {"excluded_cases", r.excluded_cases},
                {"cases_by_operation", r.cases_by_operation},
                {"ignored_cases_by_operation", r.ignored_by_operation},
                {"errors",
                 {{"default", split_errors_to_json(r.before)},
                  {"installed", r.installed ? split_errors_to_json(*r.installed) : Json(nullptr)},
                  {"fitted", split_errors_to_json(r.after)}}},
                {"installed_file", r.installed_file.empty() ? Json(nullptr) : Json(r.installed_file)},
                {"calibration", compute_calibration_to_json(r.fitted)}};
    ctx.emit(out, [&] {
      std::cout << "calibrate " << r.device << ": " << r.cases.size() << " cases (" << r.calibration_cases
                << " calibration, " << r.holdout_cases << " held out"
                << (r.excluded_cases ? ", " + std::to_string(r.excluded_cases) + " excluded" : "")
                << "): " << counts_text(r.cases_by_operation) << "\n";
      if (!r.ignored_by_operation.empty())
        std::cout << "  not used (network or not selected): " << counts_text(r.ignored_by_operation) << "\n";
      for (std::size_t i = 0; i < inputs.size(); ++i) {
        const auto& in = inputs[i];
        const std::size_t n = r.fitted.fit["inputs"][i].value("cases", std::size_t{0});
        std::cout << "  " << in.file << " (" << (in.cuda ? "CUDA measurements" : "validation suite") << "): " << n
                  << " cases of " << r.device;
        if (in.cuda) {
          const auto& c = *in.cuda;
          std::size_t unmapped = 0;
          for (const auto& [k, v] : c.unmapped)
            unmapped += v;
          std::cout << " out of " << c.total_cases << " measured on " << c.gpu_name << " (" << c.date_utc << ")"
                    << (c.complete ? "" : ", INCOMPLETE run") << "; skipped: " << c.errored_cases << " with an error"
                    << (c.errors_by_kind.empty() ? "" : " (" + counts_text(c.errors_by_kind) + ")") << ", " << unmapped
                    << " without a compute predictor"
                    << (c.unmapped.empty() ? "" : " (" + counts_text(c.unmapped) + ")");
          std::size_t not_modeled = 0;
          for (const auto& [k, v] : c.not_modeled)
            not_modeled += v;
          std::cout << ", " << not_modeled << " with no compute-model counterpart"
                    << (c.not_modeled.empty() ? "" : " (" + counts_text(c.not_modeled) + ")");
          if (c.grouped_as_single_kernel)
            std::cout << "; " << c.grouped_as_single_kernel
                      << " grouped_gemm cases (one kernel per expert) predicted as one grouped kernel";
        }
        std::cout << "\n";
      }
      std::cout << "\nabsolute error (cases: MAPE / median / max)\n";
      const bool excl = r.excluded_cases > 0;
      std::vector<std::string> header = {"parameters", "calibration rows", "held-out rows"};
      if (excl) header.push_back("excluded rows");
      TextTable t(header);
      auto row = [&](const std::string& label, const SplitErrors& e) {
        std::vector<std::string> cells = {label, summary_cell(e.calibration), summary_cell(e.holdout)};
        if (excl) cells.push_back(summary_cell(e.excluded));
        t.add_row(cells);
      };
      row("default (built-in)", r.before);
      if (r.installed) row("installed (" + data_relative(ctx.session(), r.installed_file) + ")", *r.installed);
      row("fitted", r.after);
      std::cout << t.render({1, 2, 3});
      std::cout << "\nwrote " << path << "\n";
    });
  });
}

} // namespace moescope::cli
