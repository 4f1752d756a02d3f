#pragma once
// A node type (accelerators, scale-up fabric, NICs) and the cluster built from it. In moescope a deployment's
// "node" is one scale-up domain: DGX H100 = 8 GPUs, GB200 NVL72 = 72.
#include <optional>
#include <string>

#include "hw/quantity.hpp"

namespace moescope {

enum class ScaleUpTopology { switched, full_mesh, torus_2d, torus_3d };
enum class ScaleOutTopology { fat_tree, rail_only, torus, dragonfly, none };

std::string to_string(ScaleUpTopology t);
std::string to_string(ScaleOutTopology t);

struct SystemSpec {
  std::string name;
  std::string display_name;
  std::string file;

  // node
  std::string accelerator;
  Quantity accelerators_per_node;
  std::string scale_up_interconnect;
  ScaleUpTopology scale_up_topology = ScaleUpTopology::switched;
  Quantity scale_up_domain_size;
  std::optional<std::string> scale_out_interconnect;
  Quantity nics_per_accelerator;
  std::optional<std::string> pcie_interconnect;

  // cluster
  Quantity max_nodes;
  ScaleOutTopology scale_out_topology = ScaleOutTopology::fat_tree;
  bool rail_optimized = false;
  Quantity oversubscription;

  Quantity price_per_gpu_hour_usd; // optional
};

SystemSpec read_system(const Json& json, const std::string& file, Diagnostics& diagnostics);
Json system_to_json(const SystemSpec& s);

} // namespace moescope
