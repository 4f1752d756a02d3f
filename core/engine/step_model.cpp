// The step model's entry points: a phase (prefill or decode) on a deployment, and a deployment's phases, composed from
// the stage costs (stage_cost.cpp) with the pipeline, the KV-cache bound on the decode batch, disaggregation,
// latency and throughput, utilization, memory, cost and energy.
#include <algorithm>
#include <cmath>

#include "compute/memory_footprint.hpp"
#include "engine/input_loader.hpp"
#include "engine/step_internals.hpp"
#include "engine/tbo_region.hpp"
#include "util/text_table.hpp"

namespace moescope {

namespace {

double pick(Overlap o, double none, double two, double ideal, double intra) {
  return o == Overlap::two_batch         ? two
         : o == Overlap::two_batch_ideal ? ideal
         : o == Overlap::intra_layer     ? intra
                                         : none;
}

} // namespace

ResolvedScenario pool_scenario(const ResolvedScenario& s, Phase phase) {
  ResolvedScenario p = s;
  const auto& spec = s.scenario.deployment;
  if (!spec.disaggregated || phase == Phase::both) return p;
  auto& d = p.deployment;
  d.nodes = phase == Phase::prefill ? spec.prefill_nodes : spec.decode_nodes;
  d.total_gpus = d.nodes * d.gpus_per_node;
  d.pp = std::max<std::int64_t>(1, std::min(d.pp, d.total_gpus));
  while (d.total_gpus % d.pp != 0)
    d.pp -= 1;
  d.gpus_per_stage = d.total_gpus / d.pp;
  d.attention_tp = std::min(d.attention_tp, d.gpus_per_stage);
  while (d.gpus_per_stage % d.attention_tp != 0)
    d.attention_tp -= 1;
  d.attention_dp = d.gpus_per_stage / d.attention_tp;
  d.moe_tp = std::min(d.moe_tp, d.gpus_per_stage);
  while (d.gpus_per_stage % d.moe_tp != 0)
    d.moe_tp -= 1;
  d.moe_ep = d.gpus_per_stage / d.moe_tp;
  if (s.model.is_moe()) {
    const std::int64_t experts = s.model.moe.num_routed_experts;
    const std::int64_t need = (experts + d.moe_ep - 1) / d.moe_ep;
    d.expert_slots_per_gpu = std::max(need, s.scenario.placement.expert_slots_per_gpu);
    d.redundant_expert_slots = std::max<std::int64_t>(0, d.expert_slots_per_gpu * d.moe_ep - experts);
  }
  p.scenario.deployment.nodes = d.nodes;
  p.scenario.deployment.disaggregated = false;
  return p;
}

PhaseResult evaluate_phase(const ResolvedScenario& given, Phase phase, const EngineConfig& cfg,
                           TboRegionRecord* record) {
  ResolvedScenario storage;
  const ResolvedScenario& s = with_inputs(given, cfg, storage);
  PhaseResult r;
  r.phase = phase;
  r.evaluated = true;
  const auto& d = s.deployment;
  const auto& m = s.model;
  const auto& w = s.scenario.workload;
  r.nodes = d.nodes;
  r.gpus = d.total_gpus;
  r.gpus_per_node = d.gpus_per_node;
  r.pp = d.pp;
  r.microbatches = d.pp > 1 ? (cfg.pp_microbatches > 0 ? cfg.pp_microbatches : d.pp) : 1;

  if (cfg.mtp_draft_tokens > 0 && m.mtp_layers <= 0)
    throw InputError(s.scenario.file.empty() ? "<inline>" : s.scenario.file, "/engine/mtp/draft_tokens",
                     "model \"" + m.name + "\" has no multi-token-prediction modules; expected draft_tokens 0");

  const ComputeEngine engine(s.accelerator, *s.inputs.compute_calibration, cfg.compute);
  step::CollectiveTimer coll;
  coll.s = &s;
  coll.cal = s.inputs.network_calibration.get();
  coll.algorithm = cfg.collective_algorithm;
  if (cfg.collective_algorithm != "auto" && (d.attention_tp > 1 || d.moe_tp > 1))
    r.notes.push_back("tensor-parallel all-reduces by the \"" + cfg.collective_algorithm +
                      "\" collective at speed of light (a fixed algorithm bypasses the collective calibration)");

  // Memory and the KV-cache bound on the decode batch.
  const MemoryFootprint f = compute_memory_footprint(s);
  r.memory_weight_bytes = f.weight_bytes;
  r.memory_capacity_bytes = f.capacity_bytes;
  r.max_batch_per_gpu_that_fits = f.max_batch_per_gpu_that_fits;
  const double kv_per_sequence =
      f.sequences_per_gpu > 0 ? f.kv_cache_bytes / static_cast<double>(f.sequences_per_gpu) : 0.0;
  const double tp = static_cast<double>(std::max<std::int64_t>(d.attention_tp, 1));

  double per_gpu = 0; // decode: sequences per GPU; prefill: computed tokens per GPU
  std::int64_t q = 1;
  if (phase == Phase::decode) {
    r.requested_batch_per_gpu = static_cast<double>(w.batch_per_gpu);
    per_gpu = r.requested_batch_per_gpu;
    if (cfg.kv_bound_batch && f.max_batch_per_gpu_that_fits < w.batch_per_gpu) {
      per_gpu = static_cast<double>(std::max<std::int64_t>(1, f.max_batch_per_gpu_that_fits));
      r.kv_bounded = true;
      r.notes.push_back("decode batch bounded by KV-cache capacity: " + std::to_string(w.batch_per_gpu) + " -> " +
                        std::to_string(static_cast<std::int64_t>(per_gpu)) + " sequences per GPU");
    }
    r.batch_per_gpu = per_gpu;
    q = 1 + cfg.mtp_draft_tokens;
    r.memory_kv_cache_bytes = kv_per_sequence * per_gpu * tp;
  } else {
    // 0 tokens per GPU = one prompt per GPU (its uncached part).
    per_gpu =
        static_cast<double>(w.prefill_tokens_per_gpu > 0 ? w.prefill_tokens_per_gpu : step::uncached_prompt_tokens(w));
    const LayerTokens t = step::make_tokens(s, phase, per_gpu, 1);
    r.memory_kv_cache_bytes = kv_per_sequence * static_cast<double>(t.rank_sequences);
  }
  r.memory_total_bytes = r.memory_weight_bytes + r.memory_kv_cache_bytes;
  if (r.memory_total_bytes > r.memory_capacity_bytes && r.memory_capacity_bytes > 0)
    r.notes.push_back("does not fit: " + std::to_string(r.memory_total_bytes / 1e9) + " GB per GPU needed");

  // One micro-batch of the pipeline.
  const double M = static_cast<double>(r.microbatches);
  const double mb = per_gpu / M;
  const bool two = true; // always compute the two-batch figure so that both assumptions are reported
  step::StageCost sc = step::stage_cost(s, phase, cfg, engine, mb, q, two, coll, record);
  const LayerTokens& t = sc.tokens;

  for (auto& lb : sc.layers)
    lb.seconds =
        pick(cfg.overlap, lb.serial_seconds, lb.two_batch_seconds, lb.two_batch_ideal_seconds, lb.intra_layer_seconds);
  r.layers = std::move(sc.layers);
  r.tokens = sc.tokens;
  r.outer_operators = std::move(sc.outer_operators);
  r.outer_operator_times = std::move(sc.outer_times);
  r.outer_seconds = sc.outer;
  r.moe = sc.moe;
  if (!r.moe.note.empty()) r.notes.push_back(r.moe.note);
  if (cfg.overlap_communication_slowdown != 1.0)
    r.notes.push_back(
        "assumption: MoE dispatch and combine take " + format_fixed(cfg.overlap_communication_slowdown, 2) +
        " times their calibrated time while they overlap compute (engine.overlap_communication_slowdown)");
  for (const auto& lb : r.layers)
    for (const auto& [k, v] : lb.component_seconds)
      r.step_component_seconds[k] += static_cast<double>(lb.count) * v;
  for (const auto& [k, v] : r.outer_seconds)
    r.step_component_seconds[k] += v;
  r.stage_seconds_serial = sc.serial;
  r.stage_seconds_two_batch = sc.two_batch;
  r.stage_seconds_two_batch_ideal = sc.two_batch_ideal;
  r.stage_seconds_intra_layer = sc.intra;
  r.two_batch_compute_idle_seconds = sc.two_batch_compute_idle;
  r.communication_sms = sc.communication_sms;
  r.stage_seconds = pick(cfg.overlap, sc.serial, sc.two_batch, sc.two_batch_ideal, sc.intra);

  // Pipeline: M micro-batches over pp stages, with the activations sent between stages.
  const double P = static_cast<double>(d.pp);
  double send = 0;
  if (d.pp > 1) {
    const double bytes = static_cast<double>(t.rank_tokens) / tp * static_cast<double>(m.hidden_size) *
                         bytes_per_element(w.dtypes.activations);
    send = coll.send(bytes, d.gpus_per_stage >= d.gpus_per_node && d.nodes > 1);
    r.outer_seconds["pipeline_send"] = send;
  }
  const auto wall = [&](double stage) {
    if (d.pp <= 1) return stage;
    if (phase == Phase::decode) return std::max(M, P) * (stage + send);
    return (M + P - 1.0) * (stage + send);
  };
  r.pipeline_bubble_fraction = d.pp <= 1                ? 0.0
                               : phase == Phase::decode ? std::max(0.0, P - M) / std::max(M, P)
                                                        : (P - 1.0) / (M + P - 1.0);
  r.step_seconds_by_overlap_none = wall(sc.serial);
  r.step_seconds_by_overlap_two_batch = wall(sc.two_batch);
  r.step_seconds_by_overlap_two_batch_ideal = wall(sc.two_batch_ideal);
  r.step_seconds_by_overlap_intra_layer = wall(sc.intra);
  r.step_seconds = wall(r.stage_seconds);

  // Latency and throughput.
  const double gpus_per_node = static_cast<double>(d.gpus_per_node);
  if (phase == Phase::decode) {
    double a = 1.0, p = 1.0;
    for (std::int64_t i = 0; i < cfg.mtp_draft_tokens && m.mtp_layers > 0; ++i) {
      p *= cfg.mtp_acceptance_rate;
      a += p;
    }
    r.accepted_tokens_per_step = a;
    r.tokens_per_gpu_per_step = per_gpu * a;
    r.sequences_per_gpu_per_step = per_gpu;
    r.tpot_seconds = r.step_seconds / a;
    r.tokens_per_s_per_gpu = r.step_seconds > 0 ? per_gpu * a / r.step_seconds / P : 0.0;
  } else {
    // Prompts per GPU per step: computed tokens over the uncached part of one prompt (a fraction when a step
    // holds a chunk of a prompt).
    const double uncached = static_cast<double>(step::uncached_prompt_tokens(w));
    const double sequences = per_gpu / uncached;
    r.sequences_per_gpu_per_step = sequences;
    r.tokens_per_gpu_per_step = per_gpu;
    r.ttft_seconds = r.step_seconds;
    r.tokens_per_s_per_gpu =
        r.step_seconds > 0 ? sequences * static_cast<double>(w.input_tokens) / r.step_seconds / P : 0.0;
    r.computed_tokens_per_s_per_gpu = r.step_seconds > 0 ? per_gpu / r.step_seconds / P : 0.0;
  }
  r.tokens_per_s_per_node = r.tokens_per_s_per_gpu * gpus_per_node;

  // Utilization over the step: the work of every micro-batch against the step's wall time.
  const double work_scale = M; // micro-batches per step on each stage
  r.flop_per_step = sc.flop * work_scale;
  r.hbm_bytes_per_step = sc.bytes * work_scale;
  if (r.step_seconds > 0) {
    const double peak = s.accelerator.peak_flop_per_s(w.dtypes.weights);
    const double bw = s.accelerator.hbm_bandwidth_bytes_per_s.value;
    if (peak > 0) r.compute_utilization = r.flop_per_step / (r.step_seconds * peak);
    if (bw > 0) r.hbm_bandwidth_utilization = r.hbm_bytes_per_step / (r.step_seconds * bw);
    double up_bw = sc.scale_up_bw, out_bw = sc.scale_out_bw;
    if (!m.is_moe() && d.attention_tp > 1) {
      const Topology topo(Topology::params_from_scenario(s));
      up_bw = topo.scale_up_bandwidth_per_gpu();
      out_bw = topo.has_scale_out() ? topo.scale_out_bandwidth_per_gpu() : 0.0;
    }
    if (up_bw > 0) r.scale_up_utilization = sc.scale_up_bytes * work_scale / (r.step_seconds * up_bw);
    if (out_bw > 0) r.scale_out_utilization = sc.scale_out_bytes * work_scale / (r.step_seconds * out_bw);
  }

  // Cost and energy per token.
  if (r.tokens_per_s_per_gpu > 0) {
    if (cfg.price_per_gpu_hour_usd > 0)
      r.cost_per_million_tokens_usd = cfg.price_per_gpu_hour_usd / 3600.0 / r.tokens_per_s_per_gpu * 1e6;
    if (s.accelerator.tdp_watts) r.energy_per_token_joules = s.accelerator.tdp_watts.value / r.tokens_per_s_per_gpu;
  }
  return r;
}

PhaseResult evaluate_phase(const ResolvedScenario& s, Phase phase, const EngineConfig& cfg) {
  return evaluate_phase(s, phase, cfg, nullptr);
}

DeploymentResult evaluate_deployment(const ResolvedScenario& given, const EngineConfig& cfg, bool all_phases) {
  check_engine_extension_names(given.scenario, cfg);
  ResolvedScenario storage;
  const ResolvedScenario& s = with_inputs(given, cfg, storage);
  DeploymentResult out;
  out.scenario = s.scenario.name;
  out.mode = cfg.compute.mode;
  out.overlap = cfg.overlap;
  out.disaggregated = s.scenario.deployment.disaggregated;
  out.compute_calibration =
      cfg.compute.mode == EngineMode::calibrated ? s.inputs.compute_calibration->file : std::string();
  out.network_calibration = s.inputs.network_calibration ? s.inputs.network_calibration->file : std::string();
  out.memory = compute_memory_footprint(s);
  const Phase want = all_phases ? Phase::both : s.scenario.workload.phase;
  if (want == Phase::prefill || want == Phase::both) {
    if (out.disaggregated)
      out.prefill = evaluate_phase(pool_scenario(s, Phase::prefill), Phase::prefill, cfg);
    else
      out.prefill = evaluate_phase(s, Phase::prefill, cfg);
  }
  if (want == Phase::decode || want == Phase::both) {
    if (out.disaggregated)
      out.decode = evaluate_phase(pool_scenario(s, Phase::decode), Phase::decode, cfg);
    else
      out.decode = evaluate_phase(s, Phase::decode, cfg);
  }
  // Disaggregation: the prompt's KV cache moves from the prefill pool to the decode pool before the first token.
  if (out.disaggregated && out.prefill.evaluated && cfg.kv_transfer) {
    const double per_token = out.memory.kv_cache_bytes_per_token; // one GPU's share of one token, a stage's layers
    const Topology topo = Topology::from_scenario(s);
    const double bw = topo.has_scale_out() ? topo.scale_out_bandwidth_per_gpu() : topo.scale_up_bandwidth_per_gpu();
    if (bw > 0) {
      out.prefill.kv_transfer_seconds =
          per_token * static_cast<double>(s.scenario.workload.input_tokens) * static_cast<double>(s.deployment.pp) / bw;
      out.prefill.ttft_seconds += out.prefill.kv_transfer_seconds;
    }
  }
  return out;
}

DeploymentResult evaluate_deployment(const ResolvedScenario& s, bool all_phases) {
  return evaluate_deployment(s, s.scenario.engine, all_phases);
}

} // namespace moescope
