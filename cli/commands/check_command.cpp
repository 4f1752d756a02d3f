// `moescope check`: validates every file of hwdb/, the model catalog and scenarios/, reporting all problems.
#include <filesystem>

#include "cli_context.hpp"
#include "model/model_catalog.hpp"
#include "scenario/resolved_scenario.hpp"
#include "util/data_paths.hpp"

namespace moescope::cli {

void register_check_command(CLI::App& app, CliContext& ctx) {
  auto* check = app.add_subcommand("check", "Validate every file in hwdb/, models/catalog/ and scenarios/");
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
    Json j = {{"accelerators", hwdb.accelerators().size()},
              {"interconnects", hwdb.interconnects().size()},
              {"systems", hwdb.systems().size()},
              {"models", catalog.all().size()},
              {"scenarios", scenarios},
              {"problems", Json::array()}};
    for (const auto& d : problems.items())
      j["problems"].push_back({{"file", d.file}, {"location", d.location}, {"message", d.message}});
    ctx.emit(j, [&] {
      std::cout << "checked " << hwdb.accelerators().size() << " accelerators, " << hwdb.interconnects().size()
                << " interconnects, " << hwdb.systems().size() << " systems, " << catalog.all().size() << " models, "
                << scenarios << " scenarios\n";
      if (problems.empty()) std::cout << "no problems found\n";
    });
    problems.throw_if_any();
  });
}

} // namespace moescope::cli
