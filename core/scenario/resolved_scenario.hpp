#pragma once
// A scenario resolved against the hardware database and the model catalog: names looked up, overrides
// applied, parallel degrees filled in and checked. Everything downstream (cost models, reports) reads this.
#include <memory>
#include <optional>
#include <string>

#include "hw/hardware_database.hpp"
#include "model/model_catalog.hpp"
#include "scenario/scenario.hpp"

namespace moescope {

struct ResolvedDeployment {
  std::int64_t nodes = 1;
  std::int64_t gpus_per_node = 1;
  std::int64_t total_gpus = 1;
  std::int64_t gpus_per_stage = 1; // total / pp
  std::int64_t attention_tp = 1;
  std::int64_t attention_dp = 1;
  std::int64_t moe_ep = 1;
  std::int64_t moe_tp = 1;
  std::int64_t pp = 1;
  std::int64_t expert_slots_per_gpu = 0;   // routed-expert slots on each GPU (each slot holds one expert's 1/moe_tp)
  std::int64_t redundant_expert_slots = 0; // slots beyond one per routed expert, over the EP group
  std::int64_t layers_per_stage = 0;       // max over stages
};

// Defined by the modules that read them (compute, network, engine); the scenario only carries them.
struct ComputeCalibration;
struct NetworkCalibration;
class TraceRouting;

// What an evaluation reads from files besides the hardware database and the model catalog: the calibrations it
// uses and the trace it replays, loaded by the caller (engine/input_loader.hpp; study::Session caches them by file
// modification time), so that the cost models read no file and keep no process-wide cache. Each is tagged with
// the name it was loaded for, so that a caller that asks for another one is noticed.
struct ScenarioInputs {
  bool loaded = false;
  std::string compute_calibration_name;                          // accelerator name or "default"
  std::shared_ptr<const ComputeCalibration> compute_calibration; // null: not loaded
  std::string network_calibration_name;                          // system name; "none" = speed of light
  std::shared_ptr<const NetworkCalibration> network_calibration; // null: the system has none (speed of light)
  std::shared_ptr<const TraceRouting> trace;                     // routing.kind "trace" only
};

struct ResolvedScenario {
  Scenario scenario;
  SystemSpec system;
  Accelerator accelerator; // with overrides applied
  Interconnect scale_up;   // with overrides applied
  std::optional<Interconnect> scale_out;
  double nics_per_accelerator = 0.0;
  ModelArchitecture model;
  ResolvedDeployment deployment;
  ScenarioInputs inputs;
};

// Throws InputError listing every problem (unknown names, degrees that do not divide, ...), each naming the
// scenario file and JSON pointer.
ResolvedScenario resolve_scenario(const Scenario& scenario, const HardwareDatabase& hwdb, const ModelCatalog& catalog);

} // namespace moescope
