#pragma once
// A scenario resolved against the hardware database and the model catalog: names looked up, overrides
// applied, parallel degrees filled in and checked. Everything downstream (cost models, reports) reads this.
#include <optional>

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

struct ResolvedScenario {
  Scenario scenario;
  SystemSpec system;
  Accelerator accelerator; // with overrides applied
  Interconnect scale_up;   // with overrides applied
  std::optional<Interconnect> scale_out;
  double nics_per_accelerator = 0.0;
  ModelArchitecture model;
  ResolvedDeployment deployment;
};

// Throws InputError listing every problem (unknown names, degrees that do not divide, ...), each naming the
// scenario file and JSON pointer.
ResolvedScenario resolve_scenario(const Scenario& scenario, const HardwareDatabase& hwdb, const ModelCatalog& catalog);

} // namespace moescope
