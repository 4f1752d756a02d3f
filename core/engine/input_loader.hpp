#pragma once
// Loads what an evaluation reads from files besides the hardware database and the model catalog (ScenarioInputs in
// scenario/resolved_scenario.hpp): the compute calibration, the network calibration and the trace that the scenario's
// engine settings name. The step model reads no file itself; a caller that evaluates many scenarios passes a loader
// that caches (study::Session, by file version), a one-off caller the plain FileInputLoader.
#include <memory>
#include <string>

#include "compute/calibration.hpp"
#include "network/network_calibration.hpp"
#include "scenario/resolved_scenario.hpp"

namespace moescope {

class InputLoader {
public:
  virtual ~InputLoader() = default;
  // hwdb/calibrations/<accelerator>-compute.json; the built-in default for "default". `required`: a missing file is
  // an InputError (a calibration the user named); otherwise the built-in default is returned.
  virtual std::shared_ptr<const ComputeCalibration> compute_calibration(const std::string& accelerator,
                                                                        bool required) = 0;
  // hwdb/calibrations/<system>-network.json; null when there is none and it is not `required`.
  virtual std::shared_ptr<const NetworkCalibration> network_calibration(const std::string& system, bool required) = 0;
  virtual std::shared_ptr<const TraceRouting> trace(const std::string& path, const std::string& format) = 0;
};

// Reads the files on every call.
class FileInputLoader : public InputLoader {
public:
  explicit FileInputLoader(std::string hwdb_dir);
  std::shared_ptr<const ComputeCalibration> compute_calibration(const std::string& accelerator, bool required) override;
  std::shared_ptr<const NetworkCalibration> network_calibration(const std::string& system, bool required) override;
  std::shared_ptr<const TraceRouting> trace(const std::string& path, const std::string& format) override;
  const std::string& hwdb_dir() const { return hwdb_dir_; }

private:
  std::string hwdb_dir_;
};

// The calibration names `config` asks for on `s`.
std::string compute_calibration_name(const ResolvedScenario& s, const EngineConfig& config);
std::string network_calibration_name(const ResolvedScenario& s, const EngineConfig& config);

// Fills s.inputs for `config` through `loader`. Errors (a named calibration that does not exist, an unreadable trace)
// are InputErrors naming the scenario field.
void load_inputs(ResolvedScenario& s, const EngineConfig& config, InputLoader& loader);

// Whether s.inputs were loaded for `config`.
bool inputs_match(const ResolvedScenario& s, const EngineConfig& config);
// `s` with inputs loaded for `config`: `s` itself when they match, otherwise a copy in `storage` loaded by a
// FileInputLoader on hwdb_dir() (a caller that did not load them, e.g. a test that changes the engine settings of a
// resolved scenario).
const ResolvedScenario& with_inputs(const ResolvedScenario& s, const EngineConfig& config, ResolvedScenario& storage);

} // namespace moescope
