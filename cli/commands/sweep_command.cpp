// `moescope sweep SWEEP.json [-o OUT] [--threads N]`: a grid over scenario fields, evaluated by the step model on all
// cores; writes OUT.csv and OUT.json (atomically) and marks the Pareto frontier. Format: docs/engine.md.
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "cli_context.hpp"
#include "study/sweep.hpp"
#include "util/atomic_file.hpp"
#include "util/data_paths.hpp"
#include "util/text_table.hpp"

namespace moescope::cli {

namespace {
// A number with `digits` significant digits and an SI prefix, without a trailing space.
std::string num(double v, int digits = 4) {
  std::string t = format_si(v, "", digits);
  while (!t.empty() && t.back() == ' ')
    t.pop_back();
  return t;
}
} // namespace

void register_sweep_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand(
      "sweep", "Evaluate a grid of scenarios (sweep file) on all cores; CSV + JSON with the Pareto frontier");
  auto path = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>();
  auto threads = std::make_shared<int>(0);
  cmd->add_option("sweep", *path, "Sweep JSON (see docs/engine.md)")->required();
  cmd->add_option("-o,--output", *output,
                  "Output path without extension: writes OUT.csv and OUT.json (default: the file's \"output\")");
  cmd->add_option("--threads", *threads, "Worker threads (default: the file's \"threads\", else all cores)");
  cmd->callback([&ctx, path, output, threads] {
    SweepSpec spec = load_sweep_file(*path);
    if (*threads > 0) spec.threads = *threads;
    if (!output->empty()) spec.output = *output;
    if (!spec.output.empty()) {
      std::error_code ec;
      if (std::filesystem::equivalent(spec.output + ".json", *path, ec) || spec.output + ".json" == *path)
        throw InputError(*path, "/output",
                         "the output \"" + spec.output +
                             ".json\" would overwrite the sweep file; choose another output path");
    }
    const bool tty = ::isatty(2) != 0;
    std::function<void(std::size_t, std::size_t)> progress;
    if (tty)
      progress = [](std::size_t done, std::size_t total) {
        std::fprintf(stderr, "\rsweep: %zu / %zu points (%.1f%%)", done, total,
                     total ? 100.0 * double(done) / double(total) : 100.0);
        if (done == total) std::fprintf(stderr, "\n");
        std::fflush(stderr);
      };
    SweepResult r = run_sweep(spec, ctx.session(), progress);
    const Json j = sweep_json(spec, r);
    if (!spec.output.empty()) {
      write_files_atomically({{spec.output + ".csv", sweep_csv(spec, r)}, {spec.output + ".json", j.dump(1) + "\n"}});
    }
    ctx.emit(j, [&] {
      std::size_t ok = 0;
      for (const auto& p : r.points)
        ok += p.ok ? 1 : 0;
      std::cout << "Sweep " << *path << ": " << r.points.size() << " points (" << ok << " valid) in "
                << format_fixed(r.elapsed_seconds, 3) << " s on " << r.threads << " threads ("
                << format_fixed(r.elapsed_seconds > 0 ? double(r.points.size()) / r.elapsed_seconds : 0.0, 0)
                << " points/s)\n";
      std::vector<std::string> header = {"#"};
      for (const auto& a : spec.axes)
        for (const auto& p : a.paths)
          header.push_back(p);
      for (const auto& o : spec.pareto)
        header.push_back(o.metric + (o.maximize ? " (max)" : " (min)"));
      TextTable t(header);
      for (std::size_t i : r.pareto_front) {
        const auto& p = r.points[i];
        std::vector<std::string> row = {std::to_string(p.index)};
        for (const auto& [k, v] : p.values)
          row.push_back(v.is_string() ? v.get<std::string>() : v.dump());
        for (const auto& o : spec.pareto)
          row.push_back(num(p.metrics.at(o.metric), 4));
        t.add_row(row);
      }
      std::cout << "Pareto frontier (" << r.pareto_front.size() << " points):\n" << t.render();
      if (!spec.output.empty()) std::cout << "wrote " << spec.output << ".csv and " << spec.output << ".json\n";
    });
  });
}

} // namespace moescope::cli
