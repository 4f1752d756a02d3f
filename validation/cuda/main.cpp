// moescope_cuda_bench: the CUDA microbenchmark suite of moescope (docs/cuda-microbenchmarks.md).
//
//   moescope_cuda_bench [FAMILY...] [--out FILE.json] [--quick] [--only LIST] [--skip LIST] [--list] ...
//
// Runs the selected families on one GPU (NCCL over all visible GPUs) and writes one JSON file
// ("moescope-cuda-measurements/1"). The file is rewritten after every family (FILE.tmp, then renamed), so an
// interrupted run keeps what it measured; "complete" says whether the suite ran to the end.
#include <cublasLt.h>
#include <cuda_runtime.h>
#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bench_common.hpp"

namespace {

using mcb::Json;

struct Family {
  const char* name;
  const char* alias;
  void (*run)(mcb::Suite&);
  const char* what;
};

const Family kFamilies[] = {
    {"hbm_bandwidth", "hbm", mcb::run_hbm_bandwidth, "read/write/copy kernels, 1 MiB .. 4 GiB"},
    {"gemm", "gemm", mcb::run_gemm, "cuBLASLt bf16/fp8 GEMMs over model shapes, M = 1 .. 16384"},
    {"grouped_gemm", "grouped", mcb::run_grouped_gemm, "expert GEMM loop, balanced and skewed token counts"},
    {"attention_decode", "attention", mcb::run_attention_decode, "MLA/GQA decode over a bf16 KV cache"},
    {"launch_overhead", "launch", mcb::run_launch_overhead, "empty-kernel launch costs (stream, graph, sync)"},
    {"small_message", "memcpy", mcb::run_small_message, "cudaMemcpyAsync latency, 4 B .. 64 KiB"},
    {"nccl", "nccl", mcb::run_nccl, "NCCL collectives over all GPUs (skipped on one GPU)"},
    {"overlap", "overlap", mcb::run_overlap, "FP8 GEMM beside an SM-resident copy kernel (DeepEP-like SM budget)"},
};

const Family* find_family(std::string_view name) {
  for (const Family& f : kFamilies)
    if (name == f.name || name == f.alias) return &f;
  return nullptr;
}

void usage(std::FILE* out) {
  std::fprintf(out, "usage: moescope_cuda_bench [FAMILY...] [options]\n"
                    "\n"
                    "Runs moescope's CUDA microbenchmarks and writes one JSON file (docs/cuda-microbenchmarks.md).\n"
                    "\n"
                    "options:\n"
                    "  --out FILE       output JSON (default: cuda-measurements-<UTC date-time>.json)\n"
                    "  --quick          reduced grids (about a third of the cases)\n"
                    "  --only LIST      comma-separated families to run (same as naming them as arguments)\n"
                    "  --skip LIST      comma-separated families to leave out\n"
                    "  --device N       CUDA device to measure (default 0; NCCL uses all visible devices)\n"
                    "  --reps N         timed repetitions per case (default 20; the median is reported)\n"
                    "  --warmup N       warm-up calls per case (default 3)\n"
                    "  --no-graph       time small kernels with eager launches instead of CUDA graphs\n"
                    "  --watchdog S     abort when no case finishes for S seconds (default 600, 0 = off)\n"
                    "  --list           print the cases of the selected families and exit (no GPU needed)\n"
                    "  -h, --help       this text\n"
                    "\n"
                    "families:\n");
  for (const Family& f : kFamilies)
    std::fprintf(out, "  %-18s (%s) %s\n", f.name, f.alias, f.what);
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t comma = s.find(',', start);
    const std::string item = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::string utc_now(const char* fmt) {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, fmt, &tm);
  return buf;
}

std::string version_string(int code, bool with_patch) {
  // CUDA: major * 1000 + minor * 10; cuBLAS: major * 10000 + minor * 100 + patch
  if (with_patch)
    return std::to_string(code / 10000) + "." + std::to_string(code / 100 % 100) + "." + std::to_string(code % 100);
  return std::to_string(code / 1000) + "." + std::to_string(code % 1000 / 10);
}

// The kernel driver's version through NVML, loaded at run time (no link dependency); empty when unavailable.
std::string nvml_driver_version() {
  void* lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!lib) return {};
  using InitFn = int (*)();
  using VersionFn = int (*)(char*, unsigned);
  auto init = reinterpret_cast<InitFn>(dlsym(lib, "nvmlInit_v2"));
  auto get = reinterpret_cast<VersionFn>(dlsym(lib, "nvmlSystemGetDriverVersion"));
  auto shutdown = reinterpret_cast<InitFn>(dlsym(lib, "nvmlShutdown"));
  std::string v;
  if (init && get && init() == 0) {
    char buf[96] = {0};
    if (get(buf, sizeof buf) == 0) v = buf;
    if (shutdown) shutdown();
  }
  dlclose(lib);
  return v;
}

bool write_atomically(const std::string& path, const std::string& text) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path p(path);
  if (p.has_parent_path()) fs::create_directories(p.parent_path(), ec);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) return false;
    f << text << '\n';
    f.flush();
    if (!f) return false;
  }
  fs::rename(tmp, p, ec);
  return !ec;
}

int parse_int(const std::string& opt, const std::string& v) {
  try {
    size_t used = 0;
    const int x = std::stoi(v, &used);
    if (used == v.size() && x >= 0) return x;
  } catch (const std::exception&) {
  }
  std::fprintf(stderr, "moescope_cuda_bench: %s expects a non-negative integer, got '%s'\n", opt.c_str(), v.c_str());
  std::exit(2);
}

} // namespace

int main(int argc, char** argv) {
  mcb::Options opt;
  std::vector<std::string> only, skip;
  int watchdog_s = 600;
  std::string command_line;
  for (int i = 0; i < argc; ++i) {
    if (i) command_line += ' ';
    command_line += argv[i];
  }

  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    std::string value;
    const size_t eq = a.find('=');
    const bool has_eq = a.rfind("--", 0) == 0 && eq != std::string::npos;
    if (has_eq) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
    }
    auto next = [&]() -> std::string {
      if (has_eq) return value;
      if (i + 1 >= argc) {
        std::fprintf(stderr, "moescope_cuda_bench: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "-h" || a == "--help") {
      usage(stdout);
      return 0;
    } else if (a == "--out" || a == "-o") {
      opt.out = next();
    } else if (a == "--quick") {
      opt.quick = true;
    } else if (a == "--list") {
      opt.list_only = true;
    } else if (a == "--only") {
      for (auto& f : split_list(next()))
        only.push_back(f);
    } else if (a == "--skip") {
      for (auto& f : split_list(next()))
        skip.push_back(f);
    } else if (a == "--device") {
      opt.device = parse_int(a, next());
    } else if (a == "--reps") {
      opt.timing.reps = std::max(1, parse_int(a, next()));
    } else if (a == "--warmup") {
      opt.timing.warmup = parse_int(a, next());
    } else if (a == "--no-graph") {
      opt.timing.use_graph = false;
    } else if (a == "--watchdog") {
      watchdog_s = parse_int(a, next());
    } else if (a == "--verbose" || a == "-v") {
      opt.verbose = true;
    } else if (!a.empty() && a[0] != '-') {
      only.push_back(a);
    } else {
      std::fprintf(stderr, "moescope_cuda_bench: unknown option '%s' (see --help)\n", argv[i]);
      return 2;
    }
  }

  std::vector<const Family*> selected;
  for (const auto& name : only)
    if (!find_family(name)) {
      std::fprintf(stderr, "moescope_cuda_bench: unknown family '%s' (see --help)\n", name.c_str());
      return 2;
    }
  for (const auto& name : skip)
    if (!find_family(name)) {
      std::fprintf(stderr, "moescope_cuda_bench: unknown family '%s' (see --help)\n", name.c_str());
      return 2;
    }
  for (const Family& f : kFamilies) {
    bool take = only.empty();
    for (const auto& name : only)
      take = take || find_family(name) == &f;
    for (const auto& name : skip)
      take = take && find_family(name) != &f;
    if (take) selected.push_back(&f);
  }
  for (const Family* f : selected)
    opt.families.push_back(f->name);

  mcb::Suite suite;
  suite.opt = opt;

  if (opt.list_only) {
    for (const Family* f : selected)
      f->run(suite);
    std::printf("%zu cases in %zu families%s\n", suite.listed, selected.size(), opt.quick ? " (--quick)" : "");
    return 0;
  }

  // A device, or a clear message and a non-zero status.
  int device_count = 0;
  const cudaError_t count_error = cudaGetDeviceCount(&device_count);
  if (count_error != cudaSuccess || device_count == 0) {
    std::fprintf(stderr, "moescope_cuda_bench: no CUDA device: %s\n",
                 count_error != cudaSuccess ? cudaGetErrorString(count_error) : "cudaGetDeviceCount returned 0");
    return 2;
  }
  if (opt.device >= device_count) {
    std::fprintf(stderr, "moescope_cuda_bench: --device %d, but only %d CUDA device(s)\n", opt.device, device_count);
    return 2;
  }

  const auto suite_start = std::chrono::steady_clock::now();
  Json doc = Json::object();
  std::unique_ptr<mcb::CudaStream> stream;
  try {
    MCB_CUDA(cudaSetDevice(opt.device));
    MCB_CUDA(cudaFree(nullptr)); // create the context now, not inside the first timed case
    suite.dev = mcb::query_device(opt.device);
    suite.device_count = device_count;
    stream = std::make_unique<mcb::CudaStream>();
    suite.stream = *stream;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "moescope_cuda_bench: cannot use CUDA device %d: %s\n", opt.device, e.what());
    return 2;
  }

  int driver = 0, runtime = 0;
  (void)cudaDriverGetVersion(&driver);
  (void)cudaRuntimeGetVersion(&runtime);
  const std::string nvml_version = nvml_driver_version();
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = 0;
  if (opt.out.empty()) opt.out = "cuda-measurements-" + utc_now("%Y%m%dT%H%M%SZ") + ".json";
  suite.opt.out = opt.out;

  doc["schema"] = "moescope-cuda-measurements/1";
  doc["tool"] = "moescope_cuda_bench";
  doc["device"] = mcb::device_json(suite.dev);
  doc["device_count"] = device_count;
  Json devices = Json::array();
  for (int d = 0; d < device_count; ++d) {
    cudaDeviceProp p{};
    if (cudaGetDeviceProperties(&p, d) == cudaSuccess) devices.push_back(Json(std::string(p.name)));
  }
  doc["devices"] = std::move(devices);
  doc["driver_version"] = nvml_version.empty() ? "CUDA driver API " + version_string(driver, false) : nvml_version;
  doc["cuda_driver_version"] = version_string(driver, false);
  doc["cuda_runtime_version"] = version_string(runtime, false);
  doc["cublas_version"] = version_string(static_cast<int>(cublasLtGetVersion()), true);
  const char* nccl = mcb::nccl_version_string();
  doc["nccl_version"] = nccl ? Json(std::string(nccl)) : Json(nullptr);
  doc["date_utc"] = utc_now("%Y-%m-%dT%H:%M:%SZ");
  doc["host"] = std::string(host);
  Json options = Json::object();
  options["quick"] = opt.quick;
  options["repetitions"] = opt.timing.reps;
  options["warmup"] = opt.timing.warmup;
  options["min_repetition_seconds"] = opt.timing.min_rep_seconds;
  options["cuda_graphs"] = opt.timing.use_graph;
  options["families"] = Json::array_of(opt.families);
  options["command_line"] = command_line;
  doc["options"] = std::move(options);

  std::printf("moescope_cuda_bench: %s (sm_%d%d, %d SMs, %.1f GiB), driver %s, CUDA runtime %s, cuBLASLt %s%s%s\n",
              suite.dev.name.c_str(), suite.dev.cc_major, suite.dev.cc_minor, suite.dev.sm_count,
              static_cast<double>(suite.dev.memory_bytes) / (1 << 30), doc.find("driver_version")->dump().c_str(),
              version_string(runtime, false).c_str(),
              version_string(static_cast<int>(cublasLtGetVersion()), true).c_str(), nccl ? ", NCCL " : "",
              nccl ? nccl : "");
  std::printf("writing %s\n", opt.out.c_str());
  std::fflush(stdout);

  // Watchdog: a hung kernel or collective must not hold the machine; results so far are already on disk.
  std::atomic<bool> done{false};
  mcb::heartbeat();
  std::thread watchdog;
  if (watchdog_s > 0)
    watchdog = std::thread([&] {
      while (!done.load()) {
        std::this_thread::sleep_for(std::chrono::seconds(1));
        if (!done.load() && mcb::seconds_since_heartbeat() > watchdog_s) {
          std::fprintf(stderr, "moescope_cuda_bench: no progress for %d s, aborting (partial results in %s)\n",
                       watchdog_s, opt.out.c_str());
          std::fflush(stderr);
          std::_Exit(4);
        }
      }
    });

  // Bring the clocks up before the first measurement: about 0.1 s of streaming writes.
  try {
    mcb::DeviceBuffer warm(256 * mcb::MiB);
    for (int i = 0; i < 40; ++i)
      mcb::fill_bytes(warm.get(), warm.bytes(), static_cast<uint64_t>(i), suite.stream);
    MCB_CUDA(cudaStreamSynchronize(suite.stream));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "moescope_cuda_bench: warm-up failed: %s\n", e.what());
    mcb::handle_case_failure(suite);
  }

  Json family_seconds = Json::object();
  bool write_ok = true;
  auto assemble = [&](bool complete) {
    Json d = doc;
    d["complete"] = complete;
    d["abort_reason"] = suite.aborted ? Json(suite.abort_reason) : Json(nullptr);
    d["suite_seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - suite_start).count();
    d["family_seconds"] = family_seconds;
    d["notes"] = suite.family_notes;
    Json cases = Json::array();
    for (const Json& c : suite.cases)
      cases.push_back(c);
    d["cases"] = std::move(cases);
    return d.dump(1);
  };

  for (const Family* f : selected) {
    if (suite.aborted) break;
    mcb::heartbeat();
    std::printf("== %s: %s\n", f->name, f->what);
    std::fflush(stdout);
    const auto t0 = std::chrono::steady_clock::now();
    try {
      f->run(suite);
    } catch (const std::exception& e) { // families contain their errors per case; this is a last resort
      mcb::record_error(suite, f->name, "family", Json::object(), std::string("family failed: ") + e.what());
      mcb::handle_case_failure(suite);
    }
    (void)cudaSetDevice(opt.device);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    family_seconds[f->name] = secs;
    std::printf("== %s: %.1f s\n", f->name, secs);
    std::fflush(stdout);
    write_ok = write_atomically(opt.out, assemble(false)) && write_ok;
  }

  const bool complete = !suite.aborted;
  write_ok = write_atomically(opt.out, assemble(complete)) && write_ok;
  done = true;
  if (watchdog.joinable()) watchdog.join();

  size_t errors = 0, skipped = 0;
  for (const Json& c : suite.cases) {
    const Json* e = c.find("error");
    if (e && !e->is_null()) {
      if (e->dump().rfind("\"skipped:", 0) == 0)
        ++skipped;
      else
        ++errors;
    }
  }
  const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - suite_start).count();
  std::printf("moescope_cuda_bench: %zu cases (%zu errors, %zu skipped) in %.1f s -> %s%s\n", suite.cases.size(),
              errors, skipped, total, opt.out.c_str(), write_ok ? "" : " (WRITE FAILED)");
  if (!write_ok) {
    std::fprintf(stderr, "moescope_cuda_bench: could not write %s\n", opt.out.c_str());
    return 1;
  }
  if (!complete) {
    std::fprintf(stderr, "moescope_cuda_bench: suite aborted: %s\n", suite.abort_reason.c_str());
    return 3;
  }
  return 0;
}
