// "<base>+gain": a base placement (linear, eplb-global, coact-partition or joint-minmax) fitted without redundant
// slots, whose redundant slots are then filled with the copies (expert, node) that remove the most inter-node
// traffic under the replica rule the placement is evaluated with (node_cover), on the training requests.
//
// Why: a strategy that chooses copies under one routing assumption (e.g. "a remote expert is served from its
// primary") and is scored under another chooses the wrong copies. Here every round routes a sample of training
// tokens with the real rule (ReplicaRouter), scores every candidate (e, c) by the crossings it would remove, and keeps
// a batch of the best only if the exact objective on the sample goes down; otherwise only the single best, and it
// stops when that does not help either.
//
// Score of (e, c): a token that reaches remote node p for expert e alone (no other of its experts is served on p)
// saves that crossing when e gets a copy on a node c the token reaches anyway (its home or another node it needs).
// Each saved crossing counts 1 + nodes x [it is on the busiest link], the objective J = node-dedup crossings +
// nodes x busiest link of joint-minmax. Node balance: the node's routed pairs plus those the copy would attract stay
// within node_load_cap x the mean (or the current maximum, if that is already higher); the copy goes to the node's
// least-loaded GPU with a free slot. Homing: the base's policy; an affinity policy is rebuilt from the final
// placement (a copy on node c counts as local to c).
#include <algorithm>
#include <numeric>
#include <stdexcept>

#include "network/replica_routing.hpp"
#include "placement/strategy.hpp"
#include "util/parallel_for.hpp"

namespace moescope::placement {
namespace {

constexpr std::size_t kSampleTokens = 12000; // training tokens per layer that score and verify the copies

struct SampleToken {
  std::uint64_t token;
  std::int32_t home;
};

// Routes the sample through one layer's placement; fills per-token GPUs (sample x k) and returns J.
struct LayerRouting {
  std::vector<std::int32_t> gpu; // [sample][k]
  std::vector<double> out, in;   // per node: dedup crossings leaving / entering
  std::vector<double> gpu_pairs; // per GPU
  double crossings = 0.0, busiest = 0.0;
  double objective(std::int32_t nodes) const { return crossings + nodes * busiest; }
};

LayerRouting route_sample(const Placement& p, const PlacementTopology& t, const RoutingStats& s, std::uint32_t layer,
                          const std::vector<SampleToken>& sample) {
  const std::size_t K = s.top_k, N = std::size_t(t.nodes);
  const auto data = s.trace->expert_data();
  const std::size_t per_token = std::size_t(s.num_layers) * K;
  LayerRouting r;
  r.gpu.resize(sample.size() * K);
  r.out.assign(N, 0.0);
  r.in.assign(N, 0.0);
  ReplicaRouter router;
  router.reset(p, t.gpus_per_node, ReplicaChoice::node_cover);
  for (std::size_t i = 0; i < sample.size(); ++i) {
    const std::uint16_t* ids = data.data() + sample[i].token * per_token + std::size_t(layer) * K;
    std::int32_t* g = r.gpu.data() + i * K;
    router.route(p, -1, sample[i].home, ids, std::int32_t(K), g);
    std::uint64_t visited = 0;
    for (std::size_t j = 0; j < K; ++j)
      if (g[j] >= 0 && g[j] / t.gpus_per_node != sample[i].home)
        visited |= std::uint64_t(1) << (g[j] / t.gpus_per_node);
    for (std::size_t n = 0; n < N; ++n)
      if (visited >> n & 1) {
        r.out[std::size_t(sample[i].home)] += 1.0;
        r.in[n] += 1.0;
        r.crossings += 1.0;
      }
  }
  r.gpu_pairs = router.gpu_load();
  for (std::size_t n = 0; n < N; ++n)
    r.busiest = std::max({r.busiest, r.out[n], r.in[n]});
  return r;
}

// Expert copies as GPU lists, and the free slots per GPU.
struct Copies {
  std::vector<std::vector<std::int32_t>> of_expert;
  std::vector<std::int32_t> free_slots;
  Placement placement() const {
    return Placement::from_lists(std::int32_t(free_slots.size()), of_expert, ReplicaChoice::node_cover);
  }
};

struct Candidate {
  std::int32_t expert, node;
  double score, attracted;
};

std::vector<Candidate> score_candidates(const Copies& c, const LayerRouting& r, const PlacementTopology& t,
                                        const RoutingStats& s, std::uint32_t layer,
                                        const std::vector<SampleToken>& sample) {
  const std::size_t K = s.top_k, N = std::size_t(t.nodes), E = s.num_experts;
  const auto data = s.trace->expert_data();
  const std::size_t per_token = std::size_t(s.num_layers) * K;
  std::vector<double> score(E * N, 0.0), attracted(E * N, 0.0);
  for (std::size_t i = 0; i < sample.size(); ++i) {
    const std::uint16_t* ids = data.data() + sample[i].token * per_token + std::size_t(layer) * K;
    const std::int32_t* g = r.gpu.data() + i * K;
    const auto home = std::size_t(sample[i].home);
    std::uint64_t reached = std::uint64_t(1) << home;
    std::int32_t served[64] = {};
    for (std::size_t j = 0; j < K; ++j)
      if (g[j] >= 0) {
        const auto n = std::size_t(g[j] / t.gpus_per_node);
        reached |= std::uint64_t(1) << n;
        ++served[n];
      }
    for (std::size_t j = 0; j < K; ++j) {
      if (g[j] < 0) continue;
      const auto p = std::size_t(g[j] / t.gpus_per_node);
      if (p == home) continue;
      const double on_busiest = (r.out[home] == r.busiest ? 1.0 : 0.0) + (r.in[p] == r.busiest ? 1.0 : 0.0);
      const double saved = served[p] == 1 ? 1.0 + double(N) * on_busiest : 0.0;
      for (std::size_t n = 0; n < N; ++n)
        if (n != p && (reached >> n & 1)) {
          score[std::size_t(ids[j]) * N + n] += saved;
          attracted[std::size_t(ids[j]) * N + n] += 1.0;
        }
    }
  }
  std::vector<Candidate> out;
  for (std::size_t e = 0; e < E; ++e)
    for (std::size_t n = 0; n < N; ++n) {
      if (score[e * N + n] <= 0.0) continue;
      const auto& l = c.of_expert[e];
      if (std::any_of(l.begin(), l.end(), [&](std::int32_t g) { return std::size_t(g / t.gpus_per_node) == n; }))
        continue;
      out.push_back({std::int32_t(e), std::int32_t(n), score[e * N + n], attracted[e * N + n]});
    }
  std::stable_sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
  return out;
}

// Fills the free slots of one layer greedily; returns the layer's placement.
Placement add_gain_copies(Copies c, const PlacementTopology& t, const RoutingStats& s, std::uint32_t layer,
                          const std::vector<SampleToken>& sample, double node_load_cap) {
  const std::int32_t N = t.nodes, gpn = t.gpus_per_node;
  LayerRouting r = route_sample(c.placement(), t, s, layer, sample);
  for (;;) {
    std::int32_t free_total = std::accumulate(c.free_slots.begin(), c.free_slots.end(), 0);
    if (free_total == 0) return c.placement();
    std::vector<double> node_pairs(std::size_t(N), 0.0);
    for (std::size_t g = 0; g < r.gpu_pairs.size(); ++g)
      node_pairs[g / std::size_t(gpn)] += r.gpu_pairs[g];
    const double mean = std::accumulate(node_pairs.begin(), node_pairs.end(), 0.0) / N;
    const double cap = std::max(node_load_cap * mean, *std::max_element(node_pairs.begin(), node_pairs.end()));
    // The batch: best candidates, one per expert, within each node's free slots and load cap.
    std::vector<Candidate> batch;
    std::vector<std::int32_t> node_free(std::size_t(N), 0);
    for (std::size_t g = 0; g < c.free_slots.size(); ++g)
      node_free[g / std::size_t(gpn)] += c.free_slots[g];
    const std::size_t batch_size = std::size_t(std::max(1, free_total / 3));
    for (const Candidate& cand : score_candidates(c, r, t, s, layer, sample)) {
      if (batch.size() == batch_size) break;
      const auto n = std::size_t(cand.node);
      if (node_free[n] == 0 || node_pairs[n] + cand.attracted > cap) continue;
      if (std::any_of(batch.begin(), batch.end(), [&](const Candidate& b) { return b.expert == cand.expert; }))
        continue;
      batch.push_back(cand);
      --node_free[n];
      node_pairs[n] += cand.attracted;
    }
    if (batch.empty()) return c.placement();
    auto apply = [&](Copies& into, std::span<const Candidate> chosen) {
      std::vector<double> gpu_pairs = r.gpu_pairs;
      for (const Candidate& cand : chosen) {
        std::int32_t best = -1;
        for (std::int32_t g = cand.node * gpn; g < (cand.node + 1) * gpn; ++g)
          if (into.free_slots[std::size_t(g)] > 0 &&
              (best < 0 || gpu_pairs[std::size_t(g)] < gpu_pairs[std::size_t(best)]))
            best = g;
        into.of_expert[std::size_t(cand.expert)].push_back(best);
        --into.free_slots[std::size_t(best)];
        gpu_pairs[std::size_t(best)] += cand.attracted;
      }
    };
    Copies trial = c;
    apply(trial, batch);
    LayerRouting tr = route_sample(trial.placement(), t, s, layer, sample);
    if (tr.objective(N) >= r.objective(N) && batch.size() > 1) {
      trial = c;
      apply(trial, std::span<const Candidate>(batch.data(), 1));
      tr = route_sample(trial.placement(), t, s, layer, sample);
    }
    if (tr.objective(N) >= r.objective(N)) return c.placement();
    c = std::move(trial);
    r = std::move(tr);
  }
}

class ReplicaGainStrategy final : public PlacementStrategy {
public:
  explicit ReplicaGainStrategy(std::string base) : base_(std::move(base)) {}
  std::string name() const override { return base_ + "+gain"; }
  std::string description() const override {
    return base_ + " without redundancy, then each redundant slot filled with the copy that removes the most "
                   "inter-node traffic under node_cover on the training tokens";
  }
  PlacementPlan fit(const PlacementProblem& pb) const override {
    const auto& s = pb.stats;
    const auto E = std::int32_t(s.num_experts);
    PlacementTopology base_topology = pb.topology;
    base_topology.slots_per_gpu = pb.topology.base_slots(E);
    const PlacementStrategy* base = find_placement_strategy(base_);
    if (!base) throw std::logic_error("replica gain: base strategy " + base_ + " is not registered");
    PlacementPlan plan = base->fit(PlacementProblem{s, base_topology, pb.options});
    plan.strategy = name();
    if (pb.topology.redundant_slots(E) <= 0 || !s.trace) return plan;
    if (pb.topology.nodes > 64) throw std::invalid_argument("replica gain: at most 64 nodes");
    const auto home = detail::home_requests(plan.homing, s);
    std::vector<SampleToken> sample;
    double total = 0.0;
    for (std::size_t r = 0; r < s.num_requests(); ++r)
      total += double(s.ranges[r].traffic.size());
    const double stride = std::max(1.0, total / double(kSampleTokens));
    double next = 0.0, seen = 0.0;
    for (std::size_t r = 0; r < s.num_requests(); ++r)
      for (std::uint64_t tok = s.ranges[r].traffic.begin; tok < s.ranges[r].traffic.end; ++tok, seen += 1.0)
        if (seen >= next) {
          sample.push_back({tok, home[r]});
          next += stride;
        }
    const std::int32_t slots = pb.topology.slots(E);
    // Layers are independent and each is deterministic: fill them in parallel.
    parallel_for(s.num_layers, [&](std::size_t l) {
      const Placement& p = plan.layers[l];
      Copies c;
      c.free_slots.assign(std::size_t(p.num_gpus), slots);
      for (std::int32_t e = 0; e < E; ++e) {
        c.of_expert.emplace_back(p.replicas_begin(e), p.replicas_begin(e) + p.replicas(e));
        for (std::int32_t g : c.of_expert.back())
          --c.free_slots[std::size_t(g)];
      }
      plan.layers[l] =
          add_gain_copies(std::move(c), pb.topology, s, std::uint32_t(l), sample, pb.options.node_load_cap);
    });
    if (plan.homing.kind == HomingKind::affinity)
      plan.homing = affinity_homing(plan.layers, pb.topology.nodes, pb.topology.gpus_per_node, s.num_experts,
                                    plan.homing.balance_cap);
    return plan;
  }

private:
  std::string base_;
};

// Self-registration (util/registry.hpp), after every base strategy.
const Registrar<PlacementStrategy> registered_linear{80,
                                                     [] { return std::make_unique<ReplicaGainStrategy>("linear"); }};
const Registrar<PlacementStrategy> registered_eplb{81,
                                                   [] { return std::make_unique<ReplicaGainStrategy>("eplb-global"); }};
const Registrar<PlacementStrategy> registered_coact{
    82, [] { return std::make_unique<ReplicaGainStrategy>("coact-partition"); }};
const Registrar<PlacementStrategy> registered_joint{
    83, [] { return std::make_unique<ReplicaGainStrategy>("joint-minmax"); }};

} // namespace
} // namespace moescope::placement
