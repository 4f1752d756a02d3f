#include "hw/system.hpp"

namespace moescope {

namespace {
const std::vector<std::string> kScaleUp = {"switched", "full_mesh", "torus_2d", "torus_3d"};
const std::vector<std::string> kScaleOut = {"fat_tree", "rail_only", "torus", "dragonfly", "none"};
template <class E> E enum_at(const std::vector<std::string>& names, const std::string& s, E fallback) {
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == s) return static_cast<E>(i);
  return fallback;
}
} // namespace

std::string to_string(ScaleUpTopology t) {
  return kScaleUp[static_cast<std::size_t>(t)];
}
std::string to_string(ScaleOutTopology t) {
  return kScaleOut[static_cast<std::size_t>(t)];
}

SystemSpec read_system(const Json& json, const std::string& file, Diagnostics& diagnostics) {
  SystemSpec s;
  s.file = file;
  JsonObjectReader r(json, file, "", diagnostics);
  if (!r.valid()) return s;
  r.choice("kind", {"system"});
  s.name = r.string("name");
  s.display_name = r.string("display_name");
  {
    JsonObjectReader node = r.object("node");
    if (node.valid()) {
      s.accelerator = node.string("accelerator");
      s.accelerators_per_node = read_quantity(node, "accelerators_per_node", hw_range::accelerators_per_node);
      JsonObjectReader up = node.object("scale_up");
      if (up.valid()) {
        s.scale_up_interconnect = up.string("interconnect");
        s.scale_up_topology = enum_at(kScaleUp, up.choice("topology", kScaleUp), ScaleUpTopology::switched);
        s.scale_up_domain_size = read_quantity(up, "domain_size", hw_range::scale_up_domain_size);
        up.finish();
      }
      if (auto out = node.object_if_present("scale_out"); out && out->valid()) {
        s.scale_out_interconnect = out->string("interconnect");
        s.nics_per_accelerator = read_quantity(*out, "nics_per_accelerator", hw_range::nics_per_accelerator);
        out->finish();
      }
      if (auto pcie = node.object_if_present("pcie"); pcie && pcie->valid()) {
        s.pcie_interconnect = pcie->string("interconnect");
        pcie->finish();
      }
      node.finish();
    }
  }
  {
    JsonObjectReader cluster = r.object("cluster");
    if (cluster.valid()) {
      s.max_nodes = read_quantity(cluster, "max_nodes", hw_range::max_nodes);
      s.scale_out_topology =
          enum_at(kScaleOut, cluster.choice("scale_out_topology", kScaleOut), ScaleOutTopology::fat_tree);
      s.rail_optimized = cluster.boolean("rail_optimized");
      s.oversubscription = read_quantity(cluster, "oversubscription", hw_range::oversubscription);
      cluster.finish();
    }
  }
  s.price_per_gpu_hour_usd = read_quantity(r, "price_per_gpu_hour_usd", hw_range::price_usd, false);
  r.finish();
  return s;
}

Json system_to_json(const SystemSpec& s) {
  Json node = {{"accelerator", s.accelerator},
               {"accelerators_per_node", quantity_to_json(s.accelerators_per_node)},
               {"scale_up",
                {{"interconnect", s.scale_up_interconnect},
                 {"topology", to_string(s.scale_up_topology)},
                 {"domain_size", quantity_to_json(s.scale_up_domain_size)}}}};
  if (s.scale_out_interconnect)
    node["scale_out"] = {{"interconnect", *s.scale_out_interconnect},
                         {"nics_per_accelerator", quantity_to_json(s.nics_per_accelerator)}};
  if (s.pcie_interconnect) node["pcie"] = {{"interconnect", *s.pcie_interconnect}};
  Json j = {{"kind", "system"},
            {"name", s.name},
            {"display_name", s.display_name},
            {"node", node},
            {"cluster",
             {{"max_nodes", quantity_to_json(s.max_nodes)},
              {"scale_out_topology", to_string(s.scale_out_topology)},
              {"rail_optimized", s.rail_optimized},
              {"oversubscription", quantity_to_json(s.oversubscription)}}}};
  if (s.price_per_gpu_hour_usd) j["price_per_gpu_hour_usd"] = quantity_to_json(s.price_per_gpu_hour_usd);
  return j;
}

} // namespace moescope
