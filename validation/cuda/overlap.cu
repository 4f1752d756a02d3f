// Family "overlap": a GEMM beside an SM-resident copy kernel on the same GPU, the part of two-batch overlap that one
// GPU can show: DeepEP normal's dispatch and combine move data with SM-driven copies on a reserved set of SMs
// (DeepEP's default: 20) while DeepGEMM runs on the others (SGLang sets DeepGEMM's SM count to the total minus
// DeepEP's). The model times both from kernel-level calibrations measured alone; this family measures what each
// loses when they share the GPU (HBM, L2, clocks under the power limit).
//
// The copy kernel runs one 1024-thread block on each of `copy_sms` SMs (its dynamic shared memory is above half of an
// SM's, which keeps one block per SM and keeps GEMM CTAs off those SMs) and streams a 1 GiB buffer HBM -> HBM in
// 16-byte vectors, four in flight per thread. The GEMM is a cuBLASLt FP8 matmul (per-tensor scaling) whose heuristic
// targets the remaining SMs (CUBLASLT_MATMUL_DESC_SM_COUNT_TARGET), with its weights rotated past the L2.
//
// Ops, per (GEMM shape, copy_sms):
//   gemm_alone             the GEMM alone on every SM (SM target = all)
//   gemm_beside_idle_sms   the GEMM (SM target = SMs - copy_sms) while an idle kernel holds copy_sms SMs (sleeping,
//                          no memory traffic): the reduced-SM time the model uses for compute under overlap
//   gemm_beside_copy       the same GEMM while the copy kernel runs on those SMs (launched first, outlasting the GEMMs)
//   sm_copy_alone          the copy kernel alone
//   sm_copy_beside_gemm    the copy kernel while GEMMs run (launched first, so that it holds its SMs; GEMMs outlast it)
// derived.slowdown: gemm_beside_idle_sms / gemm_alone (the SM loss), gemm_beside_copy / gemm_beside_idle_sms (the
// contention alone; slowdown_vs_alone as well), sm_copy_beside_gemm / sm_copy_alone (time). A sample whose partner
// kernel did not cover the whole timed window is dropped; derived.samples_dropped counts them.
//
// What one GPU cannot show: NVLink and RDMA traffic, and waiting on other ranks inside the all-to-all.
#include "bench_common.hpp"
#include "cublaslt_gemm.hpp"
#include "device_utils.cuh"

#include <algorithm>
#include <cmath>
#include <vector>

namespace mcb {
namespace {

__global__ void __launch_bounds__(1024)
    sm_copy_kernel(const uint4* __restrict__ src, uint4* __restrict__ dst, size_t n, int passes) {
  for (int p = 0; p < passes; ++p)
    copy_vectors_grid_stride(src, dst, n);
}

// Holds its SM (one block per SM, as the copy kernel) for `ns` nanoseconds of the global timer, mostly asleep.
__global__ void __launch_bounds__(1024) sm_hold_kernel(unsigned long long ns) {
  unsigned long long start = 0, now = 0;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(start));
  do {
    __nanosleep(20000);
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(now));
  } while (now - start < ns);
}

struct OverlapShape {
  const char* layer; // DeepSeek-V3 layer (gemm family names)
  int64_t m, n, k;
};

// One prefill micro-batch of SGLang's EP32 deployment: 8,192 tokens per GPU; the routed experts' up/gate projection
// over the tokens of one expert (M = 8192 x 8 / 9 slots ~ 7282, rounded to 8192) and the attention output projection.
const OverlapShape kShapes[] = {
    {"expert_up_gate", 8192, 4096, 7168},
    {"o_proj", 8192, 7168, 16384},
};

constexpr size_t kCopyBytes = GiB;
constexpr int kThreads = 1024;
constexpr double kWindowSeconds = 2e-3; // each concurrent measurement covers at least this much of the timed kernel

} // namespace

void run_overlap(Suite& s) {
  const char* family = "overlap";
  const std::vector<int> copy_sms = s.opt.quick ? std::vector<int>{20} : std::vector<int>{20, 24};
  const GemmDtype dtype = GemmDtype::fp8;
  LtSetup lt = make_lt_setup(s);

  // Shared memory per copy block: just over half an SM's, so that no second block (nor a GEMM CTA) fits beside it.
  // --list runs without a device: assume an H100's 228 KiB per SM (and 132 SMs below).
  const size_t smem_per_sm = s.opt.list_only ? 228 * 1024 : s.dev.smem_per_sm;
  const size_t reserve = smem_per_sm / 2 + 1024;
  std::string setup_error = lt.setup_error;
  if (!s.opt.list_only && setup_error.empty()) {
    if (reserve > s.dev.smem_per_block_optin) {
      setup_error = "unsupported: an SM's shared memory cannot be half reserved by one block";
    } else {
      try {
        for (const void* k :
             {reinterpret_cast<const void*>(sm_copy_kernel), reinterpret_cast<const void*>(sm_hold_kernel)})
          MCB_CUDA(cudaFuncSetAttribute(k, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(reserve)));
      } catch (const std::exception& e) {
        setup_error = std::string("setup failed: ") + e.what();
        handle_case_failure(s);
      }
    }
  }
  DeviceBuffer src, dst;
  std::unique_ptr<CudaStream> side;
  if (!s.opt.list_only && setup_error.empty()) {
    try {
      src = DeviceBuffer(kCopyBytes);
      dst = DeviceBuffer(kCopyBytes);
      fill_bytes(src.get(), kCopyBytes, 31, s.stream);
      side = std::make_unique<CudaStream>();
      MCB_CUDA(cudaStreamSynchronize(s.stream));
    } catch (const std::exception& e) {
      setup_error = std::string("allocation failed: ") + e.what();
      handle_case_failure(s);
    }
  }
  const size_t vectors = kCopyBytes / sizeof(uint4);
  const auto copy = [&](int sms, int passes, cudaStream_t st) {
    sm_copy_kernel<<<sms, kThreads, reserve, st>>>(src.as<uint4>(), dst.as<uint4>(), vectors, passes);
    MCB_CHECK_LAUNCH();
  };
  const auto hold = [&](int sms, double seconds, cudaStream_t st) {
    sm_hold_kernel<<<sms, kThreads, reserve, st>>>(static_cast<unsigned long long>(seconds * 1e9));
    MCB_CHECK_LAUNCH();
  };

  const size_t l2 = static_cast<size_t>(std::max<long long>(s.dev.l2_bytes, 0));
  for (const OverlapShape& sh : kShapes) {
    const size_t w_bytes = static_cast<size_t>(sh.n * sh.k) * dtype_bytes(dtype);
    const size_t copies = l2 ? std::clamp<size_t>((3 * l2 + w_bytes - 1) / w_bytes, 1, 16) : 1;
    for (int sms : copy_sms) {
      if (s.aborted) return;
      const int target = s.opt.list_only ? 132 - sms : s.dev.sm_count - sms;
      auto gemm_params = [&](const char* beside) {
        Json p = Json::object();
        p["m"] = sh.m;
        p["n"] = sh.n;
        p["k"] = sh.k;
        p["dtype"] = dtype_name(dtype);
        p["scaling"] = scaling_name(dtype);
        p["output_dtype"] = "bf16";
        p["model"] = "deepseek-v3";
        p["layer"] = sh.layer;
        p["gemm_sm_target"] = std::string(beside) == "nothing" ? 0 : target;
        p["copy_sms"] = sms;
        p["beside"] = beside;
        return p;
      };
      auto copy_params = [&](const char* beside) {
        Json p = Json::object();
        p["bytes"] = static_cast<double>(kCopyBytes);
        p["bytes_moved"] = 2.0 * static_cast<double>(kCopyBytes);
        p["copy_sms"] = sms;
        p["threads_per_block"] = kThreads;
        p["shared_memory_reserved_bytes"] = static_cast<double>(reserve);
        p["beside"] = beside;
        if (std::string(beside) != "nothing") {
          p["gemm_m"] = sh.m;
          p["gemm_n"] = sh.n;
          p["gemm_k"] = sh.k;
          p["gemm_layer"] = sh.layer;
        }
        return p;
      };
      if (s.opt.list_only) {
        list_case(s, family, "gemm_alone", gemm_params("nothing"));
        list_case(s, family, "gemm_beside_idle_sms", gemm_params("idle_sms"));
        list_case(s, family, "gemm_beside_copy", gemm_params("sm_copy"));
        list_case(s, family, "sm_copy_alone", copy_params("nothing"));
        list_case(s, family, "sm_copy_beside_gemm", copy_params("gemm"));
        continue;
      }
      std::string err = setup_error;
      DeviceBuffer w, x, y;
      std::unique_ptr<LtGemm> g, g_all; // SM target SMs - copy_sms, and all SMs
      if (err.empty()) {
        try {
          w = DeviceBuffer(w_bytes * copies);
          x = DeviceBuffer(static_cast<size_t>(sh.m * sh.k) * dtype_bytes(dtype));
          y = DeviceBuffer(static_cast<size_t>(sh.m * sh.n) * 2);
          fill_gemm_operand(dtype, w.get(), static_cast<size_t>(sh.n * sh.k) * copies, 41, s.stream);
          fill_gemm_operand(dtype, x.get(), static_cast<size_t>(sh.m * sh.k), 42, s.stream);
          MCB_CUDA(cudaStreamSynchronize(s.stream));
          g = std::make_unique<LtGemm>(*lt.handle, dtype, sh.m, sh.n, sh.k, lt.scales.get(), kLtWorkspaceBytes, target);
          g_all = std::make_unique<LtGemm>(*lt.handle, dtype, sh.m, sh.n, sh.k, lt.scales.get());
        } catch (const Unsupported& e) {
          err = std::string("unsupported: ") + e.what();
        } catch (const std::exception& e) {
          err = std::string("setup failed: ") + e.what();
          handle_case_failure(s);
        }
      }
      if (!err.empty()) {
        record_error(s, family, "gemm_alone", gemm_params("nothing"), err);
        record_error(s, family, "gemm_beside_idle_sms", gemm_params("idle_sms"), err);
        record_error(s, family, "gemm_beside_copy", gemm_params("sm_copy"), err);
        record_error(s, family, "sm_copy_alone", copy_params("nothing"), err);
        record_error(s, family, "sm_copy_beside_gemm", copy_params("gemm"), err);
        continue;
      }
      const char* wp = w.as<char>();
      void* xp = x.get();
      void* yp = y.get();
      void* wsp = lt.workspace.get();
      cudaStream_t main = s.stream;
      cudaStream_t other = *side;
      size_t rotation = 0;
      const auto gemm = [&](cudaStream_t st) { g->run(wp + (rotation++ % copies) * w_bytes, xp, yp, wsp, st); };
      const auto gemm_all = [&](cudaStream_t st) { g_all->run(wp + (rotation++ % copies) * w_bytes, xp, yp, wsp, st); };
      const double flop = 2.0 * static_cast<double>(sh.m) * static_cast<double>(sh.n) * static_cast<double>(sh.k);
      const double gemm_bytes =
          static_cast<double>(w_bytes) + static_cast<double>(sh.m * sh.k) + static_cast<double>(sh.m * sh.n * 2);
      TimingConfig cfg = s.opt.timing;
      cfg.use_graph = false; // the concurrent cases launch eagerly; keep the references comparable

      double gemm_alone = 0, copy_pass = 0;
      run_case(s, family, "gemm_alone", gemm_params("nothing"), [&](Json& p) {
        p["algorithm"] = g_all->describe();
        p["weight_copies"] = copies;
        Measured r;
        r.timing = time_on_stream(
            main, [&](int) { gemm_all(main); }, cfg);
        r.set_work(flop, gemm_bytes);
        gemm_alone = r.timing.median;
        return r;
      });
      run_case(s, family, "sm_copy_alone", copy_params("nothing"), [&](Json&) {
        Measured r;
        r.timing = time_on_stream(
            main, [&](int) { copy(sms, 1, main); }, cfg);
        r.set_work(0.0, 2.0 * static_cast<double>(kCopyBytes));
        copy_pass = r.timing.median;
        return r;
      });
      if (!(gemm_alone > 0) || !(copy_pass > 0)) { // a reference failed (recorded): the ratios have no base
        const std::string why = "reference case failed (gemm_alone or sm_copy_alone)";
        if (!s.aborted) {
          record_error(s, family, "gemm_beside_idle_sms", gemm_params("idle_sms"), why);
          record_error(s, family, "gemm_beside_copy", gemm_params("sm_copy"), why);
          record_error(s, family, "sm_copy_beside_gemm", copy_params("gemm"), why);
        }
        continue;
      }

      CudaEvent e0, e1, e2;
      const int reps = std::max(3, cfg.reps / 2);
      // Samples of a timed kernel sequence (`inner` calls on `timed_stream`) while a partner sequence runs on the other
      // stream. The SM-holding kernel is launched first (`timed_first`: the timed one holds the SMs), so that it has
      // its SMs before the GEMM CTAs arrive; a sample counts only when the partner outlasted the timed window.
      const auto beside = [&](bool timed_first, cudaStream_t timed_stream, const std::function<void()>& timed,
                              cudaStream_t partner_stream, const std::function<void()>& partner, int inner,
                              int& dropped) {
        std::vector<double> samples;
        for (int rep = 0; rep < cfg.warmup + reps; ++rep) {
          if (!timed_first) partner();
          MCB_CUDA(cudaEventRecord(e0, timed_stream));
          timed();
          MCB_CUDA(cudaEventRecord(e1, timed_stream));
          if (timed_first) partner();
          MCB_CUDA(cudaEventRecord(e2, partner_stream));
          MCB_CUDA(cudaEventSynchronize(e1));
          MCB_CUDA(cudaEventSynchronize(e2));
          heartbeat();
          float timed_ms = 0, partner_ms = 0;
          MCB_CUDA(cudaEventElapsedTime(&timed_ms, e0, e1));
          MCB_CUDA(cudaEventElapsedTime(&partner_ms, e0, e2));
          if (rep < cfg.warmup) continue;
          if (partner_ms < timed_ms) {
            ++dropped;
            continue;
          }
          samples.push_back(timed_ms * 1e-3 / inner);
        }
        if (samples.empty()) throw BenchError("the partner kernels never covered the timed window");
        return summarize_samples(std::move(samples), inner, "cuda_events", cfg.warmup);
      };
      const int n = std::max(8, static_cast<int>(std::ceil(kWindowSeconds / gemm_alone)));
      const auto gemms = [&] {
        for (int i = 0; i < n; ++i)
          gemm(main);
      };
      // The GEMMs (SM target SMs - copy_sms) while a kernel launched first holds copy_sms SMs for 3x their time alone.
      const auto gemm_beside = [&](Json& p, const std::function<void()>& side_kernel) {
        int dropped = 0;
        p["algorithm"] = g->describe();
        p["gemms_per_sample"] = n;
        Measured r;
        r.timing = beside(false, main, gemms, other, side_kernel, n, dropped);
        r.set_work(flop, gemm_bytes);
        r.derived["samples_dropped"] = dropped;
        return r;
      };
      double gemm_reserved = 0;
      run_case(s, family, "gemm_beside_idle_sms", gemm_params("idle_sms"), [&](Json& p) {
        Measured r = gemm_beside(p, [&] { hold(sms, 3.0 * n * gemm_alone, other); });
        r.derived["slowdown"] = r.timing.median / gemm_alone;
        gemm_reserved = r.timing.median;
        return r;
      });
      run_case(s, family, "gemm_beside_copy", gemm_params("sm_copy"), [&](Json& p) {
        const int passes = static_cast<int>(std::ceil(3.0 * n * gemm_alone / copy_pass)) + 1;
        p["copy_passes"] = passes;
        Measured r = gemm_beside(p, [&] { copy(sms, passes, other); });
        if (gemm_reserved > 0) r.derived["slowdown"] = r.timing.median / gemm_reserved;
        r.derived["slowdown_vs_alone"] = r.timing.median / gemm_alone;
        return r;
      });
      run_case(s, family, "sm_copy_beside_gemm", copy_params("gemm"), [&](Json& p) {
        const int passes = std::max(1, static_cast<int>(std::ceil(kWindowSeconds / copy_pass)));
        // The GEMMs outlast the copy even if it slows down 3x.
        const int launched = static_cast<int>(std::ceil(3.0 * passes * copy_pass / gemm_alone)) + 1;
        p["copy_passes"] = passes;
        p["gemms_launched"] = launched;
        int dropped = 0;
        Measured r;
        r.timing = beside(
            true, other, [&] { copy(sms, passes, other); }, main,
            [&] {
              for (int i = 0; i < launched; ++i)
                gemm(main);
            },
            passes, dropped);
        r.set_work(0.0, 2.0 * static_cast<double>(kCopyBytes));
        r.derived["slowdown"] = r.timing.median / copy_pass;
        r.derived["samples_dropped"] = dropped;
        return r;
      });
    }
  }
}

} // namespace mcb
