#include "network/dispatch.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace moescope {

// Kernel factories, one per file (kernel_*.cpp). Adding a kernel = one file + one line here.
std::unique_ptr<DispatchKernel> make_deepep_normal_kernel();
std::unique_ptr<DispatchKernel> make_deepep_low_latency_kernel();
std::unique_ptr<DispatchKernel> make_nccl_all_to_all_kernel();

const std::vector<std::unique_ptr<DispatchKernel>>& dispatch_kernels() {
  static const std::vector<std::unique_ptr<DispatchKernel>> kernels = [] {
    std::vector<std::unique_ptr<DispatchKernel>> k;
    k.push_back(make_deepep_normal_kernel());
    k.push_back(make_deepep_low_latency_kernel());
    k.push_back(make_nccl_all_to_all_kernel());
    return k;
  }();
  return kernels;
}

const DispatchKernel* find_dispatch_kernel(const std::string& name) {
  for (const auto& k : dispatch_kernels())
    if (k->name() == name) return k.get();
  return nullptr;
}

std::vector<std::string> dispatch_kernel_names() {
  std::vector<std::string> names;
  for (const auto& k : dispatch_kernels())
    names.push_back(k->name());
  return names;
}

DispatchPayload DispatchPayload::from_dtypes(std::int64_t hidden, DataType dispatch, DataType combine,
                                             double metadata_bytes) {
  DispatchPayload p;
  const auto h = static_cast<double>(hidden);
  p.dispatch_bytes_per_token = h * (bytes_per_element(dispatch) + scale_bytes_per_element(dispatch)) + metadata_bytes;
  p.combine_bytes_per_token = h * (bytes_per_element(combine) + scale_bytes_per_element(combine));
  return p;
}

double expected_max_standard_normal(double m) {
  if (m <= 1.0) return 0.0;
  // Inverse normal CDF (Acklam's rational approximation, relative error < 1.2e-9).
  const double p = (m - 0.375) / (m + 0.25);
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                             1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01, -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  const double plow = 0.02425;
  if (p > 1.0 - plow) {
    const double q = std::sqrt(-2.0 * std::log(1.0 - p));
    return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
  }
  const double q = p - 0.5, r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
}

namespace dispatch_detail {

std::int32_t choose_replica(const Topology& topo, const Placement& p, std::int32_t expert, std::int32_t src,
                            std::vector<std::int32_t>& counter, std::vector<double>& load) {
  const std::int32_t n = p.replicas(expert);
  const std::int32_t* reps = p.replicas_begin(expert);
  if (n == 1) return reps[0];
  switch (p.choice) {
  case ReplicaChoice::round_robin:
    return reps[counter[static_cast<std::size_t>(expert)]++ % n];
  case ReplicaChoice::least_loaded: {
    std::int32_t best = reps[0];
    for (std::int32_t i = 1; i < n; ++i)
      if (load[static_cast<std::size_t>(reps[i])] < load[static_cast<std::size_t>(best)]) best = reps[i];
    load[static_cast<std::size_t>(best)] += 1.0;
    return best;
  }
  case ReplicaChoice::same_node_first: {
    for (std::int32_t i = 0; i < n; ++i)
      if (reps[i] == src) return src;
    const std::int32_t node = topo.node_of(src);
    std::int32_t local_count = 0;
    for (std::int32_t i = 0; i < n; ++i)
      local_count += topo.node_of(reps[i]) == node;
    std::int32_t& c = counter[static_cast<std::size_t>(expert)];
    if (local_count == 0) return reps[c++ % n];
    std::int32_t pick = c++ % local_count;
    for (std::int32_t i = 0; i < n; ++i)
      if (topo.node_of(reps[i]) == node && pick-- == 0) return reps[i];
    return reps[0];
  }
  }
  return reps[0];
}

int replica_weights(const Topology& topo, const Placement& p, std::int32_t expert, std::int32_t src, double* w) {
  const std::int32_t n = p.replicas(expert);
  const std::int32_t* reps = p.replicas_begin(expert);
  if (n == 1) {
    w[0] = 1.0;
    return 1;
  }
  if (p.choice == ReplicaChoice::same_node_first) {
    for (std::int32_t i = 0; i < n; ++i)
      if (reps[i] == src) {
        for (std::int32_t j = 0; j < n; ++j)
          w[j] = j == i ? 1.0 : 0.0;
        return n;
      }
    std::int32_t local_count = 0;
    for (std::int32_t i = 0; i < n; ++i)
      local_count += topo.node_of(reps[i]) == topo.node_of(src);
    if (local_count > 0) {
      for (std::int32_t i = 0; i < n; ++i)
        w[i] = topo.node_of(reps[i]) == topo.node_of(src) ? 1.0 / local_count : 0.0;
      return n;
    }
  }
  for (std::int32_t i = 0; i < n; ++i)
    w[i] = 1.0 / n;
  return n;
}

double prob_none(double mass, std::int32_t top_k, std::int32_t num_experts) {
  if (mass <= 0.0) return 1.0;
  const double share = mass / top_k;
  double p = 1.0;
  for (std::int32_t i = 0; i < top_k; ++i) {
    const double f = 1.0 - share / (1.0 - static_cast<double>(i) / num_experts);
    if (f <= 0.0) return 0.0;
    p *= f;
  }
  return p;
}

} // namespace dispatch_detail

namespace {

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

// Closed form: per-GPU vectors sized and zeroed, matrices empty.
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

// What the phase costs need besides the link loads: the longest path among the pairs that carry rows, the
// busiest GPU's messages, and the busiest GPU's rows for the SM term.
struct PairStats {
  double up_latency = 0.0, out_latency = 0.0;
  bool hops_in_sequence = true;
  double max_messages_dispatch = 0.0, max_messages_combine = 0.0;
  double busiest_rows = 0.0; // max over GPUs of rows sent, rows received (hops) and rows received into its buffer
  double max_source_tokens = 0.0;
};

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

// From the closed-form per-GPU sums.
PairStats pair_stats(const Topology& topo, const DispatchResult& r, const dispatch_detail::ExpectedSums& s) {
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

// Fills one phase's cost. `var` (optional) holds link variances: the busiest link is then the one with the
// largest mean + z(M) sigma, M the number of links whose mean is within 5% of the largest of their kind.
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
  double z = 0.0;
  if (var && max_time > 0.0) {
    std::int64_t m = 0;
    const double bar = 0.95 * max_time;
    for (std::size_t i = 0; i < nl; ++i)
      m += time[i] >= bar;
    z = expected_max_standard_normal(static_cast<double>(m));
  }
  double best = -1.0;
  const double z2 = z * z;
  for (std::size_t i = 0; i < nl; ++i) {
    const double v = var && z > 0.0 ? (*var)[i] : 0.0;
    // mean + z sigma beats the best so far only if z sigma / bandwidth exceeds the gap (no square root otherwise).
    const double gap = best - time[i];
    // (A relative margin of 1e-12 keeps exact ties, e.g. the symmetric links of uniform routing, on the first.)
    if (gap >= 0.0 && z2 * v * inv[i] * inv[i] <= gap * gap * (1.0 + 1e-12)) continue;
    const double sd = v > 0.0 ? z * std::sqrt(v) : 0.0;
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

// Link loads from the closed-form per-GPU sums: switched scale-up ports, one NIC per GPU, leaf up/down links.
void map_links_sums(const Topology& topo, const dispatch_detail::ExpectedSums& s, const DispatchPayload& pay,
                    std::vector<double>& disp, std::vector<double>& comb, std::vector<double>& dv,
                    std::vector<double>& cv) {
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

// Whether the expected-value closed form applies (see DispatchKernel::route_expected_sums).
bool closed_form_applies(const Topology& topo, const Placement& p, const std::vector<SourceClass>& sources,
                         const DispatchOptions& o) {
  if (o.expected_traffic_matrices || !o.use_scale_up || sources.size() != 1) return false;
  if (topo.params().scale_up_topology != ScaleUpTopology::switched) return false;
  if (p.replica_gpus.size() != static_cast<std::size_t>(p.num_experts)) return false;
  if (topo.nodes() > 1 && (!topo.has_scale_out() || topo.nics_per_node() != topo.gpus_per_node())) return false;
  // Each source GPU once.
  const SourceClass& c = sources[0];
  if (static_cast<std::int32_t>(c.inclusion.size()) != p.num_experts) return false;
  std::vector<std::uint64_t> seen(static_cast<std::size_t>(topo.num_gpus() + 63) / 64, 0);
  for (std::int32_t gpu : c.gpus) {
    if (gpu < 0 || gpu >= topo.num_gpus()) return false;
    std::uint64_t& w = seen[static_cast<std::size_t>(gpu / 64)];
    const std::uint64_t bit = 1ull << (gpu % 64);
    if (w & bit) return false;
    w |= bit;
  }
  return true;
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

} // namespace

const DispatchResult& evaluate_dispatch(const DispatchKernel& kernel, const Topology& topo, const Placement& placement,
                                        const TokenRouting& routing, const DispatchPayload& payload,
                                        const KernelCosts& costs, const DispatchOptions& options,
                                        DispatchWorkspace& ws) {
  check_inputs(topo, placement);
  check_matrix_size(topo);
  reset(ws.result, topo.num_gpus(), false);
  ws.replica_counter.assign(static_cast<std::size_t>(placement.num_experts), 0);
  ws.gpu_load.assign(static_cast<std::size_t>(topo.num_gpus()), 0.0);
  kernel.route(topo, placement, routing, options, ws);
  {
    std::vector<double>& per_src = ws.gpu_load; // scratch after routing
    per_src.assign(static_cast<std::size_t>(topo.num_gpus()), 0.0);
    for (std::int32_t src : routing.source_gpu)
      per_src[static_cast<std::size_t>(src)] += 1.0;
    ws.result.max_source_tokens_per_gpu = 0.0;
    for (double x : per_src)
      ws.result.max_source_tokens_per_gpu = std::max(ws.result.max_source_tokens_per_gpu, x);
  }
  finalize(topo, payload, costs, ws.result, false);
  return ws.result;
}

const ExpectedDispatch& evaluate_dispatch_expected(const DispatchKernel& kernel, const Topology& topo,
                                                   const Placement& placement, const std::vector<SourceClass>& sources,
                                                   const DispatchPayload& payload, const KernelCosts& costs,
                                                   const DispatchOptions& options, ExpectedDispatch& out) {
  check_inputs(topo, placement);
  DispatchResult& r = out.result;
  out.closed_form = false;
  r.max_source_tokens_per_gpu = 0.0;
  for (const SourceClass& c : sources)
    r.max_source_tokens_per_gpu = std::max(r.max_source_tokens_per_gpu, c.tokens_per_gpu);
  if (closed_form_applies(topo, placement, sources, options)) {
    reset_per_gpu(r, topo.num_gpus());
    dispatch_detail::reset_sums(topo, out.sums);
    out.closed_form = kernel.route_expected_sums(topo, placement, sources[0], options, r, out.sums);
  }
  if (out.closed_form) {
    std::vector<double>& dv = out.sums.link_var_scratch[0];
    std::vector<double>& cv = out.sums.link_var_scratch[1];
    map_links_sums(topo, out.sums, payload, r.dispatch_link_bytes, r.combine_link_bytes, dv, cv);
    r.max_expert_tokens_per_gpu = 0.0;
    for (double x : r.expert_tokens_per_gpu)
      r.max_expert_tokens_per_gpu = std::max(r.max_expert_tokens_per_gpu, x);
    const PairStats ps = pair_stats(topo, r, out.sums);
    std::vector<double>& scratch = out.sums.scratch[7];
    r.dispatch =
        phase_cost(topo, ps, r.dispatch_link_bytes, &dv, costs, false, payload.dispatch_bytes_per_token, scratch);
    r.combine = phase_cost(topo, ps, r.combine_link_bytes, &cv, costs, true, payload.combine_bytes_per_token, scratch);
  } else {
    check_matrix_size(topo);
    reset(r, topo.num_gpus(), true);
    kernel.route_expected(topo, placement, sources, options, r);
    finalize(topo, payload, costs, r, true);
  }
  // Busiest GPU (expert side): mean + z(G) sigma over the GPUs whose mean is within 5% of the largest.
  double max_mean = 0.0, sum = 0.0;
  std::int32_t used = 0;
  for (std::size_t i = 0; i < r.expert_tokens_per_gpu.size(); ++i) {
    max_mean = std::max(max_mean, r.expert_tokens_per_gpu[i]);
    if (static_cast<std::int32_t>(i) < placement.num_gpus) {
      sum += r.expert_tokens_per_gpu[i];
      ++used;
    }
  }
  double m = 0.0;
  for (double x : r.expert_tokens_per_gpu)
    m += (x >= 0.95 * max_mean && max_mean > 0.0) ? 1.0 : 0.0;
  const double z = expected_max_standard_normal(m);
  double best = 0.0;
  for (std::size_t i = 0; i < r.expert_tokens_per_gpu.size(); ++i) {
    const double gap = best - r.expert_tokens_per_gpu[i], v = std::max(r.expert_tokens_var[i], 0.0);
    if (gap >= 0.0 && z * z * v <= gap * gap) continue; // cannot beat the best so far
    best = std::max(best, r.expert_tokens_per_gpu[i] + z * std::sqrt(v));
  }
  out.expected_max_expert_tokens_per_gpu = best;
  out.mean_expert_tokens_per_gpu = used > 0 ? sum / used : 0.0;
  out.expected_max_link_seconds_dispatch = r.dispatch.transfer_seconds;
  return out;
}

bool traffic_matrices_needed(const Topology& topo, const Placement& placement, const std::vector<SourceClass>& sources,
                             const DispatchOptions& options) {
  return !closed_form_applies(topo, placement, sources, options);
}

std::vector<SourceClass> uniform_sources(const ExpectedRouting& routing, std::int32_t num_gpus) {
  SourceClass c;
  c.gpus.resize(static_cast<std::size_t>(num_gpus));
  for (std::int32_t g = 0; g < num_gpus; ++g)
    c.gpus[static_cast<std::size_t>(g)] = g;
  c.tokens_per_gpu = routing.tokens_per_gpu;
  c.inclusion = inclusion_probabilities(routing);
  c.top_k = routing.top_k;
  if (routing.group_limited())
    c.group_limit =
        GroupLimitedSelection::get(routing.num_experts, routing.num_groups, routing.groups_per_token, routing.top_k);
  return {std::move(c)};
}

std::vector<SourceClass> sources_from_counts(const std::vector<double>& counts, const std::vector<double>& tokens,
                                             std::int32_t num_experts, std::int32_t top_k) {
  std::vector<SourceClass> out;
  for (std::size_t g = 0; g < tokens.size(); ++g) {
    if (tokens[g] <= 0.0) continue;
    SourceClass c;
    c.gpus = {static_cast<std::int32_t>(g)};
    c.tokens_per_gpu = tokens[g];
    c.top_k = top_k;
    c.inclusion.resize(static_cast<std::size_t>(num_experts));
    for (std::int32_t e = 0; e < num_experts; ++e)
      c.inclusion[static_cast<std::size_t>(e)] =
          std::min(1.0, counts[g * static_cast<std::size_t>(num_experts) + static_cast<std::size_t>(e)] / tokens[g]);
    out.push_back(std::move(c));
  }
  return out;
}

} // namespace moescope

namespace moescope::dispatch_detail {

namespace {
// Calls f(expert, gpu, weight) for every replica of every expert, weight = the expected share of the expert's tokens
// from `src` that this replica serves (replica_weights; 1 with one replica per expert).
template <class F> void for_each_replica_share(const Topology& topo, const Placement& p, std::int32_t src, F&& f) {
  if (p.replica_gpus.size() == static_cast<std::size_t>(p.num_experts)) { // one replica each: expert e on gpus[e]
    for (std::int32_t e = 0; e < p.num_experts; ++e)
      f(e, p.replica_gpus[static_cast<std::size_t>(e)], 1.0);
    return;
  }
  thread_local std::vector<double> w; // replica weights of one expert
  for (std::int32_t e = 0; e < p.num_experts; ++e) {
    const std::int32_t n = p.replicas(e);
    const std::int32_t* reps = p.replicas_begin(e);
    if (n == 1) {
      f(e, reps[0], 1.0);
      continue;
    }
    if (w.size() < static_cast<std::size_t>(n)) w.resize(static_cast<std::size_t>(n));
    replica_weights(topo, p, e, src, w.data());
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
  for_each_replica_share(topo, p, src, [&](std::int32_t e, std::int32_t gpu, double weight) {
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
  for_each_replica_share(topo, p, src, [&](std::int32_t e, std::int32_t gpu, double weight) {
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
  for (std::int32_t t = 0; t < nt; ++t) {
    const std::int32_t src = routing.source_gpu[static_cast<std::size_t>(t)];
    const std::int32_t src_node = topo.node_of(src);
    const std::int32_t* ex = routing.experts.data() + static_cast<std::size_t>(t) * k;
    for (std::int32_t j = 0; j < k; ++j) {
      const std::int32_t e = ex[j];
      if (e < 0) continue;
      const std::int32_t d = single ? p.replica_gpus[static_cast<std::size_t>(e)]
                                    : choose_replica(topo, p, e, src, ws.replica_counter, ws.gpu_load);
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

} // namespace moescope::dispatch_detail

namespace moescope::dispatch_detail {

void reset_sums(const Topology& topo, ExpectedSums& s) {
  const auto g = static_cast<std::size_t>(topo.num_gpus());
  for (auto* v :
       {&s.up_out, &s.up_in, &s.up_out_var, &s.up_in_var, &s.out_out, &s.out_in, &s.out_out_var, &s.out_in_var})
    v->assign(g, 0.0);
  const auto leaves = static_cast<std::size_t>(topo.has_scale_out() ? topo.num_leaves() : 0);
  for (auto* v : {&s.leaf_up, &s.leaf_down, &s.leaf_up_var, &s.leaf_down_var})
    v->assign(leaves, 0.0);
  s.any_scale_up = s.any_scale_out = s.scale_out_crosses_leaves = false;
  s.max_destinations = s.max_sources = 0.0;
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
