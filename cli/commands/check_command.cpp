// `moescope check`: validates every file of hwdb/, the model catalog and scenarios/, reporting all problems.
#include <filesystem>

#include "cli_context.hpp"
#include "compute/calibration.hpp"
#include "model/model_catalog.hpp"
#include "network/network_calibration.hpp"
#include "scenario/resolved_scenario.hpp"
#include "util/data_paths.hpp"

namespace moescope::cli {

void register_check_command(CLI::App& app, CliContext& ctx) {
  auto* check = app.add_subcommand(
      "check", "Validate every file in hwdb/ (calibrations included), models/catalog/ and scenarios/");
  check->callback([&ctx] {
    Diagnostics problems;
    auto hwdb = HardwareDatabase::load(hwdb_dir(), problems);
    auto catalog = ModelCatalog::load(model_catalog_dir(), problems);
    std::size_t scenarios = 0;
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::path scenario_dir = fs::path(data_root()) / "scenarios";
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
    std::size_t calibrations = 0;
    std::vector<fs::path> calibration_files;
    for (const auto& e : fs::directory_iterator(fs::path(hwdb_dir()) / "calibrations", ec))
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
          load_compute_calibration_file(f.string());
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
    Json j = {{"accelerators", hwdb.accelerators().size()},
              {"interconnects", hwdb.interconnects().size()},
              {"systems", hwdb.systems().size()},
              {"models", catalog.all().size()},
              {"scenarios", scenarios},
              {"calibrations", calibrations},
              {"problems", Json::array()}};
    for (const auto& d : problems.items())
      j["problems"].push_back({{"file", d.file}, {"location", d.location}, {"message", d.message}});
    ctx.emit(j, [&] {
      std::cout << "checked " << hwdb.accelerators().size() << " accelerators, " << hwdb.interconnects().size()
                << " interconnects, " << hwdb.systems().size() << " systems, " << catalog.all().size() << " models, "
                << scenarios << " scenarios, " << calibrations << " calibration files\n";
      if (problems.empty()) std::cout << "no problems found\n";
    });
    problems.throw_if_any();
  });
}

} // namespace moescope::cli
