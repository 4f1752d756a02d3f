#pragma once
// What one operator of a model asks of an accelerator: FLOPs, bytes moved (weights, activations, KV cache), the
// number of kernels it launches and the shape facts the calibrated engine needs for tile and wave quantization.
// Operators only describe work; ComputeEngine (engine.hpp) turns work into time. Units: flop, bytes.
#include <cstdint>
#include <string>
#include <vector>

#include "util/data_type.hpp"
#include "util/json_reader.hpp"

namespace moescope {

enum class OperatorKind {
  gemm,         // dense matrix multiply, weights x activations (one group)
  grouped_gemm, // expert GEMM: one GEMM per expert with its own token count (contiguous or masked layout)
  batched_gemm, // same-shape GEMMs over heads (MLA weight absorption), weights in bf16
  attention,    // softmax(QK^T)V over a KV cache (FlashAttention / FlashMLA style kernel)
  elementwise,  // norms, activations, RoPE, quantization, permutations: memory-bound
  embedding,    // table lookup
};
std::string to_string(OperatorKind k);

enum class GroupedLayout { contiguous, masked };
std::string to_string(GroupedLayout l);

// Shape of a GEMM-like operator for the calibrated engine's tile model: `m_per_group[g]` rows of group g (tokens),
// each multiplied by an n x k weight. Dense GEMM: one group.
struct GemmShape {
  std::vector<std::int64_t> m_per_group;
  std::int64_t n = 0;
  std::int64_t k = 0;
  GroupedLayout layout = GroupedLayout::contiguous;
};

// Parallel work units of an attention kernel (query-row tiles x KV splits), for the occupancy model.
struct AttentionShape {
  std::int64_t batch = 0;      // sequences
  std::int64_t query_rows = 0; // query rows per sequence and KV head group (heads x query tokens)
  std::int64_t kv_groups = 1;  // independent KV heads (1 for MLA)
  std::int64_t kv_length = 0;  // keys per sequence
  std::int64_t qk_dim = 0;     // dot-product width
  std::int64_t v_dim = 0;      // value width
  bool causal_prefill = false; // prefill: each query sees only earlier keys
};

struct OperatorWork {
  std::string name;      // "attention.q_b_proj", "moe.experts.up_gate", ...
  std::string component; // layer breakdown bucket: attention, routed_experts, shared_experts, dense_ffn, gate, norms,
                         // embedding, lm_head
  OperatorKind kind = OperatorKind::elementwise;
  DataType compute_dtype = DataType::bf16; // tensor-core input type
  double flop = 0;                         // useful FLOPs (no padding)
  double weight_bytes = 0;                 // weights read (incl. block scales)
  double activation_bytes = 0;             // activations read and written
  double kv_bytes = 0;                     // KV cache read and written
  double kernels = 1;                      // kernel launches
  GemmShape gemm;                          // gemm, grouped_gemm, batched_gemm
  AttentionShape attention;                // attention

  double bytes() const { return weight_bytes + activation_bytes + kv_bytes; }
  double arithmetic_intensity() const { return bytes() > 0 ? flop / bytes() : 0.0; } // flop per byte
};

} // namespace moescope
