// Shared implementation of the CUDA microbenchmark suite: errors, RAII, timing, device description, recording.
#include "bench_common.hpp"
#include "device_utils.cuh"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace mcb {

// ---------------------------------------------------------------------------------------------------------------------
// Errors

namespace {
std::atomic<bool> g_context_broken{false};
std::string g_broken_reason;
std::atomic<long long> g_heartbeat_ns{0};

long long now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
} // namespace

bool is_sticky_error(cudaError_t e) {
  switch (e) {
  case cudaErrorIllegalAddress:
  case cudaErrorLaunchFailure:
  case cudaErrorHardwareStackError:
  case cudaErrorIllegalInstruction:
  case cudaErrorMisalignedAddress:
  case cudaErrorInvalidAddressSpace:
  case cudaErrorInvalidPc:
  case cudaErrorAssert:
  case cudaErrorLaunchTimeout:
  case cudaErrorECCUncorrectable:
  case cudaErrorContextIsDestroyed:
  case cudaErrorDevicesUnavailable:
    return true;
  default:
    return false;
  }
}

void throw_cuda_error(cudaError_t e, const char* expr, const char* file, int line) {
  std::ostringstream os;
  const char* base = file;
  for (const char* p = file; *p; ++p)
    if (*p == '/') base = p + 1;
  os << "CUDA error " << cudaGetErrorName(e) << " (" << cudaGetErrorString(e) << ") in " << expr << " at " << base
     << ":" << line;
  if (is_sticky_error(e)) {
    if (!g_context_broken.exchange(true)) g_broken_reason = os.str();
  }
  throw BenchError(os.str());
}

bool context_broken() {
  return g_context_broken.load();
}

bool recover_after_error(std::string* why) {
  if (g_context_broken.load()) {
    if (why) *why = g_broken_reason;
    return false;
  }
  (void)cudaGetLastError(); // clears a non-sticky error
  cudaError_t e = cudaDeviceSynchronize();
  if (e == cudaSuccess) return true;
  (void)cudaGetLastError();
  cudaError_t e2 = cudaDeviceSynchronize();
  if (e2 == cudaSuccess) return true;
  g_context_broken = true;
  g_broken_reason = std::string("CUDA context unusable after ") + cudaGetErrorName(e2) + ": " + cudaGetErrorString(e2);
  if (why) *why = g_broken_reason;
  return false;
}

// ---------------------------------------------------------------------------------------------------------------------
// RAII

DeviceBuffer::DeviceBuffer(size_t bytes) : n_(bytes) {
  if (bytes == 0) return;
  cudaError_t e = cudaMalloc(&p_, bytes);
  if (e != cudaSuccess) {
    p_ = nullptr;
    n_ = 0;
    (void)cudaGetLastError();
    std::ostringstream os;
    os << "cudaMalloc(" << bytes << " bytes) failed: " << cudaGetErrorName(e) << " (" << cudaGetErrorString(e) << ")";
    if (is_sticky_error(e)) g_context_broken = true;
    throw BenchError(os.str());
  }
}
DeviceBuffer::~DeviceBuffer() {
  reset();
}
DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& o) noexcept {
  if (this != &o) {
    reset();
    p_ = std::exchange(o.p_, nullptr);
    n_ = std::exchange(o.n_, 0);
  }
  return *this;
}
void DeviceBuffer::reset() {
  if (p_) (void)cudaFree(p_);
  p_ = nullptr;
  n_ = 0;
}

PinnedBuffer::PinnedBuffer(size_t bytes) : n_(bytes) {
  MCB_CUDA(cudaMallocHost(&p_, bytes));
}
PinnedBuffer::~PinnedBuffer() {
  if (p_) (void)cudaFreeHost(p_);
}

CudaEvent::CudaEvent() {
  MCB_CUDA(cudaEventCreate(&e_));
}
CudaEvent::~CudaEvent() {
  if (e_) (void)cudaEventDestroy(e_);
}

CudaStream::CudaStream() {
  MCB_CUDA(cudaStreamCreateWithFlags(&s_, cudaStreamNonBlocking));
}
CudaStream::~CudaStream() {
  if (s_) (void)cudaStreamDestroy(s_);
}

// ---------------------------------------------------------------------------------------------------------------------
// Timing

Timing summarize_samples(std::vector<double> samples, int inner, const std::string& method, int warmup) {
  Timing t;
  t.samples = samples;
  t.reps = static_cast<int>(samples.size());
  t.inner = inner;
  t.method = method;
  t.warmup = warmup;
  if (samples.empty()) return t;
  std::sort(samples.begin(), samples.end());
  const size_t n = samples.size();
  t.median = n % 2 ? samples[n / 2] : 0.5 * (samples[n / 2 - 1] + samples[n / 2]);
  t.min = samples.front();
  t.max = samples.back();
  return t;
}

namespace {
class GraphExec {
public:
  ~GraphExec() {
    if (exec) (void)cudaGraphExecDestroy(exec);
  }
  cudaGraphExec_t exec = nullptr;
};

// Captures `inner` calls of body into a graph; false (with the error state cleared) when capture is not possible.
bool try_capture(cudaStream_t s, const std::function<void(int)>& body, int inner, GraphExec& out) {
  if (cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal) != cudaSuccess) {
    (void)cudaGetLastError();
    return false;
  }
  bool ok = true;
  try {
    for (int i = 0; i < inner; ++i)
      body(i);
  } catch (const std::exception&) {
    ok = false;
  }
  cudaGraph_t graph = nullptr;
  cudaError_t e = cudaStreamEndCapture(s, &graph);
  if (e != cudaSuccess || !ok || !graph) {
    if (graph) (void)cudaGraphDestroy(graph);
    (void)cudaGetLastError();
    return false;
  }
  e = cudaGraphInstantiate(&out.exec, graph, 0);
  (void)cudaGraphDestroy(graph);
  if (e != cudaSuccess) {
    out.exec = nullptr;
    (void)cudaGetLastError();
    return false;
  }
  return true;
}
} // namespace

Timing time_on_stream(cudaStream_t s, const std::function<void(int)>& body, const TimingConfig& cfg) {
  CudaEvent e0, e1;
  for (int i = 0; i < cfg.warmup; ++i)
    body(i);
  MCB_CUDA(cudaStreamSynchronize(s));

  MCB_CUDA(cudaEventRecord(e0, s));
  body(0);
  MCB_CUDA(cudaEventRecord(e1, s));
  MCB_CUDA(cudaEventSynchronize(e1));
  float ms = 0;
  MCB_CUDA(cudaEventElapsedTime(&ms, e0, e1));
  const double single = std::max(1e-3 * ms, 1e-7);

  int inner = 1;
  if (single < cfg.min_rep_seconds) inner = static_cast<int>(std::ceil(cfg.min_rep_seconds / single));
  inner = std::max(inner, cfg.min_inner);
  inner = std::clamp(inner, 1, std::max(1, cfg.max_inner));

  GraphExec graph;
  const bool use_graph = cfg.use_graph && inner > 1 && try_capture(s, body, inner, graph);
  if (use_graph) { // upload and warm the graph
    MCB_CUDA(cudaGraphLaunch(graph.exec, s));
    MCB_CUDA(cudaStreamSynchronize(s));
  }

  std::vector<double> samples;
  samples.reserve(static_cast<size_t>(cfg.reps));
  int iter = 0;
  for (int r = 0; r < cfg.reps; ++r) {
    MCB_CUDA(cudaEventRecord(e0, s));
    if (use_graph) {
      MCB_CUDA(cudaGraphLaunch(graph.exec, s));
    } else {
      for (int i = 0; i < inner; ++i)
        body(iter++);
    }
    MCB_CUDA(cudaEventRecord(e1, s));
    MCB_CUDA(cudaEventSynchronize(e1));
    MCB_CUDA(cudaEventElapsedTime(&ms, e0, e1));
    samples.push_back(1e-3 * ms / inner);
  }
  heartbeat();
  return summarize_samples(std::move(samples), inner, use_graph ? "cuda_events_graph" : "cuda_events", cfg.warmup);
}

// ---------------------------------------------------------------------------------------------------------------------
// Device

DeviceInfo query_device(int index) {
  DeviceInfo d;
  d.index = index;
  cudaDeviceProp p{};
  MCB_CUDA(cudaGetDeviceProperties(&p, index));
  d.name = p.name;
  d.cc_major = p.major;
  d.cc_minor = p.minor;
  d.sm_count = p.multiProcessorCount;
  d.memory_bytes = p.totalGlobalMem;
  d.memory_bus_width_bits = p.memoryBusWidth;
  d.l2_bytes = p.l2CacheSize;
  d.smem_per_block_optin = p.sharedMemPerBlockOptin;
  d.smem_per_sm = p.sharedMemPerMultiprocessor;
  d.max_threads_per_sm = p.maxThreadsPerMultiProcessor;
  d.ecc = p.ECCEnabled != 0;
  char bus[32] = {0};
  if (cudaDeviceGetPCIBusId(bus, sizeof bus, index) == cudaSuccess) d.pci_bus_id = bus;
  (void)cudaGetLastError();
  int khz = 0;
  // cudaDeviceProp lost clockRate/memoryClockRate in CUDA 13: the attributes remain (kHz, peak values).
  if (cudaDeviceGetAttribute(&khz, cudaDevAttrClockRate, index) == cudaSuccess) d.sm_clock_hz = 1000LL * khz;
  if (cudaDeviceGetAttribute(&khz, cudaDevAttrMemoryClockRate, index) == cudaSuccess) d.memory_clock_hz = 1000LL * khz;
  (void)cudaGetLastError();
  return d;
}

Json device_json(const DeviceInfo& d) {
  Json j = Json::object();
  j["name"] = d.name;
  j["compute_capability"] = std::to_string(d.cc_major) + "." + std::to_string(d.cc_minor);
  j["sm_count"] = d.sm_count;
  j["memory_bytes"] = d.memory_bytes;
  j["memory_clock_hz"] = d.memory_clock_hz;
  j["sm_clock_hz"] = d.sm_clock_hz;
  j["l2_bytes"] = d.l2_bytes;
  j["memory_bus_width_bits"] = d.memory_bus_width_bits;
  j["peak_memory_bytes_per_s"] = d.peak_memory_bytes_per_s();
  j["shared_memory_per_sm_bytes"] = d.smem_per_sm;
  j["ecc_enabled"] = d.ecc;
  j["pci_bus_id"] = d.pci_bus_id;
  j["index"] = d.index;
  return j;
}

// ---------------------------------------------------------------------------------------------------------------------
// Random initialisation

namespace {
__global__ void fill_bf16_kernel(__nv_bfloat16* p, size_t n, uint64_t seed, float lo, float hi) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x)
    p[i] = __float2bfloat16(uniform_at(seed, i, lo, hi));
}
__global__ void fill_fp8_kernel(__nv_fp8_e4m3* p, size_t n, uint64_t seed, float lo, float hi) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x)
    p[i] = __nv_fp8_e4m3(uniform_at(seed, i, lo, hi));
}
__global__ void fill_words_kernel(uint32_t* p, size_t n, uint64_t seed) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x)
    p[i] = static_cast<uint32_t>(mix64(seed + i));
}
} // namespace

void fill_uniform_bf16(void* p, size_t n, uint64_t seed, float lo, float hi, cudaStream_t s) {
  if (n == 0) return;
  fill_bf16_kernel<<<blocks_for(n, 256, 8192), 256, 0, s>>>(static_cast<__nv_bfloat16*>(p), n, seed, lo, hi);
  MCB_CHECK_LAUNCH();
}
void fill_uniform_fp8_e4m3(void* p, size_t n, uint64_t seed, float lo, float hi, cudaStream_t s) {
  if (n == 0) return;
  fill_fp8_kernel<<<blocks_for(n, 256, 8192), 256, 0, s>>>(static_cast<__nv_fp8_e4m3*>(p), n, seed, lo, hi);
  MCB_CHECK_LAUNCH();
}
void fill_bytes(void* p, size_t bytes, uint64_t seed, cudaStream_t s) {
  const size_t n = bytes / 4;
  if (n == 0) return;
  fill_words_kernel<<<blocks_for(n, 256, 8192), 256, 0, s>>>(static_cast<uint32_t*>(p), n, seed);
  MCB_CHECK_LAUNCH();
}

// ---------------------------------------------------------------------------------------------------------------------
// Recording

void heartbeat() {
  g_heartbeat_ns = now_ns();
}
long long seconds_since_heartbeat() {
  const long long h = g_heartbeat_ns.load();
  return h == 0 ? 0 : (now_ns() - h) / 1000000000LL;
}

std::string format_seconds(double s) {
  char buf[64];
  if (s < 1e-6)
    std::snprintf(buf, sizeof buf, "%.1f ns", s * 1e9);
  else if (s < 1e-3)
    std::snprintf(buf, sizeof buf, "%.2f us", s * 1e6);
  else if (s < 1.0)
    std::snprintf(buf, sizeof buf, "%.3f ms", s * 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.3f s", s);
  return buf;
}

std::string format_rate(double v, const char* unit) {
  const char* prefixes[] = {"", "K", "M", "G", "T", "P"};
  int k = 0;
  while (std::fabs(v) >= 1000.0 && k < 5) {
    v /= 1000.0;
    ++k;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3g %s%s", v, prefixes[k], unit);
  return buf;
}

namespace {
std::string short_params(const Json& params) {
  std::string p = params.dump();
  if (p.size() > 150) p = p.substr(0, 147) + "...";
  return p;
}
} // namespace

void record_timing(Suite& s, const std::string& family, const std::string& op, Json params, const Timing& t,
                   Json derived) {
  Json c = Json::object();
  c["family"] = family;
  c["op"] = op;
  const std::string shown = short_params(params);
  c["params"] = std::move(params);
  c["median_seconds"] = t.median;
  c["min_seconds"] = t.min;
  c["max_seconds"] = t.max;
  c["repetitions"] = t.reps;
  std::string rates;
  if (const Json* f = derived.find("flop_per_s"); f && f->is_number())
    rates += "  " + format_rate(f->number(), "FLOP/s");
  if (const Json* b = derived.find("bytes_per_s"); b && b->is_number()) rates += "  " + format_rate(b->number(), "B/s");
  c["derived"] = std::move(derived);
  c["error"] = nullptr;
  Json timing = Json::object();
  timing["method"] = t.method;
  timing["inner_iterations"] = t.inner;
  timing["warmup"] = t.warmup;
  timing["samples_seconds"] = Json::array_of(t.samples);
  c["timing"] = std::move(timing);
  s.cases.push_back(std::move(c));
  heartbeat();
  std::printf("[%s] %s %s: %s%s\n", family.c_str(), op.c_str(), shown.c_str(), format_seconds(t.median).c_str(),
              rates.c_str());
  std::fflush(stdout);
}

void record_error(Suite& s, const std::string& family, const std::string& op, Json params, const std::string& error) {
  Json c = Json::object();
  c["family"] = family;
  c["op"] = op;
  const std::string shown = short_params(params);
  c["params"] = std::move(params);
  c["median_seconds"] = nullptr;
  c["min_seconds"] = nullptr;
  c["max_seconds"] = nullptr;
  c["repetitions"] = 0;
  c["derived"] = Json::object();
  c["error"] = error;
  s.cases.push_back(std::move(c));
  heartbeat();
  std::printf("[%s] %s %s: %s\n", family.c_str(), op.c_str(), shown.c_str(), error.c_str());
  std::fflush(stdout);
}

void list_case(Suite& s, const std::string& family, const std::string& op, const Json& params) {
  ++s.listed;
  std::printf("%s %s %s\n", family.c_str(), op.c_str(), params.dump().c_str());
}

void handle_case_failure(Suite& s) {
  std::string why;
  if (!recover_after_error(&why)) {
    s.aborted = true;
    s.abort_reason = why;
    std::fprintf(stderr, "moescope_cuda_bench: %s; stopping the suite\n", why.c_str());
  }
}

} // namespace mcb
