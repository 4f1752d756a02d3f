#include "engine/step_model.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "compute/calibration.hpp"
#include "compute/memory_footprint.hpp"
#include "compute/model_compute.hpp"
#include "compute/operators.hpp"
#include "engine/moe_network.hpp"
#include "engine/tbo_schedule.hpp"
#include "network/collective.hpp"
#include "network/network_calibration.hpp"
#include "util/data_paths.hpp"
#include "util/text_table.hpp"

namespace moescope {

const std::vector<std::string>& engine_components() {
  static const std::vector<std::string> c = {"attention",         "tp_all_reduce",  "norms",   "gate",
                                             "dispatch",          "routed_experts", "combine", "shared_experts",
                                             "moe_tp_all_reduce", "dense_ffn"};
  return c;
}

namespace {

// Compute calibrations are read once per process and name.
const ComputeCalibration& calibration_for(const std::string& accelerator) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<ComputeCalibration>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto& slot = cache[accelerator];
  if (!slot) {
    if (accelerator == "default") {
      slot = std::make_unique<ComputeCalibration>(default_compute_calibration());
    } else {
      slot = std::make_unique<ComputeCalibration>(find_compute_calibration(hwdb_dir(), accelerator));
    }
    // The engine copies its calibration: keep only the parameters (fit statistics and provenance stay behind).
    slot->fit = Json();
    slot->fitted_on.clear();
    slot->note.clear();
  }
  return *slot;
}

// Token counts of one micro-batch on the busiest GPU (the rules of compute/model_compute.hpp's layer_tokens, with
// an explicit batch and query length so that micro-batches and MTP can be expressed).
LayerTokens make_tokens(const ResolvedScenario& s, Phase phase, double per_gpu, std::int64_t query_tokens) {
  const auto& w = s.scenario.workload;
  const auto& d = s.deployment;
  LayerTokens t;
  t.phase = phase;
  const std::int64_t tp = std::max<std::int64_t>(d.attention_tp, 1);
  if (phase == Phase::prefill) {
    const std::int64_t cached =
        static_cast<std::int64_t>(std::floor(w.kv_cache_hit_rate * static_cast<double>(w.input_tokens)));
    t.query_tokens = std::max<std::int64_t>(1, w.input_tokens - cached);
    t.kv_length = w.input_tokens;
    const std::int64_t g = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::llround(per_gpu)));
    t.rank_tokens = g * tp;
    // A micro-batch smaller than one prompt is a chunk of it (chunked prefill: its tokens attend to the context).
    t.query_tokens = std::min(t.query_tokens, t.rank_tokens);
    t.rank_sequences = std::max<std::int64_t>(1, t.rank_tokens / t.query_tokens);
    t.moe_tokens_per_gpu = g;
  } else {
    const std::int64_t b = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::llround(per_gpu)));
    t.query_tokens = std::max<std::int64_t>(1, query_tokens);
    t.kv_length = w.input_tokens + std::max<std::int64_t>(w.output_tokens / 2, 1) + t.query_tokens - 1;
    t.rank_sequences = b * tp;
    t.rank_tokens = t.rank_sequences * t.query_tokens;
    t.moe_tokens_per_gpu = b * t.query_tokens;
  }
  return t;
}

std::vector<std::int64_t> spread(double total, std::int64_t slots) {
  slots = std::max<std::int64_t>(slots, 1);
  const auto n = static_cast<std::int64_t>(std::llround(std::max(0.0, total)));
  std::vector<std::int64_t> out(static_cast<std::size_t>(slots), n / slots);
  for (std::int64_t i = 0; i < n % slots; ++i)
    out[static_cast<std::size_t>(i)] += 1;
  return out;
}

struct LayerKind {
  bool moe = false;
  bool sliding = false;
  std::int64_t count = 0;
};

std::vector<LayerKind> stage_layer_kinds(const ResolvedScenario& s, std::vector<int>* sequence = nullptr) {
  const auto& m = s.model;
  const std::int64_t layers =
      std::max<std::int64_t>(s.deployment.layers_per_stage > 0 ? s.deployment.layers_per_stage : m.num_layers, 0);
  std::vector<LayerKind> kinds;
  // The busiest stage holds the MoE layers first counted from the end (stages after the dense prefix): count
  // dense layers only as far as the model has them in the stage's window of the first stage when pp == 1.
  const std::int64_t offset = s.deployment.pp > 1 ? m.num_layers - layers : 0; // last stage: all MoE in DeepSeek
  for (std::int64_t i = 0; i < layers; ++i) {
    const std::int64_t layer = std::min(offset + i, m.num_layers - 1);
    const bool moe = m.is_moe_layer(layer);
    const bool sliding = m.uses_sliding_window(layer);
    auto it = std::find_if(kinds.begin(), kinds.end(),
                           [&](const LayerKind& k) { return k.moe == moe && k.sliding == sliding; });
    if (it == kinds.end()) {
      kinds.push_back({moe, sliding, 1});
      it = kinds.end() - 1;
    } else {
      it->count += 1;
    }
    if (sequence) sequence->push_back(static_cast<int>(it - kinds.begin()));
  }
  return kinds;
}

// Costs of one layer kind for one micro-batch: compute buckets from the compute module, communication buckets
// from the network module.
enum Bucket {
  kAttention,
  kTpAllReduce,
  kNorms,
  kGate,
  kDispatch,
  kRoutedExperts,
  kCombine,
  kSharedExperts,
  kMoeTpAllReduce,
  kDenseFfn,
  kOther,
  kBuckets
};

int bucket_of(const std::string& component) {
  const auto& names = engine_components();
  for (int i = 0; i < kOther; ++i)
    if (names[static_cast<std::size_t>(i)] == component) return i;
  return kOther;
}

struct LayerCost {
  std::array<double, kBuckets> seconds{};
  std::array<bool, kBuckets> present{};
  // Compute buckets timed on the SMs the communication kernels leave free (units - num_sms): `busy` every kernel
  // (the kernel runs while a communication kernel holds SMs), `pinned` only the GEMMs (SGLang's prefill TBO runs
  // DeepGEMM on units - num_sms SMs throughout), other kernels on all SMs. Equal to `seconds` without SM sharing.
  std::array<double, kBuckets> busy{}, pinned{};
  // Attention operators before the attention kernel (projections, norms, RoPE): SGLang's decode TBO stage 0.
  double prep = 0, prep_busy = 0, prep_pinned = 0;
  double compute = 0, communication = 0, shared = 0;
  double flop = 0, bytes = 0;
  bool comm_uses_sms = false;
  void add(int b, double v) {
    seconds[static_cast<std::size_t>(b)] += v;
    busy[static_cast<std::size_t>(b)] += v;
    pinned[static_cast<std::size_t>(b)] += v;
    present[static_cast<std::size_t>(b)] = true;
  }

  std::map<std::string, double> to_map() const {
    std::map<std::string, double> m;
    for (int i = 0; i < kOther; ++i)
      if (present[static_cast<std::size_t>(i)])
        m[engine_components()[static_cast<std::size_t>(i)]] = seconds[static_cast<std::size_t>(i)];
    if (present[kOther]) m["other"] = seconds[kOther];
    return m;
  }
};

// The operator lists of a layer depend only on the model, the deployment's degrees, the data types and the token
// counts, not on the hardware: they are memoized per thread (sweeps over hardware re-time the same work).
struct OpsEntry {
  std::vector<OperatorWork> ops;
  std::vector<int> buckets;
};
thread_local std::unordered_map<std::string, OpsEntry> g_ops_memo;

void key_put(std::string& k, std::int64_t v) {
  k.append(reinterpret_cast<const char*>(&v), sizeof v);
}

const OpsEntry& layer_ops(const ResolvedScenario& s, const LayerTokens& t, bool moe, bool sliding) {
  const auto& d = s.deployment;
  const auto& dt = s.scenario.workload.dtypes;
  std::string key;
  key.reserve(160);
  key += s.model.name;
  key += '\0';
  for (std::int64_t v : {s.model.num_layers, s.model.hidden_size, d.attention_tp, d.moe_tp, d.moe_ep,
                         d.expert_slots_per_gpu, std::int64_t(dt.weights), std::int64_t(dt.activations),
                         std::int64_t(dt.kv_cache), std::int64_t(t.phase), t.rank_sequences, t.query_tokens,
                         t.kv_length, t.rank_tokens, t.moe_tokens_per_gpu, std::int64_t(moe), std::int64_t(sliding)})
    key_put(key, v);
  for (auto x : t.busiest_expert_tokens)
    key_put(key, x);
  auto it = g_ops_memo.find(key);
  if (it != g_ops_memo.end()) return it->second;
  if (g_ops_memo.size() > 4096) g_ops_memo.clear();
  OpsEntry e;
  e.ops = layer_operators(s.model, d, dt, t, moe, sliding);
  for (const auto& op : e.ops)
    e.buckets.push_back(bucket_of(op.component));
  return g_ops_memo.emplace(std::move(key), std::move(e)).first->second;
}

struct CollectiveTimer {
  const ResolvedScenario* s = nullptr;
  const NetworkCalibration* cal = nullptr;
  std::unique_ptr<Topology> topo;
  double all_reduce(std::int64_t ranks, double bytes) {
    if (ranks <= 1 || bytes <= 0) return 0.0;
    if (!topo) topo = std::make_unique<Topology>(Topology::from_scenario(*s));
    CollectiveRequest req;
    req.op = CollectiveOp::all_reduce;
    req.ranks = ranks;
    req.bytes = bytes;
    return estimate_collective(*topo, req, cal).seconds;
  }
  double send(double bytes, bool cross_node) {
    if (!topo) topo = std::make_unique<Topology>(Topology::from_scenario(*s));
    if (cross_node && topo->has_scale_out())
      return topo->params().nic_latency_seconds + bytes / std::max(topo->scale_out_bandwidth_per_gpu(), 1.0);
    return topo->params().scale_up_latency_seconds + bytes / std::max(topo->scale_up_bandwidth_per_gpu(), 1.0);
  }
};

// `reduced`: the compute engine on the SMs the communication kernels leave free (null: no SM sharing).
LayerCost layer_cost(const ResolvedScenario& s, const ComputeEngine& engine, const LayerTokens& t,
                     const LayerKind& kind, const MoeNetworkCost* net, CollectiveTimer& coll,
                     const ComputeEngine* reduced = nullptr) {
  LayerCost c;
  const auto& d = s.deployment;
  const OpsEntry& entry = layer_ops(s, t, kind.moe, kind.sliding);
  bool before_kernel = true;
  for (std::size_t i = 0; i < entry.ops.size(); ++i) {
    const OperatorWork& op = entry.ops[i];
    const OperatorTime ot = engine.evaluate(op);
    const int b = entry.buckets[i];
    const auto bi = static_cast<std::size_t>(b);
    const double busy = reduced && kind.moe ? std::max(ot.seconds, reduced->evaluate(op).seconds) : ot.seconds;
    const bool gemm = op.kind == OperatorKind::gemm || op.kind == OperatorKind::grouped_gemm;
    const double pinned = gemm ? busy : ot.seconds;
    c.seconds[bi] += ot.seconds;
    c.busy[bi] += busy;
    c.pinned[bi] += pinned;
    c.present[bi] = true;
    if (b == kAttention && op.kind == OperatorKind::attention) before_kernel = false;
    if (b == kAttention && before_kernel) {
      c.prep += ot.seconds;
      c.prep_busy += busy;
      c.prep_pinned += pinned;
    }
    c.compute += ot.seconds;
    c.flop += op.flop;
    c.bytes += op.bytes();
    if (b == kSharedExperts) c.shared += ot.seconds;
  }
  const double act = bytes_per_element(DataType::bf16);
  const double h = static_cast<double>(s.model.hidden_size);
  const std::int64_t tp = std::max<std::int64_t>(d.attention_tp, 1);
  double comm = 0;
  if (tp > 1) {
    // Attention output all-reduce; a dense FFN under TP adds a second one. MoE layers gather the combined rows
    // back over the TP group (about half an all-reduce).
    const double bytes = static_cast<double>(t.rank_tokens) * h * act;
    double ar = coll.all_reduce(tp, bytes);
    ar += kind.moe ? 0.5 * coll.all_reduce(tp, bytes) : coll.all_reduce(tp, bytes);
    c.add(kTpAllReduce, ar);
    comm += ar;
  }
  if (kind.moe && net) {
    c.add(kDispatch, net->dispatch_seconds);
    c.add(kCombine, net->combine_seconds);
    comm += net->dispatch_seconds + net->combine_seconds;
    if (d.moe_tp > 1) {
      const double ar = coll.all_reduce(d.moe_tp, static_cast<double>(t.moe_tokens_per_gpu) * h * act);
      c.add(kMoeTpAllReduce, ar);
      comm += ar;
    }
  }
  c.communication = comm;
  c.comm_uses_sms = kind.moe && net && net->communication_sms > 0 && reduced != nullptr;
  return c;
}

// One micro-batch's MoE layer as the two-batch schedule sees it. `pin`: GEMMs always on the reduced SM count
// (SGLang's prefill TBO sets DeepGEMM's SM count to units - DeepEP's num_sms for the whole overlapped region).
// `comm_slowdown`: EngineConfig::overlap_communication_slowdown, applied to dispatch and combine (they overlap).
TboLayerOps tbo_ops(const LayerCost& h, bool pin, double comm_slowdown) {
  TboLayerOps o;
  auto sec = [&](int b) { return h.seconds[static_cast<std::size_t>(b)]; };
  auto free_of = [&](int b) { return pin ? h.pinned[static_cast<std::size_t>(b)] : sec(b); };
  auto busy_of = [&](int b) { return h.busy[static_cast<std::size_t>(b)]; };
  o.attention_prep = pin ? h.prep_pinned : h.prep;
  o.attention_prep_busy = h.prep_busy;
  // Attention (after the projections), norms, router and anything unclassified; a TP all-reduce of attention runs
  // on the compute stream (NCCL on the main stream).
  o.attention = free_of(kAttention) - o.attention_prep + free_of(kNorms) + free_of(kGate) + free_of(kOther) +
                free_of(kDenseFfn) + sec(kTpAllReduce);
  o.attention_busy = busy_of(kAttention) - h.prep_busy + busy_of(kNorms) + busy_of(kGate) + busy_of(kOther) +
                     busy_of(kDenseFfn) + sec(kTpAllReduce);
  o.dispatch = sec(kDispatch) * comm_slowdown;
  o.shared = free_of(kSharedExperts);
  o.shared_busy = busy_of(kSharedExperts);
  o.experts = free_of(kRoutedExperts) + sec(kMoeTpAllReduce);
  o.experts_busy = busy_of(kRoutedExperts) + sec(kMoeTpAllReduce);
  o.combine = sec(kCombine) * comm_slowdown;
  o.comm_uses_sms = h.comm_uses_sms;
  return o;
}

double layer_time(const LayerCost& full, Overlap o, double comm_slowdown = 1.0) {
  switch (o) {
  case Overlap::intra_layer: {
    // The shared experts run concurrently with dispatch and combine (on the SMs those leave free).
    const double calibrated_moe_comm = full.seconds[kDispatch] + full.seconds[kCombine];
    const double other_comm = full.communication - calibrated_moe_comm;
    const double moe_comm = calibrated_moe_comm * comm_slowdown;
    const double shared = full.comm_uses_sms ? full.busy[kSharedExperts] : full.shared;
    return full.compute - full.shared + other_comm + std::max(moe_comm, shared);
  }
  default:
    return full.compute + full.communication;
  }
}

struct StageCost {
  std::vector<LayerBreakdown> layers;
  std::map<std::string, double> outer;
  double serial = 0, two_batch = 0, two_batch_ideal = 0, intra = 0;
  double two_batch_compute_idle = 0, communication_sms = 0;
  double flop = 0, bytes = 0;
  double scale_up_bytes = 0, scale_out_bytes = 0;
  double scale_up_bw = 0, scale_out_bw = 0; // per GPU, from the network model (0 = not computed)
  MoeTraffic moe;
};

// The busiest GPU's expert loads and received rows of a micro-batch, from the network model's routing.
void apply_network_loads(const ResolvedScenario& s, const MoeNetworkCost& net, LayerTokens& t) {
  t.busiest_expert_tokens = net.busiest_gpu_slot_tokens.empty()
                                ? spread(net.busiest_gpu_expert_tokens, s.deployment.expert_slots_per_gpu)
                                : net.busiest_gpu_slot_tokens;
  t.received_rows = net.busiest_gpu_received_rows;
}

// One pipeline stage processing one micro-batch of `per_gpu` sequences (decode) or tokens (prefill).
StageCost stage_cost(const ResolvedScenario& s, Phase phase, const EngineConfig& cfg, const ComputeEngine& engine,
                     double per_gpu, std::int64_t query_tokens, bool want_two_batch, CollectiveTimer& coll) {
  StageCost sc;
  const auto& m = s.model;
  const LayerTokens t = [&] {
    LayerTokens x = make_tokens(s, phase, per_gpu, query_tokens);
    return x;
  }();
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
    auto& mt = sc.moe;
    mt.kernel = net_full.kernel;
    mt.placement = net_full.placement;
    mt.routing = net_full.routing;
    mt.tokens_per_gpu = static_cast<double>(t.moe_tokens_per_gpu);
    mt.dispatch_seconds = net_full.dispatch_seconds;
    mt.combine_seconds = net_full.combine_seconds;
    mt.busiest_gpu_expert_tokens = net_full.busiest_gpu_expert_tokens;
    mt.mean_gpu_expert_tokens = net_full.mean_gpu_expert_tokens;
    mt.busiest_gpu_received_rows = net_full.busiest_gpu_received_rows;
    mt.busiest_gpu_slot_tokens = tf.busiest_expert_tokens;
    mt.scale_up_bytes_per_gpu = net_full.scale_up_bytes_per_gpu;
    mt.scale_out_bytes_per_gpu = net_full.scale_out_bytes_per_gpu;
    mt.busiest_link = net_full.busiest_link;
    mt.calibrated = net_full.calibrated;
    mt.note = net_full.note;
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
  auto flush = [&] {
    if (region.empty()) return;
    const TboSchedule sched =
        simulate_two_batch(region, phase == Phase::prefill ? TboOrder::prefill : TboOrder::decode);
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
  for (int k : sequence) {
    const auto ku = static_cast<std::size_t>(k);
    if (kinds[ku].moe && halves) {
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
  sc.serial += outer;
  sc.intra += outer;
  sc.two_batch += outer;
  sc.two_batch_ideal += outer;
  return sc;
}

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

PhaseResult evaluate_phase(const ResolvedScenario& s, Phase phase, const EngineConfig& cfg) {
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

  const std::string cal_name = cfg.compute_calibration.empty() ? s.accelerator.name : cfg.compute_calibration;
  const ComputeEngine engine(s.accelerator, calibration_for(cal_name), cfg.compute);
  CollectiveTimer coll;
  coll.s = &s;
  if (cfg.network_calibration != "none")
    coll.cal = find_network_calibration(cfg.network_calibration.empty() ? s.system.name : cfg.network_calibration);

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
    const std::int64_t cached =
        static_cast<std::int64_t>(std::floor(w.kv_cache_hit_rate * static_cast<double>(w.input_tokens)));
    per_gpu = static_cast<double>(w.prefill_tokens_per_gpu > 0 ? w.prefill_tokens_per_gpu
                                                               : std::max<std::int64_t>(1, w.input_tokens - cached));
    const LayerTokens t = make_tokens(s, phase, per_gpu, 1);
    r.memory_kv_cache_bytes = kv_per_sequence * static_cast<double>(t.rank_sequences);
  }
  r.memory_total_bytes = r.memory_weight_bytes + r.memory_kv_cache_bytes;
  if (r.memory_total_bytes > r.memory_capacity_bytes && r.memory_capacity_bytes > 0)
    r.notes.push_back("does not fit: " + std::to_string(r.memory_total_bytes / 1e9) + " GB per GPU needed");

  // One micro-batch of the pipeline.
  const double M = static_cast<double>(r.microbatches);
  const double mb = per_gpu / M;
  const bool two = true; // always compute the two-batch figure so that both assumptions are reported
  StageCost sc = stage_cost(s, phase, cfg, engine, mb, q, two, coll);
  const LayerTokens t = make_tokens(s, phase, mb, q);

  for (auto& lb : sc.layers)
    lb.seconds =
        pick(cfg.overlap, lb.serial_seconds, lb.two_batch_seconds, lb.two_batch_ideal_seconds, lb.intra_layer_seconds);
  r.layers = std::move(sc.layers);
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
    const std::int64_t cached =
        static_cast<std::int64_t>(std::floor(w.kv_cache_hit_rate * static_cast<double>(w.input_tokens)));
    const double uncached = static_cast<double>(std::max<std::int64_t>(1, w.input_tokens - cached));
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

DeploymentResult evaluate_deployment(const ResolvedScenario& s, const EngineConfig& cfg, bool all_phases) {
  DeploymentResult out;
  out.scenario = s.scenario.name;
  out.mode = cfg.compute.mode;
  out.overlap = cfg.overlap;
  out.disaggregated = s.scenario.deployment.disaggregated;
  const std::string cal_name = cfg.compute_calibration.empty() ? s.accelerator.name : cfg.compute_calibration;
  out.compute_calibration = cfg.compute.mode == EngineMode::calibrated ? calibration_for(cal_name).file : "";
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
    const MemoryFootprint f = compute_memory_footprint(s);
    const double per_token = f.kv_cache_bytes_per_token; // one GPU's share of one token, all layers of a stage
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
  return evaluate_deployment(s, engine_config_or_throw(s.scenario), all_phases);
}

namespace {

Json layer_json(const LayerBreakdown& l) {
  Json j;
  j["id"] = l.id;
  j["count"] = l.count;
  Json b = Json::object();
  for (const auto& [k, v] : l.component_seconds)
    b[k] = v;
  j["seconds_by_component"] = b;
  j["compute_seconds"] = l.compute_seconds;
  j["communication_seconds"] = l.communication_seconds;
  j["seconds_overlap_none"] = l.serial_seconds;
  j["seconds_overlap_two_batch"] = l.two_batch_seconds;
  j["seconds_overlap_two_batch_ideal"] = l.two_batch_ideal_seconds;
  j["seconds_overlap_intra_layer"] = l.intra_layer_seconds;
  j["seconds"] = l.seconds;
  j["flop"] = l.flop;
  j["hbm_bytes"] = l.hbm_bytes;
  return j;
}

} // namespace

Json phase_result_to_json(const PhaseResult& r) {
  Json j;
  j["phase"] = to_string(r.phase);
  j["nodes"] = r.nodes;
  j["gpus"] = r.gpus;
  j["gpus_per_node"] = r.gpus_per_node;
  j["pp"] = r.pp;
  j["microbatches"] = r.microbatches;
  if (r.phase == Phase::decode) {
    j["batch_per_gpu"] = r.batch_per_gpu;
    j["requested_batch_per_gpu"] = r.requested_batch_per_gpu;
    j["kv_bounded"] = r.kv_bounded;
    j["accepted_tokens_per_step"] = r.accepted_tokens_per_step;
    j["tpot_seconds"] = r.tpot_seconds;
  } else {
    j["ttft_seconds"] = r.ttft_seconds;
    j["kv_transfer_seconds"] = r.kv_transfer_seconds;
    j["computed_tokens_per_s_per_gpu"] = r.computed_tokens_per_s_per_gpu;
  }
  j["tokens_per_gpu_per_step"] = r.tokens_per_gpu_per_step;
  j["sequences_per_gpu_per_step"] = r.sequences_per_gpu_per_step;
  j["step_seconds"] = r.step_seconds;
  j["step_seconds_by_overlap"] = {{"none", r.step_seconds_by_overlap_none},
                                  {"two_batch", r.step_seconds_by_overlap_two_batch},
                                  {"two_batch_ideal", r.step_seconds_by_overlap_two_batch_ideal},
                                  {"intra_layer", r.step_seconds_by_overlap_intra_layer}};
  j["stage_seconds"] = r.stage_seconds;
  j["pipeline_bubble_fraction"] = r.pipeline_bubble_fraction;
  j["two_batch_compute_idle_seconds"] = r.two_batch_compute_idle_seconds;
  j["communication_sms"] = r.communication_sms;
  j["tokens_per_s_per_gpu"] = r.tokens_per_s_per_gpu;
  j["tokens_per_s_per_node"] = r.tokens_per_s_per_node;
  j["utilization"] = {{"compute", r.compute_utilization},
                      {"hbm_bandwidth", r.hbm_bandwidth_utilization},
                      {"scale_up", r.scale_up_utilization},
                      {"scale_out", r.scale_out_utilization}};
  j["flop_per_step_per_gpu"] = r.flop_per_step;
  j["hbm_bytes_per_step_per_gpu"] = r.hbm_bytes_per_step;
  j["memory_per_gpu"] = {{"weight_bytes", r.memory_weight_bytes},
                         {"kv_cache_bytes", r.memory_kv_cache_bytes},
                         {"total_bytes", r.memory_total_bytes},
                         {"capacity_bytes", r.memory_capacity_bytes},
                         {"max_batch_per_gpu_that_fits", r.max_batch_per_gpu_that_fits}};
  if (r.cost_per_million_tokens_usd > 0) j["cost_per_million_tokens_usd"] = r.cost_per_million_tokens_usd;
  if (r.energy_per_token_joules > 0) j["energy_per_token_joules"] = r.energy_per_token_joules;
  Json comps = Json::object();
  for (const auto& [k, v] : r.step_component_seconds)
    comps[k] = v;
  j["step_seconds_by_component_no_overlap"] = comps;
  Json layers = Json::array();
  for (const auto& l : r.layers)
    layers.push_back(layer_json(l));
  j["layers"] = layers;
  Json outer = Json::object();
  for (const auto& [k, v] : r.outer_seconds)
    outer[k] = v;
  j["outer_seconds"] = outer;
  if (!r.moe.kernel.empty()) {
    const auto& t = r.moe;
    j["moe"] = {{"kernel", t.kernel},
                {"placement", t.placement},
                {"routing", t.routing},
                {"tokens_per_gpu", t.tokens_per_gpu},
                {"dispatch_seconds", t.dispatch_seconds},
                {"combine_seconds", t.combine_seconds},
                {"busiest_gpu_expert_tokens", t.busiest_gpu_expert_tokens},
                {"busiest_gpu_received_rows", t.busiest_gpu_received_rows},
                {"mean_gpu_expert_tokens", t.mean_gpu_expert_tokens},
                {"busiest_gpu_slot_tokens", t.busiest_gpu_slot_tokens},
                {"scale_up_bytes_per_gpu", t.scale_up_bytes_per_gpu},
                {"scale_out_bytes_per_gpu", t.scale_out_bytes_per_gpu},
                {"busiest_link", t.busiest_link},
                {"kernel_costs", t.calibrated ? "calibrated" : "speed_of_light"}};
  }
  j["notes"] = r.notes;
  return j;
}

Json deployment_result_to_json(const DeploymentResult& r) {
  Json j;
  j["mode"] = to_string(r.mode);
  j["overlap"] = to_string(r.overlap);
  j["compute_calibration"] = r.compute_calibration;
  j["disaggregated"] = r.disaggregated;
  if (r.prefill.evaluated) j["prefill"] = phase_result_to_json(r.prefill);
  if (r.decode.evaluated) j["decode"] = phase_result_to_json(r.decode);
  const auto m = deployment_metrics(r);
  Json summary = Json::object();
  for (const auto& [k, v] : m)
    summary[k] = v;
  j["summary"] = summary;
  return j;
}

std::map<std::string, double> deployment_metrics(const DeploymentResult& r) {
  std::map<std::string, double> m;
  if (r.prefill.evaluated) {
    const auto& p = r.prefill;
    m["ttft_seconds"] = p.ttft_seconds;
    m["prefill_tokens_per_s_per_gpu"] = p.tokens_per_s_per_gpu;
    m["prefill_tokens_per_s_per_node"] = p.tokens_per_s_per_node;
    m["prefill_step_seconds"] = p.step_seconds;
    m["prefill_compute_utilization"] = p.compute_utilization;
    m["prefill_memory_per_gpu_bytes"] = p.memory_total_bytes;
  }
  if (r.decode.evaluated) {
    const auto& d = r.decode;
    m["tpot_seconds"] = d.tpot_seconds;
    m["decode_tokens_per_s_per_gpu"] = d.tokens_per_s_per_gpu;
    m["decode_tokens_per_s_per_node"] = d.tokens_per_s_per_node;
    m["decode_step_seconds"] = d.step_seconds;
    m["decode_batch_per_gpu"] = d.batch_per_gpu;
    m["decode_hbm_bandwidth_utilization"] = d.hbm_bandwidth_utilization;
    m["decode_memory_per_gpu_bytes"] = d.memory_total_bytes;
    m["decode_fits"] = d.memory_total_bytes <= d.memory_capacity_bytes ? 1.0 : 0.0;
    if (d.cost_per_million_tokens_usd > 0) m["decode_cost_per_million_tokens_usd"] = d.cost_per_million_tokens_usd;
    if (d.energy_per_token_joules > 0) m["decode_energy_per_token_joules"] = d.energy_per_token_joules;
  }
  // One headline pair whatever the phase: throughput per GPU and latency.
  if (r.decode.evaluated) {
    m["tokens_per_s_per_gpu"] = r.decode.tokens_per_s_per_gpu;
    m["latency_seconds"] = r.decode.tpot_seconds;
  } else if (r.prefill.evaluated) {
    m["tokens_per_s_per_gpu"] = r.prefill.tokens_per_s_per_gpu;
    m["latency_seconds"] = r.prefill.ttft_seconds;
  }
  return m;
}

} // namespace moescope
