// Family "launch_overhead": the fixed cost of a kernel, measured with an empty kernel (<<<1, 32>>>).
//   empty_kernel_stream   back-to-back launches on one stream, CUDA events around N launches: the per-kernel cost of
//                         eager launching (host launch rate or GPU kernel-to-kernel gap, whichever is larger)
//   empty_kernel_graph    the same N launches captured in one CUDA graph: the kernel-to-kernel gap inside a graph
//   empty_graph_launch    a one-kernel graph launched N times: the per-graph launch cost
//   empty_kernel_sync     launch + cudaStreamSynchronize, host clock: the round-trip latency of one kernel
//   empty_kernel_enqueue  host clock around N launches without waiting: the CPU cost of a launch call
#include "bench_common.hpp"

#include <chrono>
#include <vector>

namespace mcb {
namespace {

__global__ void empty_kernel() {}

double host_seconds(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

} // namespace

void run_launch_overhead(Suite& s) {
  const char* family = "launch_overhead";
  const int n = s.opt.quick ? 200 : 1000;
  auto params = [&](int count) {
    Json p = Json::object();
    p["kernel"] = "empty";
    p["grid"] = 1;
    p["block"] = 32;
    p["launches_per_sample"] = count;
    return p;
  };
  const cudaStream_t st = s.stream;
  auto launch = [st](int) {
    empty_kernel<<<1, 32, 0, st>>>();
    MCB_CHECK_LAUNCH();
  };

  run_case(s, family, "empty_kernel_stream", params(n), [&](Json&) {
    TimingConfig cfg = s.opt.timing;
    cfg.use_graph = false;
    cfg.min_inner = cfg.max_inner = n;
    Measured m;
    m.timing = time_on_stream(st, launch, cfg);
    m.derived["launches_per_s"] = 1.0 / m.timing.median;
    return m;
  });

  run_case(s, family, "empty_kernel_graph", params(n), [&](Json& p) {
    TimingConfig cfg = s.opt.timing;
    cfg.use_graph = true;
    cfg.min_inner = cfg.max_inner = n;
    Measured m;
    m.timing = time_on_stream(st, launch, cfg);
    if (m.timing.method != "cuda_events_graph") p["note"] = "graph capture failed; eager launches";
    m.derived["launches_per_s"] = 1.0 / m.timing.median;
    return m;
  });

  run_case(s, family, "empty_graph_launch", params(n), [&](Json&) {
    cudaGraph_t graph = nullptr;
    cudaGraphExec_t exec = nullptr;
    MCB_CUDA(cudaStreamBeginCapture(st, cudaStreamCaptureModeThreadLocal));
    empty_kernel<<<1, 32, 0, st>>>();
    const cudaError_t launch_error = cudaGetLastError();
    const cudaError_t end_error = cudaStreamEndCapture(st, &graph);
    MCB_CUDA(launch_error);
    MCB_CUDA(end_error);
    struct Cleanup {
      cudaGraph_t& g;
      cudaGraphExec_t& e;
      ~Cleanup() {
        if (e) (void)cudaGraphExecDestroy(e);
        if (g) (void)cudaGraphDestroy(g);
      }
    } cleanup{graph, exec};
    MCB_CUDA(cudaGraphInstantiate(&exec, graph, 0));
    TimingConfig cfg = s.opt.timing;
    cfg.use_graph = false;
    cfg.min_inner = cfg.max_inner = n;
    Measured m;
    m.timing = time_on_stream(
        st, [&](int) { MCB_CUDA(cudaGraphLaunch(exec, st)); }, cfg);
    m.derived["launches_per_s"] = 1.0 / m.timing.median;
    return m;
  });

  const int sync_inner = s.opt.quick ? 20 : 100;
  run_case(s, family, "empty_kernel_sync", params(sync_inner), [&](Json&) {
    for (int i = 0; i < s.opt.timing.warmup * 10; ++i) {
      launch(0);
      MCB_CUDA(cudaStreamSynchronize(st));
    }
    std::vector<double> samples;
    for (int r = 0; r < s.opt.timing.reps; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < sync_inner; ++i) {
        launch(0);
        MCB_CUDA(cudaStreamSynchronize(st));
      }
      samples.push_back(host_seconds(t0, std::chrono::steady_clock::now()) / sync_inner);
    }
    Measured m;
    m.timing = summarize_samples(samples, sync_inner, "host_clock", s.opt.timing.warmup * 10);
    return m;
  });

  run_case(s, family, "empty_kernel_enqueue", params(n), [&](Json&) {
    for (int i = 0; i < n; ++i)
      launch(0);
    MCB_CUDA(cudaStreamSynchronize(st));
    std::vector<double> samples;
    for (int r = 0; r < s.opt.timing.reps; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < n; ++i)
        launch(0);
      const auto t1 = std::chrono::steady_clock::now();
      MCB_CUDA(cudaStreamSynchronize(st));
      samples.push_back(host_seconds(t0, t1) / n);
    }
    Measured m;
    m.timing = summarize_samples(samples, n, "host_clock", 1);
    m.derived["launches_per_s"] = 1.0 / m.timing.median;
    return m;
  });
}

} // namespace mcb
