// MoE dispatch / combine, link costs: result buffers sized and zeroed, rows mapped onto the topology's links
// (from the GPU x GPU matrices or from the closed form's per-GPU sums), and each phase's time from the link loads
// (busiest link, latency, messages, SM term). Shared by the trace-driven and expected-value modes.
#include "network/dispatch_link_costs.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>

namespace moescope::dispatch_detail {

void reset(DispatchResult& r, std::int32_t g, bool expected) {
  const auto gg = static_cast<std::size_t>(g) * static_cast<std::size_t>(g);
  r.num_gpus = g;
  auto zero = [](std::vector<double>& v, std::size_t n) { v.assign(n, 0.0); };
  zero(r.scale_up_rows, gg);
  zero(r.scale_out_rows, gg);
  zero(r.received_rows_per_gpu, static_cast<std::size_t>(g));
  zero(r.expert_tokens_per_gpu, static_cast<std::size_t>(g));
  zero(r.padded_rows_per_gpu, static_cast<std::size_t>(g));
  zero(r.messages_per_gpu, static_cast<std::size_t>(g));
  if (expected) {
    zero(r.scale_up_var, gg);
    zero(r.scale_out_var, gg);
    zero(r.expert_tokens_var, static_cast<std::size_t>(g));
  } else {
    r.scale_up_var.clear();
    r.scale_out_var.clear();
    r.expert_tokens_var.clear();
  }
  r.hops_in_sequence = true;
  r.max_expert_tokens_per_gpu = 0.0;
}

void reset_per_gpu(DispatchResult& r, std::int32_t g) {
  r.num_gpus = g;
  const auto n = static_cast<std::size_t>(g);
  for (auto* v : {&r.received_rows_per_gpu, &r.expert_tokens_per_gpu, &r.padded_rows_per_gpu, &r.messages_per_gpu,
                  &r.expert_tokens_var})
    v->assign(n, 0.0);
  for (auto* v :
       {&r.scale_up_rows, &r.scale_out_rows, &r.scale_up_var, &r.scale_out_var, &r.dispatch_bytes, &r.combine_bytes})
    v->clear();
  r.hops_in_sequence = true;
  r.max_expert_tokens_per_gpu = 0.0;
}

namespace {

// Adds the rows a -> b (dispatch) and b -> a (combine) to the links. Switched scale-up and per-GPU NICs are
// handled by row/column sums; other fabrics walk each pair's path.
void map_links(const Topology& topo, const DispatchResult& r, const DispatchPayload& pay, bool variance,
               std::vector<double>& disp, std::vector<double>& comb, std::vector<double>* disp_var,
               std::vector<double>* comb_var) {
  const std::int32_t g = topo.num_gpus();
  const std::size_t nl = topo.links().size();
  disp.assign(nl, 0.0);
  comb.assign(nl, 0.0);
  if (variance) {
    disp_var->assign(nl, 0.0);
    comb_var->assign(nl, 0.0);
  }
  const double db = pay.dispatch_bytes_per_token, cb = pay.combine_bytes_per_token;
  std::int32_t path[Topology::kMaxPathLinks];
  const std::int32_t gpn = topo.gpus_per_node();
  const bool switched = topo.params().scale_up_topology == ScaleUpTopology::switched;
  // Scale-up: only pairs in one node carry rows.
  for (std::int32_t node = 0; node < topo.nodes(); ++node)
    for (std::int32_t la = 0; la < gpn; ++la) {
      const std::int32_t a = node * gpn + la;
      const double* row = &r.scale_up_rows[static_cast<std::size_t>(a) * g];
      const double* vrow = variance ? &r.scale_up_var[static_cast<std::size_t>(a) * g] : nullptr;
      for (std::int32_t lb = 0; lb < gpn; ++lb) {
        const std::int32_t b = node * gpn + lb;
        const double x = row[b];
        if (x == 0.0 || a == b) continue;
        if (switched) {
          const std::int32_t out_a = topo.scale_up_out_link(a), in_b = topo.scale_up_in_link(b);
          const std::int32_t out_b = topo.scale_up_out_link(b), in_a = topo.scale_up_in_link(a);
          disp[static_cast<std::size_t>(out_a)] += x * db;
          disp[static_cast<std::size_t>(in_b)] += x * db;
          comb[static_cast<std::size_t>(out_b)] += x * cb;
          comb[static_cast<std::size_t>(in_a)] += x * cb;
          if (variance) {
            const double v = vrow[b];
            (*disp_var)[static_cast<std::size_t>(out_a)] += v * db * db;
            (*disp_var)[static_cast<std::size_t>(in_b)] += v * db * db;
            (*comb_var)[static_cast<std::size_t>(out_b)] += v * cb * cb;
            (*comb_var)[static_cast<std::size_t>(in_a)] += v * cb * cb;
          }
          continue;
        }
        int n = topo.scale_up_path(a, b, path);
        for (int i = 0; i < n; ++i) {
          disp[static_cast<std::size_t>(path[i])] += x * db;
          if (variance) (*disp_var)[static_cast<std::size_t>(path[i])] += vrow[b] * db * db;
        }
        n = topo.scale_up_path(b, a, path);
        for (int i = 0; i < n; ++i) {
          comb[static_cast<std::size_t>(path[i])] += x * cb;
          if (variance) (*comb_var)[static_cast<std::size_t>(path[i])] += vrow[b] * cb * cb;
        }
      }
    }
  if (!topo.has_scale_out() && topo.links().empty()) return;
  for (std::int32_t a = 0; a < g; ++a) {
    const double* row = &r.scale_out_rows[static_cast<std::size_t>(a) * g];
    const double* vrow = variance ? &r.scale_out_var[static_cast<std::size_t>(a) * g] : nullptr;
    for (std::int32_t b = 0; b < g; ++b) {
      const double x = row[b];
      if (x == 0.0 || a == b) continue;
      int n = topo.scale_out_path(a, b, path);
      if (n == 0)
        throw std::invalid_argument("dispatch: transfer between nodes but the system has no scale-out network");
      for (int i = 0; i < n; ++i) {
        disp[static_cast<std::size_t>(path[i])] += x * db;
        if (variance) (*disp_var)[static_cast<std::size_t>(path[i])] += vrow[b] * db * db;
      }
      n = topo.scale_out_path(b, a, path);
      for (int i = 0; i < n; ++i) {
        comb[static_cast<std::size_t>(path[i])] += x * cb;
        if (variance) (*comb_var)[static_cast<std::size_t>(path[i])] += vrow[b] * cb * cb;
      }
    }
  }
}

// From the GPU x GPU matrices (general path).
PairStats pair_stats(const Topology& topo, const DispatchResult& r) {
  PairStats ps;
  ps.hops_in_sequence = r.hops_in_sequence;
  ps.max_source_tokens = r.max_source_tokens_per_gpu;
  const std::int32_t g = r.num_gpus;
  for (std::int32_t a = 0; a < g; ++a)
    for (std::int32_t b = 0; b < g; ++b) {
      const std::size_t i = static_cast<std::size_t>(a) * g + b;
      if (a == b) continue;
      if (r.scale_up_rows[i] > 0.0 && topo.node_of(a) == topo.node_of(b))
        ps.up_latency = std::max(ps.up_latency, topo.scale_up_latency(a, b));
      if (r.scale_out_rows[i] > 0.0) ps.out_latency = std::max(ps.out_latency, topo.scale_out_latency(a, b));
    }
  // Messages: the kernel's count, or one per destination (dispatch) / source (combine) GPU with rows.
  bool kernel_counts = false;
  for (double m : r.messages_per_gpu)
    kernel_counts |= m > 0.0;
  for (std::int32_t a = 0; a < g; ++a) {
    double md = 0.0, mc = 0.0, out = 0.0, in = 0.0;
    for (std::int32_t b = 0; b < g; ++b) {
      if (a == b) continue;
      const std::size_t ab = static_cast<std::size_t>(a) * g + b, ba = static_cast<std::size_t>(b) * g + a;
      const double x = r.scale_up_rows[ab] + r.scale_out_rows[ab], y = r.scale_up_rows[ba] + r.scale_out_rows[ba];
      md += (r.scale_up_rows[ab] > 0.0 || r.scale_out_rows[ab] > 0.0) ? 1.0 : 0.0;
      mc += (r.scale_up_rows[ba] > 0.0 || r.scale_out_rows[ba] > 0.0) ? 1.0 : 0.0;
      out += x;
      in += y;
    }
    if (kernel_counts) md = mc = r.messages_per_gpu[static_cast<std::size_t>(a)];
    ps.max_messages_dispatch = std::max(ps.max_messages_dispatch, md);
    ps.max_messages_combine = std::max(ps.max_messages_combine, mc);
    ps.busiest_rows = std::max({ps.busiest_rows, out, in, r.received_rows_per_gpu[static_cast<std::size_t>(a)]});
  }
  return ps;
}

} // namespace

PairStats pair_stats(const Topology& topo, const DispatchResult& r, const ExpectedSums& s) {
  PairStats ps;
  ps.hops_in_sequence = r.hops_in_sequence;
  ps.max_source_tokens = r.max_source_tokens_per_gpu;
  if (s.any_scale_up) ps.up_latency = topo.params().scale_up_latency_seconds;
  if (s.any_scale_out)
    ps.out_latency =
        s.scale_out_crosses_leaves ? topo.scale_out_latency_cross_leaf() : topo.scale_out_latency_same_leaf();
  bool kernel_counts = false;
  for (double m : r.messages_per_gpu)
    kernel_counts |= m > 0.0;
  if (kernel_counts) {
    for (double m : r.messages_per_gpu)
      ps.max_messages_dispatch = std::max(ps.max_messages_dispatch, m);
    ps.max_messages_combine = ps.max_messages_dispatch;
  } else {
    ps.max_messages_dispatch = s.max_destinations;
    ps.max_messages_combine = s.max_sources;
  }
  for (std::size_t a = 0; a < s.up_out.size(); ++a)
    ps.busiest_rows =
        std::max({ps.busiest_rows, s.up_out[a] + s.out_out[a], s.up_in[a] + s.out_in[a], r.received_rows_per_gpu[a]});
  return ps;
}

PhaseCost phase_cost(const Topology& topo, const PairStats& ps, const std::vector<double>& link_bytes,
                     const std::vector<double>* var, const KernelCosts& c, bool combine, double bytes_per_row,
                     std::vector<double>& scratch) {
  PhaseCost pc;
  const std::size_t nl = topo.links().size();
  // Per link: 1 / effective bandwidth, then the mean transfer time.
  scratch.resize(2 * nl);
  double* inv = scratch.data();
  double* time = inv + nl;
  const double inv_up = 1.0 / c.scale_up_efficiency, inv_out = 1.0 / c.scale_out_efficiency;
  const double* inv_bw = topo.inverse_bandwidths().data();
  const std::uint8_t* flags = topo.link_flags().data();
  double max_time = 0.0, up_bytes = 0.0, out_bytes = 0.0;
  for (std::size_t i = 0; i < nl; ++i) {
    const std::uint8_t f = flags[i];
    inv[i] = ((f & 4) ? inv_out : inv_up) * inv_bw[i];
    time[i] = link_bytes[i] * inv[i];
    max_time = std::max(max_time, time[i]);
    // Bytes per tier, each transfer counted once: NIC out links; scale-up out ports or point-to-point links.
    up_bytes += (f & 1) ? link_bytes[i] : 0.0;
    out_bytes += (f & 2) ? link_bytes[i] : 0.0;
  }
  pc.scale_up_bytes = up_bytes;
  pc.scale_out_bytes = out_bytes;
  // z(M) per link kind: M counts the links of that kind whose mean is within 5% of the kind's largest. Counting over
  // all kinds made the estimate jump (and a faster link slower) when the largest mean moved from one kind to a kind
  // with many near-equal links (tests/core/engine/property_test.cpp).
  constexpr std::size_t kKinds = 7;
  static_assert(static_cast<std::size_t>(LinkKind::leaf_down) + 1 == kKinds, "one z per LinkKind");
  std::array<double, kKinds> z{};
  if (var && max_time > 0.0) {
    std::array<double, kKinds> kind_max{};
    std::array<std::int64_t, kKinds> m{};
    const auto& links = topo.links();
    for (std::size_t i = 0; i < nl; ++i) {
      const auto k = static_cast<std::size_t>(links[i].kind);
      kind_max[k] = std::max(kind_max[k], time[i]);
    }
    for (std::size_t i = 0; i < nl; ++i) {
      const auto k = static_cast<std::size_t>(links[i].kind);
      m[k] += kind_max[k] > 0.0 && time[i] >= 0.95 * kind_max[k];
    }
    for (std::size_t k = 0; k < kKinds; ++k)
      z[k] = m[k] > 0 ? expected_max_standard_normal(static_cast<double>(m[k])) : 0.0;
  }
  double best = -1.0;
  for (std::size_t i = 0; i < nl; ++i) {
    const double zi = z[static_cast<std::size_t>(topo.links()[i].kind)];
    const double v = var && zi > 0.0 ? (*var)[i] : 0.0;
    // mean + z sigma beats the best so far only if z sigma / bandwidth exceeds the gap (no square root otherwise).
    const double gap = best - time[i];
    // (A relative margin of 1e-12 keeps exact ties, e.g. the symmetric links of uniform routing, on the first.)
    if (gap >= 0.0 && zi * zi * v * inv[i] * inv[i] <= gap * gap * (1.0 + 1e-12)) continue;
    const double sd = v > 0.0 ? zi * std::sqrt(v) : 0.0;
    const double t = time[i] + sd * inv[i];
    if (t > best) {
      best = t;
      pc.busiest_link = static_cast<std::int32_t>(i);
      pc.busiest_link_bytes = link_bytes[i] + sd;
    }
  }
  if (best <= 0.0) {
    pc.busiest_link = -1;
    pc.busiest_link_bytes = 0.0;
    best = 0.0;
  }
  pc.transfer_seconds = best;
  pc.latency_seconds = ps.hops_in_sequence ? ps.up_latency + ps.out_latency : std::max(ps.up_latency, ps.out_latency);
  pc.max_messages_per_gpu = combine ? ps.max_messages_combine : ps.max_messages_dispatch;
  pc.message_seconds = c.per_message_seconds * pc.max_messages_per_gpu;
  pc.fixed_seconds = combine && c.combine_fixed_seconds >= 0.0 ? c.combine_fixed_seconds : c.fixed_seconds;
  if (out_bytes > 0.0 && c.scale_out_fixed_seconds >= 0.0) pc.fixed_seconds = c.scale_out_fixed_seconds;
  // SM copy throughput: the busiest GPU's rows in or out (forwarded rows count on the forwarder), plus the
  // per-token SM work; the achievable rate is then min(link bandwidth, num_sms x per-SM rate).
  if (c.per_sm_bytes_per_s > 0.0 && c.num_sms > 0.0)
    pc.sm_seconds = (ps.busiest_rows + c.sm_rows_per_token * ps.max_source_tokens) * bytes_per_row /
                    (c.per_sm_bytes_per_s * c.num_sms);
  pc.seconds =
      pc.fixed_seconds + pc.latency_seconds + std::max(pc.transfer_seconds, pc.sm_seconds) + pc.message_seconds;
  return pc;
}

void finalize(const Topology& topo, const DispatchPayload& pay, const KernelCosts& c, DispatchResult& r,
              bool expected) {
  const std::size_t gg = r.scale_up_rows.size();
  r.dispatch_bytes.resize(gg);
  r.combine_bytes.resize(gg);
  const std::int32_t g = r.num_gpus;
  for (std::int32_t a = 0; a < g; ++a)
    for (std::int32_t b = 0; b < g; ++b) {
      const std::size_t ab = static_cast<std::size_t>(a) * g + b, ba = static_cast<std::size_t>(b) * g + a;
      const double rows = a == b ? 0.0 : r.scale_up_rows[ab] + r.scale_out_rows[ab];
      r.dispatch_bytes[ab] = rows * pay.dispatch_bytes_per_token;
      r.combine_bytes[ba] = rows * pay.combine_bytes_per_token;
    }
  std::vector<double> dv, cv;
  map_links(topo, r, pay, expected, r.dispatch_link_bytes, r.combine_link_bytes, &dv, &cv);
  r.max_expert_tokens_per_gpu = 0.0;
  for (double x : r.expert_tokens_per_gpu)
    r.max_expert_tokens_per_gpu = std::max(r.max_expert_tokens_per_gpu, x);
  const PairStats ps = pair_stats(topo, r);
  std::vector<double> scratch;
  r.dispatch = phase_cost(topo, ps, r.dispatch_link_bytes, expected ? &dv : nullptr, c, false,
                          pay.dispatch_bytes_per_token, scratch);
  r.combine = phase_cost(topo, ps, r.combine_link_bytes, expected ? &cv : nullptr, c, true, pay.combine_bytes_per_token,
                         scratch);
}

void map_links_sums(const Topology& topo, const ExpectedSums& s, const DispatchPayload& pay, std::vector<double>& disp,
                    std::vector<double>& comb, std::vector<double>& dv, std::vector<double>& cv) {
  const std::size_t nl = topo.links().size();
  disp.assign(nl, 0.0);
  comb.assign(nl, 0.0);
  dv.assign(nl, 0.0);
  cv.assign(nl, 0.0);
  const double db = pay.dispatch_bytes_per_token, cb = pay.combine_bytes_per_token;
  const double db2 = db * db, cb2 = cb * cb;
  // A link `out` of GPU a carries a's sent rows in dispatch and the rows a received in combine (transposed).
  const auto put = [&](std::int32_t out_link, std::int32_t in_link, double sent, double recv, double sent_var,
                       double recv_var) {
    if (out_link >= 0) {
      const auto o = static_cast<std::size_t>(out_link);
      disp[o] += sent * db;
      dv[o] += sent_var * db2;
      comb[o] += recv * cb;
      cv[o] += recv_var * cb2;
    }
    if (in_link >= 0) {
      const auto i = static_cast<std::size_t>(in_link);
      disp[i] += recv * db;
      dv[i] += recv_var * db2;
      comb[i] += sent * cb;
      cv[i] += sent_var * cb2;
    }
  };
  const std::int32_t g = topo.num_gpus();
  const bool nics = topo.has_scale_out();
  for (std::int32_t a = 0; a < g; ++a) {
    const auto i = static_cast<std::size_t>(a);
    put(topo.scale_up_out_link(a), topo.scale_up_in_link(a), s.up_out[i], s.up_in[i], s.up_out_var[i], s.up_in_var[i]);
    if (nics)
      put(topo.nic_out_link(a), topo.nic_in_link(a), s.out_out[i], s.out_in[i], s.out_out_var[i], // NIC a = GPU a
          s.out_in_var[i]);
  }
  if (nics)
    for (std::int32_t l = 0; l < topo.num_leaves(); ++l) {
      const auto i = static_cast<std::size_t>(l);
      put(topo.leaf_up_link(l), topo.leaf_down_link(l), s.leaf_up[i], s.leaf_down[i], s.leaf_up_var[i],
          s.leaf_down_var[i]);
    }
}

void check_matrix_size(const Topology& topo) {
  if (topo.num_gpus() > kMaxTrafficMatrixGpus)
    throw std::length_error("dispatch: GPU x GPU traffic matrices for " + std::to_string(topo.num_gpus()) +
                            " GPUs (at most " + std::to_string(kMaxTrafficMatrixGpus) + ")");
}

void check_inputs(const Topology& topo, const Placement& p) {
  p.check();
  if (p.num_gpus > topo.num_gpus()) throw std::invalid_argument("dispatch: placement uses more GPUs than the topology");
}

} // namespace moescope::dispatch_detail
