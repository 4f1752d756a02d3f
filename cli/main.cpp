// moescope: command-line front end. Exit status: 0 success, 2 bad input (a message names file, JSON path and
// expectation), 1 internal error.
#include <cstdlib>
#include <iostream>

#include "cli_context.hpp"
#include "util/diagnostics.hpp"
#include "util/version.hpp"

int main(int argc, char** argv) {
  using namespace moescope;
  CLI::App app{"moescope: analytical model and roofline explorer for multi-node Mixture-of-Experts inference"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("moescope ") + moescope_version());
  cli::CliContext ctx;
  app.add_flag("--json", ctx.json, "Print JSON instead of readable tables");
  app.add_option("--data-dir", ctx.data_dir_override,
                 "Root of hwdb/, models/ (default: $MOESCOPE_DATA_DIR or the source tree)");
  app.parse_complete_callback([&] {
    if (!ctx.data_dir_override.empty()) ::setenv("MOESCOPE_DATA_DIR", ctx.data_dir_override.c_str(), 1);
  });

  cli::register_hw_commands(app, ctx);
  cli::register_model_commands(app, ctx);
  cli::register_eval_command(app, ctx);
  cli::register_check_command(app, ctx);
  cli::register_trace_commands(app, ctx);
  cli::register_place_commands(app, ctx);
  cli::register_validate_command(app, ctx);
  cli::register_sweep_command(app, ctx);
  cli::register_solve_command(app, ctx);
  cli::register_sensitivity_command(app, ctx);
  cli::register_calibrate_command(app, ctx);
  cli::register_traffic_command(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  } catch (const InputError& e) {
    std::cerr << "moescope: error: " << e.diagnostics().size() << " problem(s):\n"
              << e.diagnostics().to_string() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "moescope: internal error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
