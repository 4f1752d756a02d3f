#include "scenario_fields.hpp"

#include "study/placement_study.hpp"
#include "study/session.hpp"

namespace moescope::gui {

namespace {

template <typename Map> QStringList keys(const Map& m) {
  QStringList out{""};
  for (const auto& [k, v] : m)
    out << QString::fromStdString(k);
  return out;
}

QStringList names(const std::vector<std::string>& v) {
  QStringList out{""};
  for (const auto& s : v)
    out << QString::fromStdString(s);
  return out;
}

} // namespace

std::vector<ScenarioField> scenario_fields(Session& session) {
  using K = ScenarioField::Kind;
  const auto db = session.hwdb();
  const auto models = session.catalog();
  const QStringList dtypes{"", "fp32", "tf32", "bf16", "fp16", "fp8", "fp6", "fp4", "nvfp4", "int8"};
  const QString hw = "Model and hardware", dep = "Deployment", wl = "Workload", dt = "Data types", en = "Engine";
  return {
      {"/name", hw, "name", K::text, {}},
      {"/model", hw, "model", K::choice, names(models->names())},
      {"/system", hw, "system", K::choice, keys(db->systems())},
      {"/hardware_overrides/accelerator", hw, "accelerator", K::choice, keys(db->accelerators())},
      {"/deployment/nodes", dep, "nodes", K::value, {}},
      {"/deployment/gpus_per_node", dep, "GPUs per node", K::value, {}},
      {"/deployment/attention/tp", dep, "attention TP", K::value, {}},
      {"/deployment/attention/dp", dep, "attention DP", K::value, {}},
      {"/deployment/moe/ep", dep, "MoE EP", K::value, {}},
      {"/deployment/moe/tp", dep, "MoE TP", K::value, {}},
      {"/deployment/pp", dep, "pipeline stages", K::value, {}},
      {"/placement/strategy", dep, "placement strategy", K::choice, names(placement::placement_strategy_names())},
      {"/placement/expert_slots_per_gpu", dep, "expert slots per GPU", K::value, {}},
      {"/workload/phase", wl, "phase", K::choice, {"", "prefill", "decode", "both"}},
      {"/workload/batch_per_gpu", wl, "batch per GPU", K::value, {}},
      {"/workload/prefill_tokens_per_gpu", wl, "prefill tokens per GPU", K::value, {}},
      {"/workload/input_tokens", wl, "prompt tokens", K::value, {}},
      {"/workload/output_tokens", wl, "output tokens", K::value, {}},
      {"/workload/kv_cache_hit_rate", wl, "KV cache hit rate", K::value, {}},
      {"/routing/kind", wl, "routing", K::choice, {"", "uniform", "power-law", "trace"}},
      {"/workload/dtypes/weights", dt, "weights", K::choice, dtypes},
      {"/workload/dtypes/activations", dt, "activations", K::choice, dtypes},
      {"/workload/dtypes/kv_cache", dt, "KV cache", K::choice, dtypes},
      {"/workload/dtypes/dispatch", dt, "dispatch", K::choice, dtypes},
      {"/workload/dtypes/combine", dt, "combine", K::choice, dtypes},
      {"/engine/mode", en, "mode", K::choice, {"", "calibrated", "speed-of-light"}},
      {"/engine/overlap", en, "overlap", K::choice, {"", "none", "two-batch", "two-batch-ideal", "intra-layer"}},
      {"/engine/decode_kernel", en, "decode dispatch kernel", K::text, {}},
      {"/engine/prefill_kernel", en, "prefill dispatch kernel", K::text, {}},
      {"/engine/price_per_gpu_hour_usd", en, "price per GPU hour (USD)", K::value, {}},
  };
}

} // namespace moescope::gui
