// One evaluation, many views: every bundled scenario evaluated once through the Session; every quantity the report
// shows in two sections is the same number in both (JSON and text).
#include <gtest/gtest.h>

#include <filesystem>

#include "study/session.hpp"
#include "util/text_table.hpp"

using namespace moescope;

namespace {

Session& session() {
  static Session s;
  return s;
}

std::vector<std::string> bundled_scenarios() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(session().data_root() + "/scenarios"))
    if (e.is_regular_file() && e.path().extension() == ".json") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

const Json* find_by(const Json& array, const char* key, const std::string& value) {
  for (const auto& x : array)
    if (x.value(key, std::string()) == value) return &x;
  return nullptr;
}

// The text of one report section: from its title line to the next unindented line.
std::string section_text(const std::string& text, const std::string& title) {
  const auto begin = text.find("\n" + title);
  if (begin == std::string::npos) return "";
  auto end = begin + 1;
  while ((end = text.find('\n', end)) != std::string::npos && end + 1 < text.size() && text[end + 1] == ' ')
    ++end;
  return text.substr(begin + 1, end == std::string::npos ? std::string::npos : end - begin);
}

class EveryBundledScenario : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryBundledScenario, EachQuantityHasOneValue) {
  const Evaluation e = session().evaluate_file(GetParam());
  const EvalReport report = e.report();
  const Json& j = report.json;
  const Json& compute = j["compute"];
  const Json& network = j["network"];
  const Json& engine = j["engine"];
  int compared = 0;
  for (const char* phase : {"prefill", "decode"}) {
    SCOPED_TRACE(phase);
    ASSERT_TRUE(engine.contains(phase)) << "the report evaluates both phases";
    const Json& eng = engine[phase];
    const Json* step = find_by(compute["steps"], "phase", phase);
    ASSERT_NE(step, nullptr);
    for (const auto& layer : eng["layers"]) {
      const Json* ct = find_by((*step)["layer_types"], "id", layer["id"].get<std::string>());
      ASSERT_NE(ct, nullptr) << layer["id"];
      for (auto it = (*ct)["component_seconds_per_layer"].begin(); it != (*ct)["component_seconds_per_layer"].end();
           ++it) {
        EXPECT_EQ(it.value().get<double>(), layer["seconds_by_component"][it.key()].get<double>()) << it.key();
        ++compared;
      }
      EXPECT_EQ((*ct)["seconds_per_layer"].get<double>(), layer["compute_seconds"].get<double>());
    }
    if (!network.value("moe", false)) continue;
    const Json& net = network[phase];
    const Json& moe = eng["moe"];
    EXPECT_EQ(net["dispatch"]["seconds"].get<double>(), moe["dispatch_seconds"].get<double>());
    EXPECT_EQ(net["combine"]["seconds"].get<double>(), moe["combine_seconds"].get<double>());
    EXPECT_EQ(net["dispatch"]["busiest_link"], moe["busiest_link"]);
    EXPECT_EQ(net["scale_up_bytes_per_gpu"].get<double>(), moe["scale_up_bytes_per_gpu"].get<double>());
    EXPECT_EQ(net["scale_out_bytes_per_gpu"].get<double>(), moe["scale_out_bytes_per_gpu"].get<double>());
    EXPECT_EQ(net["busiest_gpu_expert_tokens"].get<double>(), moe["busiest_gpu_expert_tokens"].get<double>());
    EXPECT_EQ(net["tokens_per_gpu"].get<double>(), moe["tokens_per_gpu"].get<double>());
    EXPECT_EQ(net["placement_strategy"], moe["placement"]);
    // The busiest GPU's expert loads the compute view shows are the ones the routed-expert GEMMs ran.
    EXPECT_EQ((*step)["tokens"]["busiest_gpu_expert_tokens"], moe["busiest_gpu_slot_tokens"]);
    // Dispatch and combine bytes per GPU: the per-tier totals over the EP group.
    const double ep = net["ep_gpus"].get<double>();
    EXPECT_DOUBLE_EQ((net["dispatch"]["bytes_per_tier"]["scale_out"].get<double>() +
                      net["combine"]["bytes_per_tier"]["scale_out"].get<double>()) /
                         ep,
                     moe["scale_out_bytes_per_gpu"].get<double>());
    compared += 10;
  }
  // Memory: the weights are the same in the memory view and in every phase that runs on the scenario's deployment.
  const Json& mem = j["memory"];
  if (!e.scenario.scenario.deployment.disaggregated) {
    for (const char* phase : {"prefill", "decode"})
      EXPECT_EQ(mem["weights_per_gpu_bytes"]["total"].get<double>(),
                engine[phase]["memory_per_gpu"]["weight_bytes"].get<double>())
          << phase;
    // The workload's own phase, when the engine ran the batch as requested, holds exactly what the memory view says.
    const Json& d = engine["decode"];
    if (e.scenario.scenario.workload.phase == Phase::decode && !d["kv_bounded"].get<bool>())
      EXPECT_EQ(mem["total_per_gpu_bytes"].get<double>(), d["memory_per_gpu"]["total_bytes"].get<double>());
  }
  EXPECT_GT(compared, 0);

  // Text: the routed-expert time per MoE layer prints the same in the compute table and the engine breakdown.
  if (e.result.decode.moe.kernel.empty()) return;
  for (const auto& lb : e.result.decode.layers) {
    auto it = lb.component_seconds.find("routed_experts");
    if (it == lb.component_seconds.end()) continue;
    const std::string shown = format_seconds(it->second);
    EXPECT_NE(section_text(report.text, "Compute per GPU").find(shown), std::string::npos) << shown;
    EXPECT_NE(section_text(report.text, "End-to-end step model").find(shown), std::string::npos) << shown;
    const std::string dispatch = format_seconds(e.result.decode.moe.dispatch.seconds);
    EXPECT_NE(section_text(report.text, "Network").find(dispatch), std::string::npos) << dispatch;
    EXPECT_NE(section_text(report.text, "End-to-end step model").find(dispatch), std::string::npos) << dispatch;
  }
}

INSTANTIATE_TEST_SUITE_P(Scenarios, EveryBundledScenario, ::testing::ValuesIn(bundled_scenarios()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = std::filesystem::path(info.param).stem().string();
                           for (char& c : name)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

// The step model composes every layer of the stage: DeepSeek-V3 has 3 dense and 58 MoE layers, and in calibrated mode
// every operator takes at least its speed-of-light time.
TEST(OneEvaluation, DeepSeekV3DecodeComposesEveryLayer) {
  const Evaluation e = session().evaluate_file(session().data_root() + "/scenarios/default.json");
  const PhaseResult& d = e.result.decode;
  ASSERT_EQ(d.layers.size(), 2u);
  EXPECT_EQ(d.layers[0].id, "dense");
  EXPECT_EQ(d.layers[0].count, 3);
  EXPECT_EQ(d.layers[1].count, 58);
  // 128 sequences per GPU, EP64 over 256 experts: 4 experts per GPU.
  EXPECT_EQ(d.tokens.busiest_expert_tokens.size(), 4u);
  const ComputeEngine sol(e.scenario.accelerator, *e.scenario.inputs.compute_calibration,
                          {EngineMode::speed_of_light, true});
  for (const auto& lb : d.layers) {
    ASSERT_TRUE(lb.operators);
    ASSERT_EQ(lb.operators->size(), lb.operator_times.size());
    double sum = 0;
    for (std::size_t i = 0; i < lb.operators->size(); ++i) {
      EXPECT_GE(lb.operator_times[i].seconds, sol.evaluate((*lb.operators)[i]).seconds * (1 - 1e-12))
          << (*lb.operators)[i].name;
      sum += lb.operator_times[i].seconds;
    }
    EXPECT_NEAR(sum, lb.compute_seconds, 1e-12 * sum);
  }
}

} // namespace
