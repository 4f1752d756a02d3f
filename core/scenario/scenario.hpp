#pragma once
// A scenario: which model, on which hardware, deployed how, serving what, routed how, placed how.
// The JSON format is documented in docs/scenario-format.md.
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "scenario/engine_config.hpp"
#include "util/data_type.hpp"
#include "util/json_reader.hpp"

namespace moescope {

enum class Phase { prefill, decode, both };
std::string to_string(Phase p);

struct DeploymentSpec {
  std::int64_t nodes = 1;         // scale-up domains
  std::int64_t gpus_per_node = 0; // 0 = the system's scale-up domain size
  std::int64_t attention_tp = 1;
  std::int64_t attention_dp = 0; // 0 = all GPUs of a pipeline stage / attention_tp
  std::int64_t moe_ep = 0;       // 0 = all GPUs of a pipeline stage / moe_tp
  std::int64_t moe_tp = 1;
  std::int64_t pp = 1;
  bool disaggregated = false; // prefill and decode on separate node pools
  std::int64_t prefill_nodes = 0;
  std::int64_t decode_nodes = 0;
};

struct DataTypes {
  DataType weights = DataType::bf16;
  DataType activations = DataType::bf16;
  DataType kv_cache = DataType::bf16;
  DataType dispatch = DataType::bf16; // all-to-all dispatch payload
  DataType combine = DataType::bf16;  // all-to-all combine payload
};

struct WorkloadSpec {
  Phase phase = Phase::decode;
  std::int64_t batch_per_gpu = 1;          // decode: sequences in flight per GPU
  std::int64_t prefill_tokens_per_gpu = 0; // prefill: tokens per GPU per step (0 = one prompt per GPU)
  std::int64_t input_tokens = 1024;
  std::int64_t output_tokens = 1024;
  double kv_cache_hit_rate = 0.0; // fraction of prompt tokens whose KV is reused (prefix cache)
  DataTypes dtypes;
};

enum class RoutingKind { uniform, power_law, trace };
std::string to_string(RoutingKind k);

struct RoutingSpec {
  RoutingKind kind = RoutingKind::uniform;
  double power_law_exponent = 0.0; // power_law: popularity of the i-th most popular expert ~ i^-exponent
  std::string trace_file;          // trace: path (resolved relative to the scenario file)
  std::string trace_format = "auto";
  // Expected-value modes with uniform popularity: apply the model's group-limited routing (DeepSeek-V3: a token
  // picks its experts from 4 of 8 groups), which changes how many nodes a token reaches, not the expert loads.
  bool group_limited = true;
};

// Settings of a placement fit, read strictly: one set for every strategy, each using those it needs. The defaults
// are placement::FitOptions' (tested).
struct PlacementFitSettings {
  double balance_cap = 1.10;    // homing: weighted requests per node <= cap x mean
  double node_load_cap = 1.05;  // strategies that bound it: expert load per node <= cap x mean
  std::uint64_t seed = 0;       // k-means initialisation and anything random
  std::int64_t eplb_groups = 0; // EPLB hierarchical: expert groups (0 = one per node)
};

// The names of ReplicaChoice (network/expert_placement.hpp; the scenario module cannot include it; tested equal).
const std::vector<std::string>& replica_rule_names();

struct PlacementSpec {
  std::string strategy = "linear";
  std::int64_t expert_slots_per_gpu = 0; // 0 = routed experts / EP (must divide); more than that = redundant slots
  // Which copy of an expert a token uses (network/expert_placement.hpp ReplicaChoice, by name).
  std::string replica_rule = "node_cover";
  PlacementFitSettings options;
};

// Overrides of hardware figures (plain numbers in SI units; the report marks them as scenario overrides).
struct HardwareOverrides {
  std::optional<std::string> accelerator;           // use another accelerator in the system's node
  std::map<std::string, double> accelerator_fields; // e.g. "hbm_bandwidth_bytes_per_s", "peak_dense_flop_per_s/fp8"
  std::map<std::string, double>
      scale_up_fields; // "link_bandwidth_per_direction_bytes_per_s", "links_per_device", "latency_seconds"
  std::map<std::string, double> scale_out_fields; // same, plus "nics_per_accelerator"
};

struct Scenario {
  std::string file; // where it was read from ("" for inline)
  std::string name;
  std::string description;
  std::string model;
  std::string system;
  HardwareOverrides overrides;
  DeploymentSpec deployment;
  WorkloadSpec workload;
  RoutingSpec routing;
  PlacementSpec placement;
  EngineConfig engine; // the "engine" object, read once (scenario/engine_config.hpp)
};

// Reads the scenario's own fields (syntax, types, ranges). Names and divisibility are checked when the
// scenario is resolved against the hardware database and model catalog (resolved_scenario.hpp).
Scenario read_scenario(const Json& json, const std::string& file, Diagnostics& diagnostics);
Scenario load_scenario_file(const std::string& path); // throws InputError with every problem
Json scenario_to_json(const Scenario& s);

} // namespace moescope
