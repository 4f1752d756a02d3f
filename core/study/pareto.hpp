#pragma once
// Pareto frontier of sweep points under several objectives (each maximized or minimized).
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "util/json_reader.hpp"

namespace moescope {

struct ParetoObjective {
  std::string metric;
  bool maximize = false;
};

struct SweepPoint {
  std::size_t index = 0;
  std::vector<std::pair<std::string, Json>> values;
  bool ok = false;
  std::string error;
  std::map<std::string, double> metrics;
  bool pareto = false;
  Json details; // full result when requested
};

// Marks points[i].pareto for the points not dominated under `objectives` (failed points and points missing a metric
// are never on the front). Returns the front's indices in ascending order.
std::vector<std::size_t> mark_pareto(std::vector<SweepPoint>& points, const std::vector<ParetoObjective>& objectives);

} // namespace moescope
