// Roofline points of an evaluation: one per operator against HBM, one per layer type and level, consistent with the
// step model's result they are read from.
#include <gtest/gtest.h>

#include <algorithm>

#include "study/roofline.hpp"

using namespace moescope;

TEST(Roofline, DefaultScenarioHasEveryLevelAndTheStepModelsFigures) {
  Session session;
  const Evaluation e = session.evaluate_file(session.data_root() + "/scenarios/default.json");
  const Roofline r = evaluation_roofline(e);
  EXPECT_EQ(r.hbm_bytes_per_s, e.scenario.accelerator.hbm_bandwidth_bytes_per_s.value);
  EXPECT_GT(r.scale_out_bytes_per_s, 0);
  std::size_t operators = 0, layers = 0;
  for (const auto& lb : e.result.decode.layers) {
    for (std::size_t i = 0; i < lb.operators->size(); ++i)
      operators += (*lb.operators)[i].flop > 0 && (*lb.operators)[i].bytes() > 0 && lb.operator_times[i].seconds > 0;
    layers += lb.flop > 0;
  }
  std::size_t decode_operators = 0, decode_layer_levels[3] = {0, 0, 0};
  for (const auto& p : r.points) {
    EXPECT_GT(p.flop_per_byte(), 0) << p.name;
    EXPECT_GT(p.attained_flop_per_s(), 0) << p.name;
    if (p.phase != Phase::decode) continue;
    if (p.name == "layer") {
      ++decode_layer_levels[static_cast<int>(p.level)];
      const auto& lb = *std::find_if(e.result.decode.layers.begin(), e.result.decode.layers.end(),
                                     [&](const LayerBreakdown& l) { return l.id == p.layer_type; });
      EXPECT_EQ(p.flop, lb.flop);
      EXPECT_EQ(p.seconds, lb.seconds);
      if (p.level == RooflineLevel::scale_out) {
        EXPECT_EQ(p.bytes, e.result.decode.moe.scale_out_bytes_per_gpu);
      }
    } else if (p.layer_type != "outer") {
      ++decode_operators;
      EXPECT_EQ(p.level, RooflineLevel::hbm);
    }
  }
  EXPECT_EQ(decode_operators, operators);
  EXPECT_EQ(decode_layer_levels[0], layers);
  EXPECT_GE(decode_layer_levels[1], 1u); // the MoE layers over NVLink
  EXPECT_GE(decode_layer_levels[2], 1u); // and over the NICs (8 nodes)
}
