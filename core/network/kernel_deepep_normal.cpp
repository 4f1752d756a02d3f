// DeepEP normal kernels (node-deduplicated forwarding): a token is sent once to each GPU that holds one of its
// experts inside its own node (NVLink); for every other node that holds one of its experts it crosses the scale-out
// network once, to the GPU with the same local index (same rail), which forwards it over NVLink to each GPU of that
// node that needs it. Combine runs the same path backwards with the partial sums.
#include <algorithm>
#include <stdexcept>

#include "network/dispatch.hpp"

namespace moescope {

namespace {

class DeepEpNormalKernel : public DispatchKernel {
public:
  std::string name() const override { return "deepep-normal"; }
  std::string description() const override {
    return "DeepEP normal: one scale-out copy per destination node (same rail), then NVLink fan-out";
  }

  void route(const Topology& topo, const Placement& p, const TokenRouting& routing, const DispatchOptions& o,
             DispatchWorkspace& ws) const override {
    DispatchResult& r = ws.result;
    const std::int32_t g = topo.num_gpus(), k = routing.top_k;
    if (k > 64) throw std::invalid_argument("deepep_normal: top_k above 64");
    const std::int32_t nt = routing.num_tokens();
    const bool single = p.replica_gpus.size() == static_cast<std::size_t>(p.num_experts);
    double* su = r.scale_up_rows.data();
    double* so = r.scale_out_rows.data();
    double* expert_tokens = r.expert_tokens_per_gpu.data();
    double* received = r.received_rows_per_gpu.data();
    std::int32_t dests[64], nodes_seen[64], chosen[64];
    for (std::int32_t t = 0; t < nt; ++t) {
      const std::int32_t src = routing.source_gpu[static_cast<std::size_t>(t)];
      const std::int32_t src_node = topo.node_of(src), src_local = topo.local_of(src);
      const std::int32_t* ex = routing.experts.data() + static_cast<std::size_t>(t) * k;
      int nd = 0, nn = 0;
      if (!single) ws.router.route(p, src, src_node, ex, k, chosen);
      for (std::int32_t j = 0; j < k; ++j) {
        const std::int32_t e = ex[j];
        if (e < 0) continue;
        const std::int32_t d = single ? p.replica_gpus[static_cast<std::size_t>(e)] : chosen[j];
        expert_tokens[d] += 1.0;
        bool dup = false;
        for (int i = 0; i < nd; ++i)
          dup |= dests[i] == d;
        if (!dup) dests[nd++] = d;
      }
      for (int i = 0; i < nd; ++i) {
        const std::int32_t d = dests[i];
        received[d] += 1.0;
        if (d == src) continue;
        const std::int32_t dn = topo.node_of(d);
        if (!o.use_scale_up) { // pure RDMA: no forwarding, one NIC transfer per destination GPU
          so[static_cast<std::size_t>(src) * g + d] += 1.0;
          continue;
        }
        if (dn == src_node) {
          su[static_cast<std::size_t>(src) * g + d] += 1.0;
          continue;
        }
        const std::int32_t fwd = topo.gpu(dn, src_local);
        bool seen = false;
        for (int m = 0; m < nn; ++m)
          seen |= nodes_seen[m] == dn;
        if (!seen) {
          nodes_seen[nn++] = dn;
          so[static_cast<std::size_t>(src) * g + fwd] += 1.0;
        }
        if (d != fwd) su[static_cast<std::size_t>(fwd) * g + d] += 1.0;
      }
    }
    r.padded_rows_per_gpu = r.received_rows_per_gpu;
    r.hops_in_sequence = true;
  }

  void route_expected(const Topology& topo, const Placement& p, const std::vector<SourceClass>& sources,
                      const DispatchOptions& o, DispatchResult& r) const override {
    const std::int32_t g = topo.num_gpus(), gpn = topo.gpus_per_node(), nodes = topo.nodes();
    const bool single = p.replica_gpus.size() == static_cast<std::size_t>(p.num_experts);
    std::vector<double> mass, sq, share, q(static_cast<std::size_t>(g)), rn(static_cast<std::size_t>(nodes));
    // tokens_by_rail[m * gpn + l]: tokens of class sources on node m, local index l (for forwarding sums).
    std::vector<double> tokens_by_rail(static_cast<std::size_t>(nodes) * gpn);
    for (const SourceClass& c : sources) {
      const std::int32_t k = c.top_k;
      const auto ne = static_cast<std::int32_t>(c.inclusion.size());
      bool have = false;
      std::fill(tokens_by_rail.begin(), tokens_by_rail.end(), 0.0);
      const auto compute = [&](std::int32_t s) {
        dispatch_detail::gpu_masses(topo, p, c, s, mass, sq);
        if (c.group_limit) {
          dispatch_detail::group_limited_destinations(topo, p, c, s, q, rn, share);
          return;
        }
        for (std::int32_t n = 0; n < nodes; ++n) {
          double node_mass = 0.0;
          for (std::int32_t l = 0; l < gpn; ++l) {
            const std::int32_t d = n * gpn + l;
            q[static_cast<std::size_t>(d)] = 1.0 - dispatch_detail::prob_none(mass[static_cast<std::size_t>(d)], k, ne);
            node_mass += mass[static_cast<std::size_t>(d)];
          }
          rn[static_cast<std::size_t>(n)] = 1.0 - dispatch_detail::prob_none(node_mass, k, ne);
        }
      };
      for (std::int32_t s : c.gpus) {
        if (!single || !have) compute(s);
        have = true;
        const double t = c.tokens_per_gpu;
        const std::int32_t sn = topo.node_of(s), sl = topo.local_of(s);
        for (std::int32_t d = 0; d < g; ++d) {
          const double m = mass[static_cast<std::size_t>(d)];
          if (m == 0.0) continue;
          r.expert_tokens_per_gpu[static_cast<std::size_t>(d)] += t * m;
          r.expert_tokens_var[static_cast<std::size_t>(d)] += t * (m - sq[static_cast<std::size_t>(d)]);
          const double qd = q[static_cast<std::size_t>(d)];
          r.received_rows_per_gpu[static_cast<std::size_t>(d)] += t * qd;
        }
        const std::size_t row = static_cast<std::size_t>(s) * g;
        if (!o.use_scale_up) {
          for (std::int32_t d = 0; d < g; ++d) {
            const double qd = q[static_cast<std::size_t>(d)];
            if (d == s || qd == 0.0) continue;
            r.scale_out_rows[row + d] += t * qd;
            r.scale_out_var[row + d] += t * qd * (1.0 - qd);
          }
          continue;
        }
        // Own node: direct NVLink sends.
        for (std::int32_t l = 0; l < gpn; ++l) {
          const std::int32_t d = sn * gpn + l;
          const double qd = q[static_cast<std::size_t>(d)];
          if (d == s || qd == 0.0) continue;
          r.scale_up_rows[row + d] += t * qd;
          r.scale_up_var[row + d] += t * qd * (1.0 - qd);
        }
        // Other nodes: one scale-out copy to the same-rail GPU.
        for (std::int32_t n = 0; n < nodes; ++n) {
          if (n == sn) continue;
          const double rr = rn[static_cast<std::size_t>(n)];
          if (rr == 0.0) continue;
          const std::int32_t fwd = n * gpn + sl;
          r.scale_out_rows[row + fwd] += t * rr;
          r.scale_out_var[row + fwd] += t * rr * (1.0 - rr);
        }
        if (single) {
          tokens_by_rail[static_cast<std::size_t>(sn) * gpn + sl] += t;
          continue;
        }
        // Forwarding with source-dependent replica choice: per source.
        for (std::int32_t n = 0; n < nodes; ++n) {
          if (n == sn) continue;
          const std::int32_t fwd = n * gpn + sl;
          for (std::int32_t l = 0; l < gpn; ++l) {
            const std::int32_t d = n * gpn + l;
            const double qd = q[static_cast<std::size_t>(d)];
            if (d == fwd || qd == 0.0) continue;
            r.scale_up_rows[static_cast<std::size_t>(fwd) * g + d] += t * qd;
            r.scale_up_var[static_cast<std::size_t>(fwd) * g + d] += t * qd * (1.0 - qd);
          }
        }
      }
      if (!single || !o.use_scale_up) continue;
      // Forwarding, replica-free placement: forwarder (n, l) receives the tokens of every source with local index
      // l on the other nodes and sends each to GPU d of node n with probability q_d (independent of the source).
      for (std::int32_t l = 0; l < gpn; ++l) {
        double rail_tokens = 0.0;
        for (std::int32_t m = 0; m < nodes; ++m)
          rail_tokens += tokens_by_rail[static_cast<std::size_t>(m) * gpn + l];
        for (std::int32_t n = 0; n < nodes; ++n) {
          const double remote = rail_tokens - tokens_by_rail[static_cast<std::size_t>(n) * gpn + l];
          if (remote == 0.0) continue;
          const std::int32_t fwd = n * gpn + l;
          for (std::int32_t ld = 0; ld < gpn; ++ld) {
            const std::int32_t d = n * gpn + ld;
            const double qd = q[static_cast<std::size_t>(d)];
            if (d == fwd || qd == 0.0) continue;
            r.scale_up_rows[static_cast<std::size_t>(fwd) * g + d] += remote * qd;
            r.scale_up_var[static_cast<std::size_t>(fwd) * g + d] += remote * qd * (1.0 - qd);
          }
        }
      }
    }
    r.padded_rows_per_gpu = r.received_rows_per_gpu;
    r.hops_in_sequence = true;
  }

  // Closed form without replicas: q_d = P(token needs GPU d), r_n = P(token needs node n), the same for every
  // source; A GPU a = (n, l) sends its own tokens to each other GPU of its node (t_a q_d), one copy per other
  // node to the same rail (t_a r_n), and forwards the R_a = sum of the tokens of rail l on other nodes to the
  // other GPUs of its node (R_a q_d). Row / column sums follow from per-node sums of q, t + R and r.
  bool route_expected_sums(const Topology& topo, const Placement& p, const SourceClass& c, const DispatchOptions&,
                           DispatchResult& r, dispatch_detail::ExpectedSums& s) const override {
    const std::int32_t g = topo.num_gpus(), gpn = topo.gpus_per_node(), nodes = topo.nodes();
    const std::int32_t k = c.top_k;
    const auto ne = static_cast<std::int32_t>(c.inclusion.size());
    std::vector<double>& mass = s.scratch[0];
    std::vector<double>& sq = s.scratch[1];
    std::vector<double>& t = s.scratch[2];
    std::vector<double>& q = s.scratch[3];
    std::vector<double>& remote = s.scratch[4];
    std::vector<double>& node = s.scratch[5]; // per node: M, Q, W, T + R, rn, wn, count(A), count(q > 0)
    std::vector<double>& rail = s.scratch[6]; // per rail: T, count(t > 0)
    dispatch_detail::gpu_masses(topo, p, c, c.gpus.empty() ? 0 : c.gpus[0], mass, sq);
    t.assign(static_cast<std::size_t>(g), 0.0);
    for (std::int32_t x : c.gpus)
      t[static_cast<std::size_t>(x)] = c.tokens_per_gpu;
    q.resize(static_cast<std::size_t>(g));
    remote.resize(static_cast<std::size_t>(g));
    constexpr int kN = 8;
    node.assign(static_cast<std::size_t>(nodes) * kN, 0.0);
    rail.assign(static_cast<std::size_t>(gpn) * 2, 0.0);
    // prob_none with its k denominators hoisted: P(none) = prod_i (1 - mass * f_i), f_i = 1 / (k (1 - i / E)).
    double f[64];
    const bool table = k >= 1 && k <= 64;
    if (table)
      for (std::int32_t j = 0; j < k; ++j)
        f[j] = 1.0 / (k * (1.0 - static_cast<double>(j) / ne));
    const auto need = [&](double x) {
      if (x <= 0.0) return 0.0;
      if (!table) return 1.0 - dispatch_detail::prob_none(x, k, ne);
      double pn = 1.0;
      for (std::int32_t j = 0; j < k; ++j) {
        const double fj = 1.0 - x * f[j];
        if (fj <= 0.0) return 1.0;
        pn *= fj;
      }
      return 1.0 - pn;
    };
    // Group-limited selection: q and the per-node probabilities from the group shares instead of the masses.
    std::vector<double>& node_need = s.scratch[8];
    if (c.group_limit)
      dispatch_detail::group_limited_destinations(topo, p, c, c.gpus.empty() ? 0 : c.gpus[0], q, node_need,
                                                  s.scratch[9]);
    double T = 0.0;
    for (std::int32_t d = 0, n = 0, l = 0; d < g; ++d, l = l + 1 == gpn ? 0 : l + 1, n += l == 0) {
      const auto i = static_cast<std::size_t>(d);
      if (!c.group_limit) q[i] = need(mass[i]);
      double* nn = &node[static_cast<std::size_t>(n) * kN];
      nn[0] += mass[i];
      nn[1] += q[i];
      nn[2] += q[i] * (1.0 - q[i]);
      nn[7] += q[i] > 0.0 ? 1.0 : 0.0;
      double* rr = &rail[static_cast<std::size_t>(l) * 2];
      rr[0] += t[i];
      rr[1] += t[i] > 0.0 ? 1.0 : 0.0;
      T += t[i];
    }
    double RN = 0.0, WN = 0.0, cRN = 0.0;
    for (std::int32_t n = 0; n < nodes; ++n) {
      double* nn = &node[static_cast<std::size_t>(n) * kN];
      nn[4] = c.group_limit ? node_need[static_cast<std::size_t>(n)] : need(nn[0]);
      nn[5] = nn[4] * (1.0 - nn[4]);
      RN += nn[4];
      WN += nn[5];
      cRN += nn[4] > 0.0 ? 1.0 : 0.0;
    }
    for (std::int32_t d = 0, n = 0, l = 0; d < g; ++d, l = l + 1 == gpn ? 0 : l + 1, n += l == 0) {
      const auto i = static_cast<std::size_t>(d);
      remote[i] = nodes > 1 ? std::max(0.0, rail[static_cast<std::size_t>(l) * 2] - t[i]) : 0.0;
      double* nn = &node[static_cast<std::size_t>(n) * kN];
      nn[3] += t[i] + remote[i];
      nn[6] += (t[i] > 0.0 || remote[i] > 0.0) ? 1.0 : 0.0;
    }
    const auto pos = [](double x) { return x > 0.0 ? x : 0.0; };
    const bool nics = topo.has_scale_out(), rail_leaves = topo.params().rail_optimized;
    for (std::int32_t a = 0, n = 0, l = 0; a < g; ++a, l = l + 1 == gpn ? 0 : l + 1, n += l == 0) {
      const auto i = static_cast<std::size_t>(a);
      const double* nn = &node[static_cast<std::size_t>(n) * kN];
      const double m = mass[i], qa = q[i], wa = qa * (1.0 - qa), ta = t[i], ra = remote[i];
      const bool sends = ta > 0.0 || ra > 0.0;
      r.expert_tokens_per_gpu[i] = T * m;
      r.expert_tokens_var[i] = T * (m - sq[i]);
      r.received_rows_per_gpu[i] = T * qa;
      s.up_out[i] = (ta + ra) * pos(nn[1] - qa);
      s.up_out_var[i] = (ta + ra) * pos(nn[2] - wa);
      s.up_in[i] = qa * pos(nn[3] - ta - ra);
      s.up_in_var[i] = wa * pos(nn[3] - ta - ra);
      s.out_out[i] = ta * pos(RN - nn[4]);
      s.out_out_var[i] = ta * pos(WN - nn[5]);
      s.out_in[i] = nn[4] * ra;
      s.out_in_var[i] = nn[5] * ra;
      if (sends && nn[7] - (qa > 0.0 ? 1.0 : 0.0) > 0.5) s.any_scale_up = true;
      const double other_nodes = cRN - (nn[4] > 0.0 ? 1.0 : 0.0);
      if (ta > 0.0 && other_nodes > 0.5) s.any_scale_out = true;
      const double dests = (sends ? nn[7] - (qa > 0.0 ? 1.0 : 0.0) : 0.0) + (ta > 0.0 ? other_nodes : 0.0);
      const double srcs = (qa > 0.0 ? nn[6] - (sends ? 1.0 : 0.0) : 0.0) +
                          (nn[4] > 0.0 ? rail[static_cast<std::size_t>(l) * 2 + 1] - (ta > 0.0 ? 1.0 : 0.0) : 0.0);
      s.max_destinations = std::max(s.max_destinations, dests);
      s.max_sources = std::max(s.max_sources, srcs);
      if (nics && !rail_leaves) { // forwarding stays on the rail: only per-node leaves see it
        const auto leaf = static_cast<std::size_t>(n);
        s.leaf_up[leaf] += s.out_out[i];
        s.leaf_up_var[leaf] += s.out_out_var[i];
        s.leaf_down[leaf] += s.out_in[i];
        s.leaf_down_var[leaf] += s.out_in_var[i];
      }
    }
    s.scale_out_crosses_leaves = s.any_scale_out && !rail_leaves;
    if (s.any_scale_out && !nics)
      throw std::invalid_argument("deepep_normal: transfer between nodes but the system has no scale-out network");
    r.padded_rows_per_gpu = r.received_rows_per_gpu;
    r.hops_in_sequence = true;
    return true;
  }
};

// Self-registration (util/registry.hpp): nothing else names this kernel.
const Registrar<DispatchKernel> registered{10, [] { return std::make_unique<DeepEpNormalKernel>(); }};

} // namespace

} // namespace moescope
