#include "engine/input_loader.hpp"

#include <filesystem>

#include "engine/trace_routing.hpp"

#include "util/data_paths.hpp"
#include "util/file_version.hpp"

namespace moescope {

namespace {

std::string scenario_file(const ResolvedScenario& s) {
  return s.scenario.file.empty() ? "<inline>" : s.scenario.file;
}

bool wants_trace(const ResolvedScenario& s, const EngineConfig& c) {
  return s.scenario.routing.kind == RoutingKind::trace && c.routing_source != "expected";
}

} // namespace

FileInputLoader::FileInputLoader(std::string hwdb_dir) : hwdb_dir_(std::move(hwdb_dir)) {}

std::shared_ptr<const ComputeCalibration> FileInputLoader::compute_calibration(const std::string& accelerator,
                                                                               bool required) {
  if (accelerator == "default") return std::make_shared<const ComputeCalibration>(default_compute_calibration());
  const std::string path = compute_calibration_path(hwdb_dir_, accelerator);
  if (required && !std::filesystem::exists(path))
    throw InputError(path, "", "no compute calibration for \"" + accelerator + "\" (expected this file)");
  ComputeCalibration c = find_compute_calibration(hwdb_dir_, accelerator);
  // The engine copies its calibration into every compute engine: keep the parameters and the file name only (fit
  // statistics, the fitted case ids and the note stay in the file).
  c.fit = Json();
  c.fitted_on.clear();
  c.note.clear();
  return std::make_shared<const ComputeCalibration>(std::move(c));
}

std::shared_ptr<const NetworkCalibration> FileInputLoader::network_calibration(const std::string& system,
                                                                               bool required) {
  const std::string path = hwdb_dir_ + "/calibrations/" + system + "-network.json";
  if (!std::filesystem::exists(path)) {
    if (required) throw InputError(path, "", "no network calibration for \"" + system + "\" (expected this file)");
    return nullptr;
  }
  return std::make_shared<const NetworkCalibration>(load_network_calibration(path));
}

std::shared_ptr<const TraceRouting> FileInputLoader::trace(const std::string& path, const std::string& format) {
  return std::make_shared<const TraceRouting>(path, format, file_version(path));
}

std::string compute_calibration_name(const ResolvedScenario& s, const EngineConfig& c) {
  return c.compute_calibration.empty() ? s.accelerator.name : c.compute_calibration;
}

std::string network_calibration_name(const ResolvedScenario& s, const EngineConfig& c) {
  return c.network_calibration.empty() ? s.system.name : c.network_calibration;
}

void load_inputs(ResolvedScenario& s, const EngineConfig& c, InputLoader& loader) {
  ScenarioInputs in;
  in.compute_calibration_name = compute_calibration_name(s, c);
  in.network_calibration_name = network_calibration_name(s, c);
  // A calibration or trace the scenario names must exist, and its problems name the scenario's field too; the
  // scenario's own hardware may have no calibration (then the built-in default for compute and speed of light for
  // the network, which the outputs say).
  const auto named = [&](const char* field, auto&& load) {
    try {
      return load();
    } catch (const InputError& e) {
      throw InputError(scenario_file(s), field, e.diagnostics().to_string());
    }
  };
  in.compute_calibration = named("/engine/compute_calibration", [&] {
    return loader.compute_calibration(in.compute_calibration_name, !c.compute_calibration.empty());
  });
  if (in.network_calibration_name != "none")
    in.network_calibration = named("/engine/network_calibration", [&] {
      return loader.network_calibration(in.network_calibration_name, !c.network_calibration.empty());
    });
  if (wants_trace(s, c))
    in.trace = named("/routing/file",
                     [&] { return loader.trace(s.scenario.routing.trace_file, s.scenario.routing.trace_format); });
  in.loaded = true;
  s.inputs = std::move(in);
}

bool inputs_match(const ResolvedScenario& s, const EngineConfig& c) {
  const ScenarioInputs& in = s.inputs;
  return in.loaded && in.compute_calibration_name == compute_calibration_name(s, c) &&
         in.network_calibration_name == network_calibration_name(s, c) && (in.trace || !wants_trace(s, c));
}

const ResolvedScenario& with_inputs(const ResolvedScenario& s, const EngineConfig& c, ResolvedScenario& storage) {
  if (inputs_match(s, c)) return s;
  storage = s;
  FileInputLoader loader(hwdb_dir());
  load_inputs(storage, c, loader);
  return storage;
}

} // namespace moescope
