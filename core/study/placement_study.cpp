#include "study/placement_study.hpp"

#include "util/diagnostics.hpp"

namespace moescope {

placement::ExperimentResult run_placement_study(const PlacementStudy& study) {
  placement::ExperimentConfig cfg = study.config;
  if (cfg.topology.nodes < 1 || cfg.topology.gpus_per_node < 1)
    throw InputError("--nodes/--gpus-per-node", "", "must be at least 1");
  if (!(cfg.test_fraction > 0.0 && cfg.test_fraction < 1.0))
    throw InputError("--test-fraction", "", "must be strictly between 0 and 1");
  if (cfg.folds < 1) throw InputError("--folds", "", "must be at least 1");
  if (cfg.fit.balance_cap < 1.0) throw InputError("--balance-cap", "", "must be at least 1");
  const trace::AnyTrace any = trace::import_trace(study.trace_path, study.import);
  const auto* tr = std::get_if<trace::ExpertTrace>(&any);
  if (!tr)
    throw InputError(study.trace_path, "", "placement needs a per-token trace; this one holds only expert counts");
  const auto experts = std::int32_t(tr->num_experts());
  const auto base = cfg.topology.base_slots(experts);
  if (study.slots > 0 && study.slots < base)
    throw InputError("--slots", "",
                     "at least " + std::to_string(base) + " slots per GPU are needed for " + std::to_string(experts) +
                         " experts");
  cfg.redundant_slots = study.redundant >= 0 ? study.redundant : (study.slots > 0 ? study.slots - base : 0);
  cfg.eval.bytes_per_token =
      study.bytes_per_token > 0 ? study.bytes_per_token : placement::default_bytes_per_token(tr->metadata().model);
  cfg.fit.bytes_per_token = cfg.eval.bytes_per_token;
  return placement::run_experiment(*tr, cfg, study.trace_path);
}

} // namespace moescope
