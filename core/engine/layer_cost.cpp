// The cost of one layer kind for one micro-batch: every operator timed by the compute engine, bucketed for the
// breakdown, plus the layer's communication (TP all-reduces, MoE dispatch and combine); and the layer's time under
// each overlap assumption.
#include <stdexcept>
#include <unordered_map>

#include "compute/operators.hpp"
#include "engine/step_internals.hpp"
#include "util/diagnostics.hpp"

namespace moescope {

const std::vector<std::string>& engine_components() {
  static const std::vector<std::string> c = {"attention",         "tp_all_reduce",  "norms",   "gate",
                                             "dispatch",          "routed_experts", "combine", "shared_experts",
                                             "moe_tp_all_reduce", "dense_ffn"};
  return c;
}

namespace step {

namespace {

int bucket_of(const std::string& component) {
  const auto& names = engine_components();
  for (int i = 0; i < kOther; ++i)
    if (names[static_cast<std::size_t>(i)] == component) return i;
  return kOther;
}

// The operator lists of a layer depend only on the model, the deployment's degrees, the data types and the token
// counts, not on the hardware: they are memoized per thread (sweeps over hardware re-time the same work).
struct OpsEntry {
  std::vector<OperatorWork> ops;
  std::vector<int> buckets;
};
thread_local std::unordered_map<std::string, std::shared_ptr<const OpsEntry>> g_ops_memo;

void key_put(std::string& k, std::int64_t v) {
  k.append(reinterpret_cast<const char*>(&v), sizeof v);
}

std::shared_ptr<const OpsEntry> layer_ops(const ResolvedScenario& s, const LayerTokens& t, bool moe, bool sliding) {
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
  auto e = std::make_shared<OpsEntry>();
  e->ops = layer_operators(s.model, d, dt, t, moe, sliding);
  for (const auto& op : e->ops)
    e->buckets.push_back(bucket_of(op.component));
  return g_ops_memo.emplace(std::move(key), std::move(e)).first->second;
}

} // namespace

void LayerCost::add(int b, double v) {
  seconds[static_cast<std::size_t>(b)] += v;
  busy[static_cast<std::size_t>(b)] += v;
  pinned[static_cast<std::size_t>(b)] += v;
  present[static_cast<std::size_t>(b)] = true;
}

std::map<std::string, double> LayerCost::to_map() const {
  std::map<std::string, double> m;
  for (int i = 0; i < kOther; ++i)
    if (present[static_cast<std::size_t>(i)])
      m[engine_components()[static_cast<std::size_t>(i)]] = seconds[static_cast<std::size_t>(i)];
  if (present[kOther]) m["other"] = seconds[kOther];
  return m;
}

double CollectiveTimer::all_reduce(std::int64_t ranks, double bytes) {
  if (ranks <= 1 || bytes <= 0) return 0.0;
  if (!topo) topo = std::make_unique<Topology>(Topology::from_scenario(*s));
  CollectiveRequest req;
  req.op = CollectiveOp::all_reduce;
  req.ranks = ranks;
  req.bytes = bytes;
  req.algorithm = algorithm;
  try {
    return estimate_collective(*topo, req, cal).seconds;
  } catch (const std::invalid_argument& e) { // a fixed algorithm that has no all-reduce on these ranks
    throw InputError(s->scenario.file.empty() ? "<inline>" : s->scenario.file, "/engine/collective_algorithm",
                     std::string(e.what()) + " (" + std::to_string(ranks) + " ranks); expected \"auto\" or an " +
                         "algorithm that implements it");
  }
}

double CollectiveTimer::send(double bytes, bool cross_node) {
  if (!topo) topo = std::make_unique<Topology>(Topology::from_scenario(*s));
  if (cross_node && topo->has_scale_out())
    return topo->params().nic_latency_seconds + bytes / std::max(topo->scale_out_bandwidth_per_gpu(), 1.0);
  return topo->params().scale_up_latency_seconds + bytes / std::max(topo->scale_up_bandwidth_per_gpu(), 1.0);
}

LayerCost layer_cost(const ResolvedScenario& s, const ComputeEngine& engine, const LayerTokens& t,
                     const LayerKind& kind, const MoeNetworkCost* net, CollectiveTimer& coll,
                     const ComputeEngine* reduced) {
  LayerCost c;
  const auto& d = s.deployment;
  const std::shared_ptr<const OpsEntry> memo = layer_ops(s, t, kind.moe, kind.sliding);
  const OpsEntry& entry = *memo;
  c.operators = std::shared_ptr<const std::vector<OperatorWork>>(memo, &memo->ops);
  c.operator_times.reserve(entry.ops.size());
  bool before_kernel = true;
  for (std::size_t i = 0; i < entry.ops.size(); ++i) {
    const OperatorWork& op = entry.ops[i];
    const OperatorTime ot = engine.evaluate(op);
    c.operator_times.push_back(ot);
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
    c.add(kDispatch, net->dispatch.seconds);
    c.add(kCombine, net->combine.seconds);
    comm += net->dispatch.seconds + net->combine.seconds;
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

double layer_time(const LayerCost& full, Overlap o, double comm_slowdown) {
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

} // namespace step
} // namespace moescope
