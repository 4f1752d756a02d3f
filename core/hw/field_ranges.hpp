#pragma once
// The range of every hardware figure, in hwdb/ items and in a scenario's hardware_overrides alike. A range follows
// from what the figure can mean (a GPU of 10^-300 bytes/s is a typo, not a design point) and keeps every derived
// time finite; docs/hwdb-schema.md lists them.
#include <string_view>

#include "util/json_reader.hpp"

namespace moescope {

namespace hw_range {
inline constexpr FieldRange flop_per_s{1e9, 1e19};
inline constexpr FieldRange hbm_capacity_bytes{1e6, 1e14};
inline constexpr FieldRange hbm_bandwidth_bytes_per_s{1e6, 1e16};
inline constexpr FieldRange on_chip_bytes{1, 1e13};
inline constexpr FieldRange compute_units{1, 1e6, true};
inline constexpr FieldRange clock_hz{1e6, 1e11};
inline constexpr FieldRange power_watts{1, 1e6};
inline constexpr FieldRange link_bandwidth_bytes_per_s{1e3, 1e15};
inline constexpr FieldRange links_per_device{1, 4096, true};
inline constexpr FieldRange latency_seconds{0, 1};
inline constexpr FieldRange bandwidth_fraction{1e-3, 1};
inline constexpr FieldRange accelerators_per_node{1, 1024, true};
inline constexpr FieldRange scale_up_domain_size{1, 131072, true};
inline constexpr FieldRange nics_per_accelerator{1.0 / 64, 64};
inline constexpr FieldRange max_nodes{1, 131072, true};
inline constexpr FieldRange oversubscription{1e-3, 1024};
inline constexpr FieldRange price_usd{0, 1e6};
} // namespace hw_range

// The range of an accelerator or link field by its JSON key (the keys hardware_overrides accepts); nullptr for a
// key that is not a hardware figure.
const FieldRange* hardware_field_range(std::string_view key);

} // namespace moescope
