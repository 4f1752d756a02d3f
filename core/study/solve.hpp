#pragma once
// Inverse design: the value of one scenario field (a JSON pointer) at which a headline metric meets a target, by
// bisection on the step model through a Session (docs/engine.md, "Solve").
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "study/session.hpp"

namespace moescope {

struct BisectionResult {
  bool found = false;
  double value = 0; // the satisfying end of the final bracket
  double other = 0; // the unsatisfying end
  int iterations = 0;
  std::vector<std::pair<double, bool>> trace; // (x, satisfied) in evaluation order
  std::string message;
};
// Bisection on a monotone predicate between lo and hi (exactly one end satisfied): the satisfying end converges on
// the boundary to relative tolerance `rel_tol` (geometric midpoints when both ends are positive).
// Stops as well when the bracket is narrower than `abs_tol` (e.g. 1 for integer fields).
BisectionResult bisect(const std::function<bool(double)>& satisfied, double lo, double hi, double rel_tol = 1e-3,
                       int max_iterations = 100, double abs_tol = 0.0);

struct SolveSpec {
  std::string path;   // JSON pointer of the varied field
  std::string metric; // e.g. "tpot_seconds"
  double target = 0;
  bool at_most = true; // metric <= target (else >=)
  double lo = 0, hi = 0;
  double rel_tol = 1e-3;
  bool integer = false; // round the varied value (nodes, batch, ...)
};
// One evaluation of the bisection: the value set (rounded for an integer field) and the metric there, so that the
// curve the bisection walked can be drawn. `valid` false: not a valid deployment (or no such metric) there.
struct SolvePoint {
  double value = 0;
  bool valid = false;
  double metric = 0;
  bool satisfied = false;
};
struct SolveResult {
  BisectionResult bisection;
  std::map<std::string, double> metrics_at_value;
  std::vector<SolvePoint> points; // one per bisection.trace entry, in evaluation order
};
SolveResult solve_scenario(const Json& scenario, const std::string& label, const SolveSpec& spec, Session& session);

} // namespace moescope
