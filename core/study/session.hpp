#pragma once
// The study facade: one Session per front end (CLI run, GUI window, Python process) owns everything that is read from
// files (hardware database, model catalog, calibrations, traces), cached by file version so that editing a file and
// evaluating again in the same process gives the new answer. Every front end evaluates through it; a scenario is
// evaluated once and every view (report sections, GUI panels, Python objects) reads that one Evaluation.
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "engine/input_loader.hpp"
#include "engine/step_model.hpp"
#include "hw/hardware_database.hpp"
#include "model/model_catalog.hpp"
#include "report/eval_report.hpp"
#include "scenario/resolved_scenario.hpp"

namespace moescope {

// One evaluation: the resolved scenario (with the calibrations and trace it used) and the step model's result for
// both phases. Reports, GUI views and Python objects are views of it.
struct Evaluation {
  ResolvedScenario scenario;
  DeploymentResult result;
  EvalReport report() const { return render_report(scenario, result); }
};

class Session {
public:
  // `data_root`: the folder holding hwdb/ and models/ (default: $MOESCOPE_DATA_DIR or the source tree).
  explicit Session(std::string data_root = "");
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const std::string& data_root() const { return data_root_; }
  std::string hwdb_dir() const;
  std::string model_catalog_dir() const;

  // Loaded on first use and again whenever a file under their folder changed (added, removed, resized, touched).
  std::shared_ptr<const HardwareDatabase> hwdb();
  std::shared_ptr<const ModelCatalog> catalog();

  // Reading, resolving and evaluating scenarios; bad input throws InputError naming file and JSON pointer.
  Scenario load_scenario(const std::string& path) const;
  Scenario read_scenario(const Json& json, const std::string& label) const;
  ResolvedScenario resolve(const Scenario& scenario); // names, degrees, and the inputs it reads (cached)
  Evaluation evaluate(const Scenario& scenario);
  Evaluation evaluate_file(const std::string& path);

  // Headline metrics (deployment_metrics) of one scenario JSON against the given database and catalog, for sweeps,
  // solve and sensitivity: false with `error` set when the point is not a valid deployment. Thread-safe.
  bool evaluate_metrics(const Json& scenario, const std::string& label, const HardwareDatabase& hwdb,
                        const ModelCatalog& catalog, std::map<std::string, double>& metrics, std::string& error,
                        Json* details = nullptr);
  bool evaluate_metrics(const Json& scenario, const std::string& label, std::map<std::string, double>& metrics,
                        std::string& error, Json* details = nullptr);

  // The cached loader of calibrations and traces (thread-safe), for callers that resolve scenarios themselves.
  InputLoader& loader();

private:
  class CachingLoader;
  std::string data_root_;
  std::mutex mutex_;
  std::string hwdb_version_, catalog_version_;
  std::shared_ptr<const HardwareDatabase> hwdb_;
  std::shared_ptr<const ModelCatalog> catalog_;
  std::unique_ptr<CachingLoader> loader_;
};

// A folder's version for caching: every regular file below it with its size and modification time.
std::string folder_version(const std::string& dir);

} // namespace moescope
