// Traffic matrices of an evaluation: consistent with the network view of the same evaluation.
#include <gtest/gtest.h>

#include <numeric>

#include "study/traffic.hpp"

using namespace moescope;

namespace {

Session& session() {
  static Session s;
  return s;
}

double off_node_sum(const TrafficMatrices& m, const std::vector<double>& node) {
  double s = 0;
  for (std::int32_t a = 0; a < m.nodes; ++a)
    for (std::int32_t b = 0; b < m.nodes; ++b)
      if (a != b) s += node[static_cast<std::size_t>(a * m.nodes + b)];
  return s;
}

void check(const std::string& scenario, Phase phase) {
  SCOPED_TRACE(scenario + " " + to_string(phase));
  const Evaluation e = session().evaluate_file(session().data_root() + "/scenarios/" + scenario);
  const TrafficMatrices m = traffic_matrices(e, phase);
  const MoeTraffic& moe = phase == Phase::prefill ? e.result.prefill.moe : e.result.decode.moe;
  ASSERT_EQ(m.gpus, moe.ep_gpus);
  ASSERT_EQ(m.dispatch_gpu_bytes.size(), static_cast<std::size_t>(m.gpus) * m.gpus);
  ASSERT_EQ(m.dispatch_node_bytes.size(), static_cast<std::size_t>(m.nodes) * m.nodes);
  // Node entries are the sums of their GPU blocks.
  const double gpu_total = std::accumulate(m.dispatch_gpu_bytes.begin(), m.dispatch_gpu_bytes.end(), 0.0);
  const double node_total = std::accumulate(m.dispatch_node_bytes.begin(), m.dispatch_node_bytes.end(), 0.0);
  EXPECT_NEAR(node_total, gpu_total, 1e-9 * gpu_total);
  EXPECT_GT(gpu_total, 0);
  // Combine sends the dispatched rows back: combine[b][a] / combine bytes per row = dispatch[a][b] / dispatch bytes.
  for (std::int32_t a = 0; a < m.gpus; ++a)
    for (std::int32_t b = 0; b < m.gpus; ++b) {
      const double d = m.dispatch_gpu_bytes[static_cast<std::size_t>(a * m.gpus + b)];
      const double c = m.combine_gpu_bytes[static_cast<std::size_t>(b * m.gpus + a)];
      ASSERT_NEAR(c * moe.dispatch_bytes_per_token, d * moe.combine_bytes_per_token, 1e-9 * (c + d) * 4096)
          << a << " -> " << b;
    }
  // What crosses nodes is what the network view counts on the NICs.
  EXPECT_NEAR(off_node_sum(m, m.dispatch_node_bytes), moe.dispatch.scale_out_bytes,
              1e-9 * moe.dispatch.scale_out_bytes + 1);
  EXPECT_NEAR(off_node_sum(m, m.combine_node_bytes), moe.combine.scale_out_bytes,
              1e-9 * moe.combine.scale_out_bytes + 1);
}

} // namespace

TEST(TrafficMatrices, ExpectedValueDecodeAndPrefill) {
  check("default.json", Phase::decode);
  check("default.json", Phase::prefill);
}

TEST(TrafficMatrices, TraceDriven) {
  check("deepseek-v2-lite-trace-2x8-h100.json", Phase::decode);
}

TEST(TrafficMatrices, DenseModelIsAnError) {
  const Evaluation e = session().evaluate_file(session().data_root() + "/scenarios/llama-3-70b-dense-1x8-h100.json");
  EXPECT_THROW(traffic_matrices(e, Phase::decode), InputError);
}
