// `moescope check`: validates every file of hwdb/, the model catalog and scenarios/, reporting all problems.
#include "cli_context.hpp"
#include "study/data_check.hpp"

namespace moescope::cli {

void register_check_command(CLI::App& app, CliContext& ctx) {
  auto* check = app.add_subcommand(
      "check", "Validate every file in hwdb/ (calibrations included), models/catalog/ and scenarios/");
  check->callback([&ctx] {
    const DataCheck c = check_data(ctx.session().data_root());
    ctx.emit(data_check_to_json(c), [&] {
      std::cout << "checked " << c.accelerators << " accelerators, " << c.interconnects << " interconnects, "
                << c.systems << " systems, " << c.models << " models, " << c.scenarios << " scenarios, "
                << c.calibrations << " calibration files\n";
      if (c.problems.empty()) std::cout << "no problems found\n";
      if (!c.flags.empty()) {
        std::cout << c.flags.items().size() << " flag(s) (valid, but doubtful):\n";
        for (const auto& d : c.flags.items())
          std::cout << "  " << d.file << (d.location.empty() ? "" : " " + d.location) << ": " << d.message << "\n";
      }
    });
    c.problems.throw_if_any();
  });
}

} // namespace moescope::cli
