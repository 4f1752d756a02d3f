#include "compute/calibration.hpp"

#include <filesystem>

#include "util/atomic_file.hpp"

namespace moescope {

double ComputeCalibration::gemm_efficiency(DataType t) const {
  auto it = gemm_compute_efficiency.find(t);
  return it == gemm_compute_efficiency.end() ? gemm_compute_efficiency_default : it->second;
}

ComputeCalibration default_compute_calibration() {
  return ComputeCalibration{};
}

namespace {

std::vector<std::int64_t> read_tiles(JsonObjectReader& r, std::string_view key, std::vector<std::int64_t> fallback) {
  const Json* a = r.raw(key);
  if (!a) return fallback;
  if (!a->is_array() || a->empty()) {
    r.error(key, "expected a non-empty array of positive integers, found " + describe_json(*a));
    return fallback;
  }
  std::vector<std::int64_t> out;
  for (std::size_t i = 0; i < a->size(); ++i) {
    const Json& v = (*a)[i];
    if (!v.is_number_integer() || v.get<std::int64_t>() <= 0 || v.get<std::int64_t>() > 1024) {
      r.diagnostics().add(r.file(), r.pointer_of(key) + "/" + std::to_string(i),
                          "expected a positive integer tile size (at most 1024), found " + describe_json(v));
      continue;
    }
    out.push_back(v.get<std::int64_t>());
  }
  return out.empty() ? fallback : out;
}

double bounded(JsonObjectReader& r, std::string_view key, double fallback, double lo, double hi) {
  if (!r.has(key)) return fallback;
  double v = r.number(key, NumberRule::any);
  if (!(v >= lo && v <= hi)) {
    r.error(key, "expected a number in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], found " +
                     std::to_string(v));
    return fallback;
  }
  return v;
}

} // namespace

ComputeCalibration read_compute_calibration(const Json& json, const std::string& file, Diagnostics& diagnostics) {
  ComputeCalibration c;
  c.file = file;
  JsonObjectReader r(json, file, "", diagnostics);
  if (!r.valid()) return c;
  r.choice("kind", {"compute_calibration"});
  c.accelerator = r.string("accelerator");
  c.note = r.string_or("note", "");
  r.accept("generated_by");
  {
    JsonObjectReader p = r.object("parameters");
    if (p.valid()) {
      if (const Json* obj = p.raw("gemm_compute_efficiency")) {
        JsonObjectReader g(*obj, file, p.pointer_of("gemm_compute_efficiency"), diagnostics);
        if (g.valid()) {
          for (auto it = obj->begin(); it != obj->end(); ++it) {
            if (it.key() == "default") {
              c.gemm_compute_efficiency_default = bounded(g, "default", c.gemm_compute_efficiency_default, 0.01, 1.0);
              continue;
            }
            auto t = parse_data_type(it.key());
            if (!t) {
              g.error(it.key(),
                      "unknown data type (expected default or one of fp32 tf32 bf16 fp16 fp8 fp6 fp4 nvfp4 int8)");
              g.accept(it.key());
              continue;
            }
            c.gemm_compute_efficiency[*t] = bounded(g, it.key(), 0.7, 0.01, 1.0);
          }
          g.finish();
        }
      }
      c.batched_gemm_compute_efficiency =
          bounded(p, "batched_gemm_compute_efficiency", c.batched_gemm_compute_efficiency, 0.01, 1.0);
      c.attention_compute_efficiency =
          bounded(p, "attention_compute_efficiency", c.attention_compute_efficiency, 0.01, 1.0);
      c.memory_bandwidth_efficiency =
          bounded(p, "memory_bandwidth_efficiency", c.memory_bandwidth_efficiency, 0.05, 1.0);
      c.unit_bandwidth_share = bounded(p, "unit_bandwidth_share", c.unit_bandwidth_share, 1e-4, 1.0);
      c.gemm_tile_fixed_k = bounded(p, "gemm_tile_fixed_k", c.gemm_tile_fixed_k, 0.0, 4096.0);
      c.roofline_overlap_exponent = bounded(p, "roofline_overlap_exponent", c.roofline_overlap_exponent, 1.0, 64.0);
      c.kernel_overhead_seconds = bounded(p, "kernel_overhead_seconds", c.kernel_overhead_seconds, 0.0, 1e-3);
      c.eager_launch_overhead_seconds =
          bounded(p, "eager_launch_overhead_seconds", c.eager_launch_overhead_seconds, 0.0, 1e-2);
      c.gemm_tile_m = read_tiles(p, "gemm_tile_m", c.gemm_tile_m);
      c.gemm_tile_n = read_tiles(p, "gemm_tile_n", c.gemm_tile_n);
      if (p.has("attention_query_tile_rows")) c.attention_query_tile_rows = p.integer("attention_query_tile_rows");
      if (p.has("attention_kv_split_tokens")) c.attention_kv_split_tokens = p.integer("attention_kv_split_tokens");
      p.finish();
    }
  }
  if (const Json* f = r.raw("fitted_on")) {
    if (!f->is_array()) {
      r.error("fitted_on", "expected an array of {suite, case_ids}, found " + describe_json(*f));
    } else {
      for (std::size_t i = 0; i < f->size(); ++i) {
        JsonObjectReader e((*f)[i], file, r.pointer_of("fitted_on") + "/" + std::to_string(i), diagnostics);
        if (!e.valid()) continue;
        CalibrationProvenance p;
        p.suite = e.string("suite");
        if (const Json* ids = e.required_array("case_ids")) {
          for (std::size_t k = 0; k < ids->size(); ++k) {
            if ((*ids)[k].is_string())
              p.case_ids.push_back((*ids)[k].get<std::string>());
            else
              diagnostics.add(file, e.pointer_of("case_ids") + "/" + std::to_string(k),
                              "expected a case id string, found " + describe_json((*ids)[k]));
          }
        }
        e.finish();
        c.fitted_on.push_back(std::move(p));
      }
    }
  }
  if (const Json* f = r.raw("fit")) {
    if (f->is_object())
      c.fit = *f;
    else
      r.error("fit", "expected an object of fit statistics, found " + describe_json(*f));
  }
  r.finish();
  return c;
}

ComputeCalibration load_compute_calibration_file(const std::string& path) {
  Diagnostics d;
  auto json = read_json_file(path, d);
  ComputeCalibration c;
  if (json) c = read_compute_calibration(*json, path, d);
  d.throw_if_any();
  return c;
}

Json compute_calibration_to_json(const ComputeCalibration& c) {
  Json j;
  j["kind"] = "compute_calibration";
  j["accelerator"] = c.accelerator;
  Json p;
  Json g = Json::object();
  g["default"] = c.gemm_compute_efficiency_default;
  for (const auto& [t, v] : c.gemm_compute_efficiency)
    g[to_string(t)] = v;
  p["gemm_compute_efficiency"] = g;
  p["batched_gemm_compute_efficiency"] = c.batched_gemm_compute_efficiency;
  p["attention_compute_efficiency"] = c.attention_compute_efficiency;
  p["memory_bandwidth_efficiency"] = c.memory_bandwidth_efficiency;
  p["unit_bandwidth_share"] = c.unit_bandwidth_share;
  p["gemm_tile_fixed_k"] = c.gemm_tile_fixed_k;
  p["roofline_overlap_exponent"] = c.roofline_overlap_exponent;
  p["kernel_overhead_seconds"] = c.kernel_overhead_seconds;
  p["eager_launch_overhead_seconds"] = c.eager_launch_overhead_seconds;
  p["gemm_tile_m"] = c.gemm_tile_m;
  p["gemm_tile_n"] = c.gemm_tile_n;
  p["attention_query_tile_rows"] = c.attention_query_tile_rows;
  p["attention_kv_split_tokens"] = c.attention_kv_split_tokens;
  j["parameters"] = p;
  j["fitted_on"] = Json::array();
  for (const auto& f : c.fitted_on)
    j["fitted_on"].push_back({{"suite", f.suite}, {"case_ids", f.case_ids}});
  j["fit"] = c.fit;
  if (!c.note.empty()) j["note"] = c.note;
  return j;
}

void write_compute_calibration(const ComputeCalibration& c, const std::string& path) {
  write_file_atomically(path, compute_calibration_to_json(c).dump(2) + "\n");
}

std::string compute_calibration_path(const std::string& hwdb_dir, const std::string& accelerator) {
  return (std::filesystem::path(hwdb_dir) / "calibrations" / (accelerator + "-compute.json")).string();
}

ComputeCalibration find_compute_calibration(const std::string& hwdb_dir, const std::string& accelerator) {
  const std::string path = compute_calibration_path(hwdb_dir, accelerator);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    ComputeCalibration c = default_compute_calibration();
    c.accelerator = accelerator;
    return c;
  }
  ComputeCalibration c = load_compute_calibration_file(path);
  if (c.accelerator != accelerator)
    throw InputError(path, "/accelerator",
                     "expected \"" + accelerator + "\" (the file name), found \"" + c.accelerator + "\"");
  return c;
}

} // namespace moescope
