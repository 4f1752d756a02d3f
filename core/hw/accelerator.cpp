#include "hw/accelerator.hpp"

namespace moescope {

namespace {
// Wider types a kernel would fall back to when the device lacks `t`.
std::vector<DataType> fallback_chain(DataType t) {
  switch (t) {
  case DataType::nvfp4:
    return {DataType::nvfp4, DataType::fp4, DataType::fp6, DataType::fp8, DataType::bf16};
  case DataType::fp4:
    return {DataType::fp4, DataType::nvfp4, DataType::fp6, DataType::fp8, DataType::bf16};
  case DataType::fp6:
    return {DataType::fp6, DataType::fp8, DataType::bf16};
  case DataType::fp8:
    return {DataType::fp8, DataType::bf16};
  case DataType::int8:
    return {DataType::int8, DataType::bf16};
  case DataType::fp16:
    return {DataType::fp16, DataType::bf16};
  case DataType::bf16:
    return {DataType::bf16, DataType::fp16};
  case DataType::tf32:
    return {DataType::tf32, DataType::fp32};
  case DataType::fp32:
    return {DataType::fp32};
  }
  return {t};
}
} // namespace

DataType Accelerator::effective_compute_type(DataType t) const {
  for (DataType c : fallback_chain(t))
    if (supports(c)) return c;
  return t;
}

double Accelerator::peak_flop_per_s(DataType t) const {
  auto it = peak_dense_flop_per_s.find(effective_compute_type(t));
  return it == peak_dense_flop_per_s.end() ? 0.0 : it->second.value;
}

Accelerator read_accelerator(const Json& json, const std::string& file, Diagnostics& diagnostics) {
  Accelerator a;
  a.file = file;
  JsonObjectReader r(json, file, "", diagnostics);
  if (!r.valid()) return a;
  r.choice("kind", {"accelerator"});
  a.name = r.string("name");
  a.display_name = r.string("display_name");
  a.vendor = r.string("vendor");
  {
    JsonObjectReader peaks = r.object("peak_dense_flop_per_s");
    if (peaks.valid()) {
      for (const auto& type_name : data_type_names()) {
        if (!peaks.has(type_name)) continue;
        Quantity q = read_quantity(peaks, type_name, hw_range::flop_per_s);
        if (q) a.peak_dense_flop_per_s[*parse_data_type(type_name)] = q;
      }
      peaks.finish();
      if (!a.supports(DataType::bf16) && !a.peak_dense_flop_per_s.empty())
        peaks.error_here("expected at least a \"bf16\" entry");
    }
  }
  a.hbm_capacity_bytes = read_quantity(r, "hbm_capacity_bytes", hw_range::hbm_capacity_bytes);
  a.hbm_bandwidth_bytes_per_s = read_quantity(r, "hbm_bandwidth_bytes_per_s", hw_range::hbm_bandwidth_bytes_per_s);
  a.l2_cache_bytes = read_quantity(r, "l2_cache_bytes", hw_range::on_chip_bytes, false);
  a.shared_memory_per_unit_bytes = read_quantity(r, "shared_memory_per_unit_bytes", hw_range::on_chip_bytes, false);
  a.on_chip_sram_bytes = read_quantity(r, "on_chip_sram_bytes", hw_range::on_chip_bytes, false);
  a.compute_units = read_quantity(r, "compute_units", hw_range::compute_units, false);
  a.clock_hz = read_quantity(r, "clock_hz", hw_range::clock_hz, false);
  a.tdp_watts = read_quantity(r, "tdp_watts", hw_range::power_watts, false);
  r.finish();
  return a;
}

Json accelerator_to_json(const Accelerator& a) {
  Json j;
  j["kind"] = "accelerator";
  j["name"] = a.name;
  j["display_name"] = a.display_name;
  j["vendor"] = a.vendor;
  Json peaks = Json::object();
  for (const auto& [t, q] : a.peak_dense_flop_per_s)
    peaks[to_string(t)] = quantity_to_json(q);
  j["peak_dense_flop_per_s"] = peaks;
  auto put = [&](const char* key, const Quantity& q) {
    if (q) j[key] = quantity_to_json(q);
  };
  put("hbm_capacity_bytes", a.hbm_capacity_bytes);
  put("hbm_bandwidth_bytes_per_s", a.hbm_bandwidth_bytes_per_s);
  put("l2_cache_bytes", a.l2_cache_bytes);
  put("shared_memory_per_unit_bytes", a.shared_memory_per_unit_bytes);
  put("on_chip_sram_bytes", a.on_chip_sram_bytes);
  put("compute_units", a.compute_units);
  put("clock_hz", a.clock_hz);
  put("tdp_watts", a.tdp_watts);
  return j;
}

} // namespace moescope
