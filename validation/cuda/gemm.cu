// Family "gemm": cuBLASLt matmuls Y[M x N] = X[M x K] W[N x K]^T over the projection and expert shapes of DeepSeek-V3,
// Qwen3-235B-A22B and Llama 4 Maverick, M = 1 .. 16384 tokens, in bf16, fp8 (per-tensor) and fp8 with DeepSeek-style
// block scales. Output bf16. The weights are rotated over enough copies that they do not stay in L2 between calls (as
// in a forward pass, where each layer's weights come from HBM); activations are not rotated.
#include "bench_common.hpp"
#include "cublaslt_gemm.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <vector>

namespace mcb {
namespace {

struct LinearShape {
  const char* model; // moescope catalog name
  const char* layer;
  int64_t n; // output features
  int64_t k; // input features
};

// Per-layer Linear shapes (unsharded). Fused up+gate projections are one GEMM with N = 2 x intermediate.
const LinearShape kShapes[] = {
    {"deepseek-v3", "q_a_proj", 1536, 7168},             // hidden -> q_lora_rank
    {"deepseek-v3", "q_b_proj", 24576, 1536},            // q_lora_rank -> 128 heads x 192
    {"deepseek-v3", "kv_a_proj", 576, 7168},             // hidden -> kv_lora_rank 512 + rope 64
    {"deepseek-v3", "kv_b_proj", 32768, 512},            // kv_lora_rank -> 128 heads x (128 + 128) (unabsorbed MLA)
    {"deepseek-v3", "o_proj", 7168, 16384},              // 128 heads x 128 -> hidden
    {"deepseek-v3", "expert_up_gate", 4096, 7168},       // hidden -> 2 x 2048 (routed and shared experts)
    {"deepseek-v3", "expert_down", 7168, 2048},          // 2048 -> hidden
    {"qwen3-235b-a22b", "q_proj", 8192, 4096},           // 64 heads x 128
    {"qwen3-235b-a22b", "kv_proj", 1024, 4096},          // 4 KV heads x 128 x (K, V)
    {"qwen3-235b-a22b", "o_proj", 4096, 8192},           //
    {"qwen3-235b-a22b", "expert_up_gate", 3072, 4096},   // hidden -> 2 x 1536
    {"qwen3-235b-a22b", "expert_down", 4096, 1536},      //
    {"llama-4-maverick", "q_proj", 5120, 5120},          // 40 heads x 128
    {"llama-4-maverick", "kv_proj", 2048, 5120},         // 8 KV heads x 128 x (K, V)
    {"llama-4-maverick", "o_proj", 5120, 5120},          //
    {"llama-4-maverick", "expert_up_gate", 16384, 5120}, // hidden -> 2 x 8192 (routed and shared expert)
    {"llama-4-maverick", "expert_down", 5120, 8192},     //
    {"llama-4-maverick", "dense_up_gate", 32768, 5120},  // dense FFN layers: hidden -> 2 x 16384
    {"llama-4-maverick", "dense_down", 5120, 16384},     //
};

std::vector<int64_t> token_counts(bool quick) {
  if (quick) return {1, 8, 64, 512, 4096};
  std::vector<int64_t> ms;
  for (int64_t m = 1; m <= 16384; m *= 2)
    ms.push_back(m);
  return ms;
}

} // namespace

void run_gemm(Suite& s) {
  const char* family = "gemm";
  const char* op = "cublaslt_matmul";
  const std::vector<int64_t> ms = token_counts(s.opt.quick);
  const GemmDtype variants[] = {GemmDtype::bf16, GemmDtype::fp8, GemmDtype::fp8_block};
  const int64_t max_m = ms.back();

  LtSetup lt = make_lt_setup(s);
  std::map<GemmDtype, std::string> variant_error;
  if (!s.opt.list_only) {
    // Check the layout once per variant against a host reference before timing anything.
    Json verification = Json::object();
    for (GemmDtype v : variants) {
      if (!lt.setup_error.empty() || s.aborted) break;
      try {
        const double err = verify_lt_gemm(*lt.handle, v, lt.scales.get(), s.stream);
        verification[variant_name(v)] = err;
        if (!(err < 2e-2)) variant_error[v] = "verification failed: relative error " + std::to_string(err);
      } catch (const Unsupported& e) {
        verification[variant_name(v)] = std::string("unsupported: ") + e.what();
      } catch (const std::exception& e) {
        verification[variant_name(v)] = std::string("error: ") + e.what();
        variant_error[v] = std::string("verification error: ") + e.what();
        handle_case_failure(s);
      }
    }
    s.family_notes[family]["verification_relative_error"] = std::move(verification);
  }

  const size_t l2 = static_cast<size_t>(std::max<long long>(s.dev.l2_bytes, 0));
  for (GemmDtype v : variants) {
    for (const LinearShape& sh : kShapes) {
      if (s.aborted) return;
      const size_t eb = dtype_bytes(v);
      const size_t w_bytes = static_cast<size_t>(sh.n * sh.k) * eb;
      const size_t copies = l2 ? std::clamp<size_t>((3 * l2 + w_bytes - 1) / w_bytes, 1, 32) : 1;
      auto base_params = [&](int64_t m) {
        Json p = Json::object();
        p["m"] = m;
        p["n"] = sh.n;
        p["k"] = sh.k;
        p["dtype"] = dtype_name(v);
        p["scaling"] = scaling_name(v);
        p["output_dtype"] = "bf16";
        p["layout"] = "TN";
        p["model"] = sh.model;
        p["layer"] = sh.layer;
        return p;
      };
      if (s.opt.list_only) {
        for (int64_t m : ms)
          list_case(s, family, op, base_params(m));
        continue;
      }
      // Buffers for this shape: `copies` weight matrices, activations and output for the largest M.
      DeviceBuffer w, x, y;
      std::string shape_error = lt.setup_error;
      if (shape_error.empty() && variant_error.count(v)) shape_error = variant_error[v];
      if (shape_error.empty()) {
        try {
          w = DeviceBuffer(w_bytes * copies);
          x = DeviceBuffer(static_cast<size_t>(max_m * sh.k) * eb);
          y = DeviceBuffer(static_cast<size_t>(max_m * sh.n) * 2);
          fill_gemm_operand(v, w.get(), static_cast<size_t>(sh.n * sh.k) * copies, 21, s.stream);
          fill_gemm_operand(v, x.get(), static_cast<size_t>(max_m * sh.k), 22, s.stream);
          MCB_CUDA(cudaStreamSynchronize(s.stream));
        } catch (const std::exception& e) {
          shape_error = std::string("allocation failed: ") + e.what();
          handle_case_failure(s);
        }
      }
      for (int64_t m : ms) {
        Json params = base_params(m);
        params["weight_copies"] = copies;
        if (!shape_error.empty()) {
          if (!s.aborted) record_error(s, family, op, std::move(params), shape_error);
          continue;
        }
        run_case(s, family, op, std::move(params), [&](Json& p) {
          LtGemm g(*lt.handle, v, m, sh.n, sh.k, lt.scales.get());
          p["algorithm"] = g.describe();
          const char* wp = w.as<char>();
          void* xp = x.get();
          void* yp = y.get();
          void* wsp = lt.workspace.get();
          cudaStream_t st = s.stream;
          TimingConfig cfg = s.opt.timing;
          cfg.min_inner = static_cast<int>(std::min<size_t>(copies, 64));
          Measured r;
          r.timing = time_on_stream(
              st, [&](int it) { g.run(wp + (static_cast<size_t>(it) % copies) * w_bytes, xp, yp, wsp, st); }, cfg);
          const double flop = 2.0 * static_cast<double>(m) * static_cast<double>(sh.n) * static_cast<double>(sh.k);
          const double bytes =
              static_cast<double>(w_bytes) + static_cast<double>(m * sh.k * eb) + static_cast<double>(m * sh.n * 2);
          r.set_work(flop, bytes);
          return r;
        });
      }
    }
  }
}

} // namespace mcb
