#include <gtest/gtest.h>

#include "model/model_architecture.hpp"
#include "model_test_support.hpp"

namespace moescope {
namespace {

using test::has_problem;

// A small valid catalog entry: a MoE model with DeepSeek-style leading dense layers and group routing.
Json valid_moe_json() {
  return Json::parse(R"({
    "name": "tiny-moe",
    "display_name": "Tiny MoE",
    "hf_repo": "example/tiny-moe",
    "source": "written for a test",
    "num_layers": 4,
    "hidden_size": 64,
    "vocab_size": 1000,
    "tie_word_embeddings": false,
    "dense_intermediate_size": 256,
    "gated_ffn": true,
    "weight_dtype": "fp8",
    "attention": {"kind": "gqa", "num_heads": 8, "num_kv_heads": 2, "head_dim": 8,
                  "sliding_window_tokens": 128, "sliding_window_pattern": [true, false]},
    "moe": {"num_routed_experts": 16, "num_shared_experts": 1, "top_k": 4, "expert_intermediate_size": 32,
            "shared_expert_intermediate_size": 32, "num_groups": 4, "groups_per_token": 2,
            "first_dense_layers": 1},
    "mtp_layers": 1,
    "published": {"total_parameters": 1.5e6, "active_parameters": 5e5, "active_convention": "with_embeddings",
                  "source": "nowhere"}
  })");
}

ModelArchitecture read_ok(const Json& j) {
  Diagnostics d;
  ModelArchitecture m = read_model(j, "tiny.json", d);
  EXPECT_TRUE(d.empty()) << d.to_string();
  return m;
}

// Reads `j` expecting a problem at `pointer` whose message contains `fragment`.
void expect_problem(const Json& j, const std::string& pointer, const std::string& fragment) {
  Diagnostics d;
  read_model(j, "models/catalog/tiny.json", d);
  EXPECT_TRUE(has_problem(d, "models/catalog/tiny.json", pointer, fragment))
      << "wanted \"" << fragment << "\" at " << pointer << "; got:\n"
      << d.to_string();
}

TEST(ModelArchitecture, ReadsEveryField) {
  ModelArchitecture m = read_ok(valid_moe_json());
  EXPECT_EQ(m.name, "tiny-moe");
  EXPECT_EQ(m.file, "tiny.json");
  EXPECT_EQ(m.weight_dtype, DataType::fp8);
  EXPECT_EQ(m.attention.kind, AttentionKind::gqa);
  EXPECT_EQ(m.attention.num_kv_heads, 2);
  EXPECT_EQ(m.attention.sliding_window_pattern, (std::vector<bool>{true, false}));
  EXPECT_EQ(m.moe.num_groups, 4);
  EXPECT_EQ(m.moe.layer_interval, 1); // default
  EXPECT_FALSE(m.moe.expert_bias);    // default
  EXPECT_EQ(m.mtp_layers, 1);
  ASSERT_TRUE(m.published.has_value());
  EXPECT_DOUBLE_EQ(m.published->total_parameters, 1.5e6);
  EXPECT_EQ(m.published->active_convention, "with_embeddings");
}

TEST(ModelArchitecture, JsonRoundTrips) {
  ModelArchitecture m = read_ok(valid_moe_json());
  Json once = model_to_json(m);
  ModelArchitecture again = read_ok(once);
  EXPECT_EQ(model_to_json(again), once);
  EXPECT_EQ(Json::parse(model_to_json_text(m)), once);
  EXPECT_EQ(model_to_json_text(m).back(), '\n');
}

TEST(ModelArchitecture, MlaRoundTripsWithoutHeadDim) {
  Json j = valid_moe_json();
  j["attention"] = Json::parse(R"({"kind": "mla", "num_heads": 4, "num_kv_heads": 4,
      "mla": {"q_lora_rank": 0, "kv_lora_rank": 16, "qk_nope_head_dim": 8, "qk_rope_head_dim": 4, "v_head_dim": 8}})");
  ModelArchitecture m = read_ok(j);
  EXPECT_EQ(m.attention.kind, AttentionKind::mla);
  EXPECT_EQ(m.attention.mla.q_lora_rank, 0);
  Json out = model_to_json(m);
  EXPECT_FALSE(out["attention"].contains("head_dim"));
  EXPECT_EQ(model_to_json(read_ok(out)), out);
}

TEST(ModelArchitecture, DenseModelHasNoMoeBlock) {
  Json j = valid_moe_json();
  j.erase("moe");
  ModelArchitecture m = read_ok(j);
  EXPECT_FALSE(m.is_moe());
  EXPECT_EQ(m.num_moe_layers(), 0);
  EXPECT_FALSE(model_to_json(m).contains("moe"));
}

TEST(ModelArchitecture, ToString) {
  EXPECT_EQ(to_string(AttentionKind::mha), "mha");
  EXPECT_EQ(to_string(AttentionKind::gqa), "gqa");
  EXPECT_EQ(to_string(AttentionKind::mla), "mla");
  EXPECT_EQ(parse_attention_kind("mla"), AttentionKind::mla);
  EXPECT_FALSE(parse_attention_kind("mqa").has_value());
  EXPECT_EQ(to_string(QkNorm::per_projection), "per_projection");
  EXPECT_EQ(parse_qk_norm("per_head"), QkNorm::per_head);
}

TEST(ModelArchitecture, MoeLayersWithLeadingDenseLayers) {
  ModelArchitecture m;
  m.num_layers = 61;
  m.moe.num_routed_experts = 256;
  m.moe.first_dense_layers = 3; // DeepSeek-V3
  EXPECT_FALSE(m.is_moe_layer(0));
  EXPECT_FALSE(m.is_moe_layer(2));
  EXPECT_TRUE(m.is_moe_layer(3));
  EXPECT_TRUE(m.is_moe_layer(60));
  EXPECT_FALSE(m.is_moe_layer(61));
  EXPECT_FALSE(m.is_moe_layer(-1));
  EXPECT_EQ(m.num_moe_layers(), 58);
}

TEST(ModelArchitecture, InterleavedMoeLayers) {
  ModelArchitecture m;
  m.num_layers = 48;
  m.moe.num_routed_experts = 128;
  m.moe.layer_interval = 2; // Llama 4 Maverick: layers 1, 3, 5, ...
  EXPECT_FALSE(m.is_moe_layer(0));
  EXPECT_TRUE(m.is_moe_layer(1));
  EXPECT_FALSE(m.is_moe_layer(46));
  EXPECT_TRUE(m.is_moe_layer(47));
  EXPECT_EQ(m.num_moe_layers(), 24);
}

TEST(ModelArchitecture, SlidingWindowPattern) {
  ModelArchitecture m;
  m.num_layers = 6;
  EXPECT_FALSE(m.uses_sliding_window(0));
  m.attention.sliding_window_tokens = 128;
  EXPECT_TRUE(m.uses_sliding_window(5)); // no pattern: every layer
  m.attention.sliding_window_pattern = {true, true, false};
  EXPECT_TRUE(m.uses_sliding_window(0));
  EXPECT_TRUE(m.uses_sliding_window(4));
  EXPECT_FALSE(m.uses_sliding_window(2));
  EXPECT_FALSE(m.uses_sliding_window(5));
  EXPECT_FALSE(m.uses_sliding_window(6));
}

TEST(ModelArchitectureErrors, UnknownKeysAtEveryLevel) {
  Json j = valid_moe_json();
  j["colour"] = "blue";
  j["attention"]["heads"] = 8;
  j["moe"]["experts"] = 8;
  expect_problem(j, "/colour", "unknown field");
  expect_problem(j, "/attention/heads", "unknown field");
  expect_problem(j, "/moe/experts", "unknown field");
}

TEST(ModelArchitectureErrors, MissingFields) {
  Json j = valid_moe_json();
  j.erase("hidden_size");
  j["attention"].erase("head_dim");
  j["moe"].erase("top_k");
  expect_problem(j, "/hidden_size", "missing required field; expected an integer in [1, 16777216]");
  expect_problem(j, "/attention/head_dim", "missing required field");
  expect_problem(j, "/moe/top_k", "missing required field");
}

TEST(ModelArchitectureErrors, WrongTypes) {
  Json j = valid_moe_json();
  j["num_layers"] = "61";
  j["gated_ffn"] = 1;
  j["attention"]["kind"] = "mqa";
  j["weight_dtype"] = "int3";
  j["attention"]["sliding_window_pattern"] = Json::array({true, 1});
  expect_problem(j, "/num_layers", "expected an integer in [1, 4096], got the string \"61\"");
  expect_problem(j, "/gated_ffn", "expected true or false");
  expect_problem(j, "/attention/kind", "expected one of \"mha\", \"gqa\", \"mla\"");
  expect_problem(j, "/weight_dtype", "\"int3\"");
  expect_problem(j, "/attention/sliding_window_pattern/1", "expected true or false");
}

TEST(ModelArchitectureErrors, ZeroAndNegativeSizes) {
  Json j = valid_moe_json();
  j["hidden_size"] = 0;
  j["moe"]["num_routed_experts"] = -8;
  j["dense_intermediate_size"] = -1;
  expect_problem(j, "/hidden_size", "expected an integer in [1, 16777216], got 0");
  expect_problem(j, "/moe/num_routed_experts", "expected an integer in [1, 65536], got -8");
  expect_problem(j, "/dense_intermediate_size", "expected an integer in [0, 16777216]");
}

TEST(ModelArchitectureErrors, TopKAboveExperts) {
  Json j = valid_moe_json();
  j["moe"]["top_k"] = 17;
  expect_problem(j, "/moe/top_k", "expected at most num_routed_experts (16), got 17");
}

TEST(ModelArchitectureErrors, KvHeadsMustDivideHeads) {
  Json j = valid_moe_json();
  j["attention"]["num_kv_heads"] = 3;
  expect_problem(j, "/attention/num_kv_heads", "expected a divisor of num_heads (8), got 3");
  j["attention"]["kind"] = "mha";
  j["attention"]["num_kv_heads"] = 2;
  expect_problem(j, "/attention/num_kv_heads", "expected num_heads (8)");
}

TEST(ModelArchitectureErrors, GroupRouting) {
  Json j = valid_moe_json();
  j["moe"]["groups_per_token"] = 5;
  expect_problem(j, "/moe/groups_per_token", "expected at most num_groups (4), got 5");
  j = valid_moe_json();
  j["moe"]["num_groups"] = 3;
  expect_problem(j, "/moe/num_groups", "expected a divisor of num_routed_experts (16), got 3");
  j = valid_moe_json();
  j["moe"]["groups_per_token"] = 1; // one group of 4 experts cannot supply 5
  j["moe"]["top_k"] = 5;
  expect_problem(j, "/moe/top_k", "groups_per_token * experts per group (4)");
}

TEST(ModelArchitectureErrors, LayerConsistency) {
  Json j = valid_moe_json();
  j["dense_intermediate_size"] = 0; // layer 0 is dense
  expect_problem(j, "/dense_intermediate_size", "the model has dense layers");
  j = valid_moe_json();
  j["moe"]["first_dense_layers"] = 4;
  expect_problem(j, "/moe/first_dense_layers", "expected fewer than num_layers (4)");
  j = valid_moe_json();
  j["moe"]["num_shared_experts"] = 0;
  expect_problem(j, "/moe/shared_expert_intermediate_size", "when num_shared_experts is 0");
  j = valid_moe_json();
  j["attention"]["sliding_window_tokens"] = 0;
  expect_problem(j, "/attention/sliding_window_pattern", "needs sliding_window_tokens > 0");
  j = valid_moe_json();
  j["attention"]["kind"] = "mla";
  expect_problem(j, "/attention/head_dim", "not used with kind \"mla\"");
  expect_problem(j, "/attention/mla", "missing required field");
}

TEST(ModelArchitectureErrors, NameAndPublished) {
  Json j = valid_moe_json();
  j["name"] = "Tiny MoE";
  j["published"]["active_convention"] = "sometimes";
  j["published"]["total_parameters"] = -1;
  expect_problem(j, "/name", "lower-case");
  expect_problem(j, "/published/active_convention", "\"with_embeddings\", \"without_input_embedding\"");
  expect_problem(j, "/published/total_parameters", "expected a number > 0");
}

TEST(ModelArchitectureErrors, NotAnObject) {
  Diagnostics d;
  read_model(Json::array(), "x.json", d);
  EXPECT_TRUE(has_problem(d, "x.json", "/", "expected an object"));
}

} // namespace
} // namespace moescope
