#include "study/validation_study.hpp"

#include <filesystem>

#include "accuracy/calibrate.hpp"
#include "accuracy/compute_calibration_fit.hpp"
#include "compute/calibration.hpp"
#include "util/text_table.hpp"

namespace moescope {

ValidationOutcome run_validation_study(Session& session, const ValidationStudy& study) {
  ValidationOutcome out;
  const auto hwdb_ptr = session.hwdb();
  const HardwareDatabase& hwdb = *hwdb_ptr;
  const std::string hwdb_dir = session.hwdb_dir();
  std::vector<ValidationSuite> suites;
  Diagnostics problems;
  for (const auto& f : study.suite_files) { // every problem of every suite, at once
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
  for (const auto& device : study.fit_devices) {
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
      auto rel = std::filesystem::relative(std::filesystem::absolute(p.suite),
                                           std::filesystem::absolute(session.data_root()), ec);
      if (!ec && !rel.empty() && rel.string().rfind("..", 0) != 0) p.suite = rel.generic_string();
    }
    fitted.note =
        "fitted by `moescope validate --fit " + device + "` on the calibration rows of the suites listed in fitted_on";
    const std::string path = compute_calibration_path(hwdb_dir, device);
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    write_compute_calibration(fitted, path);
    fits.push_back({{"accelerator", device}, {"file", path}, {"fit", fitted.fit}});
    out.fits.push_back("fitted " + device + " on " + std::to_string(cal.size()) + " calibration rows -> " + path +
                       " (MAPE " + format_fixed(fitted.fit.value("mape_percent_before", 0.0), 2) + "% -> " +
                       format_fixed(fitted.fit.value("mape_percent_after", 0.0), 2) + "%)");
  }

  out.json = {{"suites", Json::array()}, {"fits", fits}};
  for (TimeModelMode m : study.modes) {
    PredictionContext pc;
    pc.hwdb = &hwdb;
    pc.mode = m;
    pc.hwdb_dir = hwdb_dir;
    for (const auto& s : suites) {
      SuiteResult r = run_validation_suite(s, pc);
      Json j = suite_result_to_json(r);
      if (!study.keep_cases) j.erase("cases");
      out.json["suites"].push_back(j);
      out.text += render_suite_result(r, study.keep_cases) + "\n";
    }
  }
  return out;
}

} // namespace moescope
