#include "engine/tbo_schedule.hpp"

#include <algorithm>

namespace moescope {

namespace {

enum class OpType : unsigned char { compute, comm, wait };
using Which = TboOpKind; // the op kinds as the timeline records them

struct Op {
  OpType type;
  Which which;
  int layer;
};

// Ops of one stage, at most 4.
struct Stage {
  Op ops[4];
  int n = 0;
  void add(OpType t, Which w, int l) { ops[n++] = {t, w, l}; }
};

void build_stages(int L, TboOrder order, std::vector<Stage>& st) {
  st.clear();
  if (order == TboOrder::prefill) {
    st.reserve(static_cast<std::size_t>(2 * L + 1));
    for (int l = 0; l < L; ++l) {
      Stage x;
      if (l > 0) {
        x.add(OpType::compute, Which::shared, l - 1);
        x.add(OpType::wait, Which::combine, l - 1);
      }
      x.add(OpType::compute, Which::attention, l); // attention_prep is folded in (no yield between them)
      x.add(OpType::comm, Which::dispatch, l);
      st.push_back(x);
      Stage y;
      y.add(OpType::wait, Which::dispatch, l);
      y.add(OpType::compute, Which::experts, l);
      y.add(OpType::comm, Which::combine, l);
      st.push_back(y);
    }
    Stage z;
    if (L > 0) {
      z.add(OpType::compute, Which::shared, L - 1);
      z.add(OpType::wait, Which::combine, L - 1);
      st.push_back(z);
    }
  } else {
    st.reserve(static_cast<std::size_t>(5 * L));
    for (int l = 0; l < L; ++l) {
      Stage s0, s1, s2, s3, s4;
      s0.add(OpType::compute, Which::attention_prep, l);
      s1.add(OpType::compute, Which::attention, l);
      s2.add(OpType::comm, Which::dispatch, l);
      s2.add(OpType::compute, Which::shared, l);
      s3.add(OpType::wait, Which::dispatch, l);
      s3.add(OpType::compute, Which::experts, l);
      s3.add(OpType::comm, Which::combine, l);
      s4.add(OpType::wait, Which::combine, l);
      st.push_back(s0);
      st.push_back(s1);
      st.push_back(s2);
      st.push_back(s3);
      st.push_back(s4);
    }
  }
}

// `Record`: the timeline is kept; a template argument, so that the step model's path compiles without it.
template <bool Record> struct Sim {
  const std::vector<TboLayerOps>& layers;
  bool prefill;
  double t_compute = 0, t_comm = 0;
  double compute_busy = 0, comm_busy = 0;
  // End of each micro-batch's dispatch / combine per layer.
  std::vector<double> dispatch_end[2], combine_end[2];
  // Intervals during which a communication kernel holds SMs (in time order: one in-order stream).
  std::vector<double> sm_begin, sm_end;
  std::size_t sm_next = 0;
  std::vector<TboInterval>* record = nullptr; // Record only

  Sim(const std::vector<TboLayerOps>& l, bool p) : layers(l), prefill(p) {
    for (int m = 0; m < 2; ++m) {
      dispatch_end[m].assign(l.size(), 0.0);
      combine_end[m].assign(l.size(), 0.0);
    }
    sm_begin.reserve(4 * l.size());
    sm_end.reserve(4 * l.size());
  }

  // Runs a compute op of plain time `plain` (busy time `busy` under SM-holding communication) from `start`.
  double advance(double start, double plain, double busy) {
    if (plain <= 0) return start;
    if (busy <= plain || sm_next >= sm_begin.size()) return start + plain;
    while (sm_next < sm_end.size() && sm_end[sm_next] <= start)
      ++sm_next;
    double t = start, done = 0; // fraction of the op's work done
    for (std::size_t i = sm_next; i < sm_begin.size(); ++i) {
      if (t < sm_begin[i]) {
        const double gap = (sm_begin[i] - t) / plain;
        if (done + gap >= 1.0) return t + (1.0 - done) * plain;
        done += gap;
        t = sm_begin[i];
      }
      const double span = (sm_end[i] - t) / busy;
      if (done + span >= 1.0) return t + (1.0 - done) * busy;
      done += span;
      t = sm_end[i];
    }
    return t + (1.0 - done) * plain;
  }

  void note(TboStream stream, int m, const Op& op, TboOpKind kind, double start, double end) {
    if constexpr (Record)
      if (end > start)
        record->push_back(
            {stream, m, op.layer, kind, kind == TboOpKind::stall ? op.which : TboOpKind::stall, start, end});
  }

  void run(int m, const Op& op) {
    const TboLayerOps& o = layers[static_cast<std::size_t>(op.layer)];
    const auto li = static_cast<std::size_t>(op.layer);
    switch (op.type) {
    case OpType::compute: {
      double plain = 0, busy = 0;
      switch (op.which) {
      case Which::attention_prep:
        plain = o.attention_prep;
        busy = o.attention_prep_busy;
        break;
      case Which::attention:
        plain = o.attention;
        busy = o.attention_busy;
        if (prefill) { // no yield between the attention projections and the kernel
          plain += o.attention_prep;
          busy += o.attention_prep_busy;
        }
        break;
      case Which::shared:
        plain = o.shared;
        busy = o.shared_busy;
        break;
      case Which::experts:
        plain = o.experts;
        busy = o.experts_busy;
        break;
      default:
        break;
      }
      if (!o.comm_uses_sms) busy = plain;
      busy = std::max(busy, plain);
      const double end = advance(t_compute, plain, busy);
      note(TboStream::compute, m, op, op.which, t_compute, end);
      compute_busy += end - t_compute;
      t_compute = end;
      break;
    }
    case OpType::wait: {
      const double ready = op.which == Which::dispatch ? dispatch_end[m][li] : combine_end[m][li];
      note(TboStream::compute, m, op, TboOpKind::stall, t_compute, ready);
      t_compute = std::max(t_compute, ready);
      break;
    }
    case OpType::comm: {
      const double d = op.which == Which::dispatch ? o.dispatch : o.combine;
      const double start = std::max(t_comm, t_compute);
      const double end = start + std::max(d, 0.0);
      if (o.comm_uses_sms && end > start) {
        sm_begin.push_back(start);
        sm_end.push_back(end);
      }
      note(TboStream::communication, m, op, op.which, start, end);
      comm_busy += end - start;
      t_comm = end;
      (op.which == Which::dispatch ? dispatch_end[m][li] : combine_end[m][li]) = end;
      break;
    }
    }
  }
};

} // namespace

std::string to_string(TboOpKind kind) {
  static const char* const names[] = {"attention_prep", "attention", "dispatch", "shared",
                                      "experts",        "combine",   "stall"};
  return names[static_cast<int>(kind)];
}

std::string to_string(TboStream stream) {
  return stream == TboStream::compute ? "compute" : "communication";
}

namespace {

template <bool Record>
TboSchedule simulate(const std::vector<TboLayerOps>& layers, TboOrder order, std::vector<TboInterval>* intervals) {
  TboSchedule out;
  const int L = static_cast<int>(layers.size());
  if (L == 0) return out;
  thread_local std::vector<Stage> stages;
  build_stages(L, order, stages);
  Sim<Record> sim(layers, order == TboOrder::prefill);
  sim.record = intervals;
  const int n = static_cast<int>(stages.size());
  const int delta = order == TboOrder::prefill ? 0 : std::min(2, n);
  auto exec = [&](int m, int k) {
    const Stage& s = stages[static_cast<std::size_t>(k)];
    for (int i = 0; i < s.n; ++i)
      sim.run(m, s.ops[i]);
  };
  for (int k = 0; k < delta; ++k)
    exec(0, k);
  for (int k = delta; k < n; ++k) {
    exec(0, k);
    exec(1, k - delta);
  }
  for (int k = n - delta; k < n; ++k)
    exec(1, k);
  out.makespan = std::max(sim.t_compute, sim.t_comm);
  out.layer_end.resize(layers.size());
  for (std::size_t l = 0; l < layers.size(); ++l)
    out.layer_end[l] = std::max(sim.combine_end[0][l], sim.combine_end[1][l]);
  out.layer_end.back() = out.makespan;
  out.compute_busy = sim.compute_busy;
  out.communication_busy = sim.comm_busy;
  out.compute_idle = std::max(0.0, out.makespan - sim.compute_busy);
  return out;
}

} // namespace

TboSchedule simulate_two_batch(const std::vector<TboLayerOps>& layers, TboOrder order,
                               std::vector<TboInterval>* intervals) {
  return intervals ? simulate<true>(layers, order, intervals) : simulate<false>(layers, order, nullptr);
}

double ideal_two_batch(const std::vector<TboLayerOps>& layers) {
  double plain = 0, busy = 0, comm = 0;
  for (const auto& o : layers) {
    const double p = o.attention_prep + o.attention + o.shared + o.experts;
    const double b =
        o.comm_uses_sms ? std::max(p, o.attention_prep_busy + o.attention_busy + o.shared_busy + o.experts_busy) : p;
    plain += 2.0 * p;
    busy += 2.0 * b;
    comm += 2.0 * (o.dispatch + o.combine);
  }
  if (busy <= comm) return comm;
  // Compute overlapped with the whole communication window at the busy rate, the rest at the plain rate.
  return comm + plain * (1.0 - comm / busy);
}

} // namespace moescope
