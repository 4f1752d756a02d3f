#include "study/session.hpp"

#include <algorithm>
#include <filesystem>
#include <vector>

#include "engine/trace_routing.hpp"
#include "util/data_paths.hpp"
#include "util/file_version.hpp"

namespace moescope {

// Calibrations and traces by file version: a lookup stats the file, a changed file is read again.
class Session::CachingLoader : public InputLoader {
public:
  explicit CachingLoader(std::string hwdb_dir) : files_(std::move(hwdb_dir)) {}

  std::shared_ptr<const ComputeCalibration> compute_calibration(const std::string& accelerator,
                                                                bool required) override {
    const std::string version = accelerator == "default"
                                    ? std::string("default")
                                    : file_version(compute_calibration_path(files_.hwdb_dir(), accelerator));
    return cached(compute_, accelerator + (required ? "|required" : ""), version,
                  [&] { return files_.compute_calibration(accelerator, required); });
  }
  std::shared_ptr<const NetworkCalibration> network_calibration(const std::string& system, bool required) override {
    const std::string version = file_version(files_.hwdb_dir() + "/calibrations/" + system + "-network.json");
    return cached(network_, system + (required ? "|required" : ""), version,
                  [&] { return files_.network_calibration(system, required); });
  }
  std::shared_ptr<const TraceRouting> trace(const std::string& path, const std::string& format) override {
    const std::string version = file_version(path);
    return cached(traces_, path + "|" + format, version, [&] { return files_.trace(path, format); });
  }

private:
  template <typename T> struct Entry {
    std::string version;
    std::shared_ptr<const T> value;
  };
  template <typename T, typename Load>
  std::shared_ptr<const T> cached(std::map<std::string, Entry<T>>& map, const std::string& key,
                                  const std::string& version, Load&& load) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = map.find(key);
      if (it != map.end() && it->second.version == version) return it->second.value;
    }
    // Loaded outside the lock (a trace takes seconds); two threads may both load a new version, one result is kept.
    std::shared_ptr<const T> value = load();
    std::lock_guard<std::mutex> lock(mutex_);
    map[key] = Entry<T>{version, value};
    return value;
  }

  FileInputLoader files_;
  std::mutex mutex_;
  std::map<std::string, Entry<ComputeCalibration>> compute_;
  std::map<std::string, Entry<NetworkCalibration>> network_;
  std::map<std::string, Entry<TraceRouting>> traces_;
};

std::string folder_version(const std::string& dir) {
  std::vector<std::string> parts;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
    if (it->is_regular_file(ec)) parts.push_back(file_version(it->path().string()));
  std::sort(parts.begin(), parts.end());
  std::string out = dir;
  for (const auto& p : parts)
    out += "\n" + p;
  return out;
}

Session::Session(std::string root)
    : data_root_(root.empty() ? moescope::data_root() : std::move(root)),
      loader_(std::make_unique<CachingLoader>(hwdb_dir())) {}

Session::~Session() = default;

std::string Session::hwdb_dir() const {
  return data_root_ + "/hwdb";
}
std::string Session::model_catalog_dir() const {
  return data_root_ + "/models/catalog";
}

namespace {

// `cached` holds what was loaded from `dir` at `version`; reload when the folder's version changed.
template <typename T>
std::shared_ptr<const T> reload_if_changed(std::mutex& mutex, std::shared_ptr<const T>& cached, std::string& version,
                                           const std::string& dir) {
  const std::string now = folder_version(dir);
  std::lock_guard<std::mutex> lock(mutex);
  if (!cached || now != version) {
    cached = std::make_shared<const T>(T::load_or_throw(dir));
    version = now;
  }
  return cached;
}

} // namespace

std::shared_ptr<const HardwareDatabase> Session::hwdb() {
  return reload_if_changed(mutex_, hwdb_, hwdb_version_, hwdb_dir());
}

std::shared_ptr<const ModelCatalog> Session::catalog() {
  return reload_if_changed(mutex_, catalog_, catalog_version_, model_catalog_dir());
}

InputLoader& Session::loader() {
  return *loader_;
}

Scenario Session::load_scenario(const std::string& path) const {
  return load_scenario_file(path);
}

Scenario Session::read_scenario(const Json& json, const std::string& label) const {
  Diagnostics d;
  Scenario s = moescope::read_scenario(json, label, d);
  d.throw_if_any();
  return s;
}

namespace {

ResolvedScenario resolve_with(const Scenario& scenario, const HardwareDatabase& hwdb, const ModelCatalog& catalog,
                              InputLoader& loader) {
  check_engine_extension_names(scenario, scenario.engine);
  ResolvedScenario r = resolve_scenario(scenario, hwdb, catalog);
  load_inputs(r, scenario.engine, loader);
  return r;
}

} // namespace

ResolvedScenario Session::resolve(const Scenario& scenario) {
  const auto db = hwdb();
  const auto models = catalog();
  return resolve_with(scenario, *db, *models, *loader_);
}

Evaluation Session::evaluate(const Scenario& scenario) {
  Evaluation e;
  e.scenario = resolve(scenario);
  e.result = evaluate_deployment(e.scenario, e.scenario.scenario.engine, /*all_phases=*/true);
  return e;
}

Evaluation Session::evaluate_file(const std::string& path) {
  return evaluate(load_scenario(path));
}

bool Session::evaluate_metrics(const Json& scenario, const std::string& label, const HardwareDatabase& hwdb,
                               const ModelCatalog& catalog, std::map<std::string, double>& metrics, std::string& error,
                               Json* details) {
  try {
    const Scenario s = read_scenario(scenario, label);
    const ResolvedScenario rs = resolve_with(s, hwdb, catalog, *loader_);
    const DeploymentResult r = evaluate_deployment(rs, s.engine);
    metrics = deployment_metrics(r);
    if (details) *details = deployment_result_to_json(r);
    return true;
  } catch (const InputError& e) {
    error.clear();
    for (const auto& x : e.diagnostics().items())
      error += (error.empty() ? "" : "; ") + x.location + ": " + x.message;
  } catch (const std::exception& e) {
    error = e.what();
  }
  return false;
}

bool Session::evaluate_metrics(const Json& scenario, const std::string& label, std::map<std::string, double>& metrics,
                               std::string& error, Json* details) {
  const auto db = hwdb();
  const auto models = catalog();
  return evaluate_metrics(scenario, label, *db, *models, metrics, error, details);
}

} // namespace moescope
