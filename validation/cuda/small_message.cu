// Family "small_message": latency of small copies, 4 B .. 64 KiB, with cudaMemcpyAsync.
//   ops memcpy_d2d, memcpy_h2d, memcpy_d2h (host buffers pinned), each in two modes:
//   "back_to_back"  CUDA events around N copies on one stream: per-copy cost when copies are queued
//   "round_trip"    host clock around cudaMemcpyAsync + cudaStreamSynchronize: the latency a host waiting on a
//                   small result sees
#include "bench_common.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace mcb {

void run_small_message(Suite& s) {
  const char* family = "small_message";
  std::vector<size_t> sizes;
  for (size_t b = 4; b <= 64 * KiB; b *= s.opt.quick ? 16 : 4)
    sizes.push_back(b);
  const size_t max_bytes = 64 * KiB;

  struct Kind {
    const char* op;
    cudaMemcpyKind kind;
  };
  const Kind kinds[] = {{"memcpy_d2d", cudaMemcpyDeviceToDevice},
                        {"memcpy_h2d", cudaMemcpyHostToDevice},
                        {"memcpy_d2h", cudaMemcpyDeviceToHost}};
  const int n_queue = s.opt.quick ? 50 : 200;
  const int n_round = s.opt.quick ? 10 : 50;

  std::unique_ptr<DeviceBuffer> d_src, d_dst;
  std::unique_ptr<PinnedBuffer> h_buf;
  std::string setup_error;
  if (!s.opt.list_only) {
    try {
      d_src = std::make_unique<DeviceBuffer>(max_bytes);
      d_dst = std::make_unique<DeviceBuffer>(max_bytes);
      h_buf = std::make_unique<PinnedBuffer>(max_bytes);
      MCB_CUDA(cudaMemsetAsync(d_src->get(), 1, max_bytes, s.stream));
      MCB_CUDA(cudaStreamSynchronize(s.stream));
    } catch (const std::exception& e) {
      setup_error = std::string("setup failed: ") + e.what();
      handle_case_failure(s);
    }
  }
  const cudaStream_t st = s.stream;

  for (const Kind& k : kinds) {
    for (const char* mode : {"back_to_back", "round_trip"}) {
      const bool queued = std::string(mode) == "back_to_back";
      for (size_t bytes : sizes) {
        Json params = Json::object();
        params["bytes"] = bytes;
        params["mode"] = mode;
        params["host_memory"] = k.kind == cudaMemcpyDeviceToDevice ? "none" : "pinned";
        params["copies_per_sample"] = queued ? n_queue : n_round;
        if (!setup_error.empty() && !s.opt.list_only) {
          if (!s.aborted) record_error(s, family, k.op, std::move(params), setup_error);
          continue;
        }
        run_case(s, family, k.op, std::move(params), [&](Json&) {
          void* dst = k.kind == cudaMemcpyDeviceToHost ? h_buf->get() : d_dst->get();
          const void* src = k.kind == cudaMemcpyHostToDevice ? h_buf->get() : d_src->get();
          auto copy = [&](int) { MCB_CUDA(cudaMemcpyAsync(dst, src, bytes, k.kind, st)); };
          Measured m;
          if (queued) {
            TimingConfig cfg = s.opt.timing;
            cfg.use_graph = false;
            cfg.min_inner = cfg.max_inner = n_queue;
            m.timing = time_on_stream(st, copy, cfg);
          } else {
            for (int i = 0; i < 10; ++i)
              copy(0);
            MCB_CUDA(cudaStreamSynchronize(st));
            std::vector<double> samples;
            for (int r = 0; r < s.opt.timing.reps; ++r) {
              const auto t0 = std::chrono::steady_clock::now();
              for (int i = 0; i < n_round; ++i) {
                copy(i);
                MCB_CUDA(cudaStreamSynchronize(st));
              }
              samples.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / n_round);
            }
            m.timing = summarize_samples(samples, n_round, "host_clock", 10);
            heartbeat();
          }
          m.derived["bytes_per_s"] = static_cast<double>(bytes) / m.timing.median;
          return m;
        });
      }
    }
  }
}

} // namespace mcb
