// `moescope sensitivity SCENARIO [--step 0.1]`: elasticity of latency (TPOT or TTFT) and throughput per GPU to each
// hardware parameter, with the metric at parameter x (1 -+ step): tornado-chart data, as a table or JSON.
#include "cli_context.hpp"
#include "study/sensitivity.hpp"
#include "util/atomic_file.hpp"
#include "util/data_paths.hpp"
#include "util/text_table.hpp"

namespace moescope::cli {

void register_sensitivity_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("sensitivity",
                                 "Elasticity of latency and throughput to each hardware parameter (tornado data)");
  auto scenario = std::make_shared<std::string>();
  auto step = std::make_shared<double>(0.1);
  auto output = std::make_shared<std::string>();
  cmd->add_option("scenario", *scenario, "Scenario JSON")->required();
  cmd->add_option("--step", *step, "Relative perturbation of each parameter (default 0.1 = +-10%)")
      ->check(CLI::Range(1e-6, 0.9));
  cmd->add_option("-o,--output", *output, "Write the JSON here (atomically)");
  cmd->callback([&ctx, scenario, step, output] {
    Diagnostics d;
    auto j = read_json_file(*scenario, d);
    if (!j) throw InputError(d);
    const SensitivityResult r = sensitivity(*j, *scenario, *step, ctx.session());
    const Json out = sensitivity_json(r);
    if (!output->empty()) write_file_atomically(*output, out.dump(2) + "\n");
    ctx.emit(out, [&] {
      std::cout << "Sensitivity of " << *scenario << " (+-" << format_fixed(100 * *step, 1)
                << "%; elasticity = relative change of the metric per relative change of the parameter)\n";
      std::cout << "  base: latency "
                << format_seconds(r.base.count("latency_seconds") ? r.base.at("latency_seconds") : 0.0) << ", "
                << format_fixed(r.base.count("tokens_per_s_per_gpu") ? r.base.at("tokens_per_s_per_gpu") : 0.0, 1)
                << " tokens/s per GPU\n";
      TextTable t({"parameter", "base", "elasticity latency", "elasticity tokens/s/GPU", "latency at -/+",
                   "tokens/s/GPU at -/+"});
      for (const auto& row : r.rows) {
        auto el = [&](const std::string& m) {
          return row.elasticity.count(m) ? format_fixed(row.elasticity.at(m), 3) : "-";
        };
        auto lh = [&](const std::string& m, bool secs) {
          if (!row.low.count(m) || !row.high.count(m)) return std::string("-");
          return secs ? format_seconds(row.low.at(m)) + " / " + format_seconds(row.high.at(m))
                      : format_fixed(row.low.at(m), 1) + " / " + format_fixed(row.high.at(m), 1);
        };
        std::string name = row.parameter;
        const std::string prefix = "/hardware_overrides/";
        if (name.rfind(prefix, 0) == 0) name = name.substr(prefix.size());
        t.add_row({name, format_si(row.base_value, "", 4), el("latency_seconds"), el("tokens_per_s_per_gpu"),
                   lh("latency_seconds", true), lh("tokens_per_s_per_gpu", false)});
      }
      std::cout << t.render({1, 2, 3});
    });
  });
}

} // namespace moescope::cli
