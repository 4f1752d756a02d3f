// Names a user types: kebab-case, with the 0.1.0 snake_case spellings naming the same thing (util/name_style.hpp),
// and the engine's collective_algorithm key, which selects a registered collective algorithm.
#include <gtest/gtest.h>

#include "study/session.hpp"
#include "util/data_paths.hpp"
#include "util/name_style.hpp"

using namespace moescope;

namespace {

Json default_scenario(Session& s) {
  return scenario_to_json(s.load_scenario(data_root() + "/scenarios/default.json"));
}

DeploymentResult evaluate(Session& s, const Json& j) {
  return s.evaluate(s.read_scenario(j, "names.json")).result;
}

TEST(Names, CanonicalSpellingIsKebabCase) {
  EXPECT_EQ(canonical_name("deepep_low_latency"), "deepep-low-latency");
  EXPECT_EQ(canonical_name("two-batch"), "two-batch");
  EXPECT_TRUE(same_name("power_law", "power-law"));
  EXPECT_FALSE(same_name("two_batch", "two-batch-ideal"));
  EXPECT_FALSE(same_name("Ring", "ring")); // case-sensitive: only the separator is folded
}

// Every value a scenario names, spelled the 0.1.0 way, gives the same result bit for bit as the kebab-case spelling.
TEST(Names, OldSpellingsEvaluateTheSame) {
  Session session;
  Json kebab = default_scenario(session);
  kebab["engine"]["overlap"] = "two-batch-ideal";
  kebab["engine"]["mode"] = "speed-of-light";
  kebab["engine"]["decode_kernel"] = "nccl-all-to-all";
  kebab["engine"]["prefill_kernel"] = "deepep-low-latency";
  kebab["routing"] = {{"kind", "power-law"}, {"exponent", 0.7}};
  kebab["placement"]["strategy"] = "eplb-hierarchical";
  Json snake = kebab;
  snake["engine"]["overlap"] = "two_batch_ideal";
  snake["engine"]["mode"] = "speed_of_light";
  snake["engine"]["decode_kernel"] = "nccl_all_to_all";
  snake["engine"]["prefill_kernel"] = "deepep_low_latency";
  snake["routing"]["kind"] = "power_law";
  snake["placement"]["strategy"] = "eplb_hierarchical";
  const DeploymentResult a = evaluate(session, kebab), b = evaluate(session, snake);
  EXPECT_EQ(a.decode.tpot_seconds, b.decode.tpot_seconds);
  EXPECT_EQ(a.prefill.ttft_seconds, b.prefill.ttft_seconds);
  EXPECT_EQ(a.overlap, Overlap::two_batch_ideal);
  EXPECT_EQ(b.mode, EngineMode::speed_of_light);
  // Written back in the canonical spelling.
  const Scenario read_back = session.read_scenario(snake, "names.json");
  EXPECT_EQ(engine_config_to_json(read_back.engine).at("overlap"), "two-batch-ideal");
  EXPECT_EQ(engine_config_to_json(read_back.engine).at("decode_kernel"), "nccl-all-to-all");
  EXPECT_EQ(read_back.placement.strategy, "eplb-hierarchical");
}

TEST(Names, CollectiveAlgorithmKeySelectsARegisteredAlgorithm) {
  Session session;
  Json j = default_scenario(session);
  j["deployment"]["attention"] = {{"tp", 8}}; // an attention all-reduce over the 8 GPUs of a node
  const DeploymentResult automatic = evaluate(session, j);
  ASSERT_TRUE(automatic.decode.evaluated);
  for (const auto& n : automatic.decode.notes)
    EXPECT_EQ(n.find("collective at speed of light"), std::string::npos) << n;

  // A fixed algorithm: evaluated at speed of light, and the result says so.
  j["engine"]["collective_algorithm"] = "ring";
  const DeploymentResult ring = evaluate(session, j);
  bool said = false;
  for (const auto& n : ring.decode.notes)
    said = said || n.find("\"ring\" collective at speed of light") != std::string::npos;
  EXPECT_TRUE(said);
  EXPECT_NE(ring.decode.tpot_seconds, automatic.decode.tpot_seconds);
  j["engine"]["collective_algorithm"] = "tree";
  EXPECT_NE(evaluate(session, j).decode.tpot_seconds, ring.decode.tpot_seconds);

  // An unknown name is an InputError on the field, listing the registered ones.
  j["engine"]["collective_algorithm"] = "butterfly";
  try {
    evaluate(session, j);
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    ASSERT_FALSE(e.diagnostics().empty());
    EXPECT_EQ(e.diagnostics().items()[0].location, "/engine/collective_algorithm");
    EXPECT_NE(e.diagnostics().items()[0].message.find("\"ring\""), std::string::npos);
  }
}

} // namespace
