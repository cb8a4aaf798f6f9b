// Redfish through a real HTTP server on loopback (cpp-httplib) serving the recorded DMTF mockup.
// httplib.h with the CPPHTTPLIB_*_SUPPORT definitions of Debian's compiled library (pkg-config, CMakeLists.txt)
#include <httplib.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <cmath>
#include <mutex>
#include <thread>

#include "aicq/telemetry/samplers.hpp"
#include "telemetry_support.hpp"

namespace fs = std::filesystem;
using namespace aicq;
using namespace aicq::telemetry;
using nlohmann::json;

namespace {

// The mockup's resources at their @odata.id, Basic authentication as admin:secret ("YWRtaW46c2VjcmV0").
class Bmc {
 public:
  explicit Bmc(bool with_sensors = true) : with_sensors_(with_sensors) {
    files_ = {{"/redfish/v1/Chassis/1U", "Chassis_1U.json"},
              {"/redfish/v1/Chassis/1U/Power", "Chassis_1U_Power.json"},
              {"/redfish/v1/Chassis/1U/EnvironmentMetrics", "Chassis_1U_EnvironmentMetrics.json"},
              {"/redfish/v1/Chassis/1U/PowerSubsystem", "Chassis_1U_PowerSubsystem.json"},
              {"/redfish/v1/Chassis/1U/Sensors/TotalPower", "Chassis_1U_Sensors_TotalPower.json"},
              {"/redfish/v1/Chassis/1U/Sensors/TotalEnergy", "Chassis_1U_Sensors_TotalEnergy.json"}};
    for (const auto& [path, file] : files_) docs_[path] = json::parse(test::slurp(test::fixture("redfish/" + file)));
    // The chassis collection is not among the recorded files; this is its minimal form (Members with @odata.id).
    docs_["/redfish/v1/Chassis"] = json{{"Members", json::array({json{{"@odata.id", "/redfish/v1/Chassis/1U"}}})}};
    server_.Get(".*", [this](const httplib::Request& req, httplib::Response& res) {
      ++requests_;
      if (req.get_header_value("Authorization") != "Basic YWRtaW46c2VjcmV0") {
        res.status = 401;
        res.set_header("WWW-Authenticate", "Basic realm=\"BMC\"");
        return;
      }
      std::lock_guard lock(mu_);
      const auto it = docs_.find(req.path);
      if (it == docs_.end() || (!with_sensors_ && req.path.find("/Sensors/") != std::string::npos)) {
        res.status = 404;
        return;
      }
      res.set_content(it->second.dump(), "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~Bmc() {
    server_.stop();
    thread_.join();
  }
  Bmc(const Bmc&) = delete;
  Bmc& operator=(const Bmc&) = delete;

  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void set_reading(const std::string& path, double v) {
    std::lock_guard lock(mu_);
    docs_[path]["Reading"] = v;
  }
  [[nodiscard]] int requests() const { return requests_; }

 private:
  bool with_sensors_;
  std::map<std::string, std::string> files_;
  std::map<std::string, json> docs_;
  std::mutex mu_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> requests_{0};
};

struct EnvGuard {
  EnvGuard(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) ::setenv(name, value, 1);
    else ::unsetenv(name);
  }
  ~EnvGuard() {
    if (old_) ::setenv(name_, old_->c_str(), 1);
    else ::unsetenv(name_);
  }
  EnvGuard(const EnvGuard&) = delete;
  EnvGuard& operator=(const EnvGuard&) = delete;
  const char* name_;
  std::optional<std::string> old_;
};

Config config_for(const Bmc& bmc) {
  Config c;
  c.redfish_url = bmc.url();
  return c;
}

}  // namespace

TEST(Redfish, SensorsFirstWithAnEnergyCounter) {
  Bmc bmc;
  const EnvGuard u("AICQ_REDFISH_USER", "admin"), p("AICQ_REDFISH_PASSWORD", "secret");
  RedfishSampler s(config_for(bmc));  // no chassis given: the first member of /redfish/v1/Chassis
  EXPECT_EQ(s.quality(), core::PowerQuality::q3) << "an energy counter is offered";
  ASSERT_EQ(s.channels().size(), 2u);
  EXPECT_EQ(s.channels()[0].metric, "power_w");
  EXPECT_EQ(s.channels()[0].device, "chassis-1U");
  EXPECT_EQ(s.channels()[0].scope, PowerScope::node);
  EXPECT_EQ(s.channels()[1].metric, "energy_j");
  EXPECT_TRUE(s.channels()[1].counter);
  EXPECT_NE(s.source().find("/redfish/v1/Chassis/1U/Sensors/TotalPower"), std::string::npos) << s.source();
  double out[2];
  s.sample(0, out);
  EXPECT_EQ(out[0], 374.0) << "Sensors/TotalPower Reading";
  EXPECT_EQ(out[1], 0.0) << "energy counts from the first reading";
  // +0.5 kWh on the BMC's counter = 0.5 × 3.6e6 J = 1.8e6 J (0.5 is exact in binary: no rounding here).
  bmc.set_reading("/redfish/v1/Chassis/1U/Sensors/TotalEnergy", 325675.5);
  bmc.set_reading("/redfish/v1/Chassis/1U/Sensors/TotalPower", 380);
  s.sample(1, out);
  EXPECT_EQ(out[0], 380.0);
  EXPECT_EQ(out[1], 1.8e6);
}

TEST(Redfish, LegacyPowerWhenNoSensors) {
  Bmc bmc(false);
  const EnvGuard u("AICQ_REDFISH_USER", "admin"), p("AICQ_REDFISH_PASSWORD", "secret");
  Config c = config_for(bmc);
  c.redfish_chassis = "/redfish/v1/Chassis/1U";
  RedfishSampler s(c);
  EXPECT_EQ(s.quality(), core::PowerQuality::q2) << "power readings only";
  ASSERT_EQ(s.channels().size(), 1u);
  EXPECT_NE(s.source().find("legacy PowerControl"), std::string::npos) << s.source();
  double out[1];
  s.sample(0, out);
  EXPECT_EQ(out[0], 344.0) << "PowerControl[0].PowerConsumedWatts";
}

TEST(Redfish, WrongCredentialsAreAClearError) {
  Bmc bmc;
  const EnvGuard u("AICQ_REDFISH_USER", "admin"), p("AICQ_REDFISH_PASSWORD", "wrong");
  try {
    RedfishSampler s(config_for(bmc));
    FAIL() << "expected a WorkError";
  } catch (const core::WorkError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("HTTP 401"), std::string::npos) << what;
    EXPECT_NE(what.find("wrong or missing credentials"), std::string::npos) << what;
    EXPECT_NE(what.find("AICQ_REDFISH_USER"), std::string::npos) << what;
  }
  // discover() reports it as the reason the source is absent.
  Config c = config_for(bmc);
  c.nvml = false;
  for (const auto& a : discover(c))
    if (a.id == "redfish") {
      EXPECT_FALSE(a.available);
      EXPECT_NE(a.why_not.find("wrong or missing credentials"), std::string::npos) << a.why_not;
    }
}

TEST(Redfish, CredentialsFileMustBePrivate) {
  const EnvGuard u("AICQ_REDFISH_USER", nullptr), p("AICQ_REDFISH_PASSWORD", nullptr);
  const fs::path dir = test::fresh("redfish-cred");
  const fs::path f = dir / "bmc.cred";
  test::write_text(f, "admin:secret\n");
  ::chmod(f.c_str(), 0644);
  try {
    redfish_credentials(f.string());
    FAIL() << "expected an InputError";
  } catch (const core::InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("chmod 600"), std::string::npos) << what;
    EXPECT_NE(what.find(f.string()), std::string::npos) << what;
  }
  ::chmod(f.c_str(), 0600);
  const auto cred = redfish_credentials(f.string());
  ASSERT_TRUE(cred);
  EXPECT_EQ(cred->user, "admin");
  EXPECT_EQ(cred->password, "secret");

  Bmc bmc;
  Config c = config_for(bmc);
  c.redfish_credentials = f.string();
  RedfishSampler s(c);
  double out[2];
  s.sample(0, out);
  EXPECT_EQ(out[0], 374.0);

  test::write_text(f, "no colon here\n");
  EXPECT_THROW(redfish_credentials(f.string()), core::InputError);
  EXPECT_FALSE(redfish_credentials("")) << "no file and no environment: no credentials";
}

TEST(Redfish, BadUrlIsAnInputError) {
  Config c;
  c.redfish_url = "bmc.example";
  EXPECT_THROW(RedfishClient client(c), core::InputError);
}

TEST(Redfish, UnitsOfReadings) {
  // 325675 kWh × 3.6e6 J/kWh = 1.17243e12 J
  EXPECT_EQ(redfish_energy_j(json::parse(test::slurp(test::fixture("redfish/Chassis_1U_Sensors_TotalEnergy.json")))), 325675.0 * 3.6e6);
  EXPECT_EQ(redfish_power_w(json::parse(test::slurp(test::fixture("redfish/Chassis_1U_Power.json"))), true), 344.0);
  EXPECT_EQ(redfish_power_w(json{{"PowerControl", json::array({json{{"PowerConsumedWatts", 100}}, json{{"PowerConsumedWatts", 50.5}}})}}, true),
            150.5);
  EXPECT_FALSE(redfish_power_w(json{{"Reading", nullptr}}, false));
}
