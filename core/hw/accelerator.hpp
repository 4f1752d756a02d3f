#pragma once
// One accelerator model (GPU, TPU, NPU): the hardware template of the compute and memory models.
#include <map>
#include <optional>
#include <string>

#include "hw/quantity.hpp"
#include "util/data_type.hpp"

namespace moescope {

struct Accelerator {
  std::string name;
  std::string display_name;
  std::string vendor;
  std::string file; // where it was loaded from

  std::map<DataType, Quantity> peak_dense_flop_per_s;
  Quantity hbm_capacity_bytes;
  Quantity hbm_bandwidth_bytes_per_s;
  Quantity l2_cache_bytes;
  Quantity shared_memory_per_unit_bytes;
  Quantity on_chip_sram_bytes;
  Quantity compute_units;
  Quantity clock_hz;
  Quantity tdp_watts;

  bool supports(DataType t) const { return peak_dense_flop_per_s.count(t) != 0; }
  // Peak dense FLOP/s for `t`. A type the device lacks falls back to the nearest wider type it has (fp4 -> fp8 ->
  // bf16), as a kernel would upcast; returns 0 when nothing fits.
  double peak_flop_per_s(DataType t) const;
  DataType effective_compute_type(DataType t) const;
};

Accelerator read_accelerator(const Json& json, const std::string& file, Diagnostics& diagnostics);
Json accelerator_to_json(const Accelerator& a);

} // namespace moescope
