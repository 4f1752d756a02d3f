// The routed-expert operators of one GPU and the uniform received-rows closed form.
#include <gtest/gtest.h>

#include "compute/model_compute.hpp"

namespace moescope {
namespace {

// Prefill (contiguous layout) runs the scatter of the received rows into per-expert blocks and the gather back,
// as SGLang's DeepEP + DeepGEMM path does; decode (masked layout: DeepEP low-latency writes per-expert buffers) has
// neither.
TEST(ModelCompute, ContiguousLayoutScattersAndGathersTheReceivedRows) {
  const std::vector<std::int64_t> slots{100, 60};
  const auto names = [](const std::vector<OperatorWork>& ops) {
    std::vector<std::string> n;
    for (const auto& op : ops)
      n.push_back(op.name);
    return n;
  };
  const auto masked = routed_expert_operators(slots, 64, 32, 2.0, DataType::fp8, DataType::bf16, DataType::fp8,
                                              GroupedLayout::masked, 120.0);
  EXPECT_EQ(names(masked),
            (std::vector<std::string>{"routed_experts.up_gate", "routed_experts.activation", "routed_experts.down"}));
  const auto contiguous = routed_expert_operators(slots, 64, 32, 2.0, DataType::fp8, DataType::bf16, DataType::fp8,
                                                  GroupedLayout::contiguous, 120.0);
  ASSERT_EQ(contiguous.size(), 5u);
  // Scatter: 120 received fp8 rows of 64 read, 160 expert rows written (fp8 with one fp32 scale per 128 values);
  // gather: 160 bf16 rows read, 120 written.
  const double fp8 = 1.0 + 4.0 / 128.0;
  EXPECT_EQ(contiguous.front().name, "routed_experts.scatter");
  EXPECT_DOUBLE_EQ(contiguous.front().bytes(), (120.0 + 160.0) * 64.0 * fp8);
  EXPECT_EQ(contiguous.back().name, "routed_experts.gather");
  EXPECT_DOUBLE_EQ(contiguous.back().bytes(), (160.0 + 120.0) * 64.0 * 2.0);
  // Unknown received rows: taken as the expert rows.
  const auto unknown = routed_expert_operators(slots, 64, 32, 2.0, DataType::fp8, DataType::bf16, DataType::fp8,
                                               GroupedLayout::contiguous, 0.0);
  EXPECT_DOUBLE_EQ(unknown.front().bytes(), 2.0 * 160.0 * 64.0 * fp8);
}

TEST(ModelCompute, UniformReceivedRows) {
  // 8 experts, 2 on this GPU, top-2: P(none of them) = 6/8 x 5/7 = 15/28; 4 GPUs x 100 tokens.
  EXPECT_NEAR(uniform_received_rows(100.0, 4, 2, 8, 2), 400.0 * 13.0 / 28.0, 1e-9);
  EXPECT_DOUBLE_EQ(uniform_received_rows(100.0, 4, 2, 8, 8), 400.0); // every token reaches the GPU
}

} // namespace
} // namespace moescope
