#include <gtest/gtest.h>

#include <cmath>

#include "model/model_catalog.hpp"
#include "model/parameter_count.hpp"
#include "model_test_support.hpp"

namespace moescope {
namespace {

// Tiny models whose counts are worked out by hand in the comments.

// MHA: hidden 8, 2 layers, vocab 10, 2 heads of 4, dense SwiGLU FFN of 16, untied.
ModelArchitecture tiny_mha() {
  ModelArchitecture m;
  m.name = "tiny-mha";
  m.num_layers = 2;
  m.hidden_size = 8;
  m.vocab_size = 10;
  m.dense_intermediate_size = 16;
  m.attention.kind = AttentionKind::mha;
  m.attention.num_heads = 2;
  m.attention.num_kv_heads = 2;
  m.attention.head_dim = 4;
  return m;
}

TEST(ParameterCount, TinyMha) {
  ModelArchitecture m = tiny_mha();
  // q, k, v, o: 4 x 8 x 8 = 256; FFN 3 x 8 x 16 = 384; norms 2 x 8 = 16.
  LayerParameterCount layer = count_layer_parameters(m, 0);
  EXPECT_EQ(layer.attention, 256);
  EXPECT_EQ(layer.dense_ffn, 384);
  EXPECT_EQ(layer.norms, 16);
  EXPECT_EQ(layer.total(), 656);
  EXPECT_EQ(layer.active(), 656);

  ParameterCount c = count_parameters(m);
  EXPECT_EQ(c.embedding, 80);
  EXPECT_EQ(c.lm_head, 80);
  EXPECT_EQ(c.attention, 512);
  EXPECT_EQ(c.dense_ffn, 768);
  EXPECT_EQ(c.norms, 2 * 16 + 8); // + final norm
  EXPECT_EQ(c.routed_experts, 0);
  EXPECT_EQ(c.total, 1480); // 2 x 656 + 8 + 80 + 80
  EXPECT_EQ(c.active_per_token, 1480);
  EXPECT_EQ(c.active_with_embeddings(), 1480);
  EXPECT_EQ(c.active_without_input_embedding(), 1400);
  EXPECT_EQ(c.active_without_embeddings(), 1320);
  EXPECT_EQ(c.mtp, 0);
}

TEST(ParameterCount, TinyMhaWithBiasesAndUngatedFfn) {
  ModelArchitecture m = tiny_mha();
  m.attention.qkv_bias = true; // + 8 + 8 + 8
  m.attention.o_bias = true;   // + 8
  m.gated_ffn = false;         // 2 x 8 x 16 = 256
  LayerParameterCount layer = count_layer_parameters(m, 1);
  EXPECT_EQ(layer.attention, 256 + 32);
  EXPECT_EQ(layer.dense_ffn, 256);
}

// GQA + MoE: hidden 8, 3 layers (layer 0 dense), vocab 10 tied, 4 query heads and 2 KV heads of 2, dense FFN 16;
// 4 routed experts of 6 (top 2), 1 shared expert of 4, router with bias.
ModelArchitecture tiny_gqa_moe() {
  ModelArchitecture m;
  m.name = "tiny-gqa";
  m.num_layers = 3;
  m.hidden_size = 8;
  m.vocab_size = 10;
  m.tie_word_embeddings = true;
  m.dense_intermediate_size = 16;
  m.attention.kind = AttentionKind::gqa;
  m.attention.num_heads = 4;
  m.attention.num_kv_heads = 2;
  m.attention.head_dim = 2;
  m.moe.num_routed_experts = 4;
  m.moe.top_k = 2;
  m.moe.expert_intermediate_size = 6;
  m.moe.num_shared_experts = 1;
  m.moe.shared_expert_intermediate_size = 4;
  m.moe.router_bias = true;
  m.moe.first_dense_layers = 1;
  return m;
}

TEST(ParameterCount, TinyGqaMoe) {
  ModelArchitecture m = tiny_gqa_moe();
  // q 8x8 = 64, k 8x4 = 32, v 32, o 8x8 = 64.
  EXPECT_EQ(attention_parameters_per_layer(m), 192);
  EXPECT_EQ(parameters_per_routed_expert(m), 144); // 3 x 8 x 6
  EXPECT_EQ(parameters_per_shared_expert(m), 96);  // 3 x 8 x 4
  EXPECT_EQ(router_parameters_per_layer(m), 36);   // 8 x 4 + 4

  LayerParameterCount dense = count_layer_parameters(m, 0);
  EXPECT_EQ(dense.total(), 192 + 384 + 16);
  EXPECT_EQ(dense.routed_experts, 0);

  LayerParameterCount moe = count_layer_parameters(m, 1);
  EXPECT_EQ(moe.dense_ffn, 0);
  EXPECT_EQ(moe.routed_experts, 576);
  EXPECT_EQ(moe.active_routed_experts, 288);
  EXPECT_EQ(moe.total(), 192 + 576 + 96 + 36 + 16);  // 916
  EXPECT_EQ(moe.active(), 192 + 288 + 96 + 36 + 16); // 628

  ParameterCount c = count_parameters(m);
  EXPECT_EQ(c.embedding, 80);
  EXPECT_EQ(c.lm_head, 0); // tied
  EXPECT_EQ(c.routed_experts, 1152);
  EXPECT_EQ(c.shared_experts, 192);
  EXPECT_EQ(c.router, 72);
  EXPECT_EQ(c.total, 592 + 2 * 916 + 8 + 80);                  // 2512
  EXPECT_EQ(c.active_without_embeddings(), 592 + 2 * 628 + 8); // 1856
  EXPECT_EQ(c.active_with_embeddings(), 1856 + 80);
  EXPECT_EQ(c.active_without_input_embedding(), 1856 + 80); // the tied matrix still unembeds
}

TEST(ParameterCount, GptOssStyleBiasesSinksAndQkNorms) {
  ModelArchitecture m;
  m.num_layers = 1;
  m.hidden_size = 4;
  m.vocab_size = 3;
  m.attention.kind = AttentionKind::gqa;
  m.attention.num_heads = 2;
  m.attention.num_kv_heads = 1;
  m.attention.head_dim = 2;
  m.attention.qkv_bias = true;
  m.attention.o_bias = true;
  m.attention.attention_sinks = true;
  m.moe.num_routed_experts = 2;
  m.moe.top_k = 1;
  m.moe.expert_intermediate_size = 3;
  m.moe.expert_bias = true;
  m.moe.router_bias = true;
  // q 4x4 + 4, k 4x2 + 2, v 4x2 + 2, o 4x4 + 4, sinks 2.
  EXPECT_EQ(attention_parameters_per_layer(m), 62);
  // 3 x 4 x 3 matrices + gate/up biases 2 x 3 + down bias 4.
  EXPECT_EQ(parameters_per_routed_expert(m), 46);
  EXPECT_EQ(router_parameters_per_layer(m), 10);
  EXPECT_EQ(count_layer_parameters(m, 0).total(), 62 + 92 + 10 + 8);
  m.attention.qk_norm = QkNorm::per_head; // 2 x head_dim
  EXPECT_EQ(attention_parameters_per_layer(m), 66);
  m.attention.qk_norm = QkNorm::per_projection; // (2 + 1) x 2
  EXPECT_EQ(attention_parameters_per_layer(m), 68);
}

// MLA: hidden 16, 2 layers, vocab 10, 2 heads, q_lora 4, kv_lora 6, nope 3, rope 2, v 5, dense FFN 8, 1 MTP module.
ModelArchitecture tiny_mla() {
  ModelArchitecture m;
  m.name = "tiny-mla";
  m.num_layers = 2;
  m.hidden_size = 16;
  m.vocab_size = 10;
  m.dense_intermediate_size = 8;
  m.attention.kind = AttentionKind::mla;
  m.attention.num_heads = 2;
  m.attention.num_kv_heads = 2;
  m.attention.mla = MlaDims{4, 6, 3, 2, 5};
  m.mtp_layers = 1;
  return m;
}

TEST(ParameterCount, TinyMla) {
  ModelArchitecture m = tiny_mla();
  // q_a 16x4 + q_a norm 4 + q_b 4 x 2 x (3 + 2) = 64 + 4 + 40 = 108
  // kv_a 16 x (6 + 2) = 128, kv norm 6, kv_b 6 x 2 x (3 + 5) = 96, o 2 x 5 x 16 = 160
  EXPECT_EQ(attention_parameters_per_layer(m), 108 + 128 + 6 + 96 + 160);
  ParameterCount c = count_parameters(m);
  double layer = 498 + 3 * 16 * 8 + 2 * 16; // 914
  EXPECT_EQ(c.total, 2 * layer + 16 + 160 + 160);
  // MTP: one more layer + enorm and hnorm (2 x 16) + eh_proj (32 x 16) + the shared head's norm (16).
  EXPECT_EQ(mtp_extra_parameters_per_module(m), 32 + 512 + 16);
  EXPECT_EQ(c.mtp, layer + 560);
  EXPECT_EQ(c.total_with_mtp(), c.total + c.mtp);

  m.attention.mla.q_lora_rank = 0; // queries straight from the hidden state: 16 x 2 x 5 = 160
  EXPECT_EQ(attention_parameters_per_layer(m), 160 + 128 + 6 + 96 + 160);
}

TEST(ParameterCount, ActiveConventionNames) {
  for (auto c : {ActiveConvention::with_embeddings, ActiveConvention::without_input_embedding,
                 ActiveConvention::without_embeddings})
    EXPECT_EQ(parse_active_convention(to_string(c)), c);
  EXPECT_FALSE(parse_active_convention("with_vision").has_value());
}

// ---------------------------------------------------------------------------------------------------------
// The catalog against the publishers' figures.

const ModelCatalog& catalog() {
  static const ModelCatalog c = ModelCatalog::load_or_throw(test::catalog_dir());
  return c;
}

double relative_error(double ours, double published) {
  return std::fabs(ours / published - 1.0);
}

void expect_matches_published(const std::string& name, double total_tolerance, double active_tolerance) {
  const ModelArchitecture& m = catalog().get(name);
  ASSERT_TRUE(m.published.has_value()) << name;
  auto convention = parse_active_convention(m.published->active_convention);
  ASSERT_TRUE(convention.has_value()) << name;
  ParameterCount c = count_parameters(m);
  EXPECT_LE(relative_error(c.total, m.published->total_parameters), total_tolerance)
      << name << ": total " << c.total << " vs published " << m.published->total_parameters;
  EXPECT_LE(relative_error(c.active(*convention), m.published->active_parameters), active_tolerance)
      << name << ": active (" << m.published->active_convention << ") " << c.active(*convention) << " vs published "
      << m.published->active_parameters;
}

TEST(PublishedCounts, DeepSeekV3) {
  expect_matches_published("deepseek-v3", 0.02, 0.02);
}
TEST(PublishedCounts, Qwen3_235B) {
  expect_matches_published("qwen3-235b-a22b", 0.02, 0.02);
}
TEST(PublishedCounts, Llama4Maverick) {
  expect_matches_published("llama-4-maverick", 0.02, 0.02);
}
TEST(PublishedCounts, Llama4Scout) {
  expect_matches_published("llama-4-scout", 0.02, 0.02);
}
TEST(PublishedCounts, Mixtral8x7B) {
  expect_matches_published("mixtral-8x7b", 0.02, 0.02);
}
TEST(PublishedCounts, Mixtral8x22B) {
  expect_matches_published("mixtral-8x22b", 0.02, 0.02);
}
TEST(PublishedCounts, GptOss120B) {
  expect_matches_published("gpt-oss-120b", 0.02, 0.02);
}
// Moonshot's "1T" is rounded to one significant figure; the checkpoint holds 1.026T (2.6% more), which rounds
// to it. The active figure is within 2%.
TEST(PublishedCounts, KimiK2) {
  expect_matches_published("kimi-k2", 0.03, 0.02);
}

TEST(PublishedCounts, EveryPublishedBlockIsReproducedWithinThreePercent) {
  for (const auto& [name, m] : catalog().all())
    if (m.published) expect_matches_published(name, 0.03, 0.03);
}

TEST(PublishedCounts, ExactFiguresWhereThePublisherGivesThem) {
  // OpenAI's model card: 116.83B total, 5.13B active (without the input embedding).
  ParameterCount gpt_oss = count_parameters(catalog().get("gpt-oss-120b"));
  EXPECT_NEAR(gpt_oss.total / 1e9, 116.83, 0.005);
  EXPECT_NEAR(gpt_oss.active_without_input_embedding() / 1e9, 5.13, 0.005);
  // Mistral: 46.7B total, 12.9B per token.
  ParameterCount mixtral = count_parameters(catalog().get("mixtral-8x7b"));
  EXPECT_NEAR(mixtral.total / 1e9, 46.7, 0.05);
  EXPECT_NEAR(mixtral.active_with_embeddings() / 1e9, 12.9, 0.05);
}

TEST(PublishedCounts, DeepSeekV3Breakdown) {
  const ModelArchitecture& m = catalog().get("deepseek-v3");
  ParameterCount c = count_parameters(m);
  EXPECT_EQ(c.embedding, 129280.0 * 7168);
  EXPECT_EQ(c.lm_head, 129280.0 * 7168);
  EXPECT_EQ(c.routed_experts, 58.0 * 256 * 3 * 7168 * 2048);
  EXPECT_EQ(c.shared_experts, 58.0 * 3 * 7168 * 2048);
  EXPECT_EQ(c.dense_ffn, 3.0 * 3 * 7168 * 18432);
  EXPECT_EQ(c.router, 58.0 * (7168 * 256 + 256));
  EXPECT_DOUBLE_EQ(c.total, c.embedding + c.lm_head + c.attention + c.dense_ffn + c.routed_experts + c.shared_experts +
                                c.router + c.norms);
  // The MTP module: one MoE layer plus 2 x 7168 x 7168 projection and norms, about 11.6B (DeepSeek's 14B also
  // counts its own copies of the embedding and the head).
  EXPECT_NEAR(c.mtp / 1e9, 11.6, 0.1);
}

} // namespace
} // namespace moescope
