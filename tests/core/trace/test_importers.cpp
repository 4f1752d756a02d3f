// Importers on the bundled samples (tests/data/traces), one test per quirk listed in ../shared/traces/README.md,
// and every shared trace when ../shared is present.
#include <cmath>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "trace/binary_format.hpp"
#include "trace/importer.hpp"
#include "trace/trace_stats.hpp"
#include "trace_test_util.hpp"

namespace moescope::trace {
namespace {

using namespace testing;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const ExpertTrace& tokens(const AnyTrace& t) {
  return std::get<ExpertTrace>(t);
}
const ExpertCountTrace& counts(const AnyTrace& t) {
  return std::get<ExpertCountTrace>(t);
}

std::vector<std::uint16_t> ids(const ExpertTrace& t, std::uint64_t token, std::uint32_t layer) {
  const auto s = t.experts(token, layer);
  return {s.begin(), s.end()};
}

// Every importer detecting its own bundled sample: registry_test.cpp (ImporterRegistry).

TEST(Detect, ExplicitFormatOverridesDetection) {
  ImportOptions o;
  o.format = "esft";
  // A DeepSeek CSV read as ESFT fails with the ESFT importer's message, proving the override was used.
  try {
    import_trace(data_dir() + "/deepseek-chat/prompts/prompt_979_data.csv.gz", o);
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("double tab"));
  }
  o.format = "no-such-format";
  EXPECT_THROW(import_trace(data_dir() + "/esft", o), InputError);
}

TEST(Detect, UnknownContentIsAnInputError) {
  ScratchDir dir;
  write_text(dir.file("x.txt"), "hello world\n");
  try {
    import_trace(dir.file("x.txt"));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("unrecognised trace format"));
    EXPECT_THAT(e.what(), HasSubstr("x.txt"));
  }
}

// --- DeepSeek-V2-Lite chat -----------------------------------------------------------------------------------

TEST(DeepSeekCsv, DirectoryIsOneRequestPerPromptAndPrompt317IsSimplyAbsent) {
  const auto any = import_trace(data_dir() + "/deepseek-chat/prompts");
  const auto& t = tokens(any);
  ASSERT_EQ(t.num_requests(), 4u);
  EXPECT_EQ(t.request(0).id, "prompt_285");
  EXPECT_EQ(t.request(1).id, "prompt_316");
  EXPECT_EQ(t.request(2).id, "prompt_318"); // 317 missing: no gap request, no error
  EXPECT_EQ(t.request(3).id, "prompt_979");
  EXPECT_EQ(t.request(1).prefill_tokens, 55u);
  EXPECT_EQ(t.request(2).prefill_tokens, 33u);
  EXPECT_EQ(t.num_layers(), 26u);
  EXPECT_EQ(t.metadata().moe_layer_ids.front(), 1);
  EXPECT_EQ(t.metadata().moe_layer_ids.back(), 26);
  EXPECT_EQ(t.top_k(), 6u);
  EXPECT_EQ(t.num_experts(), 64u);
  EXPECT_EQ(t.request(0).decode_tokens, 0u); // prefill only
}

TEST(DeepSeekCsv, ExpertIdsKeepTheirUnsortedTopKOrder) {
  const auto& t = load_tokens(data_dir() + "/deepseek-chat/prompts/prompt_285_data.csv.gz");
  // Row "1,0,<｜begin▁of▁sentence｜>,"[8, 26, 56, 57, 60, 43]"": not sorted, kept as is.
  EXPECT_THAT(ids(t, 0, 0), ElementsAre(8, 26, 56, 57, 60, 43));
  // Layer 26 (slot 25), token 1 ("Define"): "[6, 10, 36, 56, 60, 32]".
  EXPECT_THAT(ids(t, 1, 25), ElementsAre(6, 10, 36, 56, 60, 32));
}

TEST(DeepSeekCsv, TokenTextWithQuotesAndCommasIsParsed) {
  // prompt_285 has tokens "Ġ""" and """" (quoted quotes); prompt_979 has "," (a quoted comma).
  const auto& a = load_tokens(data_dir() + "/deepseek-chat/prompts/prompt_285_data.csv.gz");
  EXPECT_EQ(a.num_tokens(), 8u);
  EXPECT_THAT(ids(a, 2, 0), ElementsAre(49, 55, 56, 60, 62, 8)); // the token Ġ"
  EXPECT_THAT(ids(a, 7, 0), ElementsAre(8, 25, 57, 60, 62, 43)); // the token "
  const auto& b = load_tokens(data_dir() + "/deepseek-chat/prompts/prompt_979_data.csv.gz");
  EXPECT_EQ(b.num_tokens(), 4u);
  EXPECT_THAT(ids(b, 2, 0), ElementsAre(4, 8, 41, 43, 51, 48)); // the token ,
}

TEST(DeepSeekCsv, QuotedFieldMaySpanLinesAndPlainFilesWork) {
  ScratchDir dir;
  write_text(dir.file("prompt_1_data.csv"), "Layer ID,Batch Number,Token,Activated Expert IDs\r\n"
                                            "1,0,\"multi\nline, \"\"text\"\"\",\"[1, 2]\"\r\n"
                                            "1,0,b,\"[3, 4]\"\r\n"
                                            "2,0,\"multi\nline, \"\"text\"\"\",\"[5, 6]\"\r\n"
                                            "2,0,b,\"[7, 0]\"\r\n");
  const auto& t = load_tokens(dir.file("prompt_1_data.csv"));
  EXPECT_EQ(t.num_tokens(), 2u);
  EXPECT_EQ(t.top_k(), 2u);
  EXPECT_THAT(ids(t, 0, 1), ElementsAre(5, 6));
  EXPECT_THAT(ids(t, 1, 1), ElementsAre(7, 0));
}

TEST(DeepSeekCsv, BundledBinarySampleHoldsTheFirstTwentyPrompts) {
  const auto& t = load_tokens(data_dir() + "/deepseek-v2-lite-chat-20.mst");
  ASSERT_EQ(t.num_requests(), 20u);
  EXPECT_EQ(t.request(0).id, "prompt_1");
  EXPECT_EQ(t.request(19).id, "prompt_20");
  EXPECT_EQ(t.request(0).prefill_tokens, 33u);
  EXPECT_EQ(t.num_tokens(), 1206u);
  EXPECT_EQ(t.metadata().domains, std::vector<std::string>{"chat"});
  // prompt_1, layer 1, first token: "[8, 26, 56, 57, 60, 43]".
  EXPECT_THAT(ids(t, 0, 0), ElementsAre(8, 26, 56, 57, 60, 43));
}

// --- Llama 4 Maverick ----------------------------------------------------------------------------------------

TEST(Llama4Json, DenseLayersAreNullAndOnlyOddLayersAreMoE) {
  const auto& t = load_tokens(data_dir() + "/llama4");
  ASSERT_EQ(t.num_layers(), 24u);
  for (std::uint32_t l = 0; l < 24; ++l)
    EXPECT_EQ(t.metadata().moe_layer_ids[l], int(2 * l + 1));
  EXPECT_EQ(t.top_k(), 1u);
  EXPECT_EQ(t.num_experts(), 128u);
}

TEST(Llama4Json, StepZeroIsPrefillAndLaterStepsAreDecode) {
  const auto& t = load_tokens(data_dir() + "/llama4");
  ASSERT_EQ(t.num_requests(), 2u);
  EXPECT_EQ(t.metadata().domains, (std::vector<std::string>{"abstract_algebra", "anatomy"}));
  EXPECT_EQ(t.request(0).id, "abstract_algebra/93");
  EXPECT_EQ(t.request(0).prefill_tokens, 2u);
  EXPECT_EQ(t.request(0).decode_tokens, 128u);
  // anatomy/148 stopped early: 54 steps = 1 prefill + 53 decode.
  EXPECT_EQ(t.request(1).prefill_tokens, 6u);
  EXPECT_EQ(t.request(1).decode_tokens, 53u);
  EXPECT_EQ(t.domain_of(1), "anatomy");
  // Step 0 layer "1" of 93.json is [[60],[119]]; step 1 layer "47" is [[120]].
  EXPECT_THAT(ids(t, 0, 0), ElementsAre(60));
  EXPECT_THAT(ids(t, 1, 0), ElementsAre(119));
  EXPECT_THAT(ids(t, t.request(0).decode().begin, 23), ElementsAre(120));
  EXPECT_EQ(t.request(1).prefill().begin, 130u);
  EXPECT_THAT(ids(t, 130, 0), ElementsAre(72));
}

TEST(Llama4Json, RepeatedFewShotPrefixSkewsPrefillLoad) {
  SKIP_WITHOUT_SHARED();
  // The MMLU few-shot prefix repeats across requests, so the prefill load is more concentrated than decode's.
  const auto& t = load_tokens(shared_traces() + "/llama4-maverick-mmlu");
  std::vector<double> pre(t.num_experts()), dec(t.num_experts());
  double pre_gini = 0, dec_gini = 0;
  for (std::uint32_t l = 0; l < t.num_layers(); ++l) {
    std::fill(pre.begin(), pre.end(), 0);
    std::fill(dec.begin(), dec.end(), 0);
    for (const auto& r : t.requests()) {
      for (auto tok = r.prefill().begin; tok < r.prefill().end; ++tok)
        pre[t.experts(tok, l)[0]] += 1;
      for (auto tok = r.decode().begin; tok < r.decode().end; ++tok)
        dec[t.experts(tok, l)[0]] += 1;
    }
    pre_gini += gini(pre);
    dec_gini += gini(dec);
  }
  EXPECT_GT(pre_gini, dec_gini);
}

// --- ESFT ----------------------------------------------------------------------------------------------------

TEST(Esft, IdsAreTokenMajorSixPerTokenThenDoubleTabThenWeightsInTheSameOrder) {
  const auto& t = load_tokens(data_dir() + "/esft");
  EXPECT_EQ(t.metadata().domains, (std::vector<std::string>{"intent", "law"}));
  ASSERT_EQ(t.num_requests(), 5u); // 3 intent samples + 2 law samples
  EXPECT_EQ(t.request(0).prefill_tokens, 49u);
  EXPECT_EQ(t.request(3).prefill_tokens, 126u);
  EXPECT_EQ(t.domain_of(3), "law");
  EXPECT_TRUE(t.has_weights());
  EXPECT_EQ(t.top_k(), 6u);
  EXPECT_EQ(t.num_layers(), 26u);
  // First line of intent/expert_weights_1: ids 8 26 56 57 60 11 | weights 0.0413 0.047 0.0446 0.1787 0.0859 0.0378.
  EXPECT_THAT(ids(t, 0, 0), ElementsAre(8, 26, 56, 57, 60, 11));
  const auto w = t.weights(0, 0);
  ASSERT_EQ(w.size(), 6u);
  EXPECT_FLOAT_EQ(w[0], 0.0413f);
  EXPECT_FLOAT_EQ(w[3], 0.1787f);
  EXPECT_FLOAT_EQ(w[5], 0.0378f);
  // Second token of the same line: ids 2 7 8 39 61 56.
  EXPECT_THAT(ids(t, 1, 0), ElementsAre(2, 7, 8, 39, 61, 56));
}

// A summary task's first sample is longer than the detector's 4 KiB window: detected by structure, not by the
// double tab (which comes after the window), with or without the ESFT file name.
TEST(Esft, FirstLineLongerThanTheDetectionWindowIsDetected) {
  ScratchDir dir;
  std::string ids, weights;
  for (int t = 0; t < 400; ++t) // 400 tokens x top-6: about 6 KB of ids before the double tab
    for (int j = 0; j < 6; ++j) {
      ids += (ids.empty() ? "" : "\t") + std::to_string((t * 7 + j * 11) % 64);
      weights += (weights.empty() ? "" : "\t") + std::string("0.1");
    }
  const std::string line = ids + "\t\t" + weights + "\n";
  ASSERT_GT(ids.size(), 4096u);
  write_text(dir.file("summary/expert_weights_0.txt"), line + "1\t2\t3\t4\t5\t6\t\t0.1\t0.1\t0.1\t0.1\t0.1\t0.1\n");
  write_text(dir.file("plain.txt"), line);
  EXPECT_EQ(detect_importer(dir.path() + "/summary").name(), "esft");
  EXPECT_EQ(detect_importer(dir.file("plain.txt")).name(), "esft");
  const auto t = load_tokens(dir.path() + "/summary");
  EXPECT_EQ(t.num_requests(), 2u);
  EXPECT_EQ(t.request(0).prefill_tokens, 400u);
  EXPECT_EQ(t.top_k(), 6u);
}

// --- OLMoE / Mixtral counts ----------------------------------------------------------------------------------

TEST(OlmoeCounts, StringKeyedCountersBecomePerLayerCounts) {
  const auto& c = load_counts(data_dir() + "/olmoe/olmoe/expert_counts/arxiv.json");
  EXPECT_EQ(c.metadata.model, "OLMoE-1B-7B-0924");
  EXPECT_EQ(c.num_experts(), 64u);
  EXPECT_EQ(c.metadata.top_k, 8u);
  EXPECT_EQ(c.metadata.moe_layer_ids, (std::vector<std::int32_t>{0, 7, 15}));
  ASSERT_EQ(c.domains.size(), 1u);
  EXPECT_EQ(c.domains[0].name, "arxiv");
  std::uint64_t sum = 0;
  for (std::uint32_t e = 0; e < 64; ++e)
    sum += c.count(0, 0, e);
  EXPECT_EQ(sum % 8, 0u);
  EXPECT_EQ(c.domains[0].tokens, sum / 8);
}

TEST(OlmoeCounts, ModelDirectoryJoinsDomainsWithTheirCrossLayerPairs) {
  const auto& c = load_counts(data_dir() + "/olmoe/mistral");
  EXPECT_EQ(c.metadata.model, "Mixtral-8x7B-v0.1");
  EXPECT_EQ(c.num_experts(), 8u);
  EXPECT_EQ(c.metadata.top_k, 2u);
  EXPECT_EQ(c.metadata.domains, (std::vector<std::string>{"arxiv", "github"}));
  ASSERT_EQ(c.pairs.size(), 4u); // 0->7 and 7->15 per domain
  // Row sums of "0->7" are the layer-0 counts (every selection at layer 0 has a same-slot partner at layer 7).
  const auto& p = c.pairs[0];
  EXPECT_EQ(p.from_layer, 0u);
  EXPECT_EQ(p.to_layer, 1u);
  for (std::uint32_t x = 0; x < 8; ++x) {
    std::uint64_t row = 0;
    for (std::uint32_t y = 0; y < 8; ++y)
      row += p.matrix[x * 8 + y];
    EXPECT_EQ(row, c.count(p.domain, 0, x));
  }
  EXPECT_EQ(c.domains[0].tokens, 208896u); // 417792 selections / top-2
}

TEST(OlmoeCounts, SeveralModelsInOneDirectoryAskForOne) {
  SKIP_WITHOUT_SHARED();
  try {
    import_trace(shared_traces() + "/olmoe-domains");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("several models"));
  }
}

// --- FLAME-MoE -----------------------------------------------------------------------------------------------

TEST(FlameCsv, LayerComesFromTheFolderAndTopKOrderIsByDescendingScore) {
  const auto& t = load_tokens(data_dir() + "/flame/prefill-batch");
  EXPECT_EQ(t.metadata().moe_layer_ids, (std::vector<std::int32_t>{2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(t.top_k(), 6u);
  EXPECT_EQ(t.num_experts(), 64u);
  // 128 rows of "32seqs_2048tokens" = 2 sequences of 64 tokens.
  ASSERT_EQ(t.num_requests(), 2u);
  EXPECT_EQ(t.request(0).prefill_tokens, 64u);
  // Token 0, layer 2: scores 3:0.03256 12:0.029556 21:0.041714 28:0.052281 34:0.099801 47:0.038429.
  EXPECT_THAT(ids(t, 0, 0), ElementsAre(34, 28, 21, 47, 3, 12));
  EXPECT_FLOAT_EQ(t.weights(0, 0)[0], 0.099801f);
}

// --- Switch --------------------------------------------------------------------------------------------------

TEST(SwitchCounts, EntropyMatchesThePublishedLayerAnalysis) {
  const auto any = import_trace(data_dir() + "/switch");
  const auto& c = counts(any);
  EXPECT_EQ(c.metadata.moe_layer_ids, (std::vector<std::int32_t>{1, 3, 5, 7, 9, 11}));
  EXPECT_EQ(c.domains[0].tokens, 206866u);
  const auto s = compute_stats(any);
  // expert_statistics_3d.json layer_analysis["1"]: entropy 6.690391827094964, top experts 47 (10027), 3 (7673).
  EXPECT_NEAR(s.layers[0].entropy_bits, 6.690391827094964, 1e-9);
  EXPECT_EQ(s.layers[0].active_experts, 127u);
  EXPECT_EQ(s.layers[0].hottest[0].expert, 47u);
  EXPECT_NEAR(s.layers[0].hottest[0].share, 10027.0 / 206866.0, 1e-12);
  EXPECT_EQ(s.layers[0].hottest[1].expert, 3u);
}

// --- every shared trace --------------------------------------------------------------------------------------

TEST(SharedTraces, EveryTraceImports) {
  SKIP_WITHOUT_SHARED();
  struct Expect {
    const char* path;
    const char* format;
    std::size_t requests; // 0 for count traces
    std::uint64_t tokens;
  };
  const Expect cases[] = {
      {"llama4-maverick-mmlu", "llama4-json", 235, 34517},
      {"deepseek-v2-lite-chat/prompts-0001-1000", "deepseek-csv", 999, 94165},
      {"deepseek-v2-lite-esft", "esft", 160, 16549},
      {"flame-moe-290m/prefill-batch", "flame-csv", 32, 2048},
      {"olmoe-domains/olmoe", "olmoe-counts", 0, 0},
      {"olmoe-domains/mistral", "olmoe-counts", 0, 0},
      {"olmoe-domains/olmoe-sft", "olmoe-counts", 0, 0},
      {"olmoe-domains/olmoe-dpo", "olmoe-counts", 0, 0},
      {"switch-base-128", "switch-counts", 0, 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.path);
    const auto any = import_trace(shared_traces() + "/" + c.path);
    EXPECT_EQ(metadata_of(any).source_format, c.format);
    if (c.requests) {
      EXPECT_EQ(tokens(any).num_requests(), c.requests);
      EXPECT_EQ(tokens(any).num_tokens(), c.tokens);
    }
  }
  // The DeepSeek directory: 999 prompts, 317 absent.
  const auto& ds = load_tokens(shared_traces() + "/deepseek-v2-lite-chat/prompts-0001-1000");
  EXPECT_EQ(ds.request(315).id, "prompt_316");
  EXPECT_EQ(ds.request(316).id, "prompt_318");
}

TEST(SharedTraces, BundledSampleEqualsTheFirstTwentySharedPrompts) {
  SKIP_WITHOUT_SHARED();
  ImportOptions o;
  o.max_requests = 20;
  const auto& raw = load_tokens(shared_traces() + "/deepseek-v2-lite-chat/prompts-0001-1000", o);
  const auto& bin = load_tokens(data_dir() + "/deepseek-v2-lite-chat-20.mst");
  ASSERT_EQ(raw.num_tokens(), bin.num_tokens());
  EXPECT_TRUE(std::equal(raw.expert_data().begin(), raw.expert_data().end(), bin.expert_data().begin()));
}

} // namespace
} // namespace moescope::trace
