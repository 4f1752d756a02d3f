#include "study/roofline.hpp"

#include <algorithm>

namespace moescope {

std::string to_string(RooflineLevel level) {
  switch (level) {
  case RooflineLevel::hbm:
    return "hbm";
  case RooflineLevel::scale_up:
    return "scale-up";
  case RooflineLevel::scale_out:
    return "scale-out";
  }
  return "hbm";
}

namespace {

void add_operator(Roofline& r, Phase phase, const std::string& layer, const OperatorWork& w, const OperatorTime& t) {
  if (w.flop <= 0 || w.bytes() <= 0 || t.seconds <= 0) return;
  r.points.push_back(RooflinePoint{phase, layer, w.name, RooflineLevel::hbm, w.compute_dtype, w.flop, w.bytes(),
                                   t.seconds, to_string(t.bound)});
}

DataType main_dtype(const LayerBreakdown& lb) {
  std::map<DataType, double> flop;
  for (std::size_t i = 0; lb.operators && i < lb.operators->size(); ++i)
    flop[(*lb.operators)[i].compute_dtype] += (*lb.operators)[i].flop;
  const auto it = std::max_element(flop.begin(), flop.end(), [](auto& a, auto& b) { return a.second < b.second; });
  return it == flop.end() ? DataType::bf16 : it->first;
}

void add_layer(Roofline& r, const PhaseResult& p, const LayerBreakdown& lb) {
  if (lb.flop <= 0 || lb.seconds <= 0) return;
  const DataType dtype = main_dtype(lb);
  // MoE layers move the all-to-all over the fabrics; other layers only their (small) TP collectives, not shown.
  const bool moe = lb.component_seconds.count("dispatch") && lb.component_seconds.at("dispatch") > 0;
  const double up = moe ? p.moe.scale_up_bytes_per_gpu : 0, out = moe ? p.moe.scale_out_bytes_per_gpu : 0;
  const auto peak = r.compute_flop_per_s.count(dtype) ? r.compute_flop_per_s.at(dtype) : 0.0;
  const std::vector<std::pair<std::string, double>> times = {
      {"compute", peak > 0 ? lb.flop / peak : 0},
      {"hbm", r.hbm_bytes_per_s > 0 ? lb.hbm_bytes / r.hbm_bytes_per_s : 0},
      {"scale-up", r.scale_up_bytes_per_s > 0 ? up / r.scale_up_bytes_per_s : 0},
      {"scale-out", r.scale_out_bytes_per_s > 0 ? out / r.scale_out_bytes_per_s : 0}};
  const std::string bound =
      std::max_element(times.begin(), times.end(), [](auto& a, auto& b) { return a.second < b.second; })->first;
  for (const auto& [level, bytes] : {std::pair{RooflineLevel::hbm, lb.hbm_bytes},
                                     std::pair{RooflineLevel::scale_up, up}, std::pair{RooflineLevel::scale_out, out}})
    if (bytes > 0)
      r.points.push_back(RooflinePoint{p.phase, lb.id, "layer", level, dtype, lb.flop, bytes, lb.seconds, bound});
}

} // namespace

Roofline evaluation_roofline(const Evaluation& e) {
  const ResolvedScenario& s = e.scenario;
  Roofline r;
  for (const auto& [t, q] : s.accelerator.peak_dense_flop_per_s)
    r.compute_flop_per_s[t] = q.value;
  r.hbm_bytes_per_s = s.accelerator.hbm_bandwidth_bytes_per_s.value;
  r.scale_up_bytes_per_s = s.scale_up.achievable_device_bandwidth_per_direction_bytes_per_s();
  r.scale_out_bytes_per_s =
      s.scale_out ? s.scale_out->achievable_device_bandwidth_per_direction_bytes_per_s() * s.nics_per_accelerator : 0;
  for (const PhaseResult* p : {&e.result.prefill, &e.result.decode}) {
    if (!p->evaluated) continue;
    for (const auto& lb : p->layers) {
      for (std::size_t i = 0; lb.operators && i < lb.operators->size(); ++i)
        add_operator(r, p->phase, lb.id, (*lb.operators)[i], lb.operator_times[i]);
      add_layer(r, *p, lb);
    }
    for (std::size_t i = 0; i < p->outer_operators.size(); ++i)
      add_operator(r, p->phase, "outer", p->outer_operators[i], p->outer_operator_times[i]);
  }
  return r;
}

} // namespace moescope
