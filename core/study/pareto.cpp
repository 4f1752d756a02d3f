#include "study/pareto.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace moescope {

std::vector<std::size_t> mark_pareto(std::vector<SweepPoint>& points, const std::vector<ParetoObjective>& objectives) {
  std::vector<std::size_t> cand;
  for (std::size_t i = 0; i < points.size(); ++i) {
    auto& p = points[i];
    p.pareto = false;
    if (!p.ok) continue;
    bool has = true;
    for (const auto& o : objectives)
      if (!p.metrics.count(o.metric) || !std::isfinite(p.metrics.at(o.metric))) has = false;
    if (has) cand.push_back(i);
  }
  // Oriented values: larger is better in every objective.
  auto v = [&](std::size_t i, std::size_t k) {
    const double x = points[i].metrics.at(objectives[k].metric);
    return objectives[k].maximize ? x : -x;
  };
  const std::size_t K = objectives.size();
  std::vector<std::size_t> front;
  if (K == 0) return front;
  if (K == 2) {
    // Sort by the first objective (best first, ties by the second), keep points that improve the second.
    std::sort(cand.begin(), cand.end(), [&](std::size_t a, std::size_t b) {
      if (v(a, 0) != v(b, 0)) return v(a, 0) > v(b, 0);
      return v(a, 1) > v(b, 1);
    });
    double best = -std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < cand.size(); ++i) {
      const std::size_t c = cand[i];
      const bool duplicate =
          i > 0 && v(cand[i - 1], 0) == v(c, 0) && v(cand[i - 1], 1) == v(c, 1) && points[cand[i - 1]].pareto;
      if (v(c, 1) > best || duplicate) {
        points[c].pareto = true;
        front.push_back(c);
        best = std::max(best, v(c, 1));
      }
    }
  } else {
    for (std::size_t a : cand) {
      bool dominated = false;
      for (std::size_t b : cand) {
        if (a == b) continue;
        bool ge = true, gt = false;
        for (std::size_t k = 0; k < K; ++k) {
          if (v(b, k) < v(a, k)) ge = false;
          if (v(b, k) > v(a, k)) gt = true;
        }
        if (ge && gt) {
          dominated = true;
          break;
        }
      }
      if (!dominated) {
        points[a].pareto = true;
        front.push_back(a);
      }
    }
  }
  std::sort(front.begin(), front.end());
  return front;
}

} // namespace moescope
