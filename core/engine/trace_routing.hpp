#pragma once
// A routing trace as the trace-driven step model replays it: the token-level trace, its routing statistics, and the
// placement plans fitted on it (one per strategy and shape, fitted on first use). Loaded once per file version by
// the caller's input loader (engine/input_loader.hpp) and shared by every evaluation that reads that version.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "placement/routing_stats.hpp"
#include "placement/strategy.hpp"
#include "trace/trace.hpp"

namespace moescope {

class TraceRouting {
public:
  // Imports `path` (format "auto" = detected from the content). Throws InputError naming the file.
  TraceRouting(const std::string& path, const std::string& format, std::string version);

  const trace::ExpertTrace& trace() const { return *trace_; }
  const placement::RoutingStats& stats() const { return *stats_; }
  // Identifies the file version (path, size, modification time): part of every memo key built on this trace.
  const std::string& version() const { return version_; }

  // The plan of `strategy` for `shape` and `options`, fitted on the whole trace on first use (thread-safe).
  const placement::PlacementPlan& plan(const placement::PlacementStrategy& strategy,
                                       const placement::PlacementTopology& shape,
                                       const placement::FitOptions& options) const;

private:
  std::shared_ptr<const trace::ExpertTrace> trace_;
  std::unique_ptr<placement::RoutingStats> stats_;
  std::string version_;
  mutable std::mutex mutex_;
  mutable std::map<std::string, std::unique_ptr<placement::PlacementPlan>> plans_;
};

} // namespace moescope
