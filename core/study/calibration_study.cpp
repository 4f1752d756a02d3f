#include "study/calibration_study.hpp"

#include <filesystem>

#include "accuracy/operation_predictor.hpp"
#include "compute/calibration.hpp"
#include "util/atomic_file.hpp"

namespace moescope {

std::string data_relative(const Session& session, const std::string& path) {
  std::error_code ec;
  auto rel =
      std::filesystem::relative(std::filesystem::absolute(path), std::filesystem::absolute(session.data_root()), ec);
  if (ec || rel.empty() || rel.string().rfind("..", 0) == 0) return path;
  return rel.generic_string();
}

CalibrationOutcome run_calibration_study(Session& session, const CalibrationStudy& study) {
  CalibrationOutcome out;
  const auto hwdb_ptr = session.hwdb();
  const HardwareDatabase& hwdb = *hwdb_ptr;
  if (!hwdb.accelerators().count(study.device)) {
    std::vector<std::string> known;
    for (const auto& [name, a] : hwdb.accelerators())
      known.push_back(name);
    throw InputError("", "--device", unknown_name_message("accelerator", study.device, known));
  }
  std::vector<CalibrationInput>& inputs = out.inputs;
  Diagnostics problems;
  for (const auto& f : study.files) {
    try {
      inputs.push_back(load_calibration_input(f, study.device, study.holdout_every));
    } catch (const InputError& e) {
      problems.append(e.diagnostics());
    }
  }
  // Cases of the calibrated device must name an accelerator the database knows (others are ignored).
  problems.throw_if_any();

  CalibrateOptions o;
  o.device = study.device;
  o.hwdb_dir = session.hwdb_dir();
  o.holdout_every = study.holdout_every;
  for (const auto& op : study.operations) {
    if (!find_operation_predictor(op)) {
      std::vector<std::string> known;
      for (const auto& p : operation_predictors())
        known.push_back(p->name());
      throw InputError("", "--operation", unknown_name_message("operation", op, known));
    }
    o.operations.insert(op);
  }
  out.result = calibrate_compute(inputs, hwdb, o);
  CalibrateResult& r = out.result;

  for (auto& p : r.fitted.fitted_on)
    p.suite = data_relative(session, p.suite);
  for (auto& in : r.fitted.fit["inputs"])
    in["file"] = data_relative(session, in["file"].get<std::string>());
  std::string& command = out.command;
  command = "moescope calibrate";
  for (const auto& f : study.files)
    command += " " + data_relative(session, f);
  command += " --device " + study.device;
  if (study.holdout_every != 4) command += " --holdout-every " + std::to_string(study.holdout_every);
  for (const auto& op : o.operations)
    command += " --operation " + op;
  r.fitted.note =
      "fitted by `" + command + "` on the calibration rows of the inputs listed in fitted_on and fit.inputs";
  out.output = study.output.empty() ? compute_calibration_path(session.hwdb_dir(), study.device) : study.output;
  const std::string& path = out.output;
  {
    std::error_code ec;
    const auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  }
  write_file_atomically(path, calibration_file_json(r, command).dump(2) + "\n");

  return out;
}

} // namespace moescope
