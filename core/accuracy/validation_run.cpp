#include "accuracy/validation_run.hpp"

#include <algorithm>
#include <cmath>

#include "util/text_table.hpp"

namespace moescope {

ErrorSummary summarize_errors(std::vector<double> e) {
  ErrorSummary s;
  s.count = e.size();
  if (e.empty()) return s;
  std::sort(e.begin(), e.end());
  double sum = 0;
  for (double x : e)
    sum += x;
  s.mape_percent = sum / static_cast<double>(e.size());
  const std::size_t n = e.size();
  s.median_abs_percent = n % 2 ? e[n / 2] : 0.5 * (e[n / 2 - 1] + e[n / 2]);
  s.max_abs_percent = e.back();
  return s;
}

Json error_summary_to_json(const ErrorSummary& s) {
  return {{"count", s.count},
          {"mape_percent", s.mape_percent},
          {"median_abs_percent", s.median_abs_percent},
          {"max_abs_percent", s.max_abs_percent}};
}

SuiteResult run_validation_suite(const ValidationSuite& suite, const PredictionContext& context) {
  SuiteResult r;
  r.suite = &suite;
  r.mode = context.mode;
  std::vector<double> cal, hold, excl, all;
  for (const auto& c : suite.cases) {
    const OperationPredictor* p = find_operation_predictor(c.operation);
    if (!p) throw InputError(suite.file, c.pointer + "/operation", "unknown operation \"" + c.operation + "\"");
    CaseResult cr;
    cr.c = &c;
    try {
      cr.predicted = p->predict(c, context);
    } catch (const InputError& e) {
      Diagnostics d;
      for (const auto& item : e.diagnostics().items())
        d.add(item.file.empty() ? suite.file : item.file, item.location, item.message);
      throw InputError(d);
    }
    cr.error_percent = (cr.predicted - c.measured) / c.measured * 100.0;
    const double a = std::fabs(cr.error_percent);
    (c.split == CaseSplit::calibration ? cal : c.split == CaseSplit::excluded ? excl : hold).push_back(a);
    if (c.split != CaseSplit::excluded) all.push_back(a);
    r.results.push_back(cr);
  }
  r.calibration = summarize_errors(cal);
  r.holdout = summarize_errors(hold);
  r.excluded = summarize_errors(excl);
  r.all = summarize_errors(all);
  return r;
}

Json suite_result_to_json(const SuiteResult& r) {
  Json j;
  j["suite"] = r.suite->name;
  j["file"] = r.suite->file;
  j["mode"] = to_string(r.mode);
  j["summary"] = {{"calibration", error_summary_to_json(r.calibration)},
                  {"holdout", error_summary_to_json(r.holdout)},
                  {"excluded", error_summary_to_json(r.excluded)},
                  {"all", error_summary_to_json(r.all)}};
  j["cases"] = Json::array();
  for (const auto& c : r.results)
    j["cases"].push_back({{"id", c.c->id},
                          {"device", c.c->device},
                          {"operation", c.c->operation},
                          {"split", to_string(c.c->split)},
                          {"unit", c.c->unit},
                          {"measured", c.c->measured},
                          {"predicted", c.predicted},
                          {"error_percent", c.error_percent}});
  return j;
}

namespace {
std::string format_value(double v, const std::string& unit) {
  if (unit == "seconds") return format_seconds(v);
  if (unit == "flop_per_s") return format_si(v, "FLOP/s");
  if (unit == "bytes_per_s") return format_si(v, "B/s");
  return format_fixed(v, 3);
}
std::string summary_line(const char* label, const ErrorSummary& s) {
  if (s.count == 0) return std::string("  ") + label + ": no cases\n";
  return std::string("  ") + label + ": " + std::to_string(s.count) + " cases, MAPE " +
         format_fixed(s.mape_percent, 1) + "%, median |error| " + format_fixed(s.median_abs_percent, 1) +
         "%, max |error| " + format_fixed(s.max_abs_percent, 1) + "%\n";
}
} // namespace

std::string render_suite_result(const SuiteResult& r, bool per_case) {
  std::string out = "Suite " + r.suite->name + " (" + r.suite->file + "), mode " + to_string(r.mode) + "\n";
  if (per_case) {
    TextTable t({"case", "device", "split", "measured", "predicted", "error"});
    for (const auto& c : r.results)
      t.add_row({c.c->id, c.c->device,
                 c.c->split == CaseSplit::calibration ? "cal"
                 : c.c->split == CaseSplit::excluded  ? "excluded"
                                                      : "held-out",
                 format_value(c.c->measured, c.c->unit), format_value(c.predicted, c.c->unit),
                 (c.error_percent >= 0 ? "+" : "") + format_fixed(c.error_percent, 1) + "%"});
    out += t.render({3, 4, 5});
  }
  out += summary_line("calibration rows", r.calibration);
  out += summary_line("held-out rows   ", r.holdout);
  out += summary_line("all rows        ", r.all);
  if (r.excluded.count) out += summary_line("excluded rows   ", r.excluded);
  return out;
}

} // namespace moescope
