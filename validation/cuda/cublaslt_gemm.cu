// cuBLASLt matmul in Linear-layer layout (see cublaslt_gemm.hpp).
#include "cublaslt_gemm.hpp"
#include "device_utils.cuh"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <vector>

namespace mcb {

const char* dtype_name(GemmDtype t) {
  return t == GemmDtype::bf16 ? "bf16" : "fp8";
}
const char* scaling_name(GemmDtype t) {
  switch (t) {
  case GemmDtype::bf16:
    return "none";
  case GemmDtype::fp8:
    return "per_tensor";
  case GemmDtype::fp8_block:
    return "block_128x128_weights_1x128_activations";
  }
  return "?";
}
const char* variant_name(GemmDtype t) {
  switch (t) {
  case GemmDtype::bf16:
    return "bf16";
  case GemmDtype::fp8:
    return "fp8";
  case GemmDtype::fp8_block:
    return "fp8_block";
  }
  return "?";
}
size_t dtype_bytes(GemmDtype t) {
  return t == GemmDtype::bf16 ? 2 : 1;
}

namespace {
__global__ void fill_ones_kernel(float* p, size_t n) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x)
    p[i] = 1.0f;
}
} // namespace

DeviceBuffer make_unit_scales(cudaStream_t s) {
  DeviceBuffer b(kScaleBufferBytes);
  const size_t n = kScaleBufferBytes / sizeof(float);
  fill_ones_kernel<<<blocks_for(n, 256, 4096), 256, 0, s>>>(b.as<float>(), n);
  MCB_CHECK_LAUNCH();
  return b;
}

LtSetup make_lt_setup(Suite& s) {
  LtSetup l;
  if (s.opt.list_only) return l;
  try {
    l.handle = std::make_unique<LtHandle>();
    l.workspace = DeviceBuffer(kLtWorkspaceBytes);
    l.scales = make_unit_scales(s.stream);
    MCB_CUDA(cudaStreamSynchronize(s.stream));
  } catch (const std::exception& e) {
    l.setup_error = std::string("setup failed: ") + e.what();
    handle_case_failure(s);
  }
  return l;
}

void fill_gemm_operand(GemmDtype t, void* p, size_t n, uint64_t seed, cudaStream_t s) {
  if (t == GemmDtype::bf16)
    fill_uniform_bf16(p, n, seed, -1.0f, 1.0f, s);
  else
    fill_uniform_fp8_e4m3(p, n, seed, -1.0f, 1.0f, s);
}

void throw_cublas_error(cublasStatus_t st, const char* expr, const char* file, int line) {
  const char* base = file;
  for (const char* p = file; *p; ++p)
    if (*p == '/') base = p + 1;
  std::ostringstream os;
  os << "cuBLAS error " << cublasLtGetStatusName(st) << " (" << cublasLtGetStatusString(st) << ") in " << expr << " at "
     << base << ":" << line;
  // An execution failure inside cuBLAS usually is a sticky CUDA error underneath: let recovery probe the context.
  throw BenchError(os.str());
}

LtHandle::LtHandle() {
  MCB_CUBLAS(cublasLtCreate(&h_));
}
LtHandle::~LtHandle() {
  if (h_) (void)cublasLtDestroy(h_);
}

LtGemm::LtGemm(cublasLtHandle_t handle, GemmDtype dtype, int64_t M, int64_t N, int64_t K, const void* unit_scales,
               size_t workspace_bytes, int32_t sm_count_target)
    : handle_(handle), dtype_(dtype), M_(M), N_(N), K_(K), workspace_bytes_(workspace_bytes) {
  try {
    const cudaDataType_t in_type = dtype == GemmDtype::bf16 ? CUDA_R_16BF : CUDA_R_8F_E4M3;
    MCB_CUBLAS(cublasLtMatmulDescCreate(&op_, CUBLAS_COMPUTE_32F, CUDA_R_32F));
    const cublasOperation_t ta = CUBLAS_OP_T, tb = CUBLAS_OP_N;
    MCB_CUBLAS(cublasLtMatmulDescSetAttribute(op_, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof ta));
    MCB_CUBLAS(cublasLtMatmulDescSetAttribute(op_, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof tb));
    if (sm_count_target > 0)
      MCB_CUBLAS(cublasLtMatmulDescSetAttribute(op_, CUBLASLT_MATMUL_DESC_SM_COUNT_TARGET, &sm_count_target,
                                                sizeof sm_count_target));
    if (dtype == GemmDtype::fp8_block) {
      if (!unit_scales) throw BenchError("fp8_block GEMM without a scale buffer");
      // A = weights: one scale per 128x128 block; B = activations: one scale per 1x128 block along K.
      const int32_t a_mode = CUBLASLT_MATMUL_MATRIX_SCALE_BLK128x128_32F;
      const int32_t b_mode = CUBLASLT_MATMUL_MATRIX_SCALE_VEC128_32F;
      MCB_CUBLAS(cublasLtMatmulDescSetAttribute(op_, CUBLASLT_MATMUL_DESC_A_SCALE_MODE, &a_mode, sizeof a_mode));
      MCB_CUBLAS(cublasLtMatmulDescSetAttribute(op_, CUBLASLT_MATMUL_DESC_B_SCALE_MODE, &b_mode, sizeof b_mode));
      MCB_CUBLAS(
          cublasLtMatmulDescSetAttribute(op_, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, &unit_scales, sizeof unit_scales));
      MCB_CUBLAS(
          cublasLtMatmulDescSetAttribute(op_, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, &unit_scales, sizeof unit_scales));
      // The scale buffer must cover both scale tensors: ceil(K/128) x ceil(N/128) and ceil(K/128) x M floats.
      const double need = 4.0 * ((K + 127) / 128) * std::max<int64_t>((N + 127) / 128, M + 128);
      if (need > static_cast<double>(kScaleBufferBytes)) throw BenchError("fp8_block GEMM: scale buffer too small");
    }
    MCB_CUBLAS(cublasLtMatrixLayoutCreate(&a_, in_type, static_cast<uint64_t>(K), static_cast<uint64_t>(N), K));
    MCB_CUBLAS(cublasLtMatrixLayoutCreate(&b_, in_type, static_cast<uint64_t>(K), static_cast<uint64_t>(M), K));
    MCB_CUBLAS(cublasLtMatrixLayoutCreate(&c_, CUDA_R_16BF, static_cast<uint64_t>(N), static_cast<uint64_t>(M), N));

    cublasLtMatmulPreference_t pref = nullptr;
    MCB_CUBLAS(cublasLtMatmulPreferenceCreate(&pref));
    const uint64_t ws = workspace_bytes;
    cublasStatus_t st =
        cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof ws);
    cublasLtMatmulHeuristicResult_t results[4] = {};
    int returned = 0;
    if (st == CUBLAS_STATUS_SUCCESS)
      st = cublasLtMatmulAlgoGetHeuristic(handle_, op_, a_, b_, c_, c_, pref, 4, results, &returned);
    (void)cublasLtMatmulPreferenceDestroy(pref);
    if (st == CUBLAS_STATUS_NOT_SUPPORTED)
      returned = 0;
    else if (st != CUBLAS_STATUS_SUCCESS)
      throw_cublas_error(st, "cublasLtMatmulAlgoGetHeuristic", __FILE__, __LINE__);
    int chosen = -1;
    for (int i = 0; i < returned; ++i)
      if (results[i].state == CUBLAS_STATUS_SUCCESS) {
        chosen = i;
        break;
      }
    if (chosen < 0) {
      std::ostringstream os;
      os << "cuBLASLt heuristics found no algorithm for " << variant_name(dtype) << " M=" << M << " N=" << N
         << " K=" << K << " (TN layout, bf16 output)";
      throw Unsupported(os.str());
    }
    heur_ = results[chosen];
    heuristic_results_ = returned;
  } catch (...) {
    destroy();
    throw;
  }
}

void LtGemm::destroy() {
  if (a_) (void)cublasLtMatrixLayoutDestroy(a_);
  if (b_) (void)cublasLtMatrixLayoutDestroy(b_);
  if (c_) (void)cublasLtMatrixLayoutDestroy(c_);
  if (op_) (void)cublasLtMatmulDescDestroy(op_);
  a_ = b_ = c_ = nullptr;
  op_ = nullptr;
}

LtGemm::~LtGemm() {
  destroy();
}

void LtGemm::run(const void* W, const void* X, void* Y, void* workspace, cudaStream_t s) const {
  const float alpha = 1.0f, beta = 0.0f;
  MCB_CUBLAS(cublasLtMatmul(handle_, op_, &alpha, W, a_, X, b_, &beta, Y, c_, Y, c_, &heur_.algo, workspace,
                            workspace_bytes_, s));
}

Json LtGemm::describe() const {
  Json j = Json::object();
  int32_t id = -1, splitk = 1;
  uint32_t tile = 0, stages = 0;
  size_t written = 0;
  if (cublasLtMatmulAlgoConfigGetAttribute(&heur_.algo, CUBLASLT_ALGO_CONFIG_ID, &id, sizeof id, &written) ==
      CUBLAS_STATUS_SUCCESS)
    j["algo_id"] = id;
  if (cublasLtMatmulAlgoConfigGetAttribute(&heur_.algo, CUBLASLT_ALGO_CONFIG_TILE_ID, &tile, sizeof tile, &written) ==
      CUBLAS_STATUS_SUCCESS)
    j["tile_id"] = tile;
  if (cublasLtMatmulAlgoConfigGetAttribute(&heur_.algo, CUBLASLT_ALGO_CONFIG_STAGES_ID, &stages, sizeof stages,
                                           &written) == CUBLAS_STATUS_SUCCESS)
    j["stages_id"] = stages;
  if (cublasLtMatmulAlgoConfigGetAttribute(&heur_.algo, CUBLASLT_ALGO_CONFIG_SPLITK_NUM, &splitk, sizeof splitk,
                                           &written) == CUBLAS_STATUS_SUCCESS)
    j["splitk"] = splitk;
  j["waves"] = static_cast<double>(heur_.wavesCount);
  j["workspace_bytes"] = heur_.workspaceSize;
  j["heuristic_results"] = heuristic_results_;
  return j;
}

double verify_lt_gemm(cublasLtHandle_t handle, GemmDtype dtype, const void* unit_scales, cudaStream_t s) {
  const int64_t M = 48, N = 128, K = 256;
  const uint64_t seed_w = 11, seed_x = 12;
  DeviceBuffer w(static_cast<size_t>(N * K) * dtype_bytes(dtype)), x(static_cast<size_t>(M * K) * dtype_bytes(dtype));
  DeviceBuffer y(static_cast<size_t>(M * N) * 2), ws(kLtWorkspaceBytes);
  fill_gemm_operand(dtype, w.get(), static_cast<size_t>(N * K), seed_w, s);
  fill_gemm_operand(dtype, x.get(), static_cast<size_t>(M * K), seed_x, s);
  MCB_CUDA(cudaMemsetAsync(y.get(), 0, y.bytes(), s));
  LtGemm g(handle, dtype, M, N, K, unit_scales);
  g.run(w.get(), x.get(), y.get(), ws.get(), s);
  std::vector<__nv_bfloat16> out(static_cast<size_t>(M * N));
  MCB_CUDA(cudaMemcpyAsync(out.data(), y.get(), y.bytes(), cudaMemcpyDeviceToHost, s));
  MCB_CUDA(cudaStreamSynchronize(s));

  auto value = [&](uint64_t seed, uint64_t i) {
    return dtype == GemmDtype::bf16 ? bf16_value_at(seed, i, -1.0f, 1.0f) : fp8_e4m3_value_at(seed, i, -1.0f, 1.0f);
  };
  double max_err = 0.0, max_ref = 0.0;
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      double ref = 0.0;
      for (int64_t k = 0; k < K; ++k)
        ref += static_cast<double>(value(seed_x, static_cast<uint64_t>(m * K + k))) *
               static_cast<double>(value(seed_w, static_cast<uint64_t>(n * K + k)));
      const double got = static_cast<double>(__bfloat162float(out[static_cast<size_t>(m * N + n)]));
      max_err = std::max(max_err, std::fabs(got - ref));
      max_ref = std::max(max_ref, std::fabs(ref));
    }
  return max_ref > 0 ? max_err / max_ref : max_err;
}

} // namespace mcb
