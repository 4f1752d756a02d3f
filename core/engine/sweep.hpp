#pragma once
// Design-space exploration: a grid over any scenario field (JSON pointers into the scenario JSON), evaluated by the
// step model on all cores, with the Pareto frontier marked; inverse design by bisection; and the elasticity of the
// headline metrics to each hardware parameter. File format and semantics: docs/engine.md.
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hw/hardware_database.hpp"
#include "model/model_catalog.hpp"
#include "util/json_reader.hpp"

namespace moescope {

struct SweepAxis {
  std::vector<std::string> paths;        // one path, or several set together (zipped axis)
  std::vector<std::vector<Json>> values; // values[i][p]: value of paths[p] at step i
};

struct ParetoObjective {
  std::string metric;
  bool maximize = false;
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
// Sets `value` at JSON pointer `path` in `j`, creating objects on the way. Returns false on a malformed pointer or
// when the path runs through a non-object.
bool set_json_pointer(Json& j, const std::string& path, const Json& value);

struct SweepPoint {
  std::size_t index = 0;
  std::vector<std::pair<std::string, Json>> values;
  bool ok = false;
  std::string error;
  std::map<std::string, double> metrics;
  bool pareto = false;
  Json details; // full result when requested
};

struct SweepResult {
  std::vector<SweepPoint> points;
  std::vector<std::size_t> pareto_front; // indices of Pareto-optimal points
  double elapsed_seconds = 0;
  std::int64_t threads = 1;
};

// Evaluates one scenario JSON (label: the file name used in messages and for relative paths).
// Returns false with `error` set when the point is not a valid deployment.
bool evaluate_scenario_json(const Json& scenario, const std::string& label, const HardwareDatabase& hwdb,
                            const ModelCatalog& catalog, std::map<std::string, double>& metrics, std::string& error,
                            Json* details = nullptr);

// Runs the grid on `threads` threads (0 = hardware concurrency). `progress` (may be empty) is called from the
// calling thread about every 100 ms with (done, total).
SweepResult run_sweep(const SweepSpec& spec, const HardwareDatabase& hwdb, const ModelCatalog& catalog,
                      const std::function<void(std::size_t, std::size_t)>& progress = {});

// Marks points[i].pareto for the points not dominated under `objectives` (failed points and points missing a metric
// are never on the front). Returns the front's indices in ascending order.
std::vector<std::size_t> mark_pareto(std::vector<SweepPoint>& points, const std::vector<ParetoObjective>& objectives);

std::string sweep_csv(const SweepSpec& spec, const SweepResult& r);
Json sweep_json(const SweepSpec& spec, const SweepResult& r);

// ---- Inverse design --------------------------------------------------------------------------------------------

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
struct SolveResult {
  BisectionResult bisection;
  std::map<std::string, double> metrics_at_value;
};
SolveResult solve_scenario(const Json& scenario, const std::string& label, const SolveSpec& spec,
                           const HardwareDatabase& hwdb, const ModelCatalog& catalog);

// ---- Sensitivity -----------------------------------------------------------------------------------------------

struct SensitivityRow {
  std::string parameter; // JSON pointer of the override
  double base_value = 0;
  std::map<std::string, double> low, high;  // metrics at base x (1 - step) and x (1 + step)
  std::map<std::string, double> elasticity; // (dm / m) / (dp / p), central difference
};
struct SensitivityResult {
  double step = 0.1;
  std::map<std::string, double> base;
  std::vector<SensitivityRow> rows; // sorted by the largest |elasticity| of the first metric
  std::vector<std::string> metrics;
};
// The hardware parameters of the scenario's accelerator and interconnects, each perturbed by +-step.
SensitivityResult sensitivity(const Json& scenario, const std::string& label, double step, const HardwareDatabase& hwdb,
                              const ModelCatalog& catalog);
Json sensitivity_json(const SensitivityResult& r);

} // namespace moescope
