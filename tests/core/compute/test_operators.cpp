// FLOP and byte counts of each operator, against values computed by hand for DeepSeek-V3, Qwen3-235B-A22B and
// Llama 4 Maverick shapes (architectures built here from their Hugging Face config.json values).
#include <gtest/gtest.h>

#include <map>

#include "compute/model_compute.hpp"
#include "compute/operators.hpp"

namespace moescope {
namespace {

ModelArchitecture deepseek_v3() {
  ModelArchitecture m;
  m.name = "deepseek-v3";
  m.num_layers = 61;
  m.hidden_size = 7168;
  m.vocab_size = 129280;
  m.dense_intermediate_size = 18432;
  m.attention.kind = AttentionKind::mla;
  m.attention.num_heads = 128;
  m.attention.num_kv_heads = 128;
  m.attention.mla = {1536, 512, 128, 64, 128};
  m.moe.num_routed_experts = 256;
  m.moe.num_shared_experts = 1;
  m.moe.top_k = 8;
  m.moe.expert_intermediate_size = 2048;
  m.moe.shared_expert_intermediate_size = 2048;
  m.moe.first_dense_layers = 3;
  return m;
}

ModelArchitecture qwen3_235b() {
  ModelArchitecture m;
  m.name = "qwen3-235b-a22b";
  m.num_layers = 94;
  m.hidden_size = 4096;
  m.vocab_size = 151936;
  m.attention.kind = AttentionKind::gqa;
  m.attention.num_heads = 64;
  m.attention.num_kv_heads = 4;
  m.attention.head_dim = 128;
  m.attention.qk_norm = QkNorm::per_head;
  m.moe.num_routed_experts = 128;
  m.moe.top_k = 8;
  m.moe.expert_intermediate_size = 1536;
  return m;
}

ModelArchitecture llama4_maverick() {
  ModelArchitecture m;
  m.name = "llama-4-maverick";
  m.num_layers = 48;
  m.hidden_size = 5120;
  m.vocab_size = 202048;
  m.dense_intermediate_size = 16384;
  m.attention.kind = AttentionKind::gqa;
  m.attention.num_heads = 40;
  m.attention.num_kv_heads = 8;
  m.attention.head_dim = 128;
  m.attention.sliding_window_tokens = 8192; // chunked attention on 3 of 4 layers
  m.attention.sliding_window_pattern = {true, true, true, false};
  m.moe.num_routed_experts = 128;
  m.moe.num_shared_experts = 1;
  m.moe.top_k = 1;
  m.moe.expert_intermediate_size = 8192;
  m.moe.shared_expert_intermediate_size = 8192;
  m.moe.layer_interval = 2;
  return m;
}

std::map<std::string, OperatorWork> by_name(const std::vector<OperatorWork>& ops) {
  std::map<std::string, OperatorWork> m;
  for (const auto& o : ops)
    m[o.name] = o;
  return m;
}

LayerTokens decode_tokens(std::int64_t seqs, std::int64_t kv_len, std::vector<std::int64_t> experts) {
  LayerTokens t;
  t.phase = Phase::decode;
  t.rank_sequences = seqs;
  t.rank_tokens = seqs;
  t.query_tokens = 1;
  t.kv_length = kv_len;
  t.moe_tokens_per_gpu = seqs;
  t.busiest_expert_tokens = std::move(experts);
  return t;
}

TEST(Operators, DenseGemmFp8CountsWeightsScalesAndActivations) {
  // 64 x 2112 x 7168 FP8 (DeepGEMM's first row): 2mnk FLOPs; weights n*k*(1 + 4/128); input fp8, output bf16.
  OperatorWork w = dense_gemm("g", "attention", 64, 2112, 7168, DataType::fp8);
  EXPECT_DOUBLE_EQ(w.flop, 2.0 * 64 * 2112 * 7168);
  EXPECT_DOUBLE_EQ(w.weight_bytes, 2112.0 * 7168 * 1.03125);
  EXPECT_DOUBLE_EQ(w.activation_bytes, 64.0 * 7168 + 64.0 * 2112 * 2);
  EXPECT_NEAR(w.arithmetic_intensity(), w.flop / (w.weight_bytes + w.activation_bytes), 1e-9);
  OperatorWork b = dense_gemm("g", "attention", 8, 1024, 512, DataType::bf16);
  EXPECT_DOUBLE_EQ(b.weight_bytes, 1024.0 * 512 * 2);
  EXPECT_DOUBLE_EQ(b.activation_bytes, 8.0 * 512 * 2 + 8.0 * 1024 * 2);
}

TEST(Operators, GroupedGemmReadsOnlyExpertsWithTokens) {
  OperatorWork w = grouped_gemm("e", "routed_experts", {3, 0, 5, 0}, 4096, 7168, DataType::fp8, GroupedLayout::masked);
  EXPECT_DOUBLE_EQ(w.flop, 2.0 * 8 * 4096 * 7168);
  EXPECT_DOUBLE_EQ(w.weight_bytes, 2.0 * 4096 * 7168 * 1.03125);
  EXPECT_DOUBLE_EQ(w.activation_bytes, 8.0 * 7168 + 8.0 * 4096 * 2);
  EXPECT_EQ(w.gemm.layout, GroupedLayout::masked);
}

TEST(Operators, DeepSeekV3MlaDecodeAbsorbed) {
  const ModelArchitecture m = deepseek_v3();
  ResolvedDeployment d; // TP 1
  DataTypes dt;
  dt.weights = DataType::fp8;
  dt.kv_cache = DataType::bf16;
  const auto ops =
      by_name(layer_operators(m, d, dt, decode_tokens(4, 1025, std::vector<std::int64_t>(4, 4)), true, false));
  // Fused q_a + kv_a: 7168 -> 1536 + 512 + 64 = 2112.
  EXPECT_DOUBLE_EQ(ops.at("attention.qkv_a_proj").flop, 2.0 * 4 * 2112 * 7168);
  EXPECT_DOUBLE_EQ(ops.at("attention.qkv_a_proj").weight_bytes, 2112.0 * 7168 * 1.03125);
  // q_b: 1536 -> 128 heads x 192.
  EXPECT_DOUBLE_EQ(ops.at("attention.q_b_proj").flop, 2.0 * 4 * 24576 * 1536);
  // Absorption BMMs in bf16: 128 heads of [4 x 128] x [128 x 512] and [4 x 512] x [512 x 128].
  EXPECT_DOUBLE_EQ(ops.at("attention.q_absorb_bmm").flop, 2.0 * 128 * 4 * 512 * 128);
  EXPECT_DOUBLE_EQ(ops.at("attention.q_absorb_bmm").weight_bytes, 128.0 * 512 * 128 * 2);
  EXPECT_DOUBLE_EQ(ops.at("attention.v_absorb_bmm").flop, 2.0 * 128 * 4 * 128 * 512);
  // Attention over the latent cache: 2 * seqs * heads * kv * (576 + 512); cache read once (576 values per token,
  // bf16) plus the new token's entry written.
  const auto& a = ops.at("attention.mla_absorbed");
  EXPECT_DOUBLE_EQ(a.flop, 2.0 * 4 * 128 * 1025 * (576 + 512));
  EXPECT_DOUBLE_EQ(a.kv_bytes, 4.0 * (1025 + 1) * 576 * 2);
  EXPECT_DOUBLE_EQ(a.activation_bytes, 4.0 * 128 * (576 + 512) * 2);
  // o_proj: 128 x 128 -> 7168.
  EXPECT_DOUBLE_EQ(ops.at("attention.o_proj").flop, 2.0 * 4 * 7168 * 16384);
  // Routed experts: 4 experts with 4 tokens each; gated: up/gate n = 2 x 2048.
  EXPECT_DOUBLE_EQ(ops.at("routed_experts.up_gate").flop, 2.0 * 16 * 4096 * 7168);
  EXPECT_DOUBLE_EQ(ops.at("routed_experts.up_gate").weight_bytes, 4.0 * 4096 * 7168 * 1.03125);
  EXPECT_DOUBLE_EQ(ops.at("routed_experts.down").flop, 2.0 * 16 * 7168 * 2048);
  // Shared expert and the router (bf16, 256 experts).
  EXPECT_DOUBLE_EQ(ops.at("shared_experts.up_gate").flop, 2.0 * 4 * 4096 * 7168);
  EXPECT_DOUBLE_EQ(ops.at("gate.router").flop, 2.0 * 4 * 256 * 7168);
  EXPECT_DOUBLE_EQ(ops.at("gate.router").weight_bytes, 256.0 * 7168 * 2);
  EXPECT_DOUBLE_EQ(ops.at("norms.input_layernorm").activation_bytes, 2.0 * 4 * 7168 * 2);
}

TEST(Operators, DeepSeekV3MlaPrefillNaiveDecompressesTheContext) {
  const ModelArchitecture m = deepseek_v3();
  ResolvedDeployment d;
  d.attention_tp = 8; // 16 heads per GPU
  DataTypes dt;
  dt.weights = DataType::fp8;
  LayerTokens t;
  t.phase = Phase::prefill;
  t.rank_sequences = 2;
  t.query_tokens = 1024;
  t.kv_length = 1024;
  t.rank_tokens = 2048;
  t.moe_tokens_per_gpu = 256;
  const auto ops = by_name(layer_operators(m, d, dt, t, false, false));
  EXPECT_DOUBLE_EQ(ops.at("attention.kv_b_proj").flop, 2.0 * 2048 * 16 * 256 * 512);
  // Causal: each of the 1024 new tokens sees i + 1 keys: 1024 * 1025 / 2 pairs per sequence and head.
  EXPECT_DOUBLE_EQ(ops.at("attention.mla_naive").flop, 2.0 * 2 * 16 * (1024.0 * 1025 / 2) * (192 + 128));
  EXPECT_DOUBLE_EQ(ops.at("attention.q_b_proj").flop, 2.0 * 2048 * (16 * 192) * 1536);
  // Dense layer FFN split over attention TP: 18432 / 8 = 2304.
  EXPECT_DOUBLE_EQ(ops.at("dense_ffn.up_gate_proj").flop, 2.0 * 2048 * 4608 * 7168);
  EXPECT_DOUBLE_EQ(ops.at("dense_ffn.down_proj").flop, 2.0 * 2048 * 7168 * 2304);
}

TEST(Operators, Qwen3GqaDecodeAndExperts) {
  const ModelArchitecture m = qwen3_235b();
  ResolvedDeployment d;
  d.attention_tp = 4; // 16 query heads, 1 KV head per GPU
  DataTypes dt;       // bf16 everywhere
  const auto ops = by_name(layer_operators(m, d, dt, decode_tokens(8, 2048, {2, 1, 0}), true, false));
  EXPECT_DOUBLE_EQ(ops.at("attention.qkv_proj").flop, 2.0 * 8 * (16 + 2) * 128 * 4096);
  EXPECT_DOUBLE_EQ(ops.at("attention.qkv_proj").weight_bytes, (16.0 + 2) * 128 * 4096 * 2);
  const auto& a = ops.at("attention.gqa");
  EXPECT_DOUBLE_EQ(a.flop, 2.0 * 8 * 16 * 2048 * 256);
  EXPECT_DOUBLE_EQ(a.kv_bytes, 8.0 * (2048 + 1) * 1 * 256 * 2);
  EXPECT_TRUE(ops.count("attention.qk_norm"));
  EXPECT_DOUBLE_EQ(ops.at("attention.o_proj").flop, 2.0 * 8 * 4096 * 2048);
  EXPECT_DOUBLE_EQ(ops.at("routed_experts.up_gate").flop, 2.0 * 3 * 3072 * 4096);
  EXPECT_DOUBLE_EQ(ops.at("routed_experts.up_gate").weight_bytes, 2.0 * 3072 * 4096 * 2);
  EXPECT_FALSE(ops.count("shared_experts.up_gate"));
}

TEST(Operators, Llama4MaverickChunkedAttentionAndSharedExpert) {
  const ModelArchitecture m = llama4_maverick();
  ResolvedDeployment d;
  DataTypes dt;
  dt.weights = DataType::fp8;
  EXPECT_TRUE(m.uses_sliding_window(0));
  EXPECT_FALSE(m.uses_sliding_window(3));
  const LayerTokens t = decode_tokens(2, 20000, {2});
  const auto chunked = by_name(layer_operators(m, d, dt, t, true, true));
  const auto global = by_name(layer_operators(m, d, dt, t, true, false));
  EXPECT_DOUBLE_EQ(chunked.at("attention.gqa").flop, 2.0 * 2 * 40 * 8192 * 256);
  EXPECT_DOUBLE_EQ(global.at("attention.gqa").flop, 2.0 * 2 * 40 * 20000 * 256);
  EXPECT_DOUBLE_EQ(global.at("shared_experts.up_gate").flop, 2.0 * 2 * 16384 * 5120);
  EXPECT_DOUBLE_EQ(global.at("routed_experts.down").flop, 2.0 * 2 * 5120 * 8192);
  const auto dense = by_name(layer_operators(m, d, dt, t, false, false));
  EXPECT_DOUBLE_EQ(dense.at("dense_ffn.up_gate_proj").flop, 2.0 * 2 * 32768 * 5120);
}

} // namespace
} // namespace moescope
