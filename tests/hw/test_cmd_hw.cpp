// `aicq hw` in-process: the JSON document and the text table.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "hw_support.hpp"
#include "support.hpp"

using namespace aicq;

TEST(CmdHw, JsonWithoutMeasuring) {
  test::ScopedEnv nvml("AICQ_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1");
  const auto o = test::run({"hw", "--format", "json", "--no-measure"});
  ASSERT_EQ(o.rc, 0) << o.err;
  const auto j = nlohmann::json::parse(o.out);
  EXPECT_EQ(j["schema"], "aicq-hw/1");
  const auto& cpu = j["host"]["cpu"];
  EXPECT_GT(cpu["cores"].get<int>(), 0);
  EXPECT_GE(cpu["threads"].get<int>(), cpu["cores"].get<int>());
  EXPECT_TRUE(cpu["isa"].is_array());
  EXPECT_TRUE(cpu.contains("microarch"));
  EXPECT_TRUE(cpu.contains("microarch_note"));
  EXPECT_TRUE(cpu["caches"].is_array());
  EXPECT_TRUE(cpu["clock"].contains("tsc_hz"));
  EXPECT_GT(j["host"]["memory_bytes"].get<double>(), 0);
  EXPECT_EQ(j["host"]["gpus"].size(), 0u);
  EXPECT_NE(j["host"]["gpu_note"].get<std::string>().find("/nonexistent/libnvidia-ml.so.1"), std::string::npos);
  // Not measured: no clock measurement, no FMA runs; each peak names its kind, method and source.
  EXPECT_TRUE(j["peaks"]["clock_measurement"].is_null());
  EXPECT_EQ(j["peaks"]["fma"].size(), 0u);
  for (const auto& p : j["peaks"]["peaks"]) {
    EXPECT_TRUE(p["kind"] == "declared" || p["kind"] == "estimated") << p.dump();
    EXPECT_FALSE(p["method"].get<std::string>().empty());
    EXPECT_FALSE(p["source"].get<std::string>().empty());
    EXPECT_GT(p["flops"].get<double>(), 0);
  }
  EXPECT_EQ(j["peaks"]["peaks"].size() + j["peaks"]["missing"].size() >= 4, true);
}

TEST(CmdHw, TextNamesEverySection) {
  test::ScopedEnv nvml("AICQ_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1");
  const auto o = test::run({"hw", "--no-measure"});
  ASSERT_EQ(o.rc, 0) << o.err;
  for (const char* s : {"CPU ", "microarch", "topology", "ISA", "caches", "clock", "hypervisor", "memory",
                        "no NVIDIA GPU: AICQ_NVML_LIBRARY=/nonexistent/libnvidia-ml.so.1", "peaks (CPU, whole machine)",
                        "--no-measure"})
    EXPECT_NE(o.out.find(s), std::string::npos) << s << "\n" << o.out;
}

TEST(CmdHw, BadFormatIsBadInput) {
  const auto o = test::run({"hw", "--format", "xml"});
  EXPECT_EQ(o.rc, 2);
}
