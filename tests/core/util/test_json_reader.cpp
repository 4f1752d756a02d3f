#include <gtest/gtest.h>

#include "util/data_type.hpp"
#include "util/json_reader.hpp"
#include "util/text_table.hpp"

using namespace moescope;

TEST(JsonReader, CollectsEveryProblemWithPointers) {
  Json j = Json::parse(R"({"a": "x", "b": -1, "c": {"d": true}, "typo": 1})");
  Diagnostics diags;
  JsonObjectReader r(j, "f.json", "", diags);
  EXPECT_EQ(r.integer("a"), 0);
  EXPECT_EQ(r.number("b", NumberRule::positive), 0.0);
  JsonObjectReader c = r.object("c");
  EXPECT_TRUE(c.boolean("d"));
  EXPECT_EQ(c.string("missing"), "");
  c.finish();
  r.finish();
  ASSERT_EQ(diags.size(), 4u);
  EXPECT_EQ(diags.items()[0].to_string(), "f.json: /a: expected an integer > 0, got the string \"x\"");
  EXPECT_EQ(diags.items()[1].to_string(), "f.json: /b: expected a number > 0, got -1");
  EXPECT_EQ(diags.items()[2].to_string(), "f.json: /c/missing: missing required field; expected a string");
  EXPECT_EQ(diags.items()[3].location, "/typo");
  EXPECT_NE(diags.items()[3].message.find("unknown field"), std::string::npos);
}

TEST(JsonReader, DefaultsDoNotComplain) {
  Json j = Json::parse(R"({"present": 3})");
  Diagnostics diags;
  JsonObjectReader r(j, "f.json", "", diags);
  EXPECT_EQ(r.integer_or("present", 1), 3);
  EXPECT_EQ(r.integer_or("absent", 7), 7);
  EXPECT_EQ(r.choice_or("mode", {"a", "b"}, "b"), "b");
  r.finish();
  EXPECT_TRUE(diags.empty());
}

TEST(JsonReader, ChoiceListsAllowedValues) {
  Json j = Json::parse(R"({"mode": "c"})");
  Diagnostics diags;
  JsonObjectReader r(j, "f.json", "/x", diags);
  r.choice("mode", {"a", "b"});
  ASSERT_EQ(diags.size(), 1u);
  EXPECT_EQ(diags.items()[0].to_string(), "f.json: /x/mode: expected one of \"a\", \"b\", got \"c\"");
}

TEST(JsonReader, MalformedJsonGivesLineAndColumn) {
  Diagnostics diags;
  auto parsed = parse_json_text("{\n  \"a\": 1,\n  \"b\": ]\n}", "bad.json", diags);
  EXPECT_FALSE(parsed.has_value());
  ASSERT_EQ(diags.size(), 1u);
  EXPECT_EQ(diags.items()[0].file, "bad.json");
  EXPECT_EQ(diags.items()[0].location.rfind("line 3", 0), 0u) << diags.items()[0].location;
}

TEST(JsonReader, PointerEscaping) {
  EXPECT_EQ(json_pointer_escape("a/b~c"), "a~1b~0c");
}

TEST(DataType, BytesAndScales) {
  EXPECT_EQ(bytes_per_element(DataType::bf16), 2.0);
  EXPECT_EQ(bytes_per_element(DataType::fp4), 0.5);
  EXPECT_DOUBLE_EQ(scale_bytes_per_element(DataType::fp8), 4.0 / 128.0);
  EXPECT_EQ(parse_data_type("nvfp4"), DataType::nvfp4);
  EXPECT_FALSE(parse_data_type("fp7").has_value());
}

TEST(TextFormatting, SiPrefixes) {
  EXPECT_EQ(format_si(3.35e12, "B/s"), "3.35 TB/s");
  EXPECT_EQ(format_si(989.4e12, "FLOP/s"), "989 TFLOP/s");
  EXPECT_EQ(format_bytes(80e9), "80.0 GB");
  EXPECT_EQ(format_seconds(2.5e-5), "25.00 us");
  EXPECT_EQ(format_seconds(0.0125), "12.500 ms");
}

TEST(JsonReader, HugeNumberIsAnErrorNotACrash) {
  // Found by fuzzing the trace importers: nlohmann throws out_of_range, not parse_error, for this.
  Diagnostics diags;
  EXPECT_FALSE(parse_json_text("{\"a\": 27E1532}", "big.json", diags).has_value());
  ASSERT_EQ(diags.size(), 1u);
  EXPECT_NE(diags.items()[0].message.find("malformed JSON"), std::string::npos);
}

TEST(JsonReader, DeepNestingIsAnErrorNotAStackOverflow) {
  // A 10^6-deep array crashed the copies and destructors of the parsed value (issue 19).
  const std::string deep = "{\"engine\": " + std::string(1000000, '[') + std::string(1000000, ']') + "}";
  Diagnostics diags;
  EXPECT_FALSE(parse_json_text(deep, "deep.json", diags).has_value());
  ASSERT_EQ(diags.size(), 1u);
  EXPECT_EQ(diags.items()[0].file, "deep.json");
  // The first bracket past the limit: the object's brace is level 1, so it is the 64th '['.
  EXPECT_EQ(diags.items()[0].location, "line 1, column " + std::to_string(11 + kMaxJsonDepth));
  EXPECT_NE(diags.items()[0].message.find("nested deeper than 64"), std::string::npos);
  // At the limit it parses.
  const std::string ok = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  EXPECT_TRUE(parse_json_text(ok, "ok.json", diags).has_value());
  EXPECT_EQ(diags.size(), 1u);
}

TEST(JsonReader, BracketsInStringsDoNotCountAsNesting) {
  Diagnostics diags;
  const std::string text = "{\"a\": \"" + std::string(200, '[') + "\\\"\"}";
  EXPECT_TRUE(parse_json_text(text, "s.json", diags).has_value());
  EXPECT_TRUE(diags.empty());
}

TEST(JsonReader, OversizedFileIsRefusedBeforeParsing) {
  Diagnostics diags;
  EXPECT_FALSE(parse_json_text(std::string(kMaxJsonFileBytes + 1, ' '), "big.json", diags).has_value());
  ASSERT_EQ(diags.size(), 1u);
  EXPECT_NE(diags.items()[0].message.find("at most 67108864 bytes"), std::string::npos);
}

TEST(JsonReader, IntegersBeyondTwoToThe53AreErrors) {
  // 2^64-1 was converted to int64 (undefined behaviour) and blamed a field downstream.
  Json j = Json::parse(R"({"ok": 9007199254740992, "big": 18446744073709551615, "huge": 1e30, "neg": -1e19})");
  Diagnostics diags;
  JsonObjectReader r(j, "f.json", "/deployment", diags);
  EXPECT_EQ(r.integer("ok"), 9007199254740992);
  EXPECT_EQ(r.integer("big"), 0);
  EXPECT_EQ(r.integer("huge"), 0);
  EXPECT_EQ(r.integer("neg", NumberRule::any), 0);
  r.finish();
  ASSERT_EQ(diags.size(), 3u);
  EXPECT_EQ(diags.items()[0].location, "/deployment/big");
  EXPECT_NE(diags.items()[0].message.find("at most 2^53"), std::string::npos);
  EXPECT_EQ(diags.items()[1].location, "/deployment/huge");
  EXPECT_EQ(diags.items()[2].location, "/deployment/neg");
}
