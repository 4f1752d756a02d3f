#pragma once
// Where experts live: each routed expert on one or more GPUs (replicas), and the rule a token uses to choose among
// replicas. The placement module (strategies such as "linear", load-balanced, EPLB-style redundancy) produces
// this; the network model only reads it.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace moescope {

enum class ReplicaChoice {
  same_node_first, // a replica on the token's GPU, else on its node, else any; round-robin among the candidates
  round_robin,     // all replicas in turn (per expert counter)
  least_loaded,    // the replica with the fewest tokens so far (ties: lowest GPU); same-GPU/same-node not preferred
  // Deduplication-aware, seeing the token's whole top-k: a replica on its GPU, else on its node, else on a node the
  // token reaches anyway, else the fewest additional nodes (greedy cover); the least-loaded copy within a node.
  node_cover,
};
std::string to_string(ReplicaChoice c);
std::vector<std::string> replica_choice_names(); // in enum order
std::optional<ReplicaChoice> parse_replica_choice(const std::string& name);

struct Placement {
  std::int32_t num_experts = 0;
  std::int32_t num_gpus = 0; // GPUs of the EP group (ranks 0..num_gpus-1 of the topology)
  std::vector<std::int32_t>
      replica_offsets; // size num_experts + 1: replicas of expert e are [offsets[e], offsets[e+1])
  std::vector<std::int32_t> replica_gpus;
  ReplicaChoice choice = ReplicaChoice::same_node_first;

  std::int32_t replicas(std::int32_t e) const { return replica_offsets[e + 1] - replica_offsets[e]; }
  const std::int32_t* replicas_begin(std::int32_t e) const { return replica_gpus.data() + replica_offsets[e]; }
  // Throws std::invalid_argument on an inconsistent placement (an expert without a replica, a GPU out of range).
  void check() const;

  // From one list of GPUs per expert.
  static Placement from_lists(std::int32_t num_gpus, const std::vector<std::vector<std::int32_t>>& gpus_of_expert,
                              ReplicaChoice choice = ReplicaChoice::same_node_first);
  // "linear": slot s of GPU g holds expert (g * slots_per_gpu + s) mod num_experts. With slots_per_gpu =
  // experts / gpus this is the contiguous block placement; more slots add replicas of the lowest-numbered experts.
  static Placement linear(std::int32_t num_experts, std::int32_t num_gpus, std::int32_t slots_per_gpu,
                          ReplicaChoice choice = ReplicaChoice::same_node_first);
};

} // namespace moescope
