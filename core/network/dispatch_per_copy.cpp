// MoE dispatch / combine, replicas and per-copy routing: which replica serves a token (the placement's replica
// rule), the expected replica shares and per-GPU inclusion masses of the expected-value mode, and the direct
// per-(token, expert) sends of the low-latency and NCCL all-to-all kernels in trace-driven, expected and
// closed-form modes.
#include <algorithm>
#include <cmath>

#include "network/dispatch.hpp"

namespace moescope::dispatch_detail {

namespace {
// Calls f(expert, gpu, weight) for every replica of every expert, weight = the expected share of the expert's tokens
// from `src` that this replica serves (expected_replica_shares; 1 with one replica per expert).
template <class F>
void for_each_replica_share(const Topology& topo, const Placement& p, const SourceClass& c, std::int32_t src, F&& f) {
  if (p.replica_gpus.size() == static_cast<std::size_t>(p.num_experts)) { // one replica each: expert e on gpus[e]
    for (std::int32_t e = 0; e < p.num_experts; ++e)
      f(e, p.replica_gpus[static_cast<std::size_t>(e)], 1.0);
    return;
  }
  thread_local std::vector<double> w, forced; // replica weights of one expert; per node (node_cover)
  if (p.choice == ReplicaChoice::node_cover) {
    // The probability that a token reaches a node anyway: it selects an expert whose copies all sit there.
    thread_local std::vector<double> mass;
    mass.assign(static_cast<std::size_t>(topo.nodes()), 0.0);
    for (std::int32_t e = 0; e < p.num_experts; ++e) {
      const std::int32_t* reps = p.replicas_begin(e);
      const std::int32_t node = topo.node_of(reps[0]);
      bool one_node = true;
      for (std::int32_t i = 1; i < p.replicas(e) && one_node; ++i)
        one_node = topo.node_of(reps[i]) == node;
      if (one_node) mass[static_cast<std::size_t>(node)] += c.inclusion[static_cast<std::size_t>(e)];
    }
    forced.resize(mass.size());
    for (std::size_t n = 0; n < mass.size(); ++n)
      forced[n] = 1.0 - prob_none(std::min(mass[n], static_cast<double>(c.top_k)), c.top_k, p.num_experts);
  }
  for (std::int32_t e = 0; e < p.num_experts; ++e) {
    const std::int32_t n = p.replicas(e);
    const std::int32_t* reps = p.replicas_begin(e);
    if (n == 1) {
      f(e, reps[0], 1.0);
      continue;
    }
    if (w.size() < static_cast<std::size_t>(n)) w.resize(static_cast<std::size_t>(n));
    expected_replica_shares(p, topo.gpus_per_node(), e, src,
                            p.choice == ReplicaChoice::node_cover ? forced.data() : nullptr, w.data());
    for (std::int32_t i = 0; i < n; ++i)
      f(e, reps[i], w[static_cast<std::size_t>(i)]);
  }
}
} // namespace

void gpu_masses(const Topology& topo, const Placement& p, const SourceClass& c, std::int32_t src,
                std::vector<double>& mass, std::vector<double>& sq) {
  mass.assign(static_cast<std::size_t>(topo.num_gpus()), 0.0);
  sq.assign(static_cast<std::size_t>(topo.num_gpus()), 0.0);
  const double* pi = c.inclusion.data();
  for_each_replica_share(topo, p, c, src, [&](std::int32_t e, std::int32_t gpu, double weight) {
    const double m = pi[e] * weight;
    mass[static_cast<std::size_t>(gpu)] += m;
    sq[static_cast<std::size_t>(gpu)] += m * m;
  });
}

void group_limited_destinations(const Topology& topo, const Placement& p, const SourceClass& c, std::int32_t src,
                                std::vector<double>& q, std::vector<double>& rn, std::vector<double>& share) {
  const GroupLimitedSelection& sel = *c.group_limit;
  const std::int32_t g = topo.num_gpus(), gpn = topo.gpus_per_node(), nodes = topo.nodes();
  const std::int32_t groups = sel.num_groups();
  const std::int32_t per_group = sel.experts_per_group();
  const double unit = 1.0 / per_group;
  // share[d * groups + x]: group x's experts served by GPU d (rows 0..g-1), then per node (rows g..g+nodes-1).
  share.assign(static_cast<std::size_t>(g + nodes) * groups, 0.0);
  for_each_replica_share(topo, p, c, src, [&](std::int32_t e, std::int32_t gpu, double weight) {
    share[static_cast<std::size_t>(gpu) * groups + e / per_group] += unit * weight;
  });
  for (std::int32_t d = 0; d < g; ++d)
    for (std::int32_t x = 0; x < groups; ++x)
      share[static_cast<std::size_t>(g + d / gpn) * groups + x] += share[static_cast<std::size_t>(d) * groups + x];
  q.resize(static_cast<std::size_t>(g));
  rn.resize(static_cast<std::size_t>(nodes));
  for (std::int32_t d = 0; d < g; ++d)
    q[static_cast<std::size_t>(d)] = 1.0 - sel.prob_none(&share[static_cast<std::size_t>(d) * groups]);
  for (std::int32_t n = 0; n < nodes; ++n)
    rn[static_cast<std::size_t>(n)] = 1.0 - sel.prob_none(&share[static_cast<std::size_t>(g + n) * groups]);
}

void route_per_copy(const Topology& topo, const Placement& p, const TokenRouting& routing,
                    const DispatchOptions& options, DispatchWorkspace& ws, bool count_puts) {
  DispatchResult& r = ws.result;
  const std::int32_t g = topo.num_gpus(), k = routing.top_k;
  const std::int32_t nt = routing.num_tokens();
  double* su = r.scale_up_rows.data();
  double* so = r.scale_out_rows.data();
  const bool single = p.replica_gpus.size() == static_cast<std::size_t>(p.num_experts);
  std::int32_t chosen[ReplicaRouter::kMaxTopK];
  for (std::int32_t t = 0; t < nt; ++t) {
    const std::int32_t src = routing.source_gpu[static_cast<std::size_t>(t)];
    const std::int32_t src_node = topo.node_of(src);
    const std::int32_t* ex = routing.experts.data() + static_cast<std::size_t>(t) * k;
    if (!single) ws.router.route(p, src, src_node, ex, k, chosen);
    for (std::int32_t j = 0; j < k; ++j) {
      const std::int32_t e = ex[j];
      if (e < 0) continue;
      const std::int32_t d = single ? p.replica_gpus[static_cast<std::size_t>(e)] : chosen[j];
      r.expert_tokens_per_gpu[static_cast<std::size_t>(d)] += 1.0;
      r.received_rows_per_gpu[static_cast<std::size_t>(d)] += 1.0;
      if (d == src) continue;
      const std::size_t i = static_cast<std::size_t>(src) * g + d;
      if (options.use_scale_up && topo.node_of(d) == src_node)
        su[i] += 1.0;
      else
        so[i] += 1.0;
      if (count_puts) r.messages_per_gpu[static_cast<std::size_t>(src)] += 1.0;
    }
  }
  r.hops_in_sequence = false;
}

void route_per_copy_expected(const Topology& topo, const Placement& p, const std::vector<SourceClass>& sources,
                             const DispatchOptions& options, DispatchResult& r, bool count_puts) {
  const std::int32_t g = topo.num_gpus();
  const bool single = p.replica_gpus.size() == static_cast<std::size_t>(p.num_experts);
  std::vector<double> mass, sq;
  for (const SourceClass& c : sources) {
    bool have = false;
    for (std::int32_t s : c.gpus) {
      if (!single || !have) gpu_masses(topo, p, c, s, mass, sq);
      have = true;
      const double t = c.tokens_per_gpu;
      const std::int32_t sn = topo.node_of(s);
      double* su = &r.scale_up_rows[static_cast<std::size_t>(s) * g];
      double* so = &r.scale_out_rows[static_cast<std::size_t>(s) * g];
      double* suv = &r.scale_up_var[static_cast<std::size_t>(s) * g];
      double* sov = &r.scale_out_var[static_cast<std::size_t>(s) * g];
      double puts = 0.0;
      for (std::int32_t d = 0; d < g; ++d) {
        const double m = mass[static_cast<std::size_t>(d)];
        if (m == 0.0) continue;
        const double rows = t * m, v = t * (m - sq[static_cast<std::size_t>(d)]);
        r.expert_tokens_per_gpu[static_cast<std::size_t>(d)] += rows;
        r.expert_tokens_var[static_cast<std::size_t>(d)] += v;
        r.received_rows_per_gpu[static_cast<std::size_t>(d)] += rows;
        if (d == s) continue;
        puts += rows;
        if (options.use_scale_up && topo.node_of(d) == sn) {
          su[d] += rows;
          suv[d] += v;
        } else {
          so[d] += rows;
          sov[d] += v;
        }
      }
      if (count_puts) r.messages_per_gpu[static_cast<std::size_t>(s)] += puts;
    }
  }
  r.hops_in_sequence = false;
}

// Rows s -> d = t_s m_d (m: expected token-expert pairs a token sends to d, the same for every source without
// replicas); per-node (n) and per-rail (l) sums turn every row / column sum into O(1):
//   scale-up out of s = t_s (M_n - m_s), scale-up in of d = m_d (T_n - t_d),
//   NIC out of s = t_s (M - M_n), NIC in of d = m_d (T - T_n),
//   rail-optimized leaf l up = sum_{s on l} t_s (M - M_n - M_l + m_s) (other node and other rail), down likewise.
void route_per_copy_sums(const Topology& topo, const Placement& p, const SourceClass& c, DispatchResult& r,
                         ExpectedSums& s, bool count_puts) {
  const std::int32_t g = topo.num_gpus(), gpn = topo.gpus_per_node(), nodes = topo.nodes();
  std::vector<double>& mass = s.scratch[0];
  std::vector<double>& sq = s.scratch[1];
  std::vector<double>& t = s.scratch[2];
  gpu_masses(topo, p, c, c.gpus.empty() ? 0 : c.gpus[0], mass, sq);
  t.assign(static_cast<std::size_t>(g), 0.0);
  for (std::int32_t x : c.gpus)
    t[static_cast<std::size_t>(x)] = c.tokens_per_gpu;
  // Per node: T, M, V (variance mass), counts of sources (t > 0), destinations (m > 0), both. Per rail likewise.
  std::vector<double>& node = s.scratch[3]; // 6 per node
  std::vector<double>& rail = s.scratch[4]; // 6 per rail
  node.assign(static_cast<std::size_t>(nodes) * 6, 0.0);
  rail.assign(static_cast<std::size_t>(gpn) * 6, 0.0);
  double T = 0.0, M = 0.0, V = 0.0, S = 0.0, D = 0.0, B = 0.0;
  for (std::int32_t d = 0, n = 0, l = 0; d < g; ++d, l = l + 1 == gpn ? 0 : l + 1, n += l == 0) {
    const auto i = static_cast<std::size_t>(d);
    const double m = mass[i], v = m - sq[i], ts = t[i];
    const double cs = ts > 0.0 ? 1.0 : 0.0, cd = m > 0.0 ? 1.0 : 0.0;
    double* nn = &node[static_cast<std::size_t>(n) * 6];
    double* rr = &rail[static_cast<std::size_t>(l) * 6];
    const double add[6] = {ts, m, v, cs, cd, cs * cd};
    for (int j = 0; j < 6; ++j) {
      nn[j] += add[j];
      rr[j] += add[j];
    }
    T += ts;
    M += m;
    V += v;
    S += cs;
    D += cd;
    B += cs * cd;
  }
  const bool rail_leaves = topo.params().rail_optimized;
  const bool nics = topo.has_scale_out();
  double same_node_pairs = 0.0, same_rail_pairs = 0.0;
  for (std::int32_t n = 0; n < nodes; ++n)
    same_node_pairs += node[n * 6 + 3] * node[n * 6 + 4];
  for (std::int32_t l = 0; l < gpn; ++l)
    same_rail_pairs += rail[l * 6 + 3] * rail[l * 6 + 4];
  const auto pos = [](double x) { return x > 0.0 ? x : 0.0; };
  for (std::int32_t d = 0, n = 0, l = 0; d < g; ++d, l = l + 1 == gpn ? 0 : l + 1, n += l == 0) {
    const auto i = static_cast<std::size_t>(d);
    const double m = mass[i], v = m - sq[i], ts = t[i];
    const double* nn = &node[static_cast<std::size_t>(n) * 6];
    const double* rr = &rail[static_cast<std::size_t>(l) * 6];
    r.expert_tokens_per_gpu[i] = T * m;
    r.expert_tokens_var[i] = T * v;
    r.received_rows_per_gpu[i] = T * m;
    s.up_out[i] = ts * pos(nn[1] - m);
    s.up_out_var[i] = ts * pos(nn[2] - v);
    s.up_in[i] = m * pos(nn[0] - ts);
    s.up_in_var[i] = v * pos(nn[0] - ts);
    s.out_out[i] = ts * pos(M - nn[1]);
    s.out_out_var[i] = ts * pos(V - nn[2]);
    s.out_in[i] = m * pos(T - nn[0]);
    s.out_in_var[i] = v * pos(T - nn[0]);
    if (count_puts) r.messages_per_gpu[i] = ts * pos(M - m);
    if (ts > 0.0) s.max_destinations = std::max(s.max_destinations, D - (m > 0.0 ? 1.0 : 0.0));
    if (m > 0.0) s.max_sources = std::max(s.max_sources, S - (ts > 0.0 ? 1.0 : 0.0));
    if (!nics) continue;
    if (rail_leaves) {
      s.leaf_up[static_cast<std::size_t>(l)] += ts * pos(M - nn[1] - rr[1] + m);
      s.leaf_up_var[static_cast<std::size_t>(l)] += ts * pos(V - nn[2] - rr[2] + v);
      s.leaf_down[static_cast<std::size_t>(l)] += m * pos(T - nn[0] - rr[0] + ts);
      s.leaf_down_var[static_cast<std::size_t>(l)] += v * pos(T - nn[0] - rr[0] + ts);
    } else {
      const auto leaf = static_cast<std::size_t>(n);
      s.leaf_up[leaf] += s.out_out[i];
      s.leaf_up_var[leaf] += s.out_out_var[i];
      s.leaf_down[leaf] += s.out_in[i];
      s.leaf_down_var[leaf] += s.out_in_var[i];
    }
  }
  s.any_scale_up = same_node_pairs - B > 0.5;
  s.any_scale_out = S * D - same_node_pairs > 0.5;
  s.scale_out_crosses_leaves = rail_leaves ? S * D - same_node_pairs - same_rail_pairs + B > 0.5 : s.any_scale_out;
  if (s.any_scale_out && !nics)
    throw std::invalid_argument("dispatch: transfer between nodes but the system has no scale-out network");
  r.hops_in_sequence = false;
}

} // namespace moescope::dispatch_detail
