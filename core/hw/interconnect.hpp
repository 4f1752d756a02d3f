#pragma once
// One link, switch or NIC generation (NVLink 4, ConnectX-7 NDR, PCIe 5 x16, ...).
#include <string>

#include "hw/quantity.hpp"

namespace moescope {

enum class InterconnectFamily { nvlink, infinity_fabric, ici, neuronlink, infiniband, roce, efa, pcie, ethernet };

std::string to_string(InterconnectFamily f);
const std::vector<std::string>& interconnect_family_names();

struct Interconnect {
  std::string name;
  std::string display_name;
  std::string file;
  InterconnectFamily family = InterconnectFamily::nvlink;
  Quantity link_bandwidth_per_direction_bytes_per_s;
  Quantity links_per_device;
  Quantity latency_seconds;
  Quantity achievable_bandwidth_fraction; // optional

  // Line rate of all links of one device, one direction.
  double device_bandwidth_per_direction_bytes_per_s() const {
    return link_bandwidth_per_direction_bytes_per_s.value * links_per_device.value;
  }
  // What bulk transfers reach: line rate times the measured fraction (1 when none is given).
  double achievable_device_bandwidth_per_direction_bytes_per_s() const {
    return device_bandwidth_per_direction_bytes_per_s() *
           (achievable_bandwidth_fraction ? achievable_bandwidth_fraction.value : 1.0);
  }
};

Interconnect read_interconnect(const Json& json, const std::string& file, Diagnostics& diagnostics);
Json interconnect_to_json(const Interconnect& i);

} // namespace moescope
