// Family "attention_decode": one decode step of attention over a bf16 KV cache (one query token per sequence), with a
// simple split-KV ("flash-decoding") kernel of our own, for a batch x KV-length grid. Its purpose is the memory
// roofline: the bytes of the KV cache divided by the time. Over 500 lines because a family is one file (its
// kernels for GQA and MLA layouts and its grid driver together, as for every family here).
//
// Kernel: a block takes 16 query rows (heads sharing one KV head: a GQA group, or 16 MLA heads) of one sequence and a
// range of 64-token chunks of its KV cache. Each chunk is copied to shared memory with cp.async, S = Q K^T and O += P V
// run on tensor cores (WMMA bf16, fp32 accumulation) with an online softmax; a second kernel combines the splits.
//   mla_decode  DeepSeek-V3 with absorbed weights: one latent cache row of 576 (512 + 64 rope) per token, shared by
//               all heads; scores over 576, values = the first 512 (the output is in latent space, before W_UV).
//   gqa_decode  separate K and V caches, head_dim 128, num_heads / num_kv_heads query rows per KV head.
// Padding rows (fewer than 16 query heads per group) cost tensor-core work but no memory traffic.
#include "bench_common.hpp"
#include "device_utils.cuh"

#include <cuda_pipeline.h>
#include <mma.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace mcb {
namespace {

using bf16 = __nv_bfloat16;
namespace wmma = nvcuda::wmma;

constexpr int kChunk = 64; // tokens per shared-memory chunk
constexpr int kRows = 16;  // query rows per block (the WMMA M dimension)
constexpr int kWarps = 4;
constexpr int kThreads = kWarps * 32;

struct DecodeArgs {
  const bf16* q; // [batch][num_heads][DQK]
  const bf16* k; // element (b, g, t, d) at k[b * k_batch_stride + g * k_group_stride + t * k_row_stride + d]
  const bf16* v; // same with v_* strides (MLA: v == k)
  float* o_part; // [batch][groups][splits][16][DV]
  float* m_part; // [batch][groups][splits][16]   running max (log2 domain)
  float* l_part; // [batch][groups][splits][16]   sum of exp2(s - m)
  bf16* out;     // [batch][num_heads][DV]
  int kv_len;
  int num_heads;
  int groups; // KV groups per sequence (GQA: KV heads; MLA: num_heads / 16)
  int rows;   // query heads per group (<= 16)
  long long k_batch_stride, k_group_stride, k_row_stride;
  long long v_batch_stride, v_group_stride, v_row_stride;
  int splits;
  int chunks_per_split;
  float scale_log2; // softmax scale * log2(e)
};

// Shared-memory layout; leading dimensions padded by 16 bytes against bank conflicts (and kept multiples of 8
// elements / 32 bytes per 16-row tile as WMMA requires).
template <int DQK, int DV, bool SHARED_KV> struct Smem {
  static constexpr int LDQ = DQK + 8;
  static constexpr int LDK = DQK + 8;
  static constexpr int LDV = SHARED_KV ? LDK : DV + 8;
  static constexpr int LDS = kChunk + 4;
  static constexpr int LDP = kChunk + 8;
  static constexpr size_t align(size_t x) { return (x + 127) / 128 * 128; }
  static constexpr size_t q_off = 0;
  static constexpr size_t k_off = align(q_off + sizeof(bf16) * kRows * LDQ);
  static constexpr size_t v_off = SHARED_KV ? k_off : align(k_off + sizeof(bf16) * kChunk * LDK);
  static constexpr size_t s_off =
      align((SHARED_KV ? k_off + sizeof(bf16) * kChunk * LDK : v_off + sizeof(bf16) * kChunk * LDV));
  static constexpr size_t p_off = align(s_off + sizeof(float) * kRows * LDS);
  static constexpr size_t idx_off = align(p_off + sizeof(bf16) * kRows * LDP);
  static constexpr size_t stat_off = align(idx_off + sizeof(float) * 16 * 16);
  static constexpr size_t bytes = align(stat_off + sizeof(float) * 3 * kRows);
};

template <int DQK, int DV, bool SHARED_KV>
__global__ void __launch_bounds__(kThreads) decode_split_kernel(DecodeArgs a) {
  using L = Smem<DQK, DV, SHARED_KV>;
  static_assert(DQK % 16 == 0 && DV % (16 * kWarps) == 0, "dimensions must tile");
  static_assert(kChunk == 16 * kWarps, "one 16-token score tile per warp");
  constexpr int NT_V = DV / 16 / kWarps; // output column tiles per warp

  extern __shared__ __align__(128) unsigned char smem[];
  bf16* q_s = reinterpret_cast<bf16*>(smem + L::q_off);
  bf16* k_s = reinterpret_cast<bf16*>(smem + L::k_off);
  bf16* v_s = reinterpret_cast<bf16*>(smem + L::v_off);
  float* s_s = reinterpret_cast<float*>(smem + L::s_off);
  bf16* p_s = reinterpret_cast<bf16*>(smem + L::p_off);
  float* idx_s = reinterpret_cast<float*>(smem + L::idx_off);
  float* m_s = reinterpret_cast<float*>(smem + L::stat_off);
  float* l_s = m_s + kRows;
  float* alpha_s = l_s + kRows;

  const int split = blockIdx.x, g = blockIdx.y, b = blockIdx.z;
  const int tid = threadIdx.x, warp = tid / 32;
  const int nchunks = (a.kv_len + kChunk - 1) / kChunk;
  const int c_begin = split * a.chunks_per_split;
  const int c_end = min(nchunks, c_begin + a.chunks_per_split);

  // Query rows of this group (rows beyond a.rows are zero).
  const bf16* qg = a.q + (static_cast<size_t>(b) * a.num_heads + static_cast<size_t>(g) * a.rows) * DQK;
  for (int i = tid; i < kRows * (DQK / 8); i += kThreads) {
    const int r = i / (DQK / 8), c = i % (DQK / 8);
    uint4 val = make_uint4(0, 0, 0, 0);
    if (r < a.rows) val = reinterpret_cast<const uint4*>(qg + static_cast<size_t>(r) * DQK)[c];
    *reinterpret_cast<uint4*>(q_s + r * L::LDQ + c * 8) = val;
  }
  // Row index of each accumulator element: the fragment layout is unspecified, so load a matrix of row numbers.
  for (int i = tid; i < 256; i += kThreads)
    idx_s[i] = static_cast<float>(i / 16);
  if (tid < kRows) {
    m_s[tid] = -INFINITY;
    l_s[tid] = 0.0f;
  }
  __syncthreads();
  wmma::fragment<wmma::accumulator, 16, 16, 16, float> rowmap;
  wmma::load_matrix_sync(rowmap, idx_s, 16, wmma::mem_row_major);

  wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[NT_V];
#pragma unroll
  for (int i = 0; i < NT_V; ++i)
    wmma::fill_fragment(acc[i], 0.0f);

  const bf16* kg = a.k + b * a.k_batch_stride + g * a.k_group_stride;
  const bf16* vg = a.v + b * a.v_batch_stride + g * a.v_group_stride;

  for (int c = c_begin; c < c_end; ++c) {
    const int tok0 = c * kChunk;
    // Chunk of K (and V) rows into shared memory; rows past the end are zero.
    for (int i = tid; i < kChunk * (DQK / 8); i += kThreads) {
      const int t = i / (DQK / 8), col = i % (DQK / 8);
      bf16* dst = k_s + t * L::LDK + col * 8;
      if (tok0 + t < a.kv_len)
        __pipeline_memcpy_async(dst, kg + static_cast<long long>(tok0 + t) * a.k_row_stride + col * 8, 16);
      else
        *reinterpret_cast<uint4*>(dst) = make_uint4(0, 0, 0, 0);
    }
    if constexpr (!SHARED_KV) {
      for (int i = tid; i < kChunk * (DV / 8); i += kThreads) {
        const int t = i / (DV / 8), col = i % (DV / 8);
        bf16* dst = v_s + t * L::LDV + col * 8;
        if (tok0 + t < a.kv_len)
          __pipeline_memcpy_async(dst, vg + static_cast<long long>(tok0 + t) * a.v_row_stride + col * 8, 16);
        else
          *reinterpret_cast<uint4*>(dst) = make_uint4(0, 0, 0, 0);
      }
    }
    __pipeline_commit();
    __pipeline_wait_prior(0);
    __syncthreads();

    { // S = Q K^T: warp w computes tokens [16w, 16w + 16) of the chunk
      wmma::fragment<wmma::accumulator, 16, 16, 16, float> sacc;
      wmma::fill_fragment(sacc, 0.0f);
      wmma::fragment<wmma::matrix_a, 16, 16, 16, bf16, wmma::row_major> qa;
      wmma::fragment<wmma::matrix_b, 16, 16, 16, bf16, wmma::col_major> kb;
#pragma unroll 4
      for (int kk = 0; kk < DQK / 16; ++kk) {
        wmma::load_matrix_sync(qa, q_s + kk * 16, L::LDQ);
        wmma::load_matrix_sync(kb, k_s + warp * 16 * L::LDK + kk * 16, L::LDK);
        wmma::mma_sync(sacc, qa, kb, sacc);
      }
      wmma::store_matrix_sync(s_s + warp * 16, sacc, L::LDS, wmma::mem_row_major);
    }
    __syncthreads();

    { // Online softmax: 8 consecutive lanes per row, 8 columns each.
      const int r = tid >> 3, sub = tid & 7;
      float sv[kChunk / 8];
      float cmax = -INFINITY;
#pragma unroll
      for (int j = 0; j < kChunk / 8; ++j) {
        const int col = sub + 8 * j;
        const float x = tok0 + col < a.kv_len ? s_s[r * L::LDS + col] * a.scale_log2 : -INFINITY;
        sv[j] = x;
        cmax = fmaxf(cmax, x);
      }
#pragma unroll
      for (int off = 4; off > 0; off >>= 1)
        cmax = fmaxf(cmax, __shfl_xor_sync(0xffffffffu, cmax, off));
      const float m_old = m_s[r];
      const float m_new = fmaxf(m_old, cmax);
      float psum = 0.0f;
#pragma unroll
      for (int j = 0; j < kChunk / 8; ++j) {
        const float p = m_new == -INFINITY ? 0.0f : exp2f(sv[j] - m_new);
        p_s[r * L::LDP + sub + 8 * j] = __float2bfloat16(p);
        psum += p;
      }
#pragma unroll
      for (int off = 4; off > 0; off >>= 1)
        psum += __shfl_xor_sync(0xffffffffu, psum, off);
      if (sub == 0) {
        const float alpha = m_new == -INFINITY ? 1.0f : exp2f(m_old - m_new);
        alpha_s[r] = alpha;
        l_s[r] = l_s[r] * alpha + psum;
        m_s[r] = m_new;
      }
    }
    __syncthreads();

    { // O = diag(alpha) O + P V: warp w owns output columns [16 NT_V w, 16 NT_V (w + 1))
#pragma unroll
      for (int i = 0; i < NT_V; ++i)
#pragma unroll
        for (int e = 0; e < acc[i].num_elements; ++e)
          acc[i].x[e] *= alpha_s[static_cast<int>(rowmap.x[e])];
      wmma::fragment<wmma::matrix_a, 16, 16, 16, bf16, wmma::row_major> pa;
      wmma::fragment<wmma::matrix_b, 16, 16, 16, bf16, wmma::row_major> vb;
#pragma unroll
      for (int kt = 0; kt < kChunk / 16; ++kt) {
        wmma::load_matrix_sync(pa, p_s + kt * 16, L::LDP);
#pragma unroll
        for (int i = 0; i < NT_V; ++i) {
          const int nt = warp * NT_V + i;
          wmma::load_matrix_sync(vb, v_s + kt * 16 * L::LDV + nt * 16, L::LDV);
          wmma::mma_sync(acc[i], pa, vb, acc[i]);
        }
      }
    }
    __syncthreads(); // the next chunk overwrites k_s, v_s and p_s
  }

  const size_t part = (static_cast<size_t>(b) * a.groups + g) * a.splits + split;
  float* og = a.o_part + part * kRows * DV;
#pragma unroll
  for (int i = 0; i < NT_V; ++i)
    wmma::store_matrix_sync(og + (warp * NT_V + i) * 16, acc[i], DV, wmma::mem_row_major);
  if (tid < kRows) {
    a.m_part[part * kRows + tid] = m_s[tid];
    a.l_part[part * kRows + tid] = l_s[tid];
  }
}

template <int DV> __global__ void __launch_bounds__(256) decode_combine_kernel(DecodeArgs a) {
  const int g = blockIdx.x, b = blockIdx.y;
  const size_t part0 = (static_cast<size_t>(b) * a.groups + g) * a.splits;
  for (int i = threadIdx.x; i < a.rows * DV; i += blockDim.x) {
    const int r = i / DV, d = i % DV;
    float m = -INFINITY;
    for (int s = 0; s < a.splits; ++s)
      m = fmaxf(m, a.m_part[(part0 + s) * kRows + r]);
    float l = 0.0f, o = 0.0f;
    for (int s = 0; s < a.splits; ++s) {
      const float ms = a.m_part[(part0 + s) * kRows + r];
      const float w = ms == -INFINITY ? 0.0f : exp2f(ms - m);
      l += w * a.l_part[(part0 + s) * kRows + r];
      o += w * a.o_part[((part0 + s) * kRows + r) * DV + d];
    }
    a.out[(static_cast<size_t>(b) * a.num_heads + static_cast<size_t>(g) * a.rows + r) * DV + d] =
        __float2bfloat16(l > 0.0f ? o / l : 0.0f);
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Host side

struct AttnConfig {
  const char* op;    // "mla_decode" or "gqa_decode"
  const char* model; // moescope catalog name
  const char* note;
  bool mla;
  int num_heads;
  int num_kv_heads; // GQA KV heads (MLA: 1 shared latent)
  int dqk, dv;
  double softmax_scale;
};

const AttnConfig kConfigs[] = {
    {"mla_decode", "deepseek-v3", "16 of 128 heads (attention TP = 8)", true, 16, 1, 576, 512, 1.0 / std::sqrt(192.0)},
    {"mla_decode", "deepseek-v3", "all 128 heads (attention DP)", true, 128, 1, 576, 512, 1.0 / std::sqrt(192.0)},
    {"gqa_decode", "qwen3-235b-a22b", "64 query heads, 4 KV heads", false, 64, 4, 128, 128, 1.0 / std::sqrt(128.0)},
    {"gqa_decode", "llama-4-maverick", "40 query heads, 8 KV heads", false, 40, 8, 128, 128, 1.0 / std::sqrt(128.0)},
};

struct Geometry {
  int groups, rows;
  size_t kv_elems_per_token; // per sequence, K and V together
};
Geometry geometry(const AttnConfig& c) {
  if (c.mla) return {c.num_heads / kRows, kRows, static_cast<size_t>(c.dqk)};
  return {c.num_kv_heads, c.num_heads / c.num_kv_heads, static_cast<size_t>(c.num_kv_heads) * (c.dqk + c.dv)};
}

// Launch pieces for one configuration and problem size.
struct DecodeProblem {
  const AttnConfig* cfg;
  int batch, kv_len;
  int splits, chunks_per_split;
};

template <int DQK, int DV, bool SHARED_KV> void prepare_kernel(size_t smem_optin) {
  const size_t bytes = Smem<DQK, DV, SHARED_KV>::bytes;
  if (bytes > smem_optin) throw Unsupported("decode kernel needs " + std::to_string(bytes) + " bytes of shared memory");
  MCB_CUDA(cudaFuncSetAttribute(decode_split_kernel<DQK, DV, SHARED_KV>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                static_cast<int>(bytes)));
}

template <int DQK, int DV, bool SHARED_KV> int blocks_per_sm() {
  int n = 0;
  MCB_CUDA(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&n, decode_split_kernel<DQK, DV, SHARED_KV>, kThreads,
                                                         Smem<DQK, DV, SHARED_KV>::bytes));
  return std::max(n, 1);
}

void prepare(const AttnConfig& c, size_t smem_optin) {
  if (c.mla)
    prepare_kernel<576, 512, true>(smem_optin);
  else
    prepare_kernel<128, 128, false>(smem_optin);
}

int occupancy(const AttnConfig& c) {
  return c.mla ? blocks_per_sm<576, 512, true>() : blocks_per_sm<128, 128, false>();
}

// Splits of the KV range so that about two waves of blocks cover the GPU.
void choose_splits(DecodeProblem& p, int sm_count, int per_sm, int force_splits) {
  const Geometry geo = geometry(*p.cfg);
  const int nchunks = (p.kv_len + kChunk - 1) / kChunk;
  const long long items = static_cast<long long>(p.batch) * geo.groups;
  long long splits = force_splits > 0 ? force_splits : (2LL * sm_count * per_sm + items - 1) / items;
  splits = std::clamp<long long>(splits, 1, nchunks);
  p.chunks_per_split = static_cast<int>((nchunks + splits - 1) / splits);
  p.splits = (nchunks + p.chunks_per_split - 1) / p.chunks_per_split;
}

DecodeArgs make_args(const DecodeProblem& p, const bf16* q, const bf16* kv, bf16* out, float* o_part, float* m_part,
                     float* l_part) {
  const AttnConfig& c = *p.cfg;
  const Geometry geo = geometry(c);
  DecodeArgs a{};
  a.q = q;
  a.out = out;
  a.o_part = o_part;
  a.m_part = m_part;
  a.l_part = l_part;
  a.kv_len = p.kv_len;
  a.num_heads = c.num_heads;
  a.groups = geo.groups;
  a.rows = geo.rows;
  a.splits = p.splits;
  a.chunks_per_split = p.chunks_per_split;
  a.scale_log2 = static_cast<float>(c.softmax_scale * 1.4426950408889634);
  if (c.mla) { // latent cache [batch][kv_len][576], shared by all head groups
    a.k = a.v = kv;
    a.k_batch_stride = a.v_batch_stride = static_cast<long long>(p.kv_len) * c.dqk;
    a.k_group_stride = a.v_group_stride = 0;
    a.k_row_stride = a.v_row_stride = c.dqk;
  } else { // K cache [batch][kv_len][kv_heads][128], then the V cache with the same layout
    const long long row = static_cast<long long>(c.num_kv_heads) * c.dqk;
    a.k = kv;
    a.v = kv + static_cast<size_t>(p.batch) * p.kv_len * row;
    a.k_batch_stride = a.v_batch_stride = static_cast<long long>(p.kv_len) * row;
    a.k_group_stride = a.v_group_stride = c.dqk;
    a.k_row_stride = a.v_row_stride = row;
  }
  return a;
}

size_t partial_floats(const DecodeProblem& p) {
  const Geometry geo = geometry(*p.cfg);
  return static_cast<size_t>(p.batch) * geo.groups * p.splits * kRows * (p.cfg->dv + 2);
}

void launch(const DecodeProblem& p, const DecodeArgs& a, cudaStream_t s) {
  const Geometry geo = geometry(*p.cfg);
  const dim3 grid(static_cast<unsigned>(p.splits), static_cast<unsigned>(geo.groups), static_cast<unsigned>(p.batch));
  const dim3 cgrid(static_cast<unsigned>(geo.groups), static_cast<unsigned>(p.batch));
  if (p.cfg->mla) {
    decode_split_kernel<576, 512, true><<<grid, kThreads, Smem<576, 512, true>::bytes, s>>>(a);
    MCB_CHECK_LAUNCH();
    decode_combine_kernel<512><<<cgrid, 256, 0, s>>>(a);
    MCB_CHECK_LAUNCH();
  } else {
    decode_split_kernel<128, 128, false><<<grid, kThreads, Smem<128, 128, false>::bytes, s>>>(a);
    MCB_CHECK_LAUNCH();
    decode_combine_kernel<128><<<cgrid, 256, 0, s>>>(a);
    MCB_CHECK_LAUNCH();
  }
}

// Device buffers of one problem: query, output, split partials.
struct ProblemBuffers {
  DeviceBuffer q, out, part;
  float *o_part = nullptr, *m_part = nullptr, *l_part = nullptr;
  explicit ProblemBuffers(const DecodeProblem& p) {
    const AttnConfig& c = *p.cfg;
    q = DeviceBuffer(static_cast<size_t>(p.batch) * c.num_heads * c.dqk * sizeof(bf16));
    out = DeviceBuffer(static_cast<size_t>(p.batch) * c.num_heads * c.dv * sizeof(bf16));
    part = DeviceBuffer(partial_floats(p) * sizeof(float));
    const Geometry geo = geometry(c);
    const size_t rows = static_cast<size_t>(p.batch) * geo.groups * p.splits * kRows;
    o_part = part.as<float>();
    m_part = o_part + rows * c.dv;
    l_part = m_part + rows;
  }
};

// Small problem against a double-precision host reference; returns max |out - ref| / max |ref|.
double verify(const AttnConfig& c, const DeviceInfo& dev, int per_sm, cudaStream_t s) {
  DecodeProblem p{&c, 2, 200, 0, 0};         // 200: a partial last chunk
  choose_splits(p, dev.sm_count, per_sm, 2); // 2 splits of 2 chunks: online softmax across chunks and the combine
  const Geometry geo = geometry(c);
  const size_t kv_elems = static_cast<size_t>(p.batch) * p.kv_len * geo.kv_elems_per_token;
  DeviceBuffer kv(kv_elems * sizeof(bf16));
  ProblemBuffers buf(p);
  const uint64_t seed_q = 41, seed_kv = 42;
  const size_t q_elems = static_cast<size_t>(p.batch) * c.num_heads * c.dqk;
  fill_uniform_bf16(buf.q.get(), q_elems, seed_q, -1.0f, 1.0f, s);
  fill_uniform_bf16(kv.get(), kv_elems, seed_kv, -1.0f, 1.0f, s);
  const DecodeArgs a =
      make_args(p, buf.q.as<bf16>(), kv.as<bf16>(), buf.out.as<bf16>(), buf.o_part, buf.m_part, buf.l_part);
  launch(p, a, s);
  std::vector<bf16> out(static_cast<size_t>(p.batch) * c.num_heads * c.dv);
  MCB_CUDA(cudaMemcpyAsync(out.data(), buf.out.get(), out.size() * sizeof(bf16), cudaMemcpyDeviceToHost, s));
  MCB_CUDA(cudaStreamSynchronize(s));

  // The inputs as the device holds them (bf16-rounded), regenerated on the host.
  std::vector<float> qh(q_elems), kvh(kv_elems);
  for (size_t i = 0; i < q_elems; ++i)
    qh[i] = bf16_value_at(seed_q, i, -1.0f, 1.0f);
  for (size_t i = 0; i < kv_elems; ++i)
    kvh[i] = bf16_value_at(seed_kv, i, -1.0f, 1.0f);
  const long long v_base = a.v - a.k; // offset of the V cache in the buffer (0 for MLA)

  double max_err = 0.0, max_ref = 0.0;
  std::vector<double> sc(static_cast<size_t>(p.kv_len));
  for (int b = 0; b < p.batch; ++b)
    for (int h = 0; h < c.num_heads; ++h) {
      const int g = h / geo.rows;
      const float* qrow = &qh[(static_cast<size_t>(b) * c.num_heads + h) * c.dqk];
      const long long kb = b * a.k_batch_stride + g * a.k_group_stride;
      const long long vb = v_base + b * a.v_batch_stride + g * a.v_group_stride;
      double mx = -1e300;
      for (int t = 0; t < p.kv_len; ++t) {
        const float* krow = &kvh[static_cast<size_t>(kb + t * a.k_row_stride)];
        double dot = 0.0;
        for (int d = 0; d < c.dqk; ++d)
          dot += static_cast<double>(qrow[d]) * static_cast<double>(krow[d]);
        sc[static_cast<size_t>(t)] = dot * c.softmax_scale;
        mx = std::max(mx, sc[static_cast<size_t>(t)]);
      }
      double sum = 0.0;
      for (double& x : sc)
        sum += (x = std::exp(x - mx));
      for (int d = 0; d < c.dv; ++d) {
        double ref = 0.0;
        for (int t = 0; t < p.kv_len; ++t)
          ref +=
              sc[static_cast<size_t>(t)] * static_cast<double>(kvh[static_cast<size_t>(vb + t * a.v_row_stride + d)]);
        ref /= sum;
        const double got =
            static_cast<double>(__bfloat162float(out[(static_cast<size_t>(b) * c.num_heads + h) * c.dv + d]));
        max_err = std::max(max_err, std::fabs(got - ref));
        max_ref = std::max(max_ref, std::fabs(ref));
      }
    }
  return max_ref > 0 ? max_err / max_ref : max_err;
}

} // namespace

void run_attention_decode(Suite& s) {
  const char* family = "attention_decode";
  const std::vector<int> batches = s.opt.quick ? std::vector<int>{1, 32} : std::vector<int>{1, 8, 32, 128};
  const std::vector<int> lengths =
      s.opt.quick ? std::vector<int>{2048, 16384} : std::vector<int>{1024, 4096, 16384, 65536};
  // Largest KV cache of a case: 16 GiB or 40% of the device memory (an 80 GB device in --list).
  const double mem = s.opt.list_only ? 80e9 : static_cast<double>(s.dev.memory_bytes);
  const size_t cap = static_cast<size_t>(std::min(16.0 * GiB, 0.4 * mem));
  const size_t l2 = s.opt.list_only ? 50 * MiB : static_cast<size_t>(std::max<long long>(s.dev.l2_bytes, 0));

  for (const AttnConfig& c : kConfigs) {
    if (s.aborted) return;
    const Geometry geo = geometry(c);
    const size_t token_bytes = geo.kv_elems_per_token * sizeof(bf16);
    // The cases of this configuration that fit, and the pool they need (KV cache copies rotate past the L2).
    struct Item {
      int batch, kv_len;
      size_t kv_bytes, copies;
    };
    std::vector<Item> items;
    size_t pool = 0;
    for (int bsz : batches)
      for (int len : lengths) {
        const size_t kvb = static_cast<size_t>(bsz) * len * token_bytes;
        if (kvb > cap) continue;
        const size_t copies = std::clamp<size_t>((3 * l2 + kvb - 1) / kvb, 1, 64);
        items.push_back({bsz, len, kvb, copies});
        pool = std::max(pool, kvb * copies);
      }

    auto params_for = [&](const Item& it) {
      Json p = Json::object();
      p["model"] = c.model;
      p["note"] = c.note;
      p["batch"] = it.batch;
      p["kv_length"] = it.kv_len;
      p["num_heads"] = c.num_heads;
      p["num_kv_heads"] = c.mla ? 1 : c.num_kv_heads;
      p["kv_groups"] = c.mla ? 1 : geo.groups; // independent KV heads: 1 for MLA
      p["query_rows"] = geo.rows;
      p["qk_dim"] = c.dqk;
      p["v_dim"] = c.dv;
      p["kv_dtype"] = "bf16";
      p["kv_bytes"] = it.kv_bytes;
      return p;
    };
    if (s.opt.list_only) {
      for (const Item& it : items)
        list_case(s, family, c.op, params_for(it));
      continue;
    }

    DeviceBuffer pool_buf;
    int per_sm = 1;
    std::string config_error;
    Json verification = Json::object();
    try {
      prepare(c, s.dev.smem_per_block_optin);
      per_sm = occupancy(c);
      const double err = verify(c, s.dev, per_sm, s.stream);
      verification["relative_error"] = err;
      if (!(err < 2e-2)) config_error = "verification failed: relative error " + std::to_string(err);
      if (config_error.empty()) {
        pool_buf = DeviceBuffer(pool);
        fill_uniform_bf16(pool_buf.get(), pool / sizeof(bf16), 51, -1.0f, 1.0f, s.stream);
        MCB_CUDA(cudaStreamSynchronize(s.stream));
      }
    } catch (const Unsupported& e) {
      config_error = std::string("unsupported: ") + e.what();
    } catch (const std::exception& e) {
      config_error = std::string("setup failed: ") + e.what();
      handle_case_failure(s);
    }
    verification["error"] = config_error.empty() ? Json(nullptr) : Json(config_error);
    s.family_notes[family]["verification"][std::string(c.op) + "/" + c.model + "/heads" + std::to_string(c.num_heads)] =
        std::move(verification);

    for (const Item& it : items) {
      Json params = params_for(it);
      if (!config_error.empty()) {
        if (!s.aborted) record_error(s, family, c.op, std::move(params), config_error);
        continue;
      }
      run_case(s, family, c.op, std::move(params), [&](Json& p) {
        DecodeProblem prob{&c, it.batch, it.kv_len, 0, 0};
        choose_splits(prob, s.dev.sm_count, per_sm, 0);
        p["splits"] = prob.splits;
        p["kv_copies"] = it.copies;
        ProblemBuffers buf(prob);
        fill_uniform_bf16(buf.q.get(), buf.q.bytes() / sizeof(bf16), 52, -1.0f, 1.0f, s.stream);
        std::vector<DecodeArgs> args;
        for (size_t k = 0; k < it.copies; ++k)
          args.push_back(make_args(prob, buf.q.as<bf16>(),
                                   reinterpret_cast<const bf16*>(pool_buf.as<char>() + k * it.kv_bytes),
                                   buf.out.as<bf16>(), buf.o_part, buf.m_part, buf.l_part));
        cudaStream_t st = s.stream;
        TimingConfig cfg = s.opt.timing;
        cfg.min_inner = static_cast<int>(std::min<size_t>(it.copies, 64));
        Measured r;
        r.timing = time_on_stream(
            st, [&](int iter) { launch(prob, args[static_cast<size_t>(iter) % args.size()], st); }, cfg);
        const double q_bytes = static_cast<double>(buf.q.bytes()), out_bytes = static_cast<double>(buf.out.bytes());
        const double bytes = static_cast<double>(it.kv_bytes) + q_bytes + out_bytes;
        const double flop =
            2.0 * it.batch * static_cast<double>(c.num_heads) * it.kv_len * static_cast<double>(c.dqk + c.dv);
        r.set_work(flop, bytes);
        r.derived["kv_bytes_per_s"] = static_cast<double>(it.kv_bytes) / r.timing.median;
        if (s.dev.peak_memory_bytes_per_s() > 0)
          r.derived["fraction_of_peak_bandwidth"] = bytes / r.timing.median / s.dev.peak_memory_bytes_per_s();
        return r;
      });
    }
  }
}

} // namespace mcb
