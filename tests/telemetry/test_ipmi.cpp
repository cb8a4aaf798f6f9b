// IPMI DCMI: the parser on recorded outputs, the sampler running a real command, discovery's reasons.
#include <gtest/gtest.h>

#include <cmath>

#include "aicq/telemetry/samplers.hpp"
#include "telemetry_support.hpp"

namespace fs = std::filesystem;
using namespace aicq;
using namespace aicq::telemetry;

TEST(Ipmi, ActivatedIpmitoolReading) {
  const auto r = parse_dcmi_power_reading(test::slurp(test::fixture("ipmi/ipmitool_dcmi_power_reading_ceems_fixture.txt")), "f");
  EXPECT_EQ(r.instantaneous_w, 2578.0);
  EXPECT_EQ(r.minimum_w, 2118.0);
  EXPECT_EQ(r.maximum_w, 4294.0);
  EXPECT_EQ(r.average_w, 2567.0);
  EXPECT_EQ(r.sampling_period_s, 300.0);
  EXPECT_EQ(r.timestamp, "Wed Feb 14 17:09:10 2024");
  EXPECT_EQ(r.state, "activated");
  EXPECT_TRUE(r.active());
}

TEST(Ipmi, DeactivatedReadingIsNotTrusted) {
  const auto r = parse_dcmi_power_reading(test::slurp(test::fixture("ipmi/ipmitool_dcmi_power_reading_deactivated_openbmc.txt")), "f");
  EXPECT_EQ(r.instantaneous_w, 235.0);
  EXPECT_EQ(r.state, "deactivated");
  EXPECT_EQ(r.timestamp, "Thu Jan  1 00:00:00 1970");
  EXPECT_FALSE(r.active());
}

TEST(Ipmi, FreeIpmiStatistics) {
  const auto r = parse_dcmi_power_reading(
      test::slurp(test::fixture("ipmi/freeipmi_ipmi-dcmi_get-system-power-statistics_ceems_fixture.txt")), "f");
  EXPECT_EQ(r.instantaneous_w, 332.0);
  EXPECT_EQ(r.minimum_w, 68.0);
  EXPECT_EQ(r.average_w, 348.0);
  EXPECT_EQ(r.sampling_period_s, 2685198.0) << "2685198000 milliseconds";
  EXPECT_EQ(r.state, "Active");
  EXPECT_TRUE(r.active());
}

TEST(Ipmi, TextWithoutAReadingIsAnInputError) {
  try {
    parse_dcmi_power_reading("Could not open device at /dev/ipmi0\n", "ipmitool dcmi power reading");
    FAIL();
  } catch (const core::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("Instantaneous power reading"), std::string::npos) << e.what();
  }
}

TEST(Ipmi, SamplerRunsTheCommand) {
  // The command is run as given (argv, no shell): `cat FILE` prints the recorded output as ipmitool would.
  const std::string cmd = "cat " + test::fixture("ipmi/ipmitool_dcmi_power_reading_ceems_fixture.txt").string();
  IpmiSampler s(cmd);
  EXPECT_EQ(s.quality(), core::PowerQuality::q2);
  ASSERT_EQ(s.channels().size(), 1u);
  EXPECT_EQ(s.channels()[0].scope, PowerScope::node);
  double out[1];
  s.sample(0, out);
  EXPECT_EQ(out[0], 2578.0);
}

TEST(Ipmi, DeactivatedBmcIsNotASource) {
  const std::string cmd = "cat " + test::fixture("ipmi/ipmitool_dcmi_power_reading_deactivated_openbmc.txt").string();
  try {
    IpmiSampler s(cmd);
    FAIL() << "expected a WorkError";
  } catch (const core::WorkError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("not metering"), std::string::npos) << what;
    EXPECT_NE(what.find("deactivated"), std::string::npos) << what;
  }
}

TEST(Ipmi, FailingCommandNamesItsError) {
  try {
    run_command("ls /nonexistent-aicq-folder", std::chrono::seconds(5));
    FAIL();
  } catch (const core::WorkError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("exit code 2"), std::string::npos) << what;
    EXPECT_NE(what.find("nonexistent-aicq-folder"), std::string::npos) << what;
  }
  EXPECT_THROW(run_command("aicq-no-such-program-xyz", std::chrono::seconds(5)), core::WorkError);
  EXPECT_THROW(run_command("sleep 5", std::chrono::milliseconds(200)), core::WorkError);
}

TEST(Ipmi, DiscoverySaysWhy) {
  const fs::path root = test::fresh("ipmi-root");
  test::write_text(root / "proc/stat", test::slurp(test::fixture("proc/stat.0")));
  Config c;
  c.root = root.string();
  c.nvml = false;
  c.ipmi_command = "ipmitool dcmi power reading";
  auto find = [](const std::vector<Availability>& l) {
    for (const auto& a : l)
      if (a.id == "ipmi") return a;
    return Availability{};
  };
  // ipmitool is installed here (scripts/install-deps.sh) but the scratch root has no dev/ipmi0.
  Availability a = find(discover(c));
  EXPECT_FALSE(a.available);
  EXPECT_NE(a.why_not.find("dev/ipmi0 absent"), std::string::npos) << a.why_not;

  c.ipmi_command = "aicq-no-such-ipmitool dcmi power reading";
  a = find(discover(c));
  EXPECT_NE(a.why_not.find("not installed"), std::string::npos) << a.why_not;

  c.ipmi_require_device = false;
  c.ipmi_command = "cat " + test::fixture("ipmi/ipmitool_dcmi_power_reading_deactivated_openbmc.txt").string();
  a = find(discover(c));
  EXPECT_FALSE(a.available);
  EXPECT_NE(a.why_not.find("not metering"), std::string::npos) << a.why_not;

  c.ipmi_command = "cat " + test::fixture("ipmi/ipmitool_dcmi_power_reading_ceems_fixture.txt").string();
  a = find(discover(c));
  EXPECT_TRUE(a.available);
  EXPECT_EQ(a.quality, core::PowerQuality::q2);
  EXPECT_TRUE(a.used_for_power) << "a node meter is the best power source here";
}
