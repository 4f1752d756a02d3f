#include "accuracy/calibrate.hpp"

#include <chrono>
#include <cmath>
#include <ctime>
#include <set>

#include "hw/hardware_database.hpp"

namespace moescope {

CalibrationInput read_calibration_input(const Json& json, const std::string& file, const std::string& device,
                                        int holdout_every, Diagnostics& diagnostics) {
  CalibrationInput in;
  in.file = file;
  if (is_cuda_measurement_json(json)) {
    in.kind = "cuda_measurements";
    CudaConversionOptions o;
    o.device = device;
    o.holdout_every = holdout_every;
    in.cuda = read_cuda_measurements(json, file, o, diagnostics);
    in.suite = in.cuda->suite;
    in.suite.file = file;
    if (in.suite.name.empty()) in.suite.name = file;
  } else {
    in.kind = "validation_suite";
    in.suite = read_validation_suite(json, file, diagnostics);
    in.suite.file = file;
  }
  return in;
}

CalibrationInput load_calibration_input(const std::string& path, const std::string& device, int holdout_every) {
  Diagnostics d;
  CalibrationInput in;
  in.file = path;
  if (auto json = read_json_file(path, d)) in = read_calibration_input(*json, path, device, holdout_every, d);
  d.throw_if_any();
  return in;
}

SplitErrors evaluate_compute_calibration(const std::vector<const ValidationCase*>& cases, const HardwareDatabase& hwdb,
                                         const ComputeCalibration& calibration) {
  PredictionContext ctx;
  ctx.hwdb = &hwdb;
  ctx.mode = TimeModelMode::calibrated;
  std::vector<double> cal, hold, excl, all;
  for (const auto* c : cases) {
    const OperationPredictor* p = find_operation_predictor(c->operation);
    if (!p) throw InputError(c->suite_file, c->pointer + "/operation", "unknown operation \"" + c->operation + "\"");
    ctx.compute_calibrations[c->device] = calibration;
    ctx.compute_calibrations[c->device].accelerator = c->device;
    const double predicted = p->predict(*c, ctx);
    const double a = std::fabs(predicted - c->measured) / c->measured * 100.0;
    (c->split == CaseSplit::calibration ? cal : c->split == CaseSplit::excluded ? excl : hold).push_back(a);
    if (c->split != CaseSplit::excluded) all.push_back(a);
  }
  return {summarize_errors(cal), summarize_errors(hold), summarize_errors(excl), summarize_errors(all)};
}

bool is_compute_operation(const std::string& operation) {
  return operation.rfind("nccl_", 0) != 0 && operation.rfind("deepep_", 0) != 0;
}

Json split_errors_to_json(const SplitErrors& e) {
  return {{"calibration", error_summary_to_json(e.calibration)},
          {"holdout", error_summary_to_json(e.holdout)},
          {"excluded", error_summary_to_json(e.excluded)},
          {"all", error_summary_to_json(e.all)}};
}

namespace {
std::string utc_now() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}
} // namespace

CalibrateResult calibrate_compute(const std::vector<CalibrationInput>& inputs, const HardwareDatabase& hwdb,
                                  const CalibrateOptions& options) {
  CalibrateResult r;
  r.device = options.device;
  if (!hwdb.accelerators().count(options.device)) {
    std::vector<std::string> known;
    for (const auto& [name, a] : hwdb.accelerators())
      known.push_back(name);
    throw InputError("", "--device", unknown_name_message("accelerator", options.device, known));
  }
  auto used = [&](const ValidationCase& c) {
    return is_compute_operation(c.operation) && (options.operations.empty() || options.operations.count(c.operation));
  };
  std::set<std::string> other_devices;
  std::vector<const ValidationCase*> cal;
  for (const auto& in : inputs)
    for (const auto& c : in.suite.cases) {
      if (c.device != options.device) {
        other_devices.insert(c.device);
        continue;
      }
      if (!used(c)) {
        ++r.ignored_by_operation[c.operation];
        continue;
      }
      r.cases.push_back(&c);
      ++r.cases_by_operation[c.operation];
      if (c.split == CaseSplit::calibration) {
        cal.push_back(&c);
        ++r.calibration_cases;
      } else if (c.split == CaseSplit::excluded) {
        ++r.excluded_cases;
      } else {
        ++r.holdout_cases;
      }
    }
  if (cal.empty()) {
    std::string devices;
    for (const auto& d : other_devices)
      devices += (devices.empty() ? "" : ", ") + d;
    std::string ops, ignored;
    for (const auto& o : options.operations)
      ops += (ops.empty() ? "" : ", ") + o;
    for (const auto& [o, n] : r.ignored_by_operation)
      ignored += (ignored.empty() ? "" : ", ") + o + " " + std::to_string(n);
    throw InputError(
        inputs.empty() ? "" : inputs.front().file, "",
        "no calibration row for device \"" + options.device + "\"" +
            (ops.empty() ? std::string() : " and operations " + ops) + " in the inputs" +
            (devices.empty() ? std::string() : " (they measure: " + devices + ")") +
            (r.ignored_by_operation.empty()
                 ? std::string()
                 : "; not used: " + ignored +
                       " (network operations are calibrated by validation/scripts/fit_network_calibration.py, "
                       "not by moescope calibrate)"));
  }

  ComputeCalibration start = default_compute_calibration();
  start.accelerator = options.device;
  r.before = evaluate_compute_calibration(r.cases, hwdb, start);
  if (!options.hwdb_dir.empty()) {
    const std::string path = compute_calibration_path(options.hwdb_dir, options.device);
    ComputeCalibration installed = find_compute_calibration(options.hwdb_dir, options.device);
    if (!installed.file.empty()) {
      r.installed_file = path;
      r.installed = evaluate_compute_calibration(r.cases, hwdb, installed);
    }
  }
  r.fitted = fit_compute_calibration(options.device, cal, hwdb, start, options.fit);
  r.after = evaluate_compute_calibration(r.cases, hwdb, r.fitted);

  Json in_json = Json::array();
  for (const auto& in : inputs) {
    std::size_t n = 0, nc = 0, nx = 0;
    for (const auto& c : in.suite.cases)
      if (c.device == options.device && used(c)) {
        ++n;
        nc += c.split == CaseSplit::calibration;
        nx += c.split == CaseSplit::excluded;
      }
    Json j = {{"file", in.file},     {"kind", in.kind},         {"name", in.suite.name},
              {"cases", n},          {"calibration_cases", nc}, {"holdout_cases", n - nc - nx},
              {"excluded_cases", nx}};
    if (in.cuda) j["cuda"] = cuda_conversion_summary_to_json(*in.cuda);
    in_json.push_back(j);
  }
  Json& fit = r.fitted.fit;
  fit["date_utc"] = utc_now();
  fit["inputs"] = in_json;
  fit["split_rule"] = "fitted on the calibration rows only; validation suites keep their own split; CUDA measurement "
                      "files: converted case i of each operation (file order) is held out when i % " +
                      std::to_string(options.holdout_every) + " == " + std::to_string(options.holdout_every - 1);
  if (!options.operations.empty()) fit["operations"] = options.operations;
  fit["calibration_cases"] = r.calibration_cases;
  fit["holdout_cases"] = r.holdout_cases;
  fit["excluded_cases"] = r.excluded_cases;
  if (!r.ignored_by_operation.empty()) fit["ignored_cases_by_operation"] = r.ignored_by_operation;
  fit["errors_default"] = split_errors_to_json(r.before);
  fit["errors_fitted"] = split_errors_to_json(r.after);
  fit["holdout_mape_percent_before"] = r.before.holdout.mape_percent;
  fit["holdout_mape_percent_after"] = r.after.holdout.mape_percent;
  return r;
}

Json calibration_file_json(const CalibrateResult& r, const std::string& generated_by) {
  Json j = compute_calibration_to_json(r.fitted);
  j["generated_by"] = generated_by;
  return j;
}

} // namespace moescope
