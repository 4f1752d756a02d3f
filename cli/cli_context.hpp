#pragma once
// Shared state and output helpers of the CLI commands. Commands print a readable table by default and the same
// data as JSON with --json; reports go through write_file_atomically.
#include <functional>
#include <iostream>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "study/session.hpp"
#include "util/json_reader.hpp"

namespace moescope::cli {

struct CliContext {
  bool json = false; // --json: print JSON instead of tables
  std::string data_dir_override;

  // The one session of this run (created after the options are parsed, so that --data-dir applies).
  Session& session() {
    if (!session_) session_ = std::make_unique<Session>();
    return *session_;
  }

  // Prints `data` as JSON when --json is set, else calls `print_text`.
  void emit(const Json& data, const std::function<void()>& print_text) const {
    if (json)
      std::cout << data.dump(2) << "\n";
    else
      print_text();
  }

private:
  std::unique_ptr<Session> session_;
};

// Each command group registers its subcommands; the callbacks run inside main's error handling.
void register_hw_commands(CLI::App& app, CliContext& ctx);
void register_model_commands(CLI::App& app, CliContext& ctx);
void register_eval_command(CLI::App& app, CliContext& ctx);
void register_check_command(CLI::App& app, CliContext& ctx);
void register_trace_commands(CLI::App& app, CliContext& ctx);
void register_place_commands(CLI::App& app, CliContext& ctx);
void register_validate_command(CLI::App& app, CliContext& ctx);
void register_sweep_command(CLI::App& app, CliContext& ctx);
void register_solve_command(CLI::App& app, CliContext& ctx);
void register_sensitivity_command(CLI::App& app, CliContext& ctx);
void register_calibrate_command(CLI::App& app, CliContext& ctx);
void register_traffic_command(CLI::App& app, CliContext& ctx);

} // namespace moescope::cli
