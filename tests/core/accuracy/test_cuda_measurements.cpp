// Reading moescope_cuda_bench files (core/validation/cuda_measurements.hpp) on the synthetic fixture
// tests/data/cuda/synthetic-h100-sxm.json (hand-made, not a measurement) and on broken variants of it.
#include <gtest/gtest.h>

#include <fstream>

#include "accuracy/calibrate.hpp"
#include "accuracy/cuda_measurements.hpp"
#include "accuracy/operation_predictor.hpp"
#include "test_paths.hpp"

namespace moescope {
namespace {

const std::string kFixture = std::string(MOESCOPE_TEST_DATA_DIR) + "/cuda/synthetic-h100-sxm.json";

Json fixture() {
  std::ifstream in(kFixture);
  return Json::parse(in);
}

CudaConversionOptions h100() {
  CudaConversionOptions o;
  o.device = "h100-sxm";
  return o;
}

// Converts `j`; returns the diagnostics as one string.
std::string problems_of(const Json& j, CudaConversion* out = nullptr) {
  Diagnostics d;
  CudaConversion c = read_cuda_measurements(j, "m.json", h100(), d);
  if (out) *out = c;
  return d.to_string();
}

std::size_t count(const std::map<std::string, std::size_t>& m, const std::string& k) {
  auto it = m.find(k);
  return it == m.end() ? 0 : it->second;
}

TEST(CudaMeasurements, DetectsFormatByContent) {
  EXPECT_TRUE(is_cuda_measurement_json(fixture()));
  EXPECT_TRUE(is_cuda_measurement_json(Json{{"schema", "something-else/9"}}));
  EXPECT_FALSE(is_cuda_measurement_json(Json{{"kind", "validation_suite"}, {"cases", Json::array()}}));
  EXPECT_FALSE(is_cuda_measurement_json(Json::array()));
}

TEST(CudaMeasurements, ConvertsTheFixture) {
  CudaConversion c = load_cuda_measurements(kFixture, h100());
  EXPECT_EQ(c.total_cases, 29u);
  EXPECT_NE(c.gpu_name.find("SYNTHETIC"), std::string::npos);
  EXPECT_EQ(c.date_utc, "2000-01-01T00:00:00Z");
  EXPECT_TRUE(c.complete);
  // Errors are skipped and counted by kind.
  EXPECT_EQ(c.errored_cases, 6u);
  EXPECT_EQ(count(c.errors_by_kind, "unsupported"), 1u);
  EXPECT_EQ(count(c.errors_by_kind, "verification failed"), 1u);
  EXPECT_EQ(count(c.errors_by_kind, "skipped"), 4u);
  EXPECT_EQ(count(c.converted_by_operation, "gemm"), 12u);
  EXPECT_EQ(count(c.converted_by_operation, "grouped_gemm"), 4u);
  EXPECT_EQ(count(c.converted_by_operation, "attention_decode"), 2u);
  EXPECT_EQ(count(c.converted_by_operation, "memory_stream"), 2u);
  ASSERT_EQ(c.suite.cases.size(), 20u);
  // Every family with a conversion has a predictor: nothing is "without a compute predictor".
  EXPECT_TRUE(c.unmapped.empty());
  // Reference families with no compute-model counterpart are counted, never silently dropped.
  std::size_t not_modeled = 0;
  for (const auto& [k, n] : c.not_modeled)
    not_modeled += n;
  EXPECT_EQ(c.total_cases, c.errored_cases + c.suite.cases.size() + not_modeled);
  EXPECT_EQ(count(c.not_modeled, "launch_overhead/empty_kernel_graph"), 1u);
  EXPECT_EQ(count(c.not_modeled, "small_message/memcpy_h2d"), 1u);
  EXPECT_EQ(count(c.not_modeled, "hbm_bandwidth/read_l2_resident"), 1u);
  const Json summary = cuda_conversion_summary_to_json(c);
  EXPECT_EQ(summary["without_predictor"], 0);
  EXPECT_EQ(summary["not_modeled"], 3);
  EXPECT_EQ(summary["converted"], 20);

  const ValidationCase& g = c.suite.cases.front();
  EXPECT_EQ(g.operation, "gemm");
  EXPECT_EQ(g.device, "h100-sxm");
  EXPECT_EQ(g.unit, "seconds");
  EXPECT_EQ(g.pointer, "/cases/0");
  EXPECT_EQ(g.suite_file, kFixture);
  EXPECT_EQ(g.id, "gemm-bf16-deepseek-v3.q_a_proj-m1-n1536-k7168");
  EXPECT_EQ(
      g.parameters,
      (Json{{"m", 1}, {"n", 1536}, {"k", 7168}, {"dtype", "bf16"}, {"output_dtype", "bf16"}, {"cuda_graphs", true}}));
  EXPECT_DOUBLE_EQ(g.measured, fixture()["cases"][0]["median_seconds"].get<double>());

  const ValidationCase* grouped = nullptr;
  for (const auto& v : c.suite.cases)
    if (v.operation == "grouped_gemm") {
      grouped = &v;
      break;
    }
  ASSERT_NE(grouped, nullptr);
  EXPECT_EQ(grouped->parameters["tokens_per_group"], Json(std::vector<int>(8, 64)));
  EXPECT_EQ(grouped->parameters["layout"], "contiguous");
  // One kernel per expert: the predictor accepts kernel_per_group, so every grouped case uses it.
  EXPECT_EQ(grouped->parameters["kernel_per_group"], true);
  EXPECT_EQ(c.grouped_as_single_kernel, 0u);
  EXPECT_EQ(grouped->parameters["dtype"], "fp8");
  EXPECT_EQ(grouped->id, "grouped-fp8-block-deepseek-v3.expert_down-n7168-k2048-g8-t512-balanced");

  std::map<std::string, const ValidationCase*> by_id;
  for (const auto& v : c.suite.cases)
    EXPECT_TRUE(by_id.emplace(v.id, &v).second) << v.id;
  ASSERT_TRUE(by_id.count("attention-deepseek-v3-h16-b8-kv4096"));
  EXPECT_EQ(by_id["attention-deepseek-v3-h16-b8-kv4096"]->parameters, (Json{{"batch", 8},
                                                                            {"kv_length", 4096},
                                                                            {"query_rows", 16},
                                                                            {"kv_groups", 1},
                                                                            {"qk_dim", 576},
                                                                            {"v_dim", 512},
                                                                            {"num_heads", 16},
                                                                            {"kv_dtype", "bf16"},
                                                                            {"cuda_graphs", true}}));
  ASSERT_TRUE(by_id.count("hbm-copy-67108864"));
  EXPECT_EQ(by_id["hbm-copy-67108864"]->parameters,
            (Json{{"read_bytes", 67108864}, {"write_bytes", 67108864}, {"cuda_graphs", true}}));
  ASSERT_TRUE(by_id.count("hbm-read-1073741824"));
  EXPECT_EQ(by_id["hbm-read-1073741824"]->parameters["write_bytes"], 0);
}

TEST(CudaMeasurements, AttentionKvBytesMustMatchThePredictedCache) {
  Json j = fixture();
  // MLA: one shared 576-wide latent row per token; a GQA-style K + V reading would be 8 * 4096 * 1088 * 2.
  j["cases"][18]["params"]["kv_bytes"] = 8 * 4096 * 1088 * 2;
  const std::string p = problems_of(j);
  EXPECT_NE(p.find("/cases/18/params/kv_bytes"), std::string::npos) << p;
  EXPECT_NE(p.find("37748736"), std::string::npos) << p;
}

TEST(CudaMeasurements, EveryFourthCaseOfEachOperationIsHeldOut) {
  CudaConversion c = load_cuda_measurements(kFixture, h100());
  std::map<std::string, std::size_t> index;
  std::size_t held = 0;
  for (const auto& v : c.suite.cases) {
    const std::size_t i = index[v.operation]++;
    EXPECT_EQ(v.split == CaseSplit::holdout, i % 4 == 3) << v.id;
    held += v.split == CaseSplit::holdout;
  }
  EXPECT_EQ(held, 3u + 1u); // 12 GEMMs, 4 grouped GEMMs (2 attention decodes and 2 HBM streams: none held out)
  // Deterministic: the same file gives the same split.
  CudaConversion again = load_cuda_measurements(kFixture, h100());
  ASSERT_EQ(again.suite.cases.size(), c.suite.cases.size());
  for (std::size_t i = 0; i < c.suite.cases.size(); ++i) {
    EXPECT_EQ(again.suite.cases[i].id, c.suite.cases[i].id);
    EXPECT_EQ(again.suite.cases[i].split, c.suite.cases[i].split);
  }
  CudaConversionOptions all = h100();
  all.holdout_every = 1;
  for (const auto& v : load_cuda_measurements(kFixture, all).suite.cases)
    EXPECT_EQ(v.split, CaseSplit::calibration);
}

TEST(CudaMeasurements, EagerTimingMapsToNoCudaGraphs) {
  Json j = fixture();
  j["cases"][0]["timing"]["method"] = "cuda_events";
  CudaConversion c;
  EXPECT_EQ(problems_of(j, &c), "");
  EXPECT_EQ(c.suite.cases[0].parameters["cuda_graphs"], false);
  EXPECT_EQ(c.suite.cases[1].parameters["cuda_graphs"], true);
}

TEST(CudaMeasurements, WrongSchemaIsRejected) {
  Json j = fixture();
  j["schema"] = "moescope-cuda-measurements/2";
  const std::string p = problems_of(j);
  EXPECT_NE(p.find("m.json"), std::string::npos);
  EXPECT_NE(p.find("/schema"), std::string::npos) << p;
  EXPECT_NE(p.find("moescope-cuda-measurements/1"), std::string::npos) << p;
  j["schema"] = 1;
  EXPECT_NE(problems_of(j).find("/schema"), std::string::npos);
}

TEST(CudaMeasurements, MissingFieldsNameTheirPointer) {
  {
    Json j = fixture();
    j["cases"][2].erase("median_seconds");
    const std::string p = problems_of(j);
    EXPECT_NE(p.find("/cases/2/median_seconds"), std::string::npos) << p;
  }
  {
    Json j = fixture();
    j["cases"][1]["params"].erase("k");
    const std::string p = problems_of(j);
    EXPECT_NE(p.find("/cases/1/params/k"), std::string::npos) << p;
  }
  {
    Json j = fixture();
    j["cases"][3].erase("error");
    EXPECT_NE(problems_of(j).find("/cases/3/error"), std::string::npos);
  }
  {
    Json j = fixture();
    j.erase("cases");
    EXPECT_NE(problems_of(j).find("/cases"), std::string::npos);
  }
  {
    Json j = fixture();
    j["device"].erase("name");
    EXPECT_NE(problems_of(j).find("/device/name"), std::string::npos);
  }
}

TEST(CudaMeasurements, BadValuesAndUnknownKeysAreReported) {
  {
    Json j = fixture();
    j["cases"][0]["median_seconds"] = -1.0;
    EXPECT_NE(problems_of(j).find("/cases/0/median_seconds"), std::string::npos);
  }
  {
    Json j = fixture();
    j["cases"][0]["median_seconds"] = nullptr; // null without an error message
    EXPECT_NE(problems_of(j).find("/cases/0/median_seconds"), std::string::npos);
  }
  {
    Json j = fixture();
    j["cases"][0]["params"]["dtype"] = "fp7";
    EXPECT_NE(problems_of(j).find("/cases/0/params/dtype"), std::string::npos);
  }
  {
    Json j = fixture();
    j["cases"][0]["params"]["mm"] = 3; // a typo must not be ignored
    EXPECT_NE(problems_of(j).find("/cases/0/params/mm"), std::string::npos);
  }
  {
    Json j = fixture();
    j["cases"][13]["params"]["m_per_group"][2] = -4; // the first grouped GEMM
    const std::string p = problems_of(j);
    EXPECT_NE(p.find("/cases/13/params/m_per_group/2"), std::string::npos) << p;
  }
  {
    Json j = fixture();
    j["cases"][13]["params"]["total_m"] = 1;
    EXPECT_NE(problems_of(j).find("/cases/13/params/total_m"), std::string::npos);
  }
  {
    // Every converted family's parameters are checked.
    Json j = fixture();
    j["cases"][18]["params"].erase("kv_length"); // mla_decode
    j["cases"][21]["params"]["bytes_moved"] = 5; // hbm copy
    const std::string p = problems_of(j);
    EXPECT_NE(p.find("/cases/18/params/kv_length"), std::string::npos) << p;
    EXPECT_NE(p.find("/cases/21/params/bytes_moved"), std::string::npos) << p;
  }
  {
    Json j = fixture();
    j["cases"][0]["error"] = 3;
    EXPECT_NE(problems_of(j).find("/cases/0/error"), std::string::npos);
  }
  {
    Json j = fixture();
    j["surprise"] = true;
    EXPECT_NE(problems_of(j).find("/surprise"), std::string::npos);
  }
  EXPECT_NE(problems_of(Json::array()).find("m.json"), std::string::npos);
}

TEST(CudaMeasurements, CaseWithErrorIsSkippedWhateverItsParams) {
  Json j = fixture();
  j["cases"][0]["error"] = "allocation failed: out of memory";
  j["cases"][0]["median_seconds"] = nullptr;
  j["cases"][0]["params"] = Json::object();
  CudaConversion c;
  EXPECT_EQ(problems_of(j, &c), "");
  EXPECT_EQ(c.errored_cases, 7u);
  EXPECT_EQ(count(c.errors_by_kind, "allocation failed"), 1u);
  EXPECT_EQ(c.suite.cases.size(), 19u);
}

TEST(CudaMeasurements, DuplicateShapesGetDistinctIds) {
  Json j = fixture();
  j["cases"].push_back(j["cases"][0]);
  CudaConversion c;
  EXPECT_EQ(problems_of(j, &c), "");
  EXPECT_EQ(c.suite.cases.back().id, "gemm-bf16-deepseek-v3.q_a_proj-m1-n1536-k7168-2");
}

TEST(CudaMeasurements, LoadThrowsWithFileAndPointer) {
  try {
    load_cuda_measurements(std::string(MOESCOPE_TEST_DATA_DIR) + "/cuda/does-not-exist.json", h100());
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(e.diagnostics().to_string().find("does-not-exist.json"), std::string::npos);
  }
}

TEST(CudaMeasurements, CalibrationInputDetectsBothFormats) {
  CalibrationInput cuda = load_calibration_input(kFixture, "h100-sxm");
  EXPECT_EQ(cuda.kind, "cuda_measurements");
  ASSERT_TRUE(cuda.cuda.has_value());
  EXPECT_EQ(cuda.suite.cases.size(), 20u);
  const std::string suite_path = std::string(MOESCOPE_TEST_DATA_DIR) + "/../../validation/suites/deepgemm-h800.json";
  CalibrationInput suite = load_calibration_input(suite_path, "h800-sxm");
  EXPECT_EQ(suite.kind, "validation_suite");
  EXPECT_FALSE(suite.cuda.has_value());
  EXPECT_EQ(suite.suite.cases.size(), 28u);
}

} // namespace
} // namespace moescope
