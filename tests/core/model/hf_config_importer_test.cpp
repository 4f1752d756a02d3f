#include <gtest/gtest.h>

#include <filesystem>

#include "model/hf_config_importer.hpp"
#include "model/known_models.hpp"
#include "model_test_support.hpp"

namespace moescope {
namespace {

namespace fs = std::filesystem;
using test::has_problem;

// The shared reference copies (skipped when ../shared is absent) or, failing that, the project's own copies.
std::string config_path(const std::string& file_name) {
  fs::path shared = fs::path(test::shared_configs_dir()) / file_name;
  if (fs::exists(shared)) return shared.string();
  return (fs::path(test::configs_dir()) / file_name).string();
}

ModelArchitecture import_ok(const std::string& file_name) {
  Diagnostics d;
  std::string path = config_path(file_name);
  ModelArchitecture m = import_hf_config_file(path, d);
  EXPECT_TRUE(d.empty()) << d.to_string();
  // Whatever the importer makes must be a valid catalog entry that round-trips.
  Diagnostics again;
  Json j = model_to_json(m);
  read_model(j, "roundtrip.json", again);
  EXPECT_TRUE(again.empty()) << again.to_string();
  return m;
}

TEST(HfConfigImporter, SharedReferenceConfigsImport) {
  fs::path dir = test::shared_configs_dir();
  if (!fs::is_directory(dir)) GTEST_SKIP() << "no shared reference configs at " << dir;
  int n = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    Diagnostics d;
    ModelArchitecture m = import_hf_config_file(entry.path().string(), d);
    EXPECT_TRUE(d.empty()) << entry.path() << ":\n" << d.to_string();
    EXPECT_NE(find_known_model(m.name), nullptr) << entry.path() << " imported as unknown model " << m.name;
    ++n;
  }
  EXPECT_GE(n, 9);
}

TEST(HfConfigImporter, DeepSeekV3) {
  ModelArchitecture m = import_ok("deepseek-ai--DeepSeek-V3.json");
  EXPECT_EQ(m.name, "deepseek-v3");
  EXPECT_EQ(m.hf_repo, "deepseek-ai/DeepSeek-V3");
  EXPECT_EQ(m.attention.kind, AttentionKind::mla);
  EXPECT_EQ(m.attention.num_heads, 128);
  EXPECT_EQ(m.attention.num_kv_heads, 128);
  EXPECT_EQ(m.attention.mla.q_lora_rank, 1536);
  EXPECT_EQ(m.attention.mla.kv_lora_rank, 512);
  EXPECT_EQ(m.attention.mla.qk_rope_head_dim, 64);
  EXPECT_EQ(m.num_layers, 61);
  EXPECT_EQ(m.dense_intermediate_size, 18432);
  EXPECT_EQ(m.moe.num_routed_experts, 256);
  EXPECT_EQ(m.moe.num_shared_experts, 1);
  EXPECT_EQ(m.moe.shared_expert_intermediate_size, 2048);
  EXPECT_EQ(m.moe.top_k, 8);
  EXPECT_EQ(m.moe.num_groups, 8);
  EXPECT_EQ(m.moe.groups_per_token, 4);
  EXPECT_TRUE(m.moe.router_bias); // noaux_tc
  EXPECT_EQ(m.moe.first_dense_layers, 3);
  EXPECT_EQ(m.moe.layer_interval, 1);
  EXPECT_EQ(m.mtp_layers, 1);
  EXPECT_EQ(m.weight_dtype, DataType::fp8);
  EXPECT_FALSE(m.is_moe_layer(2));
  EXPECT_TRUE(m.is_moe_layer(3));
  EXPECT_EQ(m.num_moe_layers(), 58);
  ASSERT_TRUE(m.published.has_value());
  EXPECT_EQ(m.published->total_parameters, 671e9);
}

TEST(HfConfigImporter, KimiK2) {
  ModelArchitecture m = import_ok("moonshotai--Kimi-K2-Instruct.json");
  EXPECT_EQ(m.name, "kimi-k2");
  EXPECT_EQ(m.attention.num_heads, 64);
  EXPECT_EQ(m.moe.num_routed_experts, 384);
  EXPECT_EQ(m.moe.first_dense_layers, 1);
  EXPECT_EQ(m.moe.num_groups, 1);
  EXPECT_EQ(m.mtp_layers, 0);
  EXPECT_EQ(m.vocab_size, 163840);
}

TEST(HfConfigImporter, Qwen3Moe) {
  ModelArchitecture big = import_ok("Qwen--Qwen3-235B-A22B.json");
  EXPECT_EQ(big.name, "qwen3-235b-a22b");
  EXPECT_EQ(big.attention.kind, AttentionKind::gqa);
  EXPECT_EQ(big.attention.num_heads, 64);
  EXPECT_EQ(big.attention.num_kv_heads, 4);
  EXPECT_EQ(big.attention.head_dim, 128);
  EXPECT_EQ(big.attention.qk_norm, QkNorm::per_head);
  EXPECT_EQ(big.num_layers, 94);
  EXPECT_EQ(big.moe.num_routed_experts, 128);
  EXPECT_EQ(big.moe.top_k, 8);
  EXPECT_EQ(big.moe.expert_intermediate_size, 1536);
  EXPECT_EQ(big.dense_intermediate_size, 0); // every layer is MoE
  EXPECT_EQ(big.num_moe_layers(), 94);
  EXPECT_EQ(big.attention.sliding_window_tokens, 0);

  ModelArchitecture small = import_ok("Qwen--Qwen3-30B-A3B.json");
  EXPECT_EQ(small.name, "qwen3-30b-a3b");
  EXPECT_EQ(small.hidden_size, 2048);
  EXPECT_EQ(small.moe.expert_intermediate_size, 768);
}

TEST(HfConfigImporter, Llama4Maverick) {
  ModelArchitecture m = import_ok("meta-llama--Llama-4-Maverick-17B-128E-Instruct.json");
  EXPECT_EQ(m.name, "llama-4-maverick");
  EXPECT_EQ(m.hidden_size, 5120);
  EXPECT_EQ(m.vocab_size, 202048);
  EXPECT_EQ(m.moe.num_routed_experts, 128);
  EXPECT_EQ(m.moe.top_k, 1);
  EXPECT_EQ(m.moe.num_shared_experts, 1);
  EXPECT_EQ(m.moe.shared_expert_intermediate_size, 8192);
  EXPECT_EQ(m.moe.expert_intermediate_size, 8192);
  EXPECT_EQ(m.dense_intermediate_size, 16384);
  EXPECT_EQ(m.moe.first_dense_layers, 0);
  EXPECT_EQ(m.moe.layer_interval, 2);
  EXPECT_EQ(m.num_moe_layers(), 24);
  EXPECT_FALSE(m.is_moe_layer(0));
  EXPECT_TRUE(m.is_moe_layer(1));
  EXPECT_FALSE(m.is_moe_layer(2));
  EXPECT_TRUE(m.is_moe_layer(47));
  // Chunked attention (8192) on three of every four layers; every fourth is global NoPE attention.
  EXPECT_EQ(m.attention.sliding_window_tokens, 8192);
  EXPECT_EQ(m.attention.sliding_window_pattern, (std::vector<bool>{true, true, true, false}));
  EXPECT_TRUE(m.uses_sliding_window(0));
  EXPECT_FALSE(m.uses_sliding_window(3));
  EXPECT_EQ(m.weight_dtype, DataType::bf16);
}

TEST(HfConfigImporter, Llama4Scout) {
  ModelArchitecture m = import_ok("meta-llama--Llama-4-Scout-17B-16E-Instruct.json");
  EXPECT_EQ(m.name, "llama-4-scout");
  EXPECT_EQ(m.moe.num_routed_experts, 16);
  EXPECT_EQ(m.moe.layer_interval, 1);
  EXPECT_EQ(m.num_moe_layers(), 48);
  EXPECT_EQ(m.dense_intermediate_size, 0);
  EXPECT_EQ(m.attention.qk_norm, QkNorm::none); // Llama 4's q/k norm is a weightless L2 norm
}

TEST(HfConfigImporter, Mixtral) {
  ModelArchitecture small = import_ok("mistralai--Mixtral-8x7B-v0.1.json");
  EXPECT_EQ(small.name, "mixtral-8x7b");
  EXPECT_EQ(small.attention.head_dim, 128); // hidden_size / heads
  EXPECT_EQ(small.attention.num_kv_heads, 8);
  EXPECT_EQ(small.moe.num_routed_experts, 8);
  EXPECT_EQ(small.moe.top_k, 2);
  EXPECT_EQ(small.moe.expert_intermediate_size, 14336);
  EXPECT_EQ(small.moe.num_shared_experts, 0);
  EXPECT_EQ(small.attention.sliding_window_tokens, 0); // "sliding_window": null

  ModelArchitecture big = import_ok("mistralai--Mixtral-8x22B-v0.1.json");
  EXPECT_EQ(big.name, "mixtral-8x22b");
  EXPECT_EQ(big.num_layers, 56);
  EXPECT_EQ(big.attention.num_heads, 48);
}

TEST(HfConfigImporter, GptOss) {
  ModelArchitecture m = import_ok("openai--gpt-oss-120b.json");
  EXPECT_EQ(m.name, "gpt-oss-120b");
  EXPECT_EQ(m.attention.head_dim, 64);
  EXPECT_EQ(m.attention.num_heads, 64);
  EXPECT_EQ(m.attention.num_kv_heads, 8);
  EXPECT_TRUE(m.attention.qkv_bias);
  EXPECT_TRUE(m.attention.o_bias);
  EXPECT_TRUE(m.attention.attention_sinks);
  EXPECT_EQ(m.attention.sliding_window_tokens, 128);
  EXPECT_EQ(m.attention.sliding_window_pattern, (std::vector<bool>{true, false}));
  EXPECT_TRUE(m.uses_sliding_window(34));
  EXPECT_FALSE(m.uses_sliding_window(35));
  EXPECT_EQ(m.moe.num_routed_experts, 128);
  EXPECT_EQ(m.moe.top_k, 4);
  EXPECT_TRUE(m.moe.expert_bias);
  EXPECT_TRUE(m.moe.router_bias);
  EXPECT_EQ(m.weight_dtype, DataType::fp4);
  EXPECT_EQ(m.published->active_convention, "without_input_embedding");
}

TEST(HfConfigImporter, ProjectOnlyConfigs) {
  ModelArchitecture lite = import_ok("deepseek-ai--DeepSeek-V2-Lite.json");
  EXPECT_EQ(lite.name, "deepseek-v2-lite");
  EXPECT_EQ(lite.attention.mla.q_lora_rank, 0); // "q_lora_rank": null
  EXPECT_EQ(lite.moe.num_routed_experts, 64);
  EXPECT_EQ(lite.moe.top_k, 6);
  EXPECT_EQ(lite.moe.num_shared_experts, 2);
  EXPECT_EQ(lite.moe.first_dense_layers, 1);
  EXPECT_EQ(lite.num_moe_layers(), 26);
  EXPECT_FALSE(lite.moe.router_bias); // greedy routing, no correction bias

  ModelArchitecture glm = import_ok("zai-org--GLM-4.5.json");
  EXPECT_EQ(glm.name, "glm-4.5");
  EXPECT_TRUE(glm.attention.qkv_bias);
  EXPECT_FALSE(glm.attention.o_bias);
  EXPECT_EQ(glm.attention.qk_norm, QkNorm::per_head);
  EXPECT_EQ(glm.moe.first_dense_layers, 3);
  EXPECT_EQ(glm.moe.num_routed_experts, 160);
  EXPECT_EQ(glm.mtp_layers, 1);

  ModelArchitecture olmoe = import_ok("allenai--OLMoE-1B-7B-0924.json");
  EXPECT_EQ(olmoe.name, "olmoe-1b-7b");
  EXPECT_EQ(olmoe.attention.kind, AttentionKind::mha);
  EXPECT_EQ(olmoe.attention.qk_norm, QkNorm::per_projection);
  EXPECT_EQ(olmoe.moe.expert_intermediate_size, 1024);
  EXPECT_EQ(olmoe.vocab_size, 50304);

  ModelArchitecture llama = import_ok("meta-llama--Meta-Llama-3-70B.json");
  EXPECT_EQ(llama.name, "llama-3-70b");
  EXPECT_FALSE(llama.is_moe());
  EXPECT_EQ(llama.dense_intermediate_size, 28672);
  EXPECT_EQ(llama.attention.kind, AttentionKind::gqa);
}

TEST(HfConfigImporter, DenseQwen3) {
  Json config = Json::parse(R"({"model_type": "qwen3", "hidden_size": 1024, "num_hidden_layers": 28,
      "num_attention_heads": 16, "num_key_value_heads": 8, "head_dim": 128, "intermediate_size": 3072,
      "vocab_size": 151936, "tie_word_embeddings": true, "torch_dtype": "bfloat16"})");
  Diagnostics d;
  ModelArchitecture m = import_hf_config(config, "/models/Qwen3-0.6B/config.json", d);
  EXPECT_TRUE(d.empty()) << d.to_string();
  EXPECT_EQ(m.name, "qwen3-0.6b"); // unknown model: named after its folder
  EXPECT_TRUE(m.tie_word_embeddings);
  EXPECT_EQ(m.attention.qk_norm, QkNorm::per_head);
  EXPECT_FALSE(m.published.has_value());
}

TEST(HfConfigImporter, NameOverrideAndFileNames) {
  Diagnostics d;
  Json config = test::read_json(config_path("deepseek-ai--DeepSeek-V3.json"));
  ModelArchitecture m = import_hf_config(config, "deepseek-r1.json", d, "deepseek-r1");
  EXPECT_TRUE(d.empty()) << d.to_string();
  EXPECT_EQ(m.name, "deepseek-r1");
  EXPECT_FALSE(m.published.has_value()); // not the catalog's deepseek-v3 any more

  import_hf_config(config, "x.json", d, "DeepSeek R1");
  EXPECT_TRUE(has_problem(d, "x.json", "", "not lower-case"));

  EXPECT_EQ(catalog_name_from_file("configs/mistralai--Mixtral-8x7B-v0.1.json"), "mixtral-8x7b-v0.1");
  EXPECT_EQ(catalog_name_from_file("/m/Qwen3-30B-A3B/config.json"), "qwen3-30b-a3b");
  EXPECT_EQ(catalog_name_from_file("moonshotai--Kimi-K2.5_config.json"), "kimi-k2.5");
  EXPECT_EQ(catalog_name_from_file("My Model!.json"), "my-model");
}

TEST(HfConfigImporter, UnknownFingerprintKeepsRepoFromFileName) {
  Json config = test::read_json(config_path("mistralai--Mixtral-8x7B-v0.1.json"));
  config["num_hidden_layers"] = 16;
  Diagnostics d;
  ModelArchitecture m = import_hf_config(config, "acme--Mixtral-Half.json", d);
  EXPECT_TRUE(d.empty()) << d.to_string();
  EXPECT_EQ(m.name, "mixtral-half");
  EXPECT_EQ(m.hf_repo, "acme/Mixtral-Half");
  EXPECT_EQ(m.display_name, "Mixtral-Half");
}

// ---------------------------------------------------------------------------------------------------------
// Bad input: every message names the file and the JSON pointer.

TEST(HfConfigImporterErrors, UnknownModelType) {
  Diagnostics d;
  import_hf_config(Json::parse(R"({"model_type": "bert", "hidden_size": 768})"), "bert/config.json", d);
  EXPECT_TRUE(has_problem(d, "bert/config.json", "/model_type", "unsupported model_type \"bert\""));
  EXPECT_TRUE(has_problem(d, "bert/config.json", "/model_type", "deepseek_v3"));
  EXPECT_TRUE(has_problem(d, "bert/config.json", "/model_type", "gpt_oss"));

  Diagnostics missing;
  import_hf_config(Json::parse(R"({"hidden_size": 768})"), "c.json", missing);
  EXPECT_TRUE(has_problem(missing, "c.json", "/model_type", "missing required field"));
}

TEST(HfConfigImporterErrors, MissingHiddenSize) {
  Json config = test::read_json(config_path("deepseek-ai--DeepSeek-V3.json"));
  config.erase("hidden_size");
  Diagnostics d;
  import_hf_config(config, "dsv3.json", d);
  EXPECT_TRUE(has_problem(d, "dsv3.json", "/hidden_size", "missing required field; expected an integer > 0"))
      << d.to_string();

  Json llama4 = test::read_json(config_path("meta-llama--Llama-4-Scout-17B-16E-Instruct.json"));
  llama4["text_config"].erase("hidden_size");
  Diagnostics nested;
  import_hf_config(llama4, "scout.json", nested);
  EXPECT_TRUE(has_problem(nested, "scout.json", "/text_config/hidden_size", "missing required field"))
      << nested.to_string();
}

TEST(HfConfigImporterErrors, NegativeExperts) {
  Json config = test::read_json(config_path("deepseek-ai--DeepSeek-V3.json"));
  config["n_routed_experts"] = -256;
  Diagnostics d;
  import_hf_config(config, "dsv3.json", d);
  EXPECT_TRUE(has_problem(d, "dsv3.json", "/n_routed_experts", "expected an integer > 0, got the number -256"))
      << d.to_string();
}

TEST(HfConfigImporterErrors, TopKAboveExperts) {
  Json config = test::read_json(config_path("mistralai--Mixtral-8x7B-v0.1.json"));
  config["num_experts_per_tok"] = 9;
  Diagnostics d;
  import_hf_config(config, "mixtral.json", d);
  EXPECT_TRUE(has_problem(d, "mixtral.json", "/num_experts_per_tok", "expected at most num_local_experts (8), got 9"))
      << d.to_string();
}

TEST(HfConfigImporterErrors, InconsistentHeadsAndGroups) {
  Json config = test::read_json(config_path("Qwen--Qwen3-30B-A3B.json"));
  config["num_key_value_heads"] = 5;
  Diagnostics d;
  import_hf_config(config, "q.json", d);
  EXPECT_TRUE(has_problem(d, "q.json", "/num_key_value_heads", "expected a divisor of num_attention_heads (32)"));

  Json ds = test::read_json(config_path("deepseek-ai--DeepSeek-V3.json"));
  ds["topk_group"] = 9;
  ds["n_group"] = 7;
  Diagnostics g;
  import_hf_config(ds, "ds.json", g);
  EXPECT_TRUE(has_problem(g, "ds.json", "/topk_group", "expected at most n_group (7), got 9")) << g.to_string();
  EXPECT_TRUE(has_problem(g, "ds.json", "/n_group", "expected a divisor of n_routed_experts (256)"));
}

TEST(HfConfigImporterErrors, WrongTypesAndUnsupportedLayouts) {
  Json config = test::read_json(config_path("openai--gpt-oss-120b.json"));
  config["num_hidden_layers"] = "36";
  config["quantization_config"]["quant_method"] = "awq";
  Diagnostics d;
  import_hf_config(config, "oss.json", d);
  EXPECT_TRUE(has_problem(d, "oss.json", "/num_hidden_layers", "expected an integer > 0, got the string \"36\""));
  EXPECT_TRUE(has_problem(d, "oss.json", "/quantization_config/quant_method", "\"awq\""));

  Json qwen = test::read_json(config_path("Qwen--Qwen3-30B-A3B.json"));
  qwen["mlp_only_layers"] = Json::array({5});
  Diagnostics layout;
  import_hf_config(qwen, "q.json", layout);
  EXPECT_TRUE(has_problem(layout, "q.json", "/mlp_only_layers", "not supported"));

  Diagnostics not_object;
  import_hf_config(Json::array(), "a.json", not_object);
  EXPECT_TRUE(has_problem(not_object, "a.json", "/", "expected a Hugging Face config.json object"));

  Diagnostics missing_file;
  import_hf_config_file("/nonexistent/config.json", missing_file);
  EXPECT_TRUE(has_problem(missing_file, "/nonexistent/config.json", "", "cannot open"));
}

TEST(HfConfigImporter, SupportedTypes) {
  const auto& types = supported_hf_model_types();
  for (const char* t : {"deepseek_v2", "deepseek_v3", "kimi_k2", "glm4_moe", "qwen3_moe", "qwen3", "llama", "llama4",
                        "mixtral", "gpt_oss", "olmoe"})
    EXPECT_NE(std::find(types.begin(), types.end(), t), types.end()) << t;
}

} // namespace
} // namespace moescope
