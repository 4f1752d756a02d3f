#pragma once
// Builders of OperatorWork: the FLOPs and bytes of each operator of an MoE model, counted by hand-checkable
// formulas (docs/compute-model.md, "Operators"). Token counts are per GPU; weights are those one GPU holds.
#include <cstdint>
#include <string>
#include <vector>

#include "compute/operator_work.hpp"

namespace moescope {

// Bytes of `elements` values of type `t`, including block scales (fp8: one fp32 per 128).
double stored_bytes(double elements, DataType t);

// y[m x n] = x[m x k] W^T: weights n x k in `weight_dtype` (+ scales), activations read in the compute type
// (fp8 weights: activations are quantized to fp8 with block scales, as DeepGEMM does) and written in `output_dtype`.
// FLOPs 2mnk; bytes: weights nk, input mk, output mn.
OperatorWork dense_gemm(std::string name, std::string component, std::int64_t m, std::int64_t n, std::int64_t k,
                        DataType weight_dtype, DataType output_dtype = DataType::bf16);

// One GEMM per expert: tokens_per_expert[e] rows times expert e's n x k weight. Only experts with tokens read their
// weights. FLOPs 2 * sum(m_e) * n * k (the masked layout's padding appears in time, not in useful FLOPs).
OperatorWork grouped_gemm(std::string name, std::string component, const std::vector<std::int64_t>& tokens_per_expert,
                          std::int64_t n, std::int64_t k, DataType weight_dtype, GroupedLayout layout,
                          DataType output_dtype = DataType::bf16);

// The same work as a loop of dense GEMMs, one kernel per group with tokens (cuBLASLt per expert, as
// moescope_cuda_bench's grouped_gemm family does): dense_gemm(m_g, n, k) for every group with m_g > 0, in order.
// Their FLOPs and bytes sum to those of grouped_gemm(); the time is the sum of the kernels' times.
std::vector<OperatorWork> grouped_gemm_kernel_per_group(std::string name, std::string component,
                                                        const std::vector<std::int64_t>& tokens_per_expert,
                                                        std::int64_t n, std::int64_t k, DataType weight_dtype,
                                                        DataType output_dtype = DataType::bf16);

// `batch` independent [m x k] x [k x n] products with per-batch weights in `dtype` (MLA absorption BMMs, per head).
OperatorWork batched_gemm(std::string name, std::string component, std::int64_t batch, std::int64_t m, std::int64_t n,
                          std::int64_t k, DataType dtype);

// Streaming elementwise work: reads `read_elements` and writes `write_elements` values; `flop_per_element` FLOPs
// per read element.
OperatorWork elementwise(std::string name, std::string component, double read_elements, DataType read_dtype,
                         double write_elements, DataType write_dtype, double flop_per_element = 1.0,
                         double kernels = 1);

// A streaming kernel that reads `read_bytes` and writes `write_bytes` of HBM (a copy, a fill, a reduction): an
// elementwise operator without FLOPs, one kernel.
OperatorWork memory_stream(std::string name, std::string component, double read_bytes, double write_bytes);

// RMSNorm of `tokens` x `width` in `dtype`: read x, read weight, write y; ~4 FLOPs per element.
OperatorWork rms_norm(std::string name, std::string component, std::int64_t tokens, std::int64_t width, DataType dtype);

// Embedding lookup: `tokens` rows of `hidden` in `dtype` read and written.
OperatorWork embedding_lookup(std::string name, std::int64_t tokens, std::int64_t hidden, DataType dtype);

// Attention over a KV cache (MHA/GQA, and MLA's kernels through the dims).
struct AttentionParams {
  std::int64_t batch = 1;                // sequences
  std::int64_t query_tokens = 1;         // new tokens per sequence (decode 1, prefill = prompt - cached)
  std::int64_t kv_length = 1;            // keys per sequence including the new tokens
  std::int64_t q_heads = 1;              // query heads on this GPU
  std::int64_t kv_heads = 1;             // KV heads on this GPU (MLA: 1, shared latent)
  std::int64_t qk_dim = 128;             // query-key dot width (MLA absorbed: kv_lora_rank + rope dim)
  std::int64_t v_dim = 128;              // value width (MLA absorbed: kv_lora_rank)
  std::int64_t kv_stored_per_head = 256; // elements cached per token per KV head (GQA: 2*head_dim; MLA: lora+rope)
  DataType kv_dtype = DataType::bf16;
  DataType activation_dtype = DataType::bf16;
  bool causal = true; // each new token sees only earlier keys (matters for prefill)
};
// FLOPs: 2 * batch * q_heads * (sum over new tokens of keys seen) * (qk_dim + v_dim). Keys seen by a prefill of
// q new tokens after c cached ones: q*c + q(q+1)/2 (causal); decode: kv_length. Bytes: the KV cache read once per
// KV head plus the new tokens' entries written: batch * (kv_length + query_tokens) * kv_heads * kv_stored_per_head
// elements; queries read and outputs written: batch * query_tokens * q_heads * (qk_dim + v_dim) activations.
OperatorWork attention_op(std::string name, std::string component, const AttentionParams& p);

} // namespace moescope
