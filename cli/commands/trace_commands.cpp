// `moescope trace ...`: importing, converting and characterizing expert-activation traces (filled in by the
// traces work; this registers the group so the CLI builds).
#include "cli_context.hpp"

namespace moescope::cli {

void register_trace_commands(CLI::App& app, CliContext& ctx) {
  (void)ctx;
  auto* trace = app.add_subcommand("trace", "Expert-activation traces: convert, stats");
  trace->require_subcommand(1);
}

} // namespace moescope::cli
