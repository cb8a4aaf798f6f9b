// aicq sensors, in-process, on recorded trees (so the result does not depend on the machine running the test).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "aicq/cli/cli.hpp"
#include "telemetry_support.hpp"

namespace fs = std::filesystem;
using namespace aicq;
using nlohmann::json;

namespace {

// A VM's /proc as recorded (no /sys/class/powercap, no /dev/ipmi0).
fs::path vm_root() {
  const fs::path root = test::fresh("sensors-vm");
  for (const char* f : {"stat", "meminfo", "cpuinfo"}) {
    const std::string src = std::string("proc/") + f + (std::string(f) == "stat" ? ".0" : "");
    test::write_text(root / "proc" / f, test::slurp(test::fixture(src)));
  }
  return root;
}

struct NoNvml {
  NoNvml() { ::setenv("AICQ_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1", 1); }
  ~NoNvml() { ::unsetenv("AICQ_NVML_LIBRARY"); }
  NoNvml(const NoNvml&) = delete;
  NoNvml& operator=(const NoNvml&) = delete;
};

}  // namespace

TEST(SensorsCli, VmWithoutSensorsSaysSoAndNamesTheEstimate) {
  const NoNvml no_nvml;
  const fs::path root = vm_root();
  const auto o = test::run({"sensors", "--root", root.string()});
  ASSERT_EQ(o.rc, 0) << o.err;
  EXPECT_NE(o.out.find("no RAPL: no powercap tree"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("no NVML"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("dev/ipmi0 absent"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("Redfish not configured"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("no power sensor on this machine"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("EPYC 4th Gen"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("Q0"), std::string::npos) << o.out;
}

TEST(SensorsCli, JsonListsEverySource) {
  const NoNvml no_nvml;
  const fs::path root = vm_root();
  const auto o = test::run({"sensors", "--root", root.string(), "--format", "json"});
  ASSERT_EQ(o.rc, 0) << o.err;
  const json j = json::parse(o.out);
  EXPECT_EQ(j["schema"], "aicq-sensors/1");
  std::vector<std::string> ids;
  for (const auto& s : j["sources"]) ids.push_back(s["id"]);
  EXPECT_EQ(ids, (std::vector<std::string>{"procfs", "rapl", "nvml", "ipmi", "redfish", "estimate"}));
  EXPECT_TRUE(j["sources"][0]["available"].get<bool>());
  EXPECT_FALSE(j["sources"][1]["available"].get<bool>());
  EXPECT_TRUE(j["sources"][1].contains("why_not"));
  EXPECT_EQ(j["sources"][5]["quality"], "Q0");
  EXPECT_EQ(j["sources"][5]["kind"], "estimated");
  EXPECT_FALSE(j["power"]["measured"].get<bool>());
  EXPECT_EQ(j["power"]["sources"], json::array({"estimate"}));
}

TEST(SensorsCli, ReadTakesSamples) {
  const NoNvml no_nvml;
  const fs::path root = vm_root();
  const auto o = test::run({"sensors", "--root", root.string(), "--format", "json", "--read", "300ms"});
  ASSERT_EQ(o.rc, 0) << o.err;
  const json j = json::parse(o.out);
  ASSERT_TRUE(j.contains("reading"));
  EXPECT_GE(j["reading"]["samples"].get<int>(), 2);
  EXPECT_EQ(j["reading"]["quality"], "Q0");
  EXPECT_EQ(j["reading"]["source"], "estimate");
  // The recorded /proc/stat does not change: the estimate holds at its first value, P(u since boot).
  EXPECT_TRUE(j["reading"]["mean_power_w"].is_number());
}

TEST(SensorsCli, BadOptionsAreInputErrors) {
  EXPECT_EQ(test::run({"sensors", "--read", "fast"}).rc, 2);
  EXPECT_EQ(test::run({"sensors", "--read", "10ms"}).rc, 2);
  EXPECT_EQ(test::run({"sensors", "--format", "xml"}).rc, 2);
  const auto o = test::run({"sensors", "--redfish", "bmc.example"});
  EXPECT_EQ(o.rc, 2);
  EXPECT_NE(o.err.find("https://"), std::string::npos) << o.err;
}
