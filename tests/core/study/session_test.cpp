// The Session owns every file-backed cache: editing a file and evaluating again in the same process gives the new
// answer; an unchanged file is not read again.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "engine/trace_routing.hpp"
#include "study/session.hpp"
#include "trace/binary_format.hpp"
#include "trace/importer.hpp"
#include "util/data_paths.hpp"

using namespace moescope;
namespace fs = std::filesystem;

namespace {

// A private copy of hwdb/, models/ and one scenario, so that the test may edit them.
struct DataCopy {
  fs::path root;
  explicit DataCopy(const std::string& name) {
    root = fs::temp_directory_path() / ("moescope_session_" + name + "_" + std::to_string(::getpid()));
    fs::remove_all(root);
    fs::create_directories(root / "scenarios");
    fs::copy(data_root() + "/hwdb", root / "hwdb", fs::copy_options::recursive);
    fs::copy(data_root() + "/models", root / "models", fs::copy_options::recursive);
  }
  ~DataCopy() { fs::remove_all(root); }
  std::string path(const std::string& rel) const { return (root / rel).string(); }
};

Json read(const std::string& path) {
  Diagnostics d;
  auto j = read_json_file(path, d);
  d.throw_if_any();
  return *j;
}

// Rewrites a file so that its version (size or modification time) changes even within one clock tick.
void write(const std::string& path, const Json& j, int pad = 0) {
  std::ofstream(path) << j.dump(2) << std::string(static_cast<std::size_t>(pad), ' ') << "\n";
}

double tpot(Session& s, const std::string& scenario) {
  return s.evaluate_file(scenario).result.decode.tpot_seconds;
}

} // namespace

TEST(Session, EditedFilesGiveTheNewAnswer) {
  DataCopy data("edits");
  Session session(data.root.string());
  const std::string scenario = data.path("scenarios/default.json");
  write(scenario, read(data_root() + "/scenarios/default.json"));
  const double base = tpot(session, scenario);
  EXPECT_EQ(tpot(session, scenario), base);

  // The scenario itself.
  Json sj = read(scenario);
  sj["workload"]["batch_per_gpu"] = 64;
  write(scenario, sj);
  const double smaller_batch = tpot(session, scenario);
  EXPECT_LT(smaller_batch, base);

  // The network calibration: a larger fixed cost of the decode dispatch kernel.
  const std::string net = data.path("hwdb/calibrations/dgx-h100-network.json");
  Json nj = read(net);
  ASSERT_TRUE(nj.contains("dispatch_kernels")) << nj.dump();
  ASSERT_TRUE(nj["dispatch_kernels"].contains("deepep-low-latency"));
  Json& ll = nj["dispatch_kernels"]["deepep-low-latency"];
  for (const char* key : {"fixed_seconds", "scale_out_fixed_seconds"})
    ll[key] = ll.value(key, 0.0) + 1e-3;
  write(net, nj, 1);
  const double slower_network = tpot(session, scenario);
  // 58 MoE layers x (dispatch + combine), each at least 1 ms more.
  EXPECT_GE(slower_network - smaller_batch, 58 * 2 * 1e-3 * (1 - 1e-9));

  // The compute calibration: a smaller achievable HBM fraction makes the memory-bound decode step slower.
  const std::string cc = data.path("hwdb/calibrations/h100-sxm-compute.json");
  Json cj = read(cc);
  ASSERT_TRUE(cj.contains("parameters")) << "calibration file layout changed";
  cj["parameters"]["memory_bandwidth_efficiency"] = 0.5;
  write(cc, cj, 2);
  const double slower_compute = tpot(session, scenario);
  EXPECT_GT(slower_compute, slower_network);

  // The hardware database: twice the HBM bandwidth.
  const std::string acc = data.path("hwdb/accelerators/h100-sxm.json");
  Json aj = read(acc);
  ASSERT_TRUE(aj.contains("hbm_bandwidth_bytes_per_s"));
  aj["hbm_bandwidth_bytes_per_s"]["value"] = 2 * aj["hbm_bandwidth_bytes_per_s"]["value"].get<double>();
  write(acc, aj, 3);
  EXPECT_LT(tpot(session, scenario), slower_compute);
}

TEST(Session, UnchangedInputsAreShared) {
  Session session;
  const auto a = session.evaluate_file(session.data_root() + "/scenarios/default.json");
  const auto b = session.evaluate_file(session.data_root() + "/scenarios/default.json");
  EXPECT_EQ(a.scenario.inputs.compute_calibration, b.scenario.inputs.compute_calibration);
  EXPECT_EQ(a.scenario.inputs.network_calibration, b.scenario.inputs.network_calibration);
  EXPECT_EQ(session.hwdb(), session.hwdb());
  EXPECT_EQ(a.result.decode.tpot_seconds, b.result.decode.tpot_seconds);
}

TEST(Session, ReplacedTraceIsReadAgain) {
  DataCopy data("trace");
  Session session(data.root.string());
  const std::string trace_file = data.path("scenarios/trace.mst");
  fs::copy(data_root() + "/tests/data/traces/deepseek-v2-lite-chat-20.mst", trace_file);
  Json sj = read(data_root() + "/scenarios/deepseek-v2-lite-trace-2x8-h100.json");
  sj["routing"]["file"] = "trace.mst";
  const std::string scenario = data.path("scenarios/trace.json");
  write(scenario, sj);
  const Evaluation first = session.evaluate_file(scenario);
  ASSERT_TRUE(first.scenario.inputs.trace);
  const auto tokens = first.scenario.inputs.trace->trace().num_tokens();

  // The same trace twice over: a new file version with twice the tokens.
  trace::AnyTrace any = trace::import_trace(trace_file, {});
  auto& t = std::get<trace::ExpertTrace>(any);
  trace::AnyTrace doubled = trace::merge_traces({t, t}, "doubled");
  trace::save_binary(doubled, trace_file);
  const Evaluation second = session.evaluate_file(scenario);
  ASSERT_TRUE(second.scenario.inputs.trace);
  EXPECT_NE(second.scenario.inputs.trace, first.scenario.inputs.trace);
  EXPECT_EQ(second.scenario.inputs.trace->trace().num_tokens(), 2 * tokens);
}

TEST(Session, ANamedCalibrationMustExist) {
  Session session;
  Json sj = read(session.data_root() + "/scenarios/default.json");
  sj["engine"] = {{"network_calibration", "no-such-system"}};
  try {
    session.evaluate(session.read_scenario(sj, "s.json"));
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    ASSERT_FALSE(e.diagnostics().empty());
    EXPECT_EQ(e.diagnostics().items()[0].location, "/engine/network_calibration");
    EXPECT_EQ(e.diagnostics().items()[0].file, "s.json");
  }
  sj["engine"] = {{"decode_kernel", "deepep_fast"}};
  try {
    session.evaluate(session.read_scenario(sj, "s.json"));
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.diagnostics().items()[0].location, "/engine/decode_kernel");
    EXPECT_NE(e.diagnostics().items()[0].message.find("deepep-low-latency"), std::string::npos);
  }
}

// Parallel degrees left out or "auto" follow the GPU count, so that a user changes `nodes` alone.
TEST(Session, NodesAloneRescalesTheDeployment) {
  Session session;
  Json sj = read(session.data_root() + "/scenarios/default.json");
  for (std::int64_t nodes : {1, 2, 4, 8}) {
    sj["deployment"]["nodes"] = nodes;
    const Evaluation e = session.evaluate(session.read_scenario(sj, "s.json"));
    EXPECT_EQ(e.scenario.deployment.moe_ep, nodes * 8);
    EXPECT_EQ(e.scenario.deployment.attention_dp, nodes * 8);
    EXPECT_GT(e.result.decode.tokens_per_s_per_gpu, 0);
  }
  // An explicit degree that does not divide stays an error naming the field.
  sj["deployment"]["moe"]["ep"] = 48;
  sj["deployment"]["nodes"] = 8;
  try {
    session.evaluate(session.read_scenario(sj, "s.json"));
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.diagnostics().items()[0].location, "/deployment/moe/ep");
  }
  sj["deployment"]["moe"]["ep"] = "sometimes";
  try {
    session.read_scenario(sj, "s.json");
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.diagnostics().items()[0].location, "/deployment/moe/ep");
  }
}

// Expected-value mode asks the strategy for its expected-value form (registry, not names): EPLB has one, a
// trace-fitted strategy falls back to linear and says so, an unknown name is an error on /placement/strategy.
TEST(Session, ExpectedValuePlacementComesFromTheStrategy) {
  Session session;
  Json sj = read(session.data_root() + "/scenarios/default.json");
  sj["placement"] = {{"strategy", "eplb-global"}, {"expert_slots_per_gpu", 5}};
  EXPECT_EQ(session.evaluate(session.read_scenario(sj, "s.json")).result.decode.moe.placement, "eplb-global");
  sj["placement"] = {{"strategy", "activation-kmeans"}};
  const Evaluation k = session.evaluate(session.read_scenario(sj, "s.json"));
  EXPECT_EQ(k.result.decode.moe.placement, "linear");
  EXPECT_NE(k.result.decode.moe.note.find("needs a trace"), std::string::npos);
  sj["placement"] = {{"strategy", "eplb-globall"}};
  try {
    session.evaluate(session.read_scenario(sj, "s.json"));
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.diagnostics().items()[0].location, "/placement/strategy");
    EXPECT_NE(e.diagnostics().items()[0].message.find("eplb-global"), std::string::npos);
  }
}
