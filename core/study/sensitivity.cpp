#include "study/sensitivity.hpp"

#include <algorithm>
#include <cmath>

#include "study/json_pointer.hpp"

namespace moescope {

SensitivityResult sensitivity(const Json& scenario, const std::string& label, double step, Session& session) {
  const auto hwdb_ptr = session.hwdb();
  const auto catalog_ptr = session.catalog();
  const HardwareDatabase& hwdb = *hwdb_ptr;
  const ModelCatalog& catalog = *catalog_ptr;
  SensitivityResult out;
  out.step = step;
  Diagnostics d;
  Scenario s = read_scenario(scenario, label, d);
  d.throw_if_any();
  const ResolvedScenario rs = resolve_scenario(s, hwdb, catalog);
  std::string err;
  if (!session.evaluate_metrics(scenario, label, hwdb, catalog, out.base, err)) throw InputError(label, "", err);
  out.metrics = {"latency_seconds", "tokens_per_s_per_gpu"};

  std::vector<std::pair<std::string, double>> params;
  const auto& a = rs.accelerator;
  params.emplace_back("/hardware_overrides/accelerator_fields/hbm_bandwidth_bytes_per_s",
                      a.hbm_bandwidth_bytes_per_s.value);
  params.emplace_back("/hardware_overrides/accelerator_fields/hbm_capacity_bytes", a.hbm_capacity_bytes.value);
  for (DataType t : {rs.scenario.workload.dtypes.weights, DataType::bf16}) {
    const DataType eff = a.effective_compute_type(t);
    const std::string p = "/hardware_overrides/accelerator_fields/peak_dense_flop_per_s/" + to_string(eff);
    if (a.peak_flop_per_s(eff) > 0 && std::none_of(params.begin(), params.end(), [&](auto& x) { return x.first == p; }))
      params.emplace_back(p, a.peak_flop_per_s(eff));
  }
  params.emplace_back("/hardware_overrides/scale_up/link_bandwidth_per_direction_bytes_per_s",
                      rs.scale_up.link_bandwidth_per_direction_bytes_per_s.value);
  if (rs.scale_up.latency_seconds.value > 0)
    params.emplace_back("/hardware_overrides/scale_up/latency_seconds", rs.scale_up.latency_seconds.value);
  if (rs.scale_out && rs.deployment.nodes > 1) {
    params.emplace_back("/hardware_overrides/scale_out/link_bandwidth_per_direction_bytes_per_s",
                        rs.scale_out->link_bandwidth_per_direction_bytes_per_s.value);
    if (rs.scale_out->latency_seconds.value > 0)
      params.emplace_back("/hardware_overrides/scale_out/latency_seconds", rs.scale_out->latency_seconds.value);
  }
  for (const auto& [path, base] : params) {
    if (base <= 0) continue;
    SensitivityRow row;
    row.parameter = path;
    row.base_value = base;
    for (int side : {-1, 1}) {
      Json j = scenario;
      set_json_pointer(j, path, Json(base * (1.0 + side * step)));
      std::map<std::string, double> m;
      std::string e;
      if (!session.evaluate_metrics(j, label, hwdb, catalog, m, e)) continue;
      (side < 0 ? row.low : row.high) = m;
    }
    for (const auto& metric : out.metrics) {
      if (!row.low.count(metric) || !row.high.count(metric) || !out.base.count(metric) || out.base.at(metric) == 0)
        continue;
      row.elasticity[metric] = (row.high.at(metric) - row.low.at(metric)) / out.base.at(metric) / (2.0 * step);
    }
    out.rows.push_back(std::move(row));
  }
  const std::string key = out.metrics[0];
  std::stable_sort(out.rows.begin(), out.rows.end(), [&](const SensitivityRow& x, const SensitivityRow& y) {
    const double ex = x.elasticity.count(key) ? std::abs(x.elasticity.at(key)) : 0.0;
    const double ey = y.elasticity.count(key) ? std::abs(y.elasticity.at(key)) : 0.0;
    return ex > ey;
  });
  return out;
}

Json sensitivity_json(const SensitivityResult& r) {
  Json j;
  j["relative_step"] = r.step;
  Json base = Json::object();
  for (const auto& [k, v] : r.base)
    base[k] = v;
  j["base"] = base;
  j["metrics"] = r.metrics;
  Json rows = Json::array();
  for (const auto& row : r.rows) {
    Json x;
    x["parameter"] = row.parameter;
    x["base_value"] = row.base_value;
    Json el = Json::object(), lo = Json::object(), hi = Json::object();
    for (const auto& m : r.metrics) {
      if (row.elasticity.count(m)) el[m] = row.elasticity.at(m);
      if (row.low.count(m)) lo[m] = row.low.at(m);
      if (row.high.count(m)) hi[m] = row.high.at(m);
    }
    x["elasticity"] = el;
    x["at_low"] = lo;  // parameter x (1 - step): one bar end of a tornado chart
    x["at_high"] = hi; // parameter x (1 + step)
    rows.push_back(x);
  }
  j["parameters"] = rows;
  return j;
}

} // namespace moescope
