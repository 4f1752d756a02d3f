#pragma once
// Two-batch overlap (TBO) as a dependency-aware two-stream schedule (docs/engine.md, "Overlap"): the batch is split
// into two micro-batches a and b; every MoE layer of each micro-batch is a chain of operations (attention, dispatch,
// shared experts, routed experts, combine) issued in SGLang's order (python/sglang/srt/batch_overlap/
// operations_strategy.py: the "deepseek blog" prefill and decode strategies) to two in-order streams:
//   - the compute stream runs compute kernels and the waits for communication (a wait blocks every later kernel),
//   - the communication stream (DeepEP's comm stream in prefill, the network in flight in decode) runs dispatch and
//     combine in issue order; a communication op starts once the compute stream has reached the point where it was
//     issued (DeepEP captures an event on the compute stream) and the communication stream is free.
// Compute that runs while a communication kernel holds SMs (DeepEP normal: 20 of 132) runs at its reduced-SM time.
// The simulation is a deterministic list schedule over 2 micro-batches x layers, linear in the number of ops.
#include <cstddef>
#include <string>
#include <vector>

namespace moescope {

// One micro-batch's operations of one MoE layer (seconds). `*_busy`: the op's time when it runs entirely while a
// communication kernel holds SMs (>= the plain time; equal when the communication takes no SMs).
struct TboLayerOps {
  double attention_prep = 0, attention_prep_busy = 0; // decode stage 0 (projections before the attention kernel)
  double attention = 0, attention_busy = 0;           // rest of attention, norms, router (and TP all-reduce)
  double dispatch = 0;                                // communication
  double shared = 0, shared_busy = 0;                 // shared experts
  double experts = 0, experts_busy = 0;               // routed-expert grouped GEMMs (and MoE-TP all-reduce)
  double combine = 0;                                 // communication
  bool comm_uses_sms = false;                         // dispatch/combine kernels occupy SMs while they run
};

// Issue order. prefill: SGLang's prefill strategy, tbo_delta_stages 0, per layer the stages
//   X_l = [shared_{l-1}, wait combine_{l-1}, attention_l, launch dispatch_l], Y_l = [wait dispatch_l, experts_l,
//   launch combine_l], issued a.X, b.X, a.Y, b.Y, ...
// decode: SGLang's decode strategy, tbo_delta_stages 2 (micro-batch a runs two stages ahead), per layer the stages
//   [attention_prep], [attention], [launch dispatch, shared], [wait dispatch, experts, launch combine], [wait combine],
//   issued a0, a1, a2, b0, a3, b1, a4, b2, ...
enum class TboOrder { prefill, decode };

struct TboSchedule {
  double makespan = 0;
  std::vector<double> layer_end; // when both micro-batches have finished layer l (its combine)
  double compute_busy = 0;       // sum of compute-op durations as scheduled
  double communication_busy = 0;
  double compute_idle = 0; // makespan - compute_busy: dependency stalls of the compute stream
};

// One op of the schedule as it ran, for the two-stream timeline (study/tbo_timeline.hpp). `stall`: the compute stream
// waiting for a communication op of the same micro-batch (`waits_for`: dispatch or combine); stalls and compute ops
// tile the compute stream from 0 to the makespan, so the stalls sum to TboSchedule::compute_idle. In prefill the
// attention projections run in the same stage as the attention kernel and are recorded in one `attention` op.
enum class TboStream : unsigned char { compute, communication };
enum class TboOpKind : unsigned char { attention_prep, attention, dispatch, shared, experts, combine, stall };
struct TboInterval {
  TboStream stream = TboStream::compute;
  int microbatch = 0; // 0 = a (issued first), 1 = b
  int layer = 0;      // index into the simulated layers
  TboOpKind kind = TboOpKind::attention;
  TboOpKind waits_for = TboOpKind::stall; // stalls only: the communication op waited for
  double start_seconds = 0, end_seconds = 0;
};
std::string to_string(TboOpKind kind);   // "attention_prep", ..., "stall"
std::string to_string(TboStream stream); // "compute", "communication"

// Simulates layers.size() consecutive MoE layers for both micro-batches (identical halves). `intervals`: when given,
// is appended every op of non-zero duration and every stall in issue order (each stream's ops in time order); the
// totals are the same with or without it.
TboSchedule simulate_two_batch(const std::vector<TboLayerOps>& layers, TboOrder order,
                               std::vector<TboInterval>* intervals = nullptr);

// The ideal bound of the same work: the longer stream, where compute concurrent with communication runs at its
// busy rate (compute work beyond the communication window at the plain rate). Never above simulate_two_batch.
double ideal_two_batch(const std::vector<TboLayerOps>& layers);

} // namespace moescope
