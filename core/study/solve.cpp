#include "study/solve.hpp"

#include <algorithm>
#include <cmath>

#include "study/json_pointer.hpp"

namespace moescope {

BisectionResult bisect(const std::function<bool(double)>& satisfied, double lo, double hi, double rel_tol,
                       int max_iterations, double abs_tol) {
  BisectionResult b;
  const bool slo = satisfied(lo);
  b.trace.emplace_back(lo, slo);
  const bool shi = satisfied(hi);
  b.trace.emplace_back(hi, shi);
  if (slo == shi) {
    b.message = slo ? "both ends satisfy the target: the answer is at or below the lower end"
                    : "neither end satisfies the target: widen the bracket";
    b.value = slo ? lo : hi;
    b.other = slo ? hi : lo;
    b.found = false;
    return b;
  }
  double good = slo ? lo : hi, bad = slo ? hi : lo;
  const bool geometric = lo > 0 && hi > 0;
  for (b.iterations = 0; b.iterations < max_iterations; ++b.iterations) {
    if (std::abs(good - bad) <= rel_tol * std::max(std::abs(good), std::abs(bad)) || std::abs(good - bad) <= abs_tol)
      break;
    const double mid = geometric ? std::sqrt(good * bad) : 0.5 * (good + bad);
    if (mid == good || mid == bad) break;
    const bool s = satisfied(mid);
    b.trace.emplace_back(mid, s);
    (s ? good : bad) = mid;
  }
  b.found = true;
  b.value = good;
  b.other = bad;
  return b;
}

SolveResult solve_scenario(const Json& scenario, const std::string& label, const SolveSpec& spec, Session& session) {
  const auto hwdb = session.hwdb();
  const auto catalog = session.catalog();
  SolveResult out;
  std::string last_error;
  auto metric_at = [&](double x, std::map<std::string, double>& m) {
    m.clear();
    Json j = scenario;
    const double v = spec.integer ? std::round(x) : x;
    if (!set_json_pointer(j, spec.path, spec.integer ? json_number(v) : Json(v)))
      throw InputError(label, spec.path, "cannot set this path in the scenario");
    std::string err;
    if (!session.evaluate_metrics(j, label, *hwdb, *catalog, m, err)) {
      last_error = err;
      return false;
    }
    return true; // a valid point; whether it has spec.metric is the caller's question
  };
  auto pred = [&](double x) {
    std::map<std::string, double> m;
    SolvePoint& p = out.points.emplace_back();
    p.value = spec.integer ? std::round(x) : x;
    if (!metric_at(x, m)) return false;
    const auto it = m.find(spec.metric);
    if (it == m.end()) return false;
    p.valid = true;
    p.metric = it->second;
    p.satisfied = spec.at_most ? it->second <= spec.target : it->second >= spec.target;
    return p.satisfied;
  };
  // The varied path must be a field the scenario format accepts (checked with the lower end's value).
  {
    Json j = scenario;
    if (!set_json_pointer(j, spec.path, spec.integer ? json_number(std::round(spec.lo)) : Json(spec.lo)))
      throw InputError("<command line>", "--vary",
                       "cannot set \"" + spec.path + "\" in the scenario (not a JSON pointer through objects)");
    Diagnostics sd;
    (void)read_scenario(j, label, sd);
    for (const auto& d : sd.items())
      if (d.location == spec.path || d.location.rfind(spec.path + "/", 0) == 0 ||
          spec.path.rfind(d.location + "/", 0) == 0)
        throw InputError("<command line>", "--vary", "the scenario rejects \"" + spec.path + "\": " + d.message);
    if (!sd.empty()) throw InputError(sd);
  }
  // Validate the metric name on the first valid end of the bracket.
  {
    std::map<std::string, double> m;
    if ((metric_at(spec.lo, m) || metric_at(spec.hi, m)) && !m.count(spec.metric)) {
      std::string names;
      for (const auto& [k, v] : m)
        names += (names.empty() ? "" : ", ") + k;
      throw InputError("<command line>", "--metric",
                       "unknown metric \"" + spec.metric + "\"; this scenario gives " + names);
    }
  }
  out.bisection = bisect(pred, spec.lo, spec.hi, spec.integer ? 0.0 : spec.rel_tol, 100, spec.integer ? 1.0 : 0.0);
  if (spec.integer) {
    out.bisection.value = std::round(out.bisection.value);
    out.bisection.other = std::round(out.bisection.other);
  }
  std::map<std::string, double> m;
  if (metric_at(out.bisection.value, m)) out.metrics_at_value = m;
  if (!last_error.empty())
    out.bisection.message +=
        (out.bisection.message.empty() ? "" : "; ") + std::string("some points were invalid: ") + last_error;
  return out;
}

} // namespace moescope
