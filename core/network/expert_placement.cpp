#include "network/expert_placement.hpp"

#include <stdexcept>

namespace moescope {

std::string to_string(ReplicaChoice c) {
  switch (c) {
  case ReplicaChoice::same_node_first:
    return "same_node_first";
  case ReplicaChoice::round_robin:
    return "round_robin";
  case ReplicaChoice::least_loaded:
    return "least_loaded";
  case ReplicaChoice::node_cover:
    return "node_cover";
  }
  return "?";
}

std::vector<std::string> replica_choice_names() {
  return {"same_node_first", "round_robin", "least_loaded", "node_cover"};
}

std::optional<ReplicaChoice> parse_replica_choice(const std::string& name) {
  for (auto c : {ReplicaChoice::same_node_first, ReplicaChoice::round_robin, ReplicaChoice::least_loaded,
                 ReplicaChoice::node_cover})
    if (to_string(c) == name) return c;
  return std::nullopt;
}

void Placement::check() const {
  if (num_experts < 1 || num_gpus < 1) throw std::invalid_argument("placement: no experts or no GPUs");
  if (replica_offsets.size() != static_cast<std::size_t>(num_experts) + 1 || replica_offsets.front() != 0 ||
      replica_offsets.back() != static_cast<std::int32_t>(replica_gpus.size()))
    throw std::invalid_argument("placement: replica_offsets inconsistent with replica_gpus");
  for (std::int32_t e = 0; e < num_experts; ++e)
    if (replicas(e) < 1) throw std::invalid_argument("placement: expert " + std::to_string(e) + " has no replica");
  for (auto g : replica_gpus)
    if (g < 0 || g >= num_gpus) throw std::invalid_argument("placement: GPU " + std::to_string(g) + " out of range");
}

Placement Placement::from_lists(std::int32_t num_gpus, const std::vector<std::vector<std::int32_t>>& gpus_of_expert,
                                ReplicaChoice choice) {
  Placement p;
  p.num_experts = static_cast<std::int32_t>(gpus_of_expert.size());
  p.num_gpus = num_gpus;
  p.choice = choice;
  p.replica_offsets.push_back(0);
  for (const auto& list : gpus_of_expert) {
    p.replica_gpus.insert(p.replica_gpus.end(), list.begin(), list.end());
    p.replica_offsets.push_back(static_cast<std::int32_t>(p.replica_gpus.size()));
  }
  p.check();
  return p;
}

Placement Placement::linear(std::int32_t num_experts, std::int32_t num_gpus, std::int32_t slots_per_gpu,
                            ReplicaChoice choice) {
  if (slots_per_gpu < 1) slots_per_gpu = (num_experts + num_gpus - 1) / num_gpus;
  std::vector<std::vector<std::int32_t>> lists(static_cast<std::size_t>(num_experts));
  for (std::int32_t g = 0; g < num_gpus; ++g)
    for (std::int32_t s = 0; s < slots_per_gpu; ++s) {
      const auto e = static_cast<std::int32_t>((static_cast<std::int64_t>(g) * slots_per_gpu + s) % num_experts);
      auto& l = lists[static_cast<std::size_t>(e)];
      if (l.empty() || l.back() != g) l.push_back(g);
    }
  return from_lists(num_gpus, lists, choice);
}

} // namespace moescope
