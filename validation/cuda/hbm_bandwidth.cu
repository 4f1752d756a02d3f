// Family "hbm_bandwidth": streaming read, write and copy kernels over 1 MiB .. 4 GiB.
//
// Grid-stride loops over 16-byte vectors, four independent accesses in flight per thread, as many resident blocks as
// the occupancy calculator allows. Buffers are rotated through a pool so that consecutive launches touch different
// memory and the working set is at least 3x the L2 size ("l2": "cold"): small sizes then measure HBM plus the launch
// and tail cost, which is what a short memory-bound kernel in a forward pass sees. "read_l2_resident" re-reads one
// buffer of at most half the L2 size (the L2 bandwidth, for reference).
#include "bench_common.hpp"
#include "device_utils.cuh"

#include <algorithm>
#include <vector>

namespace mcb {
namespace {

__global__ void __launch_bounds__(256) read_kernel(const uint4* __restrict__ src, size_t n, uint32_t* sink) {
  uint32_t acc = 0;
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  for (; i + 3 * stride < n; i += 4 * stride) {
    const uint4 a = src[i], b = src[i + stride], c = src[i + 2 * stride], d = src[i + 3 * stride];
    acc ^= a.x ^ a.y ^ a.z ^ a.w ^ b.x ^ b.y ^ b.z ^ b.w ^ c.x ^ c.y ^ c.z ^ c.w ^ d.x ^ d.y ^ d.z ^ d.w;
  }
  for (; i < n; i += stride) {
    const uint4 a = src[i];
    acc ^= a.x ^ a.y ^ a.z ^ a.w;
  }
  if (acc == 0x9e3779b9u) sink[threadIdx.x] = acc; // keeps the loads; practically never taken
}

__global__ void __launch_bounds__(256) write_kernel(uint4* __restrict__ dst, size_t n, uint32_t v) {
  const uint4 val = make_uint4(v, v ^ 1u, v ^ 2u, v ^ 3u);
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  for (; i + 3 * stride < n; i += 4 * stride) {
    dst[i] = val;
    dst[i + stride] = val;
    dst[i + 2 * stride] = val;
    dst[i + 3 * stride] = val;
  }
  for (; i < n; i += stride)
    dst[i] = val;
}

__global__ void __launch_bounds__(256) copy_kernel(const uint4* __restrict__ src, uint4* __restrict__ dst, size_t n) {
  copy_vectors_grid_stride(src, dst, n);
}

std::vector<size_t> hbm_sizes(bool quick, size_t max_bytes) {
  std::vector<size_t> sizes;
  for (size_t b = MiB; b <= 4 * GiB && b <= max_bytes; b *= quick ? 4 : 2)
    sizes.push_back(b);
  return sizes;
}

} // namespace

void run_hbm_bandwidth(Suite& s) {
  const char* family = "hbm_bandwidth";
  // Source and destination pools of up to 4 GiB each, at most a quarter of the device memory each.
  size_t pool = 4 * GiB;
  if (!s.opt.list_only)
    while (pool > MiB && pool > s.dev.memory_bytes / 4)
      pool /= 2;
  const std::vector<size_t> sizes = hbm_sizes(s.opt.quick, pool);
  // --list runs without a device: assume an H100's 50 MiB L2 there.
  const size_t l2 = s.opt.list_only ? 50 * MiB : static_cast<size_t>(std::max<long long>(s.dev.l2_bytes, 0));

  DeviceBuffer src, dst, sink;
  int blocks_per_sm = 1;
  std::string setup_error;
  if (!s.opt.list_only) {
    try {
      src = DeviceBuffer(pool);
      dst = DeviceBuffer(pool);
      sink = DeviceBuffer(256 * sizeof(uint32_t));
      fill_bytes(src.get(), pool, 1, s.stream);
      fill_bytes(dst.get(), pool, 2, s.stream);
      MCB_CUDA(cudaStreamSynchronize(s.stream));
      int occ = 0;
      MCB_CUDA(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&occ, read_kernel, 256, 0));
      blocks_per_sm = std::max(1, occ);
    } catch (const std::exception& e) {
      setup_error = std::string("setup failed: ") + e.what();
      handle_case_failure(s);
    }
  }

  struct OpDesc {
    const char* op;
    bool resident;
  };
  const OpDesc ops[] = {{"read", false}, {"write", false}, {"copy", false}, {"read_l2_resident", true}};
  for (const OpDesc& od : ops) {
    const std::string op = od.op;
    for (size_t bytes : sizes) {
      if (od.resident && (l2 == 0 || bytes > l2 / 2)) continue;
      const size_t n = bytes / sizeof(uint4);
      size_t buffers = 1;
      if (!od.resident && l2 > 0) buffers = std::clamp<size_t>((3 * l2 + bytes - 1) / bytes, 1, pool / bytes);
      const unsigned threads = 256;
      const unsigned blocks = static_cast<unsigned>(
          std::max<size_t>(1, std::min<size_t>(size_t(s.dev.sm_count) * blocks_per_sm, (n + threads - 1) / threads)));
      const double moved = op == "copy" ? 2.0 * bytes : 1.0 * bytes;

      Json params = Json::object();
      params["bytes"] = bytes;
      params["bytes_moved"] = moved;
      params["l2"] = od.resident ? "resident" : "cold";
      if (!s.opt.list_only) {
        params["buffer_count"] = buffers;
        params["blocks"] = blocks;
        params["threads_per_block"] = threads;
      }
      if (!setup_error.empty()) {
        if (!s.opt.list_only && !s.aborted) record_error(s, family, op, params, setup_error);
        continue;
      }
      run_case(s, family, op, params, [&](Json&) {
        auto offset = [&](int iter) { return (static_cast<size_t>(iter) % buffers) * bytes; };
        char* src_base = src.as<char>();
        char* dst_base = dst.as<char>();
        uint32_t* sink_p = sink.as<uint32_t>();
        cudaStream_t st = s.stream;
        std::function<void(int)> body;
        if (op == "read" || op == "read_l2_resident")
          body = [=](int it) {
            read_kernel<<<blocks, threads, 0, st>>>(reinterpret_cast<const uint4*>(src_base + offset(it)), n, sink_p);
            MCB_CHECK_LAUNCH();
          };
        else if (op == "write")
          body = [=](int it) {
            write_kernel<<<blocks, threads, 0, st>>>(reinterpret_cast<uint4*>(dst_base + offset(it)), n,
                                                     static_cast<uint32_t>(it));
            MCB_CHECK_LAUNCH();
          };
        else
          body = [=](int it) {
            copy_kernel<<<blocks, threads, 0, st>>>(reinterpret_cast<const uint4*>(src_base + offset(it)),
                                                    reinterpret_cast<uint4*>(dst_base + offset(it)), n);
            MCB_CHECK_LAUNCH();
          };
        TimingConfig cfg = s.opt.timing;
        cfg.min_inner = static_cast<int>(std::min<size_t>(buffers, 64));
        Measured m;
        m.timing = time_on_stream(s.stream, body, cfg);
        m.derived["bytes_per_s"] = moved / m.timing.median;
        if (s.dev.peak_memory_bytes_per_s() > 0)
          m.derived["fraction_of_peak_bandwidth"] = moved / m.timing.median / s.dev.peak_memory_bytes_per_s();
        return m;
      });
    }
  }
}

} // namespace mcb
