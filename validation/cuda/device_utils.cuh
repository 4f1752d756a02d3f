#pragma once
// Device/host helpers shared by the CUDA sources of the suite (nvcc only).
#include <cuda_bf16.h>
#include <cuda_fp8.h>
#include <cuda_runtime.h>

#include <cstdint>

namespace mcb {

// splitmix64 of (seed, index): identical on host and device, so host reference checks can regenerate inputs.
__host__ __device__ inline uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

__host__ __device__ inline float uniform_at(uint64_t seed, uint64_t i, float lo, float hi) {
  const uint64_t h = mix64(seed * 0x632be59bd9b4e019ull + i);
  const float u = static_cast<float>(h >> 40) * (1.0f / 16777216.0f); // 24 bits -> [0, 1)
  return lo + (hi - lo) * u;
}

// The values fill_uniform_* store, as the host sees them after rounding.
inline float bf16_value_at(uint64_t seed, uint64_t i, float lo, float hi) {
  return __bfloat162float(__float2bfloat16(uniform_at(seed, i, lo, hi)));
}
inline float fp8_e4m3_value_at(uint64_t seed, uint64_t i, float lo, float hi) {
  return static_cast<float>(__nv_fp8_e4m3(uniform_at(seed, i, lo, hi)));
}

// Grid-stride copy of n 16-byte vectors, four loads in flight per thread (the streaming kernels' loop).
__device__ inline void copy_vectors_grid_stride(const uint4* __restrict__ src, uint4* __restrict__ dst, size_t n) {
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  for (; i + 3 * stride < n; i += 4 * stride) {
    const uint4 a = src[i], b = src[i + stride], c = src[i + 2 * stride], d = src[i + 3 * stride];
    dst[i] = a;
    dst[i + stride] = b;
    dst[i + 2 * stride] = c;
    dst[i + 3 * stride] = d;
  }
  for (; i < n; i += stride)
    dst[i] = src[i];
}

inline unsigned blocks_for(size_t n, unsigned threads, unsigned cap = 65535u * 8u) {
  size_t b = (n + threads - 1) / threads;
  if (b < 1) b = 1;
  if (b > cap) b = cap;
  return static_cast<unsigned>(b);
}

} // namespace mcb
