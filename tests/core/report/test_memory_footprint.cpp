#include <gtest/gtest.h>

#include "compute/memory_footprint.hpp"
#include "report/eval_report.hpp"
#include "util/data_paths.hpp"

using namespace moescope;

namespace {
ResolvedScenario resolve(const std::string& text) {
  static const HardwareDatabase hwdb = HardwareDatabase::load_or_throw(hwdb_dir());
  static const ModelCatalog catalog = ModelCatalog::load_or_throw(model_catalog_dir());
  Diagnostics d;
  Scenario s = read_scenario(Json::parse(text), "s.json", d);
  d.throw_if_any();
  return resolve_scenario(s, hwdb, catalog);
}
} // namespace

TEST(MemoryFootprint, DeepSeekV3Ep64HandComputed) {
  auto r = resolve(R"({"model": "deepseek-v3", "system": "dgx-h100", "deployment": {"nodes": 8},
      "workload": {"batch_per_gpu": 128, "input_tokens": 2048, "output_tokens": 1024,
                   "dtypes": {"weights": "fp8", "kv_cache": "bf16"}}})");
  MemoryFootprint f = compute_memory_footprint(r);
  const double fp8 = 1.0 + 4.0 / 128.0;
  const double expert = 3.0 * 7168 * 2048;
  EXPECT_DOUBLE_EQ(f.routed_expert_weight_bytes, 58 * 4 * expert * fp8);
  EXPECT_DOUBLE_EQ(f.shared_expert_weight_bytes, 58 * expert * fp8);
  EXPECT_DOUBLE_EQ(f.dense_ffn_weight_bytes, 3 * 3.0 * 7168 * 18432 * fp8);
  EXPECT_DOUBLE_EQ(f.embedding_and_head_weight_bytes, 2.0 * 129280 * 7168 * 2);
  EXPECT_DOUBLE_EQ(f.kv_cache_bytes_per_token, 61 * 576 * 2.0);
  EXPECT_DOUBLE_EQ(f.kv_cache_bytes, 61 * 576 * 2.0 * 3072 * 128);
  EXPECT_TRUE(f.fits);
  EXPECT_EQ(f.max_batch_per_gpu_that_fits,
            static_cast<std::int64_t>((80e9 - f.weight_bytes) / (61 * 576 * 2.0 * 3072)));
}

TEST(MemoryFootprint, GqaKvSplitOverTpAndReplicatedBeyondKvHeads) {
  // Llama 3 70B: 8 KV heads of 128; TP8 -> one KV head per GPU, bf16.
  auto r = resolve(R"({"model": "llama-3-70b", "system": "dgx-h100", "deployment": {"nodes": 1,
      "attention": {"tp": 8}, "moe": {"ep": 1, "tp": 8}}, "workload": {"batch_per_gpu": 1, "input_tokens": 1000,
      "output_tokens": 24}})");
  MemoryFootprint f = compute_memory_footprint(r);
  EXPECT_DOUBLE_EQ(f.kv_cache_bytes_per_token, 80 * 2 * 1 * 128 * 2.0);
  // 8 sequences per attention DP rank of 8 GPUs (batch_per_gpu x tp) of 1024 tokens.
  EXPECT_DOUBLE_EQ(f.kv_cache_bytes, 80 * 2 * 128 * 2.0 * 1024 * 8);
}

TEST(MemoryFootprint, DoesNotFitIsReported) {
  auto r = resolve(R"({"model": "deepseek-v3", "system": "dgx-h100", "deployment": {"nodes": 1},
      "workload": {"batch_per_gpu": 1, "input_tokens": 1024, "dtypes": {"weights": "bf16"}}})");
  MemoryFootprint f = compute_memory_footprint(r);
  EXPECT_FALSE(f.fits);
  EXPECT_LT(f.headroom_bytes, 0);
  EXPECT_EQ(f.max_batch_per_gpu_that_fits, 0);
}

TEST(EvalReport, HasDeploymentAndMemorySections) {
  auto r =
      resolve(R"({"model": "qwen3-235b-a22b", "system": "gb200-nvl72", "deployment": {"nodes": 1, "gpus_per_node": 64,
      "attention": {"tp": 4}}, "workload": {"batch_per_gpu": 8, "input_tokens": 1024}})");
  EvalReport report = render_report(r, evaluate_deployment(r, /*all_phases=*/true));
  EXPECT_EQ(report.json["deployment"]["moe_ep"], 64);
  EXPECT_EQ(report.json["deployment"]["expert_slots_per_gpu"], 2);
  EXPECT_TRUE(report.json["memory"]["fits"].get<bool>());
  EXPECT_NE(report.text.find("Memory per GPU"), std::string::npos);
}
