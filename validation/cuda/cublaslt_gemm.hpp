#pragma once
// A cuBLASLt matmul in the layout of a Linear layer, shared by the GEMM and grouped-GEMM families.
#include <cublasLt.h>

#include <cstdint>
#include <memory>
#include <string>

#include "bench_common.hpp"

namespace mcb {

// Input type and scaling of a GEMM. The output is bf16 in every case.
//   bf16       A, B bf16
//   fp8        A, B fp8 e4m3, per-tensor scaling (no scale pointers: scale 1)
//   fp8_block  A, B fp8 e4m3 with DeepSeek-V3 / DeepGEMM block scaling: fp32 scales per 128x128 block of the weights
//              (CUBLASLT_MATMUL_MATRIX_SCALE_BLK128x128_32F) and per 1x128 block of the activations (VEC128_32F);
//              cuBLASLt 12.9+ on Hopper. All scales are 1.0 (the values do not change the time).
enum class GemmDtype { bf16, fp8, fp8_block };

// moescope's data-type name of the inputs ("bf16" or "fp8"): the "dtype" field of the gemm cases.
const char* dtype_name(GemmDtype t);
// "none", "per_tensor" or "block_128x128_weights_1x128_activations": the "scaling" field.
const char* scaling_name(GemmDtype t);
// Short label for messages and case variants: "bf16", "fp8", "fp8_block".
const char* variant_name(GemmDtype t);
size_t dtype_bytes(GemmDtype t);
// Fills n elements of type t with uniform values in [-1, 1).
void fill_gemm_operand(GemmDtype t, void* p, size_t n, uint64_t seed, cudaStream_t s);
// Bytes of the shared all-ones scale buffer that fp8_block GEMMs read (generous for every shape in the suite).
constexpr size_t kScaleBufferBytes = 32 * 1024 * 1024;
// Allocates and fills the all-ones fp32 scale buffer.
DeviceBuffer make_unit_scales(cudaStream_t s);

[[noreturn]] void throw_cublas_error(cublasStatus_t st, const char* expr, const char* file, int line);
#define MCB_CUBLAS(expr)                                                                                               \
  do {                                                                                                                 \
    cublasStatus_t mcb_status_ = (expr);                                                                               \
    if (mcb_status_ != CUBLAS_STATUS_SUCCESS) ::mcb::throw_cublas_error(mcb_status_, #expr, __FILE__, __LINE__);       \
  } while (0)

class LtHandle {
public:
  LtHandle();
  ~LtHandle();
  LtHandle(const LtHandle&) = delete;
  LtHandle& operator=(const LtHandle&) = delete;
  operator cublasLtHandle_t() const { return h_; }

private:
  cublasLtHandle_t h_ = nullptr;
};

constexpr size_t kLtWorkspaceBytes = 32 * MiB; // cuBLAS's recommendation for Hopper

// What a GEMM family needs before timing: the handle, the workspace and the unit scales. `setup_error` is set (and
// the case failure recorded) when any of them cannot be created; nothing is created for a --list run.
struct LtSetup {
  std::unique_ptr<LtHandle> handle;
  DeviceBuffer workspace, scales;
  std::string setup_error;
};
LtSetup make_lt_setup(Suite& s);

// Y[M x N] = X[M x K] * W[N x K]^T, all row-major as in a Linear layer (X: activations, M tokens; W: weights; Y: bf16).
// cuBLAS is column-major, so it computes D (N x M, ld N) = op_T(A = W, stored K x N, ld K) * B (= X, K x M, ld K):
// the "TN" layout that FP8 GEMMs on Hopper require. bf16: A, B, C, D bf16; fp8: A, B e4m3, C, D bf16. fp32
// accumulation and scale, alpha = 1, beta = 0, no scaling factors. The algorithm is cuBLASLt's first heuristic result
// for a 32 MiB workspace (no autotuning), as a framework calling cuBLASLt would get. Throws Unsupported when the
// heuristic returns no algorithm.
class LtGemm {
public:
  // `unit_scales` (fp8_block only): a buffer from make_unit_scales(). `sm_count_target` > 0: the heuristic plans for
  // that many SMs (CUBLASLT_MATMUL_DESC_SM_COUNT_TARGET: a concurrent kernel holds the others); 0: all of them.
  LtGemm(cublasLtHandle_t handle, GemmDtype dtype, int64_t M, int64_t N, int64_t K, const void* unit_scales = nullptr,
         size_t workspace_bytes = kLtWorkspaceBytes, int32_t sm_count_target = 0);
  ~LtGemm();
  LtGemm(const LtGemm&) = delete;
  LtGemm& operator=(const LtGemm&) = delete;

  void run(const void* W, const void* X, void* Y, void* workspace, cudaStream_t s) const;
  // {"algo_id", "tile_id", "stages_id", "splitk", "waves", "workspace_bytes", "heuristic_results"}
  Json describe() const;
  int64_t M() const { return M_; }

private:
  void destroy();
  cublasLtHandle_t handle_;
  GemmDtype dtype_;
  int64_t M_, N_, K_;
  size_t workspace_bytes_;
  cublasLtMatmulDesc_t op_ = nullptr;
  cublasLtMatrixLayout_t a_ = nullptr, b_ = nullptr, c_ = nullptr;
  cublasLtMatmulHeuristicResult_t heur_{};
  int heuristic_results_ = 0;
};

// Runs a small GEMM with the layout above against a host reference; returns max |Y - ref| / max |ref|.
double verify_lt_gemm(cublasLtHandle_t handle, GemmDtype dtype, const void* unit_scales, cudaStream_t s);

} // namespace mcb
