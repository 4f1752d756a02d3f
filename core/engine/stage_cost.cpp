// One pipeline stage of a step: every layer kind of the stage for one micro-batch under each overlap assumption
// (none, intra-layer, two-batch from the two-stream schedule, two-batch ideal), the embedding and LM head, and the
// MTP passes.
#include <optional>

#include "compute/operators.hpp"
#include "engine/step_internals.hpp"

namespace moescope::step {

namespace {

// The busiest GPU's expert loads and received rows of a micro-batch, from the network model's routing.
void apply_network_loads(const ResolvedScenario& s, const MoeNetworkCost& net, LayerTokens& t) {
  t.busiest_expert_tokens = net.busiest_gpu_slot_tokens.empty()
                                ? spread(net.busiest_gpu_expert_tokens, s.deployment.expert_slots_per_gpu)
                                : net.busiest_gpu_slot_tokens;
  t.received_rows = net.busiest_gpu_received_rows;
}

} // namespace

StageCost stage_cost(const ResolvedScenario& s, Phase phase, const EngineConfig& cfg, const ComputeEngine& engine,
                     double per_gpu, std::int64_t query_tokens, bool want_two_batch, CollectiveTimer& coll,
                     TboRegionRecord* record) {
  StageCost sc;
  const auto& m = s.model;
  const LayerTokens t = make_tokens(s, phase, per_gpu, query_tokens);
  const bool halves = want_two_batch && per_gpu >= 2.0;
  LayerTokens th = halves ? make_tokens(s, phase, per_gpu / 2.0, query_tokens) : t;

  MoeNetworkCost net_full, net_half;
  LayerTokens tf = t;
  if (m.is_moe()) {
    net_full = moe_network_cost(s, phase, static_cast<double>(t.moe_tokens_per_gpu), cfg);
    apply_network_loads(s, net_full, tf);
    if (halves) {
      net_half = moe_network_cost(s, phase, static_cast<double>(th.moe_tokens_per_gpu), cfg);
      apply_network_loads(s, net_half, th);
    }
    sc.moe = net_full;
    sc.moe.busiest_gpu_slot_tokens = tf.busiest_expert_tokens;
    sc.scale_up_bw = net_full.scale_up_bandwidth_per_gpu;
    sc.scale_out_bw = net_full.scale_out_bandwidth_per_gpu;
  }

  // Compute next to SM-holding communication kernels (DeepEP normal: num_sms of the kernel calibration) runs on the
  // remaining SMs: the compute engine on a device with units - num_sms SMs and the peak scaled by the same fraction
  // (HBM bandwidth unchanged; the engine's per-SM bandwidth share and wave quantization give the SM dependence).
  std::optional<Accelerator> reduced_acc;
  std::optional<ComputeEngine> reduced;
  if (m.is_moe() && net_full.communication_sms > 0) {
    const double units = engine.compute_units();
    const double sms = net_full.communication_sms;
    if (units > sms) {
      reduced_acc = s.accelerator;
      reduced_acc->compute_units.value = units - sms;
      for (auto& [dt, q] : reduced_acc->peak_dense_flop_per_s)
        q.value *= (units - sms) / units;
      reduced.emplace(*reduced_acc, engine.calibration(), engine.options());
      sc.communication_sms = sms;
    }
  }
  const ComputeEngine* red = reduced ? &*reduced : nullptr;

  std::vector<int> sequence;
  const std::vector<LayerKind> kinds = stage_layer_kinds(s, &sequence);
  std::vector<TboLayerOps> kind_ops(kinds.size());
  std::vector<double> kind_ideal(kinds.size(), 0.0);
  std::vector<LayerBreakdown> lbs;
  for (std::size_t ki = 0; ki < kinds.size(); ++ki) {
    const LayerKind& kind = kinds[ki];
    const LayerCost full = layer_cost(s, engine, tf, kind, kind.moe ? &net_full : nullptr, coll, red);
    LayerBreakdown lb;
    lb.id = std::string(kind.moe ? "moe" : "dense") + (kind.sliding ? "_sliding_window" : "");
    lb.count = kind.count;
    lb.component_seconds = full.to_map();
    lb.operators = full.operators;
    lb.operator_times = full.operator_times;
    lb.compute_seconds = full.compute;
    lb.communication_seconds = full.communication;
    lb.serial_seconds = layer_time(full, Overlap::none);
    lb.intra_layer_seconds = layer_time(full, Overlap::intra_layer, cfg.overlap_communication_slowdown);
    // Two-batch overlap splits only the MoE layers (SGLang runs the dense layers before its TBO region on the
    // whole batch: splitting a layer without communication only reads its weights twice).
    lb.two_batch_seconds = lb.serial_seconds;
    lb.two_batch_ideal_seconds = lb.serial_seconds;
    if (kind.moe && halves) {
      const LayerCost half = layer_cost(s, engine, th, kind, &net_half, coll, red);
      kind_ops[ki] = tbo_ops(half, phase == Phase::prefill && half.comm_uses_sms, cfg.overlap_communication_slowdown);
      kind_ideal[ki] = ideal_two_batch({kind_ops[ki]});
      lb.two_batch_ideal_seconds = kind_ideal[ki];
      lb.two_batch_seconds = 0; // accumulated from the schedule below
    }
    lb.flop = full.flop;
    lb.hbm_bytes = full.bytes;
    const double n = static_cast<double>(kind.count);
    sc.serial += n * lb.serial_seconds;
    sc.intra += n * lb.intra_layer_seconds;
    sc.flop += n * lb.flop;
    sc.bytes += n * lb.hbm_bytes;
    if (kind.moe) {
      sc.scale_up_bytes += n * net_full.scale_up_bytes_per_gpu;
      sc.scale_out_bytes += n * net_full.scale_out_bytes_per_gpu;
    }
    lbs.push_back(std::move(lb));
  }
  // The realistic two-batch schedule over each run of consecutive MoE layers (a TBO region: fill and drain at its
  // ends); every layer's share is the time from the previous layer's end to its own.
  std::vector<double> two_sum(kinds.size(), 0.0), ideal_sum(kinds.size(), 0.0);
  thread_local std::vector<TboLayerOps> region;
  thread_local std::vector<int> region_kinds;
  std::int64_t region_first = 0; // index in the stage of the region's first layer
  auto flush = [&] {
    if (region.empty()) return;
    // Only the first region is recorded: the timeline shows the first MoE layers of the stage.
    const bool keep = record && record->first_layer < 0;
    const TboSchedule sched = simulate_two_batch(region, phase == Phase::prefill ? TboOrder::prefill : TboOrder::decode,
                                                 keep ? &record->intervals : nullptr);
    if (keep) {
      record->first_layer = region_first;
      record->schedule = sched;
    }
    // The ideal bound of the region (never above the schedule: clamped where the per-op SM slowdowns differ).
    double ideal = 0;
    for (int k : region_kinds)
      ideal += kind_ideal[static_cast<std::size_t>(k)];
    const double scale = ideal > sched.makespan && ideal > 0 ? sched.makespan / ideal : 1.0;
    double prev = 0;
    for (std::size_t i = 0; i < region.size(); ++i) {
      const auto k = static_cast<std::size_t>(region_kinds[i]);
      two_sum[k] += sched.layer_end[i] - prev;
      ideal_sum[k] += kind_ideal[k] * scale;
      prev = sched.layer_end[i];
    }
    sc.two_batch_compute_idle += sched.compute_idle;
    region.clear();
    region_kinds.clear();
  };
  for (std::size_t at = 0; at < sequence.size(); ++at) {
    const auto ku = static_cast<std::size_t>(sequence[at]);
    const int k = sequence[at];
    if (kinds[ku].moe && halves) {
      if (region.empty()) region_first = static_cast<std::int64_t>(at);
      region.push_back(kind_ops[ku]);
      region_kinds.push_back(k);
    } else {
      flush();
      two_sum[ku] += lbs[ku].serial_seconds;
      ideal_sum[ku] += lbs[ku].serial_seconds;
    }
  }
  flush();
  for (std::size_t ki = 0; ki < kinds.size(); ++ki) {
    const double n = static_cast<double>(kinds[ki].count);
    lbs[ki].two_batch_seconds = two_sum[ki] / n;
    lbs[ki].two_batch_ideal_seconds = ideal_sum[ki] / n;
    sc.two_batch += two_sum[ki];
    sc.two_batch_ideal += ideal_sum[ki];
    sc.layers.push_back(std::move(lbs[ki]));
  }

  // Outer operators: embedding, final norm and LM head (vocabulary-parallel over attention TP).
  const std::int64_t tp = std::max<std::int64_t>(s.deployment.attention_tp, 1);
  const std::int64_t head_rows = phase == Phase::prefill ? t.rank_sequences : t.rank_tokens;
  const OperatorWork outer_ops[] = {
      embedding_lookup("embedding.lookup", t.rank_tokens, m.hidden_size, DataType::bf16),
      rms_norm("lm_head.final_norm", "lm_head", head_rows, m.hidden_size, s.scenario.workload.dtypes.activations),
      dense_gemm("lm_head.projection", "lm_head", head_rows, m.vocab_size / tp, m.hidden_size, DataType::bf16,
                 DataType::fp32)};
  double outer = 0;
  for (const auto& op : outer_ops) {
    const OperatorTime ot = engine.evaluate(op);
    sc.outer_operators.push_back(op);
    sc.outer_times.push_back(ot);
    sc.outer[op.component] += ot.seconds;
    outer += ot.seconds;
    sc.flop += op.flop;
    sc.bytes += op.bytes();
  }

  // Multi-token prediction (decode): `draft` sequential passes of the MTP module (one MoE layer, the hidden-state
  // projection and the shared LM head) on one token per sequence.
  if (phase == Phase::decode && cfg.mtp_draft_tokens > 0 && m.mtp_layers > 0) {
    LayerTokens t1 = make_tokens(s, phase, per_gpu, 1);
    MoeNetworkCost net1;
    if (m.is_moe()) {
      net1 = moe_network_cost(s, phase, static_cast<double>(t1.moe_tokens_per_gpu), cfg);
      apply_network_loads(s, net1, t1);
    }
    LayerKind k{m.is_moe(), false, 1};
    const LayerCost lc = layer_cost(s, engine, t1, k, m.is_moe() ? &net1 : nullptr, coll);
    const OperatorWork proj[] = {dense_gemm("mtp.eh_proj", "mtp", t1.rank_tokens, m.hidden_size, 2 * m.hidden_size,
                                            s.scenario.workload.dtypes.weights),
                                 dense_gemm("mtp.lm_head", "mtp", t1.rank_tokens, m.vocab_size / tp, m.hidden_size,
                                            DataType::bf16, DataType::fp32)};
    double extra = 0, extra_flop = 0, extra_bytes = 0;
    for (const auto& op : proj) {
      extra += engine.evaluate(op).seconds;
      extra_flop += op.flop;
      extra_bytes += op.bytes();
    }
    const double passes = static_cast<double>(cfg.mtp_draft_tokens * m.mtp_layers);
    const double mtp_seconds = passes * (layer_time(lc, Overlap::none) + extra);
    sc.outer["mtp"] = mtp_seconds;
    outer += mtp_seconds;
    sc.flop += passes * (lc.flop + extra_flop);
    sc.bytes += passes * (lc.bytes + extra_bytes);
    sc.scale_up_bytes += passes * net1.scale_up_bytes_per_gpu;
    sc.scale_out_bytes += passes * net1.scale_out_bytes_per_gpu;
  }
  sc.tokens = tf;
  sc.serial += outer;
  sc.intra += outer;
  sc.two_batch += outer;
  sc.two_batch_ideal += outer;
  return sc;
}

} // namespace moescope::step
