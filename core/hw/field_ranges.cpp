#include "hw/field_ranges.hpp"

#include <array>
#include <utility>

namespace moescope {

const FieldRange* hardware_field_range(std::string_view key) {
  static constexpr std::array<std::pair<std::string_view, FieldRange>, 13> kByKey{{
      {"peak_dense_flop_per_s", hw_range::flop_per_s},
      {"hbm_capacity_bytes", hw_range::hbm_capacity_bytes},
      {"hbm_bandwidth_bytes_per_s", hw_range::hbm_bandwidth_bytes_per_s},
      {"l2_cache_bytes", hw_range::on_chip_bytes},
      {"shared_memory_per_unit_bytes", hw_range::on_chip_bytes},
      {"compute_units", hw_range::compute_units},
      {"clock_hz", hw_range::clock_hz},
      {"tdp_watts", hw_range::power_watts},
      {"link_bandwidth_per_direction_bytes_per_s", hw_range::link_bandwidth_bytes_per_s},
      {"links_per_device", hw_range::links_per_device},
      {"latency_seconds", hw_range::latency_seconds},
      {"achievable_bandwidth_fraction", hw_range::bandwidth_fraction},
      {"nics_per_accelerator", hw_range::nics_per_accelerator},
  }};
  for (const auto& [k, range] : kByKey)
    if (k == key) return &range;
  return nullptr;
}

} // namespace moescope
