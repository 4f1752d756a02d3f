// Family "nccl": collectives over all visible GPUs of this machine (one process, ncclCommInitAll, one stream per GPU,
// all ranks issued from one thread in an NCCL group). bf16 data, sum reduction. Sizes follow nccl-tests:
//   all_reduce      "bytes" = buffer per rank (in = out)
//   all_gather      "bytes" = output per rank (each rank contributes bytes / n)
//   reduce_scatter  "bytes" = input per rank (each rank keeps bytes / n)
//   all_to_all      "bytes" = send buffer per rank (bytes / n to each peer, ncclSend/ncclRecv pairs)
// Time: CUDA events on every rank's stream, the slowest rank counts. bytes_per_s = bytes / time (nccl-tests "algbw"),
// bus_bytes_per_s = algbw x 2(n-1)/n for all_reduce and (n-1)/n for the others ("busbw").
// With one GPU, or without NCCL at build time, every op is recorded with an error "skipped: ...".
#include "bench_common.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#ifdef MOESCOPE_HAVE_NCCL
#include <nccl.h>
#endif

namespace mcb {
namespace {

const char* const kOps[] = {"all_reduce", "all_gather", "reduce_scatter", "all_to_all"};

std::vector<size_t> nccl_sizes(bool quick) {
  if (quick) return {64 * KiB, 16 * MiB, 256 * MiB};
  std::vector<size_t> sizes;
  for (size_t b = KiB; b <= GiB; b *= 4)
    sizes.push_back(b);
  return sizes;
}

double bus_factor(const std::string& op, int n) {
  if (n <= 1) return 0.0;
  return op == "all_reduce" ? 2.0 * (n - 1) / n : static_cast<double>(n - 1) / n;
}

#ifdef MOESCOPE_HAVE_NCCL
[[noreturn]] void throw_nccl(ncclResult_t r, const char* expr, const char* file, int line) {
  const char* base = file;
  for (const char* p = file; *p; ++p)
    if (*p == '/') base = p + 1;
  std::ostringstream os;
  os << "NCCL error " << static_cast<int>(r) << " (" << ncclGetErrorString(r) << ") in " << expr << " at " << base
     << ":" << line;
  const char* last = ncclGetLastError(nullptr);
  if (last && *last) os << ": " << last;
  throw BenchError(os.str());
}
#define MCB_NCCL(expr)                                                                                                 \
  do {                                                                                                                 \
    ncclResult_t mcb_r_ = (expr);                                                                                      \
    if (mcb_r_ != ncclSuccess) throw_nccl(mcb_r_, #expr, __FILE__, __LINE__);                                          \
  } while (0)

struct Rank {
  int device = 0;
  ncclComm_t comm = nullptr;
  cudaStream_t stream = nullptr;
  cudaEvent_t start = nullptr, stop = nullptr;
  void* send = nullptr;
  void* recv = nullptr;
};

class Ranks {
public:
  Ranks() = default;
  // Separate from the constructor so that the destructor releases what a failed initialisation created.
  void init(int n, size_t max_bytes) {
    ranks_.resize(static_cast<size_t>(n));
    std::vector<ncclComm_t> comms(static_cast<size_t>(n));
    std::vector<int> devs(static_cast<size_t>(n));
    for (int d = 0; d < n; ++d)
      devs[static_cast<size_t>(d)] = d;
    MCB_NCCL(ncclCommInitAll(comms.data(), n, devs.data()));
    for (int d = 0; d < n; ++d)
      ranks_[static_cast<size_t>(d)].comm = comms[static_cast<size_t>(d)];
    for (int d = 0; d < n; ++d) {
      Rank& r = ranks_[static_cast<size_t>(d)];
      r.device = d;
      MCB_CUDA(cudaSetDevice(d));
      MCB_CUDA(cudaStreamCreateWithFlags(&r.stream, cudaStreamNonBlocking));
      MCB_CUDA(cudaEventCreate(&r.start));
      MCB_CUDA(cudaEventCreate(&r.stop));
      MCB_CUDA(cudaMalloc(&r.send, max_bytes));
      MCB_CUDA(cudaMalloc(&r.recv, max_bytes));
      MCB_CUDA(cudaMemsetAsync(r.send, 0, max_bytes, r.stream)); // zeros: no NaN or overflow in the reductions
      MCB_CUDA(cudaStreamSynchronize(r.stream));
    }
  }
  ~Ranks() {
    for (Rank& r : ranks_) {
      (void)cudaSetDevice(r.device);
      if (r.send) (void)cudaFree(r.send);
      if (r.recv) (void)cudaFree(r.recv);
      if (r.start) (void)cudaEventDestroy(r.start);
      if (r.stop) (void)cudaEventDestroy(r.stop);
      if (r.stream) (void)cudaStreamDestroy(r.stream);
      if (r.comm) (void)ncclCommDestroy(r.comm);
    }
  }
  Ranks(const Ranks&) = delete;
  Ranks& operator=(const Ranks&) = delete;
  std::vector<Rank>& all() { return ranks_; }

private:
  std::vector<Rank> ranks_;
};

// Issues one collective on every rank (one NCCL group). `bytes` as in the file comment; bf16 elements.
void issue(std::vector<Rank>& ranks, const std::string& op, size_t bytes) {
  const int n = static_cast<int>(ranks.size());
  const size_t count = bytes / 2;                      // elements per full buffer
  const size_t chunk = count / static_cast<size_t>(n); // elements per rank share
  MCB_NCCL(ncclGroupStart());
  for (Rank& r : ranks) {
    if (op == "all_reduce") {
      MCB_NCCL(ncclAllReduce(r.send, r.recv, count, ncclBfloat16, ncclSum, r.comm, r.stream));
    } else if (op == "all_gather") {
      MCB_NCCL(ncclAllGather(r.send, r.recv, chunk, ncclBfloat16, r.comm, r.stream));
    } else if (op == "reduce_scatter") {
      MCB_NCCL(ncclReduceScatter(r.send, r.recv, chunk, ncclBfloat16, ncclSum, r.comm, r.stream));
    } else { // all_to_all
      for (int p = 0; p < n; ++p) {
        MCB_NCCL(ncclSend(static_cast<const char*>(r.send) + static_cast<size_t>(p) * chunk * 2, chunk, ncclBfloat16, p,
                          r.comm, r.stream));
        MCB_NCCL(ncclRecv(static_cast<char*>(r.recv) + static_cast<size_t>(p) * chunk * 2, chunk, ncclBfloat16, p,
                          r.comm, r.stream));
      }
    }
  }
  MCB_NCCL(ncclGroupEnd());
}

// Seconds of `inner` back-to-back collectives on the slowest rank.
double timed(std::vector<Rank>& ranks, const std::string& op, size_t bytes, int inner) {
  for (Rank& r : ranks) {
    MCB_CUDA(cudaSetDevice(r.device));
    MCB_CUDA(cudaEventRecord(r.start, r.stream));
  }
  for (int i = 0; i < inner; ++i)
    issue(ranks, op, bytes);
  for (Rank& r : ranks) {
    MCB_CUDA(cudaSetDevice(r.device));
    MCB_CUDA(cudaEventRecord(r.stop, r.stream));
  }
  double worst = 0.0;
  for (Rank& r : ranks) {
    MCB_CUDA(cudaSetDevice(r.device));
    MCB_CUDA(cudaEventSynchronize(r.stop));
    float ms = 0;
    MCB_CUDA(cudaEventElapsedTime(&ms, r.start, r.stop));
    worst = std::max(worst, 1e-3 * ms);
  }
  heartbeat();
  return worst;
}
#endif

} // namespace

const char* nccl_version_string() {
#ifdef MOESCOPE_HAVE_NCCL
  static std::string v;
  if (v.empty()) {
    int code = 0;
    if (ncclGetVersion(&code) != ncclSuccess) return nullptr;
    // NCCL >= 2.9: major * 10000 + minor * 100 + patch
    v = std::to_string(code / 10000) + "." + std::to_string(code / 100 % 100) + "." + std::to_string(code % 100);
  }
  return v.c_str();
#else
  return nullptr;
#endif
}

void run_nccl(Suite& s) {
  const char* family = "nccl";
  const int n = s.opt.list_only ? 0 : s.device_count;
  const std::vector<size_t> sizes = nccl_sizes(s.opt.quick);
  auto params_for = [&](size_t bytes) {
    Json p = Json::object();
    p["bytes"] = bytes;
    p["n_ranks"] = n;
    p["dtype"] = "bf16";
    p["scope"] = "single_node";
    return p;
  };

  std::string skip;
#ifndef MOESCOPE_HAVE_NCCL
  skip = "skipped: built without NCCL";
#endif
  if (skip.empty() && !s.opt.list_only && n < 2)
    skip = "skipped: " + std::to_string(n) + " CUDA device (NCCL collectives need at least 2)";
  if (s.opt.list_only) {
    for (const char* op : kOps)
      for (size_t b : sizes)
        list_case(s, family, op, params_for(b));
    return;
  }
  if (!skip.empty()) {
    std::printf("[nccl] %s\n", skip.c_str());
    s.family_notes[family]["skipped"] = skip;
    for (const char* op : kOps) {
      Json p = Json::object();
      p["n_ranks"] = n;
      record_error(s, family, op, std::move(p), skip);
    }
    return;
  }

#ifdef MOESCOPE_HAVE_NCCL
  std::unique_ptr<Ranks> ranks;
  std::string setup_error;
  try {
    ranks = std::make_unique<Ranks>();
    ranks->init(n, sizes.back());
  } catch (const std::exception& e) {
    setup_error = std::string("setup failed: ") + e.what();
  }
  (void)cudaSetDevice(s.dev.index);
  if (!setup_error.empty()) handle_case_failure(s);
  for (const char* op_c : kOps) {
    const std::string op = op_c;
    for (size_t bytes : sizes) {
      // Whole elements per rank share: the bytes actually moved.
      const size_t chunk = bytes / 2 / static_cast<size_t>(n);
      const size_t eff = op == "all_reduce" ? bytes / 2 * 2 : chunk * 2 * static_cast<size_t>(n);
      Json params = params_for(eff);
      if (!setup_error.empty() || chunk == 0) {
        if (!s.aborted)
          record_error(s, family, op, std::move(params), setup_error.empty() ? "message too small" : setup_error);
        continue;
      }
      run_case(s, family, op, std::move(params), [&](Json&) {
        std::vector<Rank>& rk = ranks->all();
        for (int i = 0; i < std::max(1, s.opt.timing.warmup); ++i)
          timed(rk, op, eff, 1);
        const double single = std::max(timed(rk, op, eff, 1), 1e-7);
        const int inner = std::clamp(static_cast<int>(std::ceil(s.opt.timing.min_rep_seconds / single)), 1, 64);
        std::vector<double> samples;
        for (int r = 0; r < s.opt.timing.reps; ++r)
          samples.push_back(timed(rk, op, eff, inner) / inner);
        (void)cudaSetDevice(s.dev.index);
        Measured m;
        m.timing = summarize_samples(samples, inner, "cuda_events_max_over_ranks", s.opt.timing.warmup);
        m.derived["bytes_per_s"] = static_cast<double>(eff) / m.timing.median;
        m.derived["bus_bytes_per_s"] = static_cast<double>(eff) / m.timing.median * bus_factor(op, n);
        return m;
      });
      (void)cudaSetDevice(s.dev.index);
    }
  }
  ranks.reset();
  (void)cudaSetDevice(s.dev.index);
#endif
}

} // namespace mcb
