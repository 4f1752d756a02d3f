#include "study/data_check.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "accuracy/compute_calibration_fit.hpp"
#include "compute/calibration.hpp"
#include "model/model_catalog.hpp"
#include "network/network_calibration.hpp"
#include "scenario/resolved_scenario.hpp"
#include "util/text_table.hpp"

namespace moescope {

namespace {

std::string short_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

void flag_compute_calibration(const std::string& file, const ComputeCalibration& c, Diagnostics& flags) {
  const auto& params = compute_fit_parameters();
  const double rows =
      c.fit.is_object() && c.fit.contains("cases") && c.fit["cases"].is_number() ? c.fit["cases"].get<double>() : -1.0;
  if (rows < 0)
    flags.add(file, "/fit/cases", "no fit statistics: how many measured rows fixed these parameters is unknown");
  else if (rows < double(params.size()))
    flags.add(file, "/fit/cases",
              "fitted on " + format_fixed(rows, 0) + " measured row(s) for the " + std::to_string(params.size()) +
                  " parameters the fit moves: most of them are not identified by the data");
  for (const auto& p : params) {
    const double v = compute_fit_parameter_value(c, p.name);
    const double tol = 1e-9 * std::max(1.0, std::abs(p.hi));
    if (std::abs(v - p.lo) <= tol || std::abs(v - p.hi) <= tol)
      flags.add(file, "/parameters/" + p.name,
                "at the " + std::string(std::abs(v - p.lo) <= tol ? "lower" : "upper") + " bound of its fit range [" +
                    short_number(p.lo) + ", " + short_number(p.hi) +
                    "]: the fit would move it further, or its rows do not constrain it");
  }
}

} // namespace

DataCheck check_data(const std::string& data_root) {
  DataCheck out;
  Diagnostics& problems = out.problems;
  auto hwdb = HardwareDatabase::load(data_root + "/hwdb", problems);
  auto catalog = ModelCatalog::load(data_root + "/models/catalog", problems);
  std::size_t& scenarios = out.scenarios;
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path scenario_dir = fs::path(data_root) / "scenarios";
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(scenario_dir, ec))
    if (e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    ++scenarios;
    try {
      resolve_scenario(load_scenario_file(f.string()), hwdb, catalog);
    } catch (const InputError& e) {
      problems.append(e.diagnostics());
    }
  }
  // Calibration files: hwdb/calibrations/<accelerator>-compute.json and <system>-network.json.
  std::size_t& calibrations = out.calibrations;
  std::vector<fs::path> calibration_files;
  for (const auto& e : fs::directory_iterator(fs::path(data_root) / "hwdb" / "calibrations", ec))
    if (e.path().extension() == ".json") calibration_files.push_back(e.path());
  std::sort(calibration_files.begin(), calibration_files.end());
  for (const auto& f : calibration_files) {
    ++calibrations;
    const std::string stem = f.stem().string();
    auto ends_with = [&](const std::string& suffix) {
      return stem.size() > suffix.size() && stem.compare(stem.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    try {
      if (ends_with("-compute")) {
        flag_compute_calibration(f.string(), load_compute_calibration_file(f.string()), out.flags);
        const std::string device = stem.substr(0, stem.size() - 8);
        if (!hwdb.accelerators().count(device))
          problems.add(f.string(), "",
                       "expected a file named <accelerator>-compute.json; no accelerator \"" + device + "\"");
      } else if (ends_with("-network")) {
        load_network_calibration(f.string());
        const std::string system = stem.substr(0, stem.size() - 8);
        if (!hwdb.systems().count(system))
          problems.add(f.string(), "", "expected a file named <system>-network.json; no system \"" + system + "\"");
      } else {
        problems.add(f.string(), "", "expected a name ending in -compute.json or -network.json");
      }
    } catch (const InputError& e) {
      problems.append(e.diagnostics());
    }
  }
  out.accelerators = hwdb.accelerators().size();
  out.interconnects = hwdb.interconnects().size();
  out.systems = hwdb.systems().size();
  out.models = catalog.all().size();
  return out;
}

Json data_check_to_json(const DataCheck& c) {
  Json j = {{"accelerators", c.accelerators}, {"interconnects", c.interconnects},
            {"systems", c.systems},           {"models", c.models},
            {"scenarios", c.scenarios},       {"calibrations", c.calibrations},
            {"problems", Json::array()}};
  for (const auto& d : c.problems.items())
    j["problems"].push_back({{"file", d.file}, {"location", d.location}, {"message", d.message}});
  j["flags"] = Json::array();
  for (const auto& d : c.flags.items())
    j["flags"].push_back({{"file", d.file}, {"location", d.location}, {"message", d.message}});
  return j;
}

} // namespace moescope
