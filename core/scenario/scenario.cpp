#include "scenario/scenario.hpp"

#include <filesystem>

#include "hw/field_ranges.hpp"
#include "scenario/scenario_limits.hpp"
#include "util/name_style.hpp"

namespace moescope {

std::string to_string(Phase p) {
  switch (p) {
  case Phase::prefill:
    return "prefill";
  case Phase::decode:
    return "decode";
  case Phase::both:
    return "both";
  }
  return "?";
}

std::string to_string(RoutingKind k) {
  switch (k) {
  case RoutingKind::uniform:
    return "uniform";
  case RoutingKind::power_law:
    return "power-law";
  case RoutingKind::trace:
    return "trace";
  }
  return "?";
}

namespace {

DataType read_dtype(JsonObjectReader& r, std::string_view key, DataType fallback) {
  std::string name = r.choice_or(key, data_type_names(), to_string(fallback));
  auto t = parse_data_type(name);
  return t ? *t : fallback;
}

const std::vector<std::string> kAcceleratorOverrideKeys = {
    "hbm_capacity_bytes", "hbm_bandwidth_bytes_per_s", "l2_cache_bytes", "compute_units", "clock_hz", "tdp_watts"};
const std::vector<std::string> kLinkOverrideKeys = {"link_bandwidth_per_direction_bytes_per_s", "links_per_device",
                                                    "latency_seconds", "achievable_bandwidth_fraction"};

} // namespace

namespace {

using namespace scenario_limits;

// A parallel degree that follows the GPU count: "auto" or left out reads as 0, derived when the scenario is resolved.
std::int64_t degree_or_auto(JsonObjectReader& r, std::string_view key) {
  if (const Json* v = r.raw(key); v && v->is_string()) {
    if (v->get<std::string>() != "auto")
      r.error(key, "expected a positive integer or \"auto\", got " + describe_json(*v));
    return 0;
  }
  return r.integer_in_or(key, 0, 1, kMaxGpus);
}

// An override takes the same range as the hwdb figure it replaces.
double read_hardware_figure(JsonObjectReader& r, const std::string& key) {
  const FieldRange* range = hardware_field_range(key);
  if (range == nullptr) throw std::logic_error("no range for hardware field " + key);
  return r.value_in(key, *range);
}

} // namespace

Scenario read_scenario(const Json& json, const std::string& file, Diagnostics& diagnostics) {
  Scenario s;
  s.file = file;
  JsonObjectReader r(json, file, "", diagnostics);
  if (!r.valid()) return s;
  s.name = r.string_or("name", file.empty() ? "inline" : std::filesystem::path(file).stem().string());
  s.description = r.string_or("description", "");
  s.model = r.string("model");
  s.system = r.string("system");

  if (auto hw = r.object_if_present("hardware_overrides"); hw && hw->valid()) {
    if (hw->has("accelerator")) s.overrides.accelerator = hw->string("accelerator");
    if (auto acc = hw->object_if_present("accelerator_fields"); acc && acc->valid()) {
      for (const auto& key : kAcceleratorOverrideKeys)
        if (acc->has(key)) s.overrides.accelerator_fields[key] = read_hardware_figure(*acc, key);
      if (auto peaks = acc->object_if_present("peak_dense_flop_per_s"); peaks && peaks->valid()) {
        for (const auto& t : data_type_names())
          if (peaks->has(t))
            s.overrides.accelerator_fields["peak_dense_flop_per_s/" + t] = peaks->value_in(t, hw_range::flop_per_s);
        peaks->finish();
      }
      acc->finish();
    }
    if (auto up = hw->object_if_present("scale_up"); up && up->valid()) {
      for (const auto& key : kLinkOverrideKeys)
        if (up->has(key)) s.overrides.scale_up_fields[key] = read_hardware_figure(*up, key);
      up->finish();
    }
    if (auto out = hw->object_if_present("scale_out"); out && out->valid()) {
      std::vector<std::string> keys = kLinkOverrideKeys;
      keys.push_back("nics_per_accelerator");
      for (const auto& key : keys)
        if (out->has(key)) s.overrides.scale_out_fields[key] = read_hardware_figure(*out, key);
      out->finish();
    }
    hw->finish();
  }

  {
    JsonObjectReader d = r.object("deployment");
    if (d.valid()) {
      auto& dep = s.deployment;
      dep.nodes = d.integer_in("nodes", 1, kMaxGpus);
      dep.gpus_per_node = d.integer_in_or("gpus_per_node", 0, 1, kMaxGpusPerNode);
      if (auto a = d.object_if_present("attention"); a && a->valid()) {
        dep.attention_tp = a->integer_in_or("tp", 1, 1, kMaxGpus);
        dep.attention_dp = degree_or_auto(*a, "dp");
        a->finish();
      }
      if (auto m = d.object_if_present("moe"); m && m->valid()) {
        dep.moe_ep = degree_or_auto(*m, "ep");
        dep.moe_tp = m->integer_in_or("tp", 1, 1, kMaxGpus);
        m->finish();
      }
      dep.pp = d.integer_in_or("pp", 1, 1, kMaxGpus);
      if (auto dis = d.object_if_present("disaggregation"); dis && dis->valid()) {
        dep.disaggregated = dis->boolean_or("enabled", true);
        dep.prefill_nodes = dis->integer_in("prefill_nodes", 1, kMaxGpus);
        dep.decode_nodes = dis->integer_in("decode_nodes", 1, kMaxGpus);
        dis->finish();
      }
      d.finish();
    }
  }

  {
    JsonObjectReader w = r.object("workload");
    if (w.valid()) {
      auto& wl = s.workload;
      std::string phase = w.choice_or("phase", {"prefill", "decode", "both"}, "decode");
      wl.phase = phase == "prefill" ? Phase::prefill : phase == "both" ? Phase::both : Phase::decode;
      wl.batch_per_gpu = w.integer_in_or("batch_per_gpu", 1, 1, kMaxBatchPerGpu);
      wl.prefill_tokens_per_gpu = w.integer_in_or("prefill_tokens_per_gpu", 0, 0, kMaxTokens);
      wl.input_tokens = w.integer_in("input_tokens", 1, kMaxTokens);
      wl.output_tokens = w.integer_in_or("output_tokens", 1, 1, kMaxTokens);
      wl.kv_cache_hit_rate = w.number_or("kv_cache_hit_rate", 0.0, NumberRule::fraction);
      if (auto dt = w.object_if_present("dtypes"); dt && dt->valid()) {
        wl.dtypes.weights = read_dtype(*dt, "weights", DataType::bf16);
        wl.dtypes.activations = read_dtype(*dt, "activations", DataType::bf16);
        wl.dtypes.kv_cache = read_dtype(*dt, "kv_cache", wl.dtypes.activations);
        wl.dtypes.dispatch = read_dtype(*dt, "dispatch", wl.dtypes.activations);
        wl.dtypes.combine = read_dtype(*dt, "combine", wl.dtypes.activations);
        dt->finish();
      }
      w.finish();
    }
  }

  if (auto rt = r.object_if_present("routing"); rt && rt->valid()) {
    std::string kind = rt->choice("kind", {"uniform", "power-law", "trace"});
    s.routing.group_limited = rt->boolean_or("group_limited", true);
    if (kind == "power-law") {
      s.routing.kind = RoutingKind::power_law;
      s.routing.power_law_exponent = rt->number_in("exponent", 0, kMaxPowerLawExponent);
    } else if (kind == "trace") {
      s.routing.kind = RoutingKind::trace;
      s.routing.trace_file = rt->string("file");
      s.routing.trace_format = canonical_name(rt->string_or("format", "auto"));
      // Resolved once, here, relative to the scenario file, and made absolute so that a scenario written back
      // to JSON (sweeps, reports) and read again names the same file.
      if (!s.routing.trace_file.empty()) {
        std::filesystem::path p(s.routing.trace_file);
        if (p.is_relative() && !file.empty()) p = std::filesystem::path(file).parent_path() / p;
        std::error_code ec;
        std::filesystem::path absolute = std::filesystem::absolute(p, ec);
        s.routing.trace_file = (ec ? p : absolute).lexically_normal().string();
      }
    }
    rt->finish();
  }

  if (auto pl = r.object_if_present("placement"); pl && pl->valid()) {
    s.placement.strategy = canonical_name(pl->string_or("strategy", "linear"));
    s.placement.expert_slots_per_gpu = pl->integer_in_or("expert_slots_per_gpu", 0, 0, kMaxExpertSlotsPerGpu);
    s.placement.replica_rule = pl->choice_or("replica_rule", replica_rule_names(), s.placement.replica_rule);
    if (auto o = pl->object_if_present("options"); o && o->valid()) {
      PlacementFitSettings& f = s.placement.options;
      f.balance_cap = o->number_in_or("balance_cap", f.balance_cap, 1, 100);
      f.node_load_cap = o->number_in_or("node_load_cap", f.node_load_cap, 1, 100);
      f.seed = static_cast<std::uint64_t>(o->integer_in_or("seed", 0, 0, std::int64_t(1) << 53));
      f.eplb_groups = o->integer_in_or("eplb_groups", 0, 0, kMaxGpus);
      o->finish();
    }
    pl->finish();
  }

  if (const Json* engine = r.raw("engine")) s.engine = read_engine_config(engine, file, diagnostics);
  r.finish();
  return s;
}

const std::vector<std::string>& replica_rule_names() {
  static const std::vector<std::string> names = {"same_node_first", "round_robin", "least_loaded", "node_cover"};
  return names;
}

Scenario load_scenario_file(const std::string& path) {
  Diagnostics diagnostics;
  auto json = read_json_file(path, diagnostics);
  diagnostics.throw_if_any();
  Scenario s = read_scenario(*json, path, diagnostics);
  diagnostics.throw_if_any();
  return s;
}

Json scenario_to_json(const Scenario& s) {
  const auto& d = s.deployment;
  const auto& w = s.workload;
  Json j = {{"name", s.name}, {"description", s.description}, {"model", s.model}, {"system", s.system}};
  // 0 means "derive it" for these degrees; leave them out so the JSON reads back the same.
  j["deployment"] = {
      {"nodes", d.nodes}, {"attention", {{"tp", d.attention_tp}}}, {"moe", {{"tp", d.moe_tp}}}, {"pp", d.pp}};
  if (d.gpus_per_node > 0) j["deployment"]["gpus_per_node"] = d.gpus_per_node;
  if (d.attention_dp > 0) j["deployment"]["attention"]["dp"] = d.attention_dp;
  if (d.moe_ep > 0) j["deployment"]["moe"]["ep"] = d.moe_ep;
  if (d.disaggregated)
    j["deployment"]["disaggregation"] = {
        {"enabled", true}, {"prefill_nodes", d.prefill_nodes}, {"decode_nodes", d.decode_nodes}};
  j["workload"] = {{"phase", to_string(w.phase)},
                   {"batch_per_gpu", w.batch_per_gpu},
                   {"prefill_tokens_per_gpu", w.prefill_tokens_per_gpu},
                   {"input_tokens", w.input_tokens},
                   {"output_tokens", w.output_tokens},
                   {"kv_cache_hit_rate", w.kv_cache_hit_rate},
                   {"dtypes",
                    {{"weights", to_string(w.dtypes.weights)},
                     {"activations", to_string(w.dtypes.activations)},
                     {"kv_cache", to_string(w.dtypes.kv_cache)},
                     {"dispatch", to_string(w.dtypes.dispatch)},
                     {"combine", to_string(w.dtypes.combine)}}}};
  Json routing = {{"kind", to_string(s.routing.kind)}};
  if (s.routing.kind == RoutingKind::power_law) routing["exponent"] = s.routing.power_law_exponent;
  if (!s.routing.group_limited) routing["group_limited"] = false;
  if (s.routing.kind == RoutingKind::trace) {
    routing["file"] = s.routing.trace_file;
    routing["format"] = s.routing.trace_format;
  }
  j["routing"] = routing;
  Json options = Json::object();
  const PlacementFitSettings defaults, &f = s.placement.options;
  if (f.balance_cap != defaults.balance_cap) options["balance_cap"] = f.balance_cap;
  if (f.node_load_cap != defaults.node_load_cap) options["node_load_cap"] = f.node_load_cap;
  if (f.seed != defaults.seed) options["seed"] = f.seed;
  if (f.eplb_groups != defaults.eplb_groups) options["eplb_groups"] = f.eplb_groups;
  j["placement"] = {{"strategy", s.placement.strategy}, {"options", options}};
  if (s.placement.expert_slots_per_gpu > 0) j["placement"]["expert_slots_per_gpu"] = s.placement.expert_slots_per_gpu;
  if (s.placement.replica_rule != PlacementSpec{}.replica_rule)
    j["placement"]["replica_rule"] = s.placement.replica_rule;
  Json hw = Json::object();
  if (s.overrides.accelerator) hw["accelerator"] = *s.overrides.accelerator;
  if (!s.overrides.accelerator_fields.empty()) {
    Json acc = Json::object();
    for (const auto& [key, value] : s.overrides.accelerator_fields) {
      auto slash = key.find('/');
      if (slash == std::string::npos)
        acc[key] = value;
      else
        acc[key.substr(0, slash)][key.substr(slash + 1)] = value;
    }
    hw["accelerator_fields"] = acc;
  }
  if (!s.overrides.scale_up_fields.empty()) hw["scale_up"] = s.overrides.scale_up_fields;
  if (!s.overrides.scale_out_fields.empty()) hw["scale_out"] = s.overrides.scale_out_fields;
  if (!hw.empty()) j["hardware_overrides"] = hw;
  if (Json engine = engine_config_to_json(s.engine); !engine.empty()) j["engine"] = std::move(engine);
  return j;
}

} // namespace moescope
