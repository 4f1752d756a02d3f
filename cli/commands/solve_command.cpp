// `moescope solve SCENARIO --vary PATH --metric M --at-most|--at-least TARGET --lo A --hi B`: inverse design by
// bisection on the step model, e.g. the smallest scale-out bandwidth that meets a TPOT target.
#include "cli_context.hpp"
#include "study/solve.hpp"
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

void register_solve_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("solve", "Inverse design: bisect one scenario field until a metric meets a target");
  struct Opts {
    std::string scenario, vary, metric = "tpot_seconds";
    double at_most = -1, at_least = -1, lo = 0, hi = 0, tol = 1e-3;
    bool integer = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("scenario", o->scenario, "Scenario JSON")->required();
  cmd->add_option("--vary", o->vary,
                  "JSON pointer of the field to vary, e.g. "
                  "/hardware_overrides/scale_out/link_bandwidth_per_direction_bytes_per_s")
      ->required();
  cmd->add_option("--metric", o->metric, "Metric to meet (default tpot_seconds; see docs/engine.md)");
  auto* am = cmd->add_option("--at-most", o->at_most, "Target: metric <= this");
  auto* al = cmd->add_option("--at-least", o->at_least, "Target: metric >= this");
  am->excludes(al);
  cmd->add_option("--lo", o->lo, "Lower end of the bracket")->required();
  cmd->add_option("--hi", o->hi, "Upper end of the bracket")->required();
  cmd->add_option("--tolerance", o->tol, "Relative tolerance of the answer (default 1e-3)");
  cmd->add_flag("--integer", o->integer, "The field is an integer (nodes, batch, ...)");
  cmd->callback([&ctx, o, am, al] {
    if (am->count() == 0 && al->count() == 0)
      throw InputError("<command line>", "--at-most", "expected a target: --at-most or --at-least");
    if (!(o->lo < o->hi)) throw InputError("<command line>", "--lo", "expected --lo < --hi");
    Diagnostics d;
    auto j = read_json_file(o->scenario, d);
    if (!j) throw InputError(d);
    SolveSpec spec;
    spec.path = o->vary;
    spec.metric = o->metric;
    spec.at_most = am->count() > 0;
    spec.target = spec.at_most ? o->at_most : o->at_least;
    spec.lo = o->lo;
    spec.hi = o->hi;
    spec.rel_tol = o->tol;
    spec.integer = o->integer;
    const SolveResult r = solve_scenario(*j, o->scenario, spec, ctx.session());
    Json out;
    out["scenario"] = o->scenario;
    out["vary"] = spec.path;
    out["metric"] = spec.metric;
    out["target"] = spec.target;
    out["goal"] = spec.at_most ? "at_most" : "at_least";
    out["found"] = r.bisection.found;
    out["value"] = r.bisection.value;
    out["bracket_other_end"] = r.bisection.other;
    out["iterations"] = r.bisection.iterations;
    Json tr = Json::array();
    for (const auto& [x, s] : r.bisection.trace)
      tr.push_back({{"value", x}, {"satisfied", s}});
    out["evaluations"] = tr;
    Json m = Json::object();
    for (const auto& [k, v] : r.metrics_at_value)
      m[k] = v;
    out["metrics_at_value"] = m;
    if (!r.bisection.message.empty()) out["message"] = r.bisection.message;
    ctx.emit(out, [&] {
      if (r.bisection.found) {
        std::cout << (spec.at_most ? "" : "") << spec.path << " = " << num(r.bisection.value, 5) << " meets "
                  << spec.metric << (spec.at_most ? " <= " : " >= ") << num(spec.target, 4)
                  << " (the other end of the final bracket, " << num(r.bisection.other, 5) << ", does not; "
                  << r.bisection.iterations << " bisections)\n";
        if (r.metrics_at_value.count(spec.metric))
          std::cout << "  " << spec.metric << " there: " << num(r.metrics_at_value.at(spec.metric), 4) << "\n";
      } else {
        std::cout << "No crossing in [" << spec.lo << ", " << spec.hi << "]: " << r.bisection.message << "\n";
      }
    });
  });
}

} // namespace moescope::cli
