#pragma once
// Design-space exploration: a grid over any scenario field (JSON pointers into the scenario JSON), evaluated by the
// step model through a Session on all cores, with the Pareto frontier marked. File format and semantics:
// docs/engine.md ("Sweeps").
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "study/pareto.hpp"
#include "study/session.hpp"

namespace moescope {

struct SweepAxis {
  std::vector<std::string> paths;        // one path, or several set together (zipped axis)
  std::vector<std::vector<Json>> values; // values[i][p]: value of paths[p] at step i
};

struct SweepSpec {
  std::string file;      // the sweep file ("" = inline)
  std::string base_file; // the base scenario, resolved relative to the sweep file
  Json base = Json::object();
  std::vector<SweepAxis> axes;
  std::vector<ParetoObjective> pareto; // default: max tokens_per_s_per_gpu, min latency_seconds
  std::vector<std::string> metrics;    // columns to write (default: every metric of the first valid point)
  bool details = false;                // keep each point's full engine result in the JSON output
  std::int64_t threads = 0;            // 0 = all cores
  std::string output;                  // output path without extension ("" = none unless given on the CLI)

  std::size_t num_points() const;
};

// Reads and checks a sweep file: every problem names the sweep file and a JSON pointer. Throws InputError.
SweepSpec load_sweep_file(const std::string& path);
SweepSpec read_sweep(const Json& json, const std::string& file, Diagnostics& diagnostics);

// The scenario JSON of grid point `index` (row-major over the axes, last axis fastest), and the values set.
Json sweep_point_json(const SweepSpec& spec, std::size_t index,
                      std::vector<std::pair<std::string, Json>>* set = nullptr);

struct SweepResult {
  std::vector<SweepPoint> points;
  std::vector<std::size_t> pareto_front; // indices of Pareto-optimal points
  double elapsed_seconds = 0;
  std::int64_t threads = 1;
};

// Runs the grid on `threads` threads (0 = hardware concurrency) with the session's database, catalog and cached
// inputs. `progress` (may be empty) is called from the calling thread about every 100 ms with (done, total); if it
// throws, the sweep stops after the chunks in flight and the exception propagates (how Python cancels on Ctrl-C).
SweepResult run_sweep(const SweepSpec& spec, Session& session,
                      const std::function<void(std::size_t, std::size_t)>& progress = {});

std::string sweep_csv(const SweepSpec& spec, const SweepResult& r);
Json sweep_json(const SweepSpec& spec, const SweepResult& r);

} // namespace moescope
