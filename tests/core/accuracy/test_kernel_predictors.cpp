// The single-kernel predictors of the CUDA bench families: grouped_gemm with "kernel_per_group", attention_decode
// and memory_stream (core/validation/compute_predictors.cpp). Speed-of-light times are checked against FLOPs and
// bytes counted by hand on h100-sxm (bf16 989.4 TFLOP/s, fp8 1978.9 TFLOP/s, HBM 3.35 TB/s); parameter errors must
// name the suite file and the JSON pointer.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "accuracy/operation_predictor.hpp"
#include "accuracy/validation_suite.hpp"
#include "compute/calibration.hpp"
#include "compute/compute_engine.hpp"
#include "compute/operators.hpp"
#include "util/data_paths.hpp"

namespace moescope {
namespace {

constexpr double kBf16 = 989.4e12, kFp8 = 1978.9e12, kHbm = 3.35e12;

const HardwareDatabase& hwdb() {
  static const HardwareDatabase db = HardwareDatabase::load_or_throw(hwdb_dir());
  return db;
}

ValidationCase make_case(const std::string& operation, Json parameters) {
  ValidationCase c;
  c.id = "t";
  c.device = "h100-sxm";
  c.operation = operation;
  c.parameters = std::move(parameters);
  c.measured = 1e-5;
  c.unit = "seconds";
  c.pointer = "/cases/0";
  c.suite_file = "suite.json";
  return c;
}

// Prediction in `mode`; calibrated mode uses the built-in default calibration (not the installed file).
double predict(const ValidationCase& c, TimeModelMode mode) {
  PredictionContext ctx;
  ctx.hwdb = &hwdb();
  ctx.mode = mode;
  ComputeCalibration cal = default_compute_calibration();
  cal.accelerator = "h100-sxm";
  ctx.compute_calibrations["h100-sxm"] = cal;
  const OperationPredictor* p = find_operation_predictor(c.operation);
  EXPECT_NE(p, nullptr) << c.operation;
  Diagnostics d;
  p->check(c, "suite.json", d);
  EXPECT_TRUE(d.empty()) << d.to_string();
  return p->predict(c, ctx);
}

double sol(const ValidationCase& c) {
  return predict(c, TimeModelMode::speed_of_light);
}
double calibrated(const ValidationCase& c) {
  return predict(c, TimeModelMode::calibrated);
}

// Problems of `parameters` (and `unit`) for `operation`, as read from a suite file.
Diagnostics problems(const std::string& operation, const Json& parameters, const std::string& unit = "seconds") {
  Json j = {{"kind", "validation_suite"},
            {"name", "t"},
            {"cases",
             {{{"id", "a"},
               {"device", "h100-sxm"},
               {"operation", operation},
               {"parameters", parameters},
               {"measured", 1e-5},
               {"unit", unit},
               {"source", "test"}}}}};
  Diagnostics d;
  read_validation_suite(j, "suite.json", d);
  return d;
}

bool has_problem(const Diagnostics& d, const std::string& location, const std::string& fragment = "") {
  for (const auto& i : d.items())
    if (i.file == "suite.json" && i.location == location && i.message.find(fragment) != std::string::npos) return true;
  return false;
}

TEST(KernelPredictors, AreRegistered) {
  for (const char* n : {"attention_decode", "memory_stream"})
    EXPECT_NE(find_operation_predictor(n), nullptr) << n;
}

// ---- grouped_gemm, one kernel per group ----

Json grouped(std::vector<std::int64_t> tokens, bool per_group) {
  Json p = {{"n", 4096},
            {"k", 7168},
            {"dtype", "fp8"},
            {"output_dtype", "bf16"},
            {"layout", "contiguous"},
            {"tokens_per_group", tokens}};
  if (per_group) p["kernel_per_group"] = true;
  return p;
}

TEST(KernelPredictors, KernelPerGroupWorkSumsToTheGroupedOperator) {
  const std::vector<std::int64_t> tokens = {64, 0, 128};
  const auto kernels = grouped_gemm_kernel_per_group("g", "routed_experts", tokens, 4096, 7168, DataType::fp8);
  ASSERT_EQ(kernels.size(), 2u); // the empty group launches nothing
  EXPECT_EQ(kernels[0].gemm.m_per_group, std::vector<std::int64_t>{64});
  EXPECT_EQ(kernels[1].gemm.m_per_group, std::vector<std::int64_t>{128});
  // Group of 64 rows: 2*64*4096*7168 FLOPs; fp8 weights 4096*7168 * (1 + 4/128) bytes, fp8 input 64*7168, bf16
  // output 64*4096*2.
  EXPECT_DOUBLE_EQ(kernels[0].flop, 3758096384.0);
  EXPECT_DOUBLE_EQ(kernels[0].bytes(), 30277632.0 + 458752.0 + 524288.0);
  const OperatorWork all =
      grouped_gemm("g", "routed_experts", tokens, 4096, 7168, DataType::fp8, GroupedLayout::contiguous);
  EXPECT_DOUBLE_EQ(kernels[0].flop + kernels[1].flop, all.flop);
  EXPECT_DOUBLE_EQ(kernels[0].bytes() + kernels[1].bytes(), all.bytes());
}

TEST(KernelPredictors, KernelPerGroupSpeedOfLightIsTheSumOfPerKernelRooflines) {
  // 4096 rows: compute-bound, 2*4096*4096*7168 FLOPs at fp8 peak; 1 row: memory-bound, weights + 7168 + 8192 bytes.
  const double big = 240518168576.0 / kFp8;
  const double small = (30277632.0 + 7168.0 + 8192.0) / kHbm;
  EXPECT_NEAR(sol(make_case("grouped_gemm", grouped({4096, 1}, true))), big + small, 1e-12);
  // One grouped kernel: the roofline of the summed work, 2*4097*4096*7168 FLOPs (compute-bound).
  EXPECT_NEAR(sol(make_case("grouped_gemm", grouped({4096, 1}, false))), 240576888832.0 / kFp8, 1e-12);
  // flop_per_s: the grouped operator's FLOPs over the per-kernel time.
  ValidationCase r = make_case("grouped_gemm", grouped({4096, 1}, true));
  r.unit = "flop_per_s";
  EXPECT_NEAR(sol(r), 240576888832.0 / (big + small), 1e3);
}

TEST(KernelPredictors, KernelPerGroupCalibratedIsOneDenseGemmPerActiveGroup) {
  auto gemm = [](std::int64_t m) {
    return make_case("gemm", {{"m", m}, {"n", 4096}, {"k", 7168}, {"dtype", "fp8"}, {"output_dtype", "bf16"}});
  };
  const double one = calibrated(gemm(64));
  EXPECT_NEAR(calibrated(make_case("grouped_gemm", grouped({0, 64, 0}, true))), one, 1e-15);
  EXPECT_NEAR(calibrated(make_case("grouped_gemm", grouped({64, 64}, true))), 2 * one, 1e-15);
  EXPECT_NEAR(calibrated(make_case("grouped_gemm", grouped({64, 128}, true))), one + calibrated(gemm(128)), 1e-15);
  // Each kernel pays the per-kernel overhead: the loop is slower than one grouped kernel of the same rows.
  EXPECT_GT(calibrated(make_case("grouped_gemm", grouped({64, 64, 64, 64}, true))),
            calibrated(make_case("grouped_gemm", grouped({64, 64, 64, 64}, false))));
  // Default (absent) and false: one grouped kernel, as before.
  Json f = grouped({64, 64}, false);
  f["kernel_per_group"] = false;
  EXPECT_DOUBLE_EQ(calibrated(make_case("grouped_gemm", f)),
                   calibrated(make_case("grouped_gemm", grouped({64, 64}, false))));
}

TEST(KernelPredictors, KernelPerGroupParameterErrorsNameFileAndPointer) {
  Json p = grouped({64}, false);
  p["kernel_per_group"] = "yes";
  Diagnostics d = problems("grouped_gemm", p);
  EXPECT_TRUE(has_problem(d, "/cases/0/parameters/kernel_per_group")) << d.to_string();
  p = grouped({64}, true);
  p["layout"] = "masked";
  d = problems("grouped_gemm", p);
  EXPECT_TRUE(has_problem(d, "/cases/0/parameters/kernel_per_group", "masked")) << d.to_string();
  EXPECT_TRUE(problems("grouped_gemm", grouped({64}, true)).empty());
}

// ---- attention_decode ----

Json mla(std::int64_t heads) { // DeepSeek-V3 absorbed MLA as the bench runs it: latent row 576, values its first 512
  return {{"batch", 8},    {"kv_length", 4096}, {"query_rows", 16},   {"kv_groups", 1},
          {"qk_dim", 576}, {"v_dim", 512},      {"num_heads", heads}, {"kv_dtype", "bf16"}};
}
Json gqa() { // Qwen3-235B: 64 query heads, 4 KV heads of 128
  return {{"batch", 32},   {"kv_length", 16384}, {"query_rows", 16}, {"kv_groups", 4},
          {"qk_dim", 128}, {"v_dim", 128},       {"num_heads", 64},  {"kv_dtype", "bf16"}};
}

TEST(KernelPredictors, AttentionDecodeSpeedOfLightMla) {
  // FLOPs 2 * 8 * 16 * 4096 * (576 + 512); bytes: the latent cache 8 * 4096 * 576 * 2 (read once, nothing
  // written) + queries and outputs 8 * 16 * (576 + 512) * 2. Memory-bound.
  const double flop = 1140850688.0, bytes = 37748736.0 + 278528.0;
  ASSERT_LT(flop / kBf16, bytes / kHbm);
  EXPECT_NEAR(sol(make_case("attention_decode", mla(16))), bytes / kHbm, 1e-15);
  // 128 heads share the same latent cache: 8x the FLOPs and activations, the same KV bytes.
  EXPECT_NEAR(sol(make_case("attention_decode", mla(128))), (37748736.0 + 8 * 278528.0) / kHbm, 1e-15);
}

TEST(KernelPredictors, AttentionDecodeSpeedOfLightGqa) {
  // FLOPs 2 * 32 * 64 * 16384 * 256; bytes: K and V caches 32 * 16384 * 4 * (128 + 128) * 2 + queries and outputs
  // 32 * 64 * 256 * 2.
  const double flop = 17179869184.0, bytes = 1073741824.0 + 1048576.0;
  ASSERT_LT(flop / kBf16, bytes / kHbm);
  EXPECT_NEAR(sol(make_case("attention_decode", gqa())), bytes / kHbm, 1e-15);
}

TEST(KernelPredictors, AttentionDecodeCalibratedPaysTwoKernelsAndBandwidthEfficiency) {
  const ComputeCalibration c = default_compute_calibration();
  const double t = calibrated(make_case("attention_decode", gqa()));
  const double floor =
      2 * c.kernel_overhead_seconds + (1073741824.0 + 1048576.0) / (kHbm * c.memory_bandwidth_efficiency);
  EXPECT_GE(t, floor * (1 - 1e-9));
  EXPECT_LT(t, floor * 1.2);
  // Eager launch: two kernels, each at least the host's launch interval.
  Json small = gqa();
  small["batch"] = 1;
  small["kv_length"] = 64;
  small["cuda_graphs"] = false;
  EXPECT_GE(calibrated(make_case("attention_decode", small)), 2 * c.eager_launch_overhead_seconds * (1 - 1e-9));
  // Longer caches take longer.
  Json longer = gqa();
  longer["kv_length"] = 32768;
  EXPECT_GT(calibrated(make_case("attention_decode", longer)), t);
}

TEST(KernelPredictors, AttentionDecodeUsesTheBenchKernelsSixteenRowTile) {
  // The kernel's CTA takes 16 query rows whatever the device's serving kernels use: the calibration's
  // attention_query_tile_rows does not change the prediction.
  auto with_tile = [](const Json& p, std::int64_t tile) {
    PredictionContext ctx;
    ctx.hwdb = &hwdb();
    ctx.mode = TimeModelMode::calibrated;
    ComputeCalibration cal = default_compute_calibration();
    cal.accelerator = "h100-sxm";
    cal.attention_compute_efficiency = 0.05; // make the compute term (and its row padding) visible
    cal.attention_query_tile_rows = tile;
    ctx.compute_calibrations["h100-sxm"] = cal;
    return find_operation_predictor("attention_decode")->predict(make_case("attention_decode", p), ctx);
  };
  EXPECT_DOUBLE_EQ(with_tile(mla(16), 64), with_tile(mla(16), 16));
  // Maverick's 5 query heads per KV head are padded to 16 rows: more compute time than Qwen's full 16-row blocks
  // for the same cache and FLOPs per row.
  Json mav = gqa();
  mav["num_heads"] = 20; // 4 KV groups of 5 heads
  mav["query_rows"] = 5;
  const double t5 = with_tile(mav, 64), t16 = with_tile(gqa(), 64);
  EXPECT_GT(t5 / 20.0, t16 / 64.0); // per head, padded rows cost more
}

TEST(KernelPredictors, AttentionDecodeParameterErrorsNameFileAndPointer) {
  {
    Json p = gqa();
    p.erase("kv_length");
    p["kv_dtype"] = "fp9";
    p["splits"] = 2; // the bench's split choice is not a parameter
    Diagnostics d = problems("attention_decode", p);
    EXPECT_TRUE(has_problem(d, "/cases/0/parameters/kv_length")) << d.to_string();
    EXPECT_TRUE(has_problem(d, "/cases/0/parameters/kv_dtype", "fp9")) << d.to_string();
    EXPECT_TRUE(has_problem(d, "/cases/0/parameters/splits")) << d.to_string();
  }
  {
    Json p = gqa();
    p["kv_groups"] = 3;
    EXPECT_TRUE(has_problem(problems("attention_decode", p), "/cases/0/parameters/kv_groups", "num_heads"));
    p = gqa();
    p["query_rows"] = 5; // 64 / 4 = 16 heads per KV group
    EXPECT_TRUE(has_problem(problems("attention_decode", p), "/cases/0/parameters/query_rows", "16"));
    p = gqa();
    p["batch"] = 0;
    EXPECT_TRUE(has_problem(problems("attention_decode", p), "/cases/0/parameters/batch"));
  }
  EXPECT_TRUE(has_problem(problems("attention_decode", gqa(), "flop_per_s"), "/cases/0/unit"));
  EXPECT_TRUE(problems("attention_decode", gqa()).empty());
  EXPECT_TRUE(problems("attention_decode", mla(128)).empty());
}

// ---- memory_stream ----

TEST(KernelPredictors, MemoryStreamSpeedOfLightAndCalibrated) {
  const double gib = 1073741824.0;
  const Json read = {{"read_bytes", 1073741824}, {"write_bytes", 0}};
  const Json copy = {{"read_bytes", 67108864}, {"write_bytes", 67108864}};
  EXPECT_NEAR(sol(make_case("memory_stream", read)), gib / kHbm, 1e-15);
  EXPECT_NEAR(sol(make_case("memory_stream", copy)), 2 * 67108864.0 / kHbm, 1e-15);
  // Calibrated: per-kernel overhead + bytes / (HBM * memory_bandwidth_efficiency * occupancy); a streaming kernel
  // occupies every SM (132 x 1/64 > 1).
  const ComputeCalibration c = default_compute_calibration();
  EXPECT_NEAR(calibrated(make_case("memory_stream", read)),
              c.kernel_overhead_seconds + gib / (kHbm * c.memory_bandwidth_efficiency), 1e-15);
  Json eager = {{"read_bytes", 4096}, {"write_bytes", 4096}, {"cuda_graphs", false}};
  EXPECT_NEAR(calibrated(make_case("memory_stream", eager)), c.eager_launch_overhead_seconds, 1e-15);
}

TEST(KernelPredictors, MemoryStreamParameterErrorsNameFileAndPointer) {
  Diagnostics d = problems("memory_stream", {{"read_bytes", -1}, {"write_bytes", 0}, {"bytes", 3}});
  EXPECT_TRUE(has_problem(d, "/cases/0/parameters/read_bytes")) << d.to_string();
  EXPECT_TRUE(has_problem(d, "/cases/0/parameters/bytes")) << d.to_string();
  d = problems("memory_stream", {{"write_bytes", 8}});
  EXPECT_TRUE(has_problem(d, "/cases/0/parameters/read_bytes")) << d.to_string();
  d = problems("memory_stream", {{"read_bytes", 0}, {"write_bytes", 0}});
  EXPECT_TRUE(has_problem(d, "/cases/0/parameters", "moves nothing")) << d.to_string();
  d = problems("memory_stream", {{"read_bytes", 8}, {"write_bytes", 0}, {"cuda_graphs", 1}});
  EXPECT_TRUE(has_problem(d, "/cases/0/parameters/cuda_graphs")) << d.to_string();
  EXPECT_TRUE(
      has_problem(problems("memory_stream", {{"read_bytes", 8}, {"write_bytes", 0}}, "flop_per_s"), "/cases/0/unit"));
}

} // namespace
} // namespace moescope
