// Which catalog model a trace's model name names (place drift: the expert bytes it moves; place compare --moe-time:
// the experts it times).
#include <gtest/gtest.h>

#include "study/placement_study.hpp"

using namespace moescope;

TEST(CatalogModelOfTrace, NamesTheModelsOfTheSharedTraces) {
  Session session;
  const auto catalog = session.catalog();
  const auto name = [&](const std::string& trace_model) {
    const auto* m = catalog_model_of_trace(*catalog, trace_model);
    return m ? m->name : std::string("none");
  };
  EXPECT_EQ(name("DeepSeek-V2-Lite-Chat"), "deepseek-v2-lite");
  EXPECT_EQ(name("ESFT-vanilla-lite"), "deepseek-v2-lite"); // ESFT's models are DeepSeek-V2-Lite fine-tunes
  EXPECT_EQ(name("Llama-4-Maverick-17B-128E-Instruct"), "llama-4-maverick");
  EXPECT_EQ(name("deepseek-v3"), "deepseek-v3");
  EXPECT_EQ(name("Qwen3-30B-A3B-Instruct-2507"), "qwen3-30b-a3b");
  EXPECT_EQ(name("toy"), "none");
  EXPECT_EQ(name(""), "none");
}
