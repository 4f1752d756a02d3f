#pragma once
// Shared pieces of the CUDA microbenchmark suite (moescope_cuda_bench): error handling, RAII wrappers, CUDA-event
// timing, device description, case recording. Host-only declarations: included by the CUDA sources (nvcc, C++17) and by
// main.cpp (host compiler). Device helpers live in device_utils.cuh.
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "json_writer.hpp"

namespace mcb {

// ---------------------------------------------------------------------------------------------------------------------
// Errors. Every CUDA/cuBLAS/NCCL call goes through a check that throws; the driver catches per case, records an error
// entry and continues. A sticky CUDA error (illegal address, launch failure...) leaves the context unusable: the suite
// then stops, writes what it has with "complete": false and exits non-zero.

class BenchError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};
// The configuration is not supported by the library or device (e.g. cuBLASLt heuristics return no algorithm).
class Unsupported : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

[[noreturn]] void throw_cuda_error(cudaError_t e, const char* expr, const char* file, int line);
inline void check_cuda(cudaError_t e, const char* expr, const char* file, int line) {
  if (e != cudaSuccess) throw_cuda_error(e, expr, file, line);
}
#define MCB_CUDA(expr) ::mcb::check_cuda((expr), #expr, __FILE__, __LINE__)
#define MCB_CHECK_LAUNCH() ::mcb::check_cuda(cudaGetLastError(), "kernel launch", __FILE__, __LINE__)

bool is_sticky_error(cudaError_t e);
// True once a sticky error was seen.
bool context_broken();
// After a failed case: clears non-sticky errors and returns false (with the reason) when the context is unusable.
bool recover_after_error(std::string* why);

// ---------------------------------------------------------------------------------------------------------------------
// RAII wrappers (move-only). Destructors ignore errors: they may run while an exception unwinds.

class DeviceBuffer {
public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t bytes);
  ~DeviceBuffer();
  DeviceBuffer(DeviceBuffer&& o) noexcept : p_(std::exchange(o.p_, nullptr)), n_(std::exchange(o.n_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  void* get() const { return p_; }
  template <class T> T* as() const { return static_cast<T*>(p_); }
  size_t bytes() const { return n_; }
  void reset();

private:
  void* p_ = nullptr;
  size_t n_ = 0;
};

class PinnedBuffer {
public:
  explicit PinnedBuffer(size_t bytes);
  ~PinnedBuffer();
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  void* get() const { return p_; }
  size_t bytes() const { return n_; }

private:
  void* p_ = nullptr;
  size_t n_ = 0;
};

class CudaEvent {
public:
  CudaEvent();
  ~CudaEvent();
  CudaEvent(const CudaEvent&) = delete;
  CudaEvent& operator=(const CudaEvent&) = delete;
  operator cudaEvent_t() const { return e_; }

private:
  cudaEvent_t e_ = nullptr;
};

class CudaStream {
public:
  CudaStream();
  ~CudaStream();
  CudaStream(const CudaStream&) = delete;
  CudaStream& operator=(const CudaStream&) = delete;
  operator cudaStream_t() const { return s_; }

private:
  cudaStream_t s_ = nullptr;
};

// ---------------------------------------------------------------------------------------------------------------------
// Timing.
//
// time_on_stream: `warmup` calls; one timed call sizes an inner loop so that one repetition lasts at least
// min_rep_seconds (small kernels are otherwise below the event resolution and dominated by launch cost); the inner loop
// is captured into a CUDA graph when possible (kernel-to-kernel time as in a graph-launched inference step), else it is
// launched eagerly. Each of `reps` repetitions is bracketed by CUDA events; a sample is elapsed / inner. The body gets
// a running iteration index (used to rotate buffers so that the L2 cache does not hold the working set).

struct TimingConfig {
  int warmup = 3;
  int reps = 20;
  double min_rep_seconds = 5e-4;
  int min_inner = 1;
  int max_inner = 64;
  bool use_graph = true;
};

struct Timing {
  double median = 0, min = 0, max = 0;
  int reps = 0;
  int inner = 1;
  std::string method; // "cuda_events_graph", "cuda_events", "host_clock"
  int warmup = 0;
  std::vector<double> samples;
};

Timing time_on_stream(cudaStream_t stream, const std::function<void(int)>& body, const TimingConfig& cfg);
// Median/min/max of per-call samples measured some other way (host clock, multi-device events).
Timing summarize_samples(std::vector<double> samples, int inner, const std::string& method, int warmup);

// ---------------------------------------------------------------------------------------------------------------------
// Device.

struct DeviceInfo {
  int index = 0;
  std::string name;
  int cc_major = 0, cc_minor = 0;
  int sm_count = 0;
  size_t memory_bytes = 0;
  long long memory_clock_hz = 0;
  long long sm_clock_hz = 0;
  int memory_bus_width_bits = 0;
  long long l2_bytes = 0;
  size_t smem_per_block_optin = 0;
  size_t smem_per_sm = 0;
  int max_threads_per_sm = 0;
  bool ecc = false;
  std::string pci_bus_id;
  // 2 x memory clock x bus width: the nominal DRAM bandwidth as the driver reports it.
  double peak_memory_bytes_per_s() const {
    return 2.0 * static_cast<double>(memory_clock_hz) * memory_bus_width_bits / 8.0;
  }
};

DeviceInfo query_device(int index);
Json device_json(const DeviceInfo& d);

// ---------------------------------------------------------------------------------------------------------------------
// Random initialisation on the device (counter-based hash: the host can recompute any element for reference checks).

void fill_uniform_bf16(void* p, size_t n, uint64_t seed, float lo, float hi, cudaStream_t s);
void fill_uniform_fp8_e4m3(void* p, size_t n, uint64_t seed, float lo, float hi, cudaStream_t s);
void fill_bytes(void* p, size_t bytes, uint64_t seed, cudaStream_t s); // arbitrary bit patterns, 32-bit words

// ---------------------------------------------------------------------------------------------------------------------
// The suite: options, recorded cases, per-case error containment.

struct Options {
  bool quick = false;
  bool list_only = false;
  bool verbose = false;
  int device = 0;
  TimingConfig timing;
  std::string out;
  std::vector<std::string> families; // empty: all
};

struct Suite {
  Options opt;
  DeviceInfo dev;
  int device_count = 0;
  cudaStream_t stream = nullptr;
  std::vector<Json> cases;
  size_t listed = 0;
  bool aborted = false;
  std::string abort_reason;
  Json family_notes = Json::object(); // free-form notes per family (skips, verification results)
};

struct Measured {
  Timing timing;
  Json derived = Json::object();

  // Records the work of one call and the rates it reached at the median time: flop, bytes, flop_per_s, bytes_per_s.
  void set_work(double flop, double bytes) {
    derived["flop"] = flop;
    derived["bytes"] = bytes;
    derived["flop_per_s"] = flop / timing.median;
    derived["bytes_per_s"] = bytes / timing.median;
  }
};

void record_timing(Suite& s, const std::string& family, const std::string& op, Json params, const Timing& t,
                   Json derived);
void record_error(Suite& s, const std::string& family, const std::string& op, Json params, const std::string& error);
void list_case(Suite& s, const std::string& family, const std::string& op, const Json& params);
void handle_case_failure(Suite& s);
void heartbeat(); // progress signal for the watchdog
long long seconds_since_heartbeat();

// Runs one case: lists it (--list), or calls body(params) and records the result, or records the error. body may add
// entries to params (algorithm details, inner iterations) before it returns.
template <class F> void run_case(Suite& s, const std::string& family, const std::string& op, Json params, F&& body) {
  if (s.opt.list_only) {
    list_case(s, family, op, params);
    return;
  }
  if (s.aborted) return;
  try {
    Measured m = body(params);
    record_timing(s, family, op, std::move(params), m.timing, std::move(m.derived));
  } catch (const Unsupported& e) {
    record_error(s, family, op, std::move(params), std::string("unsupported: ") + e.what());
    handle_case_failure(s);
  } catch (const std::exception& e) {
    record_error(s, family, op, std::move(params), e.what());
    handle_case_failure(s);
  }
}

// Helpers
std::string format_seconds(double s);
std::string format_rate(double v, const char* unit); // 1.23 T<unit>
constexpr size_t KiB = 1024, MiB = 1024 * KiB, GiB = 1024 * MiB;

// The benchmark families (one source file each).
void run_hbm_bandwidth(Suite& s);
void run_gemm(Suite& s);
void run_grouped_gemm(Suite& s);
void run_attention_decode(Suite& s);
void run_launch_overhead(Suite& s);
void run_small_message(Suite& s);
void run_nccl(Suite& s);
void run_overlap(Suite& s);
const char* nccl_version_string(); // nullptr when built without NCCL

} // namespace mcb
