#include "hw/interconnect.hpp"

namespace moescope {

namespace {
constexpr std::pair<InterconnectFamily, const char*> kFamilies[] = {
    {InterconnectFamily::nvlink, "nvlink"},
    {InterconnectFamily::infinity_fabric, "infinity_fabric"},
    {InterconnectFamily::ici, "ici"},
    {InterconnectFamily::neuronlink, "neuronlink"},
    {InterconnectFamily::infiniband, "infiniband"},
    {InterconnectFamily::roce, "roce"},
    {InterconnectFamily::efa, "efa"},
    {InterconnectFamily::pcie, "pcie"},
    {InterconnectFamily::ethernet, "ethernet"},
};
} // namespace

std::string to_string(InterconnectFamily f) {
  for (const auto& [family, name] : kFamilies)
    if (family == f) return name;
  return "?";
}

const std::vector<std::string>& interconnect_family_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& [family, name] : kFamilies)
      n.emplace_back(name);
    return n;
  }();
  return names;
}

Interconnect read_interconnect(const Json& json, const std::string& file, Diagnostics& diagnostics) {
  Interconnect i;
  i.file = file;
  JsonObjectReader r(json, file, "", diagnostics);
  if (!r.valid()) return i;
  r.choice("kind", {"interconnect"});
  i.name = r.string("name");
  i.display_name = r.string("display_name");
  std::string family = r.choice("family", interconnect_family_names());
  for (const auto& [f, name] : kFamilies)
    if (family == name) i.family = f;
  i.link_bandwidth_per_direction_bytes_per_s =
      read_quantity(r, "link_bandwidth_per_direction_bytes_per_s", hw_range::link_bandwidth_bytes_per_s);
  i.links_per_device = read_quantity(r, "links_per_device", hw_range::links_per_device);
  i.latency_seconds = read_quantity(r, "latency_seconds", hw_range::latency_seconds);
  i.achievable_bandwidth_fraction =
      read_quantity(r, "achievable_bandwidth_fraction", hw_range::bandwidth_fraction, false);
  if (i.achievable_bandwidth_fraction && i.achievable_bandwidth_fraction.value == 0.0)
    r.error("achievable_bandwidth_fraction", "expected a fraction > 0");
  r.finish();
  return i;
}

Json interconnect_to_json(const Interconnect& i) {
  Json j = {{"kind", "interconnect"},
            {"name", i.name},
            {"display_name", i.display_name},
            {"family", to_string(i.family)},
            {"link_bandwidth_per_direction_bytes_per_s", quantity_to_json(i.link_bandwidth_per_direction_bytes_per_s)},
            {"links_per_device", quantity_to_json(i.links_per_device)},
            {"latency_seconds", quantity_to_json(i.latency_seconds)}};
  if (i.achievable_bandwidth_fraction)
    j["achievable_bandwidth_fraction"] = quantity_to_json(i.achievable_bandwidth_fraction);
  return j;
}

} // namespace moescope
