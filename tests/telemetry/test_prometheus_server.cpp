// `aicq monitor` in-process and its HTTP server: /metrics over real loopback HTTP, a port in use (exit 1, the
// address and the reason named), bad options (exit 2), a bounded window written as JSON, and `aicq utilization`
// reading the same samples back from the store.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "aicq/core/diagnostics.hpp"
#include "aicq/declare/evidence_file.hpp"
#include "aicq/server/http.hpp"
#include "support.hpp"

namespace {

using namespace std::chrono_literals;

TEST(PrometheusServer, ServesRegisteredPathsOverLoopback) {
  aicq::server::HttpServer s;
  s.get("/metrics", [] { return aicq::server::HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", "up 1\n"}; });
  s.get("/boom", []() -> aicq::server::HttpResponse { throw std::runtime_error("sensor gone"); });
  const int port = s.start({"127.0.0.1", 0});
  ASSERT_GT(port, 0);
  const auto base = aicq::server::parse_base_url("http://127.0.0.1:" + std::to_string(port), "test");
  const auto r = aicq::server::http_get(base, "/metrics", 5s);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "up 1\n");
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(aicq::server::http_get(base, "/nothing", 5s).status, 404);
  const auto boom = aicq::server::http_get(base, "/boom", 5s);
  EXPECT_EQ(boom.status, 500);
  EXPECT_EQ(boom.body, "aicq: sensor gone\n");
  EXPECT_EQ(s.requests(), 2);  // /nothing has no handler
  // A second server on the same port is refused (no SO_REUSEPORT sharing).
  aicq::server::HttpServer second;
  try {
    second.start({"127.0.0.1", port});
    FAIL() << "a second server bound a port in use";
  } catch (const aicq::core::WorkError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot listen on 127.0.0.1:" + std::to_string(port) + ": Address already in use"), std::string::npos)
        << e.what();
  }
  s.stop();
  s.stop();  // idempotent
}

TEST(PrometheusServer, MonitorOnAPortInUseExitsOne) {
  aicq::server::HttpServer busy;
  const int port = busy.start({"127.0.0.1", 0});
  const auto dir = aicq::test::scratch("monitor-busy");
  const auto r = aicq::test::run({"monitor", "--listen", "127.0.0.1:" + std::to_string(port), "--for", "1s", "--db", (dir / "a.db").string()});
  EXPECT_EQ(r.rc, 1) << r.err;
  EXPECT_NE(r.err.find("cannot listen on 127.0.0.1:" + std::to_string(port) + ": Address already in use"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("port 0"), std::string::npos) << r.err;  // says what to do
}

TEST(PrometheusServer, MonitorBadOptionsExitTwo) {
  const auto dir = aicq::test::scratch("monitor-bad");
  const std::string db = (dir / "a.db").string();
  EXPECT_EQ(aicq::test::run({"monitor", "--listen", "9464", "--db", db}).rc, 2);
  EXPECT_EQ(aicq::test::run({"monitor", "--listen", "127.0.0.1:99999", "--db", db}).rc, 2);
  const auto fast = aicq::test::run({"monitor", "--interval", "50ms", "--db", db});
  EXPECT_EQ(fast.rc, 2);
  EXPECT_NE(fast.err.find("at least 100ms"), std::string::npos) << fast.err;
  EXPECT_EQ(aicq::test::run({"monitor", "--for", "ten minutes", "--db", db}).rc, 2);
  EXPECT_EQ(aicq::test::run({"monitor", "--for", "1s", "-o", (dir / "missing" / "run.json").string(), "--db", db}).rc, 2);
}

TEST(PrometheusServer, BoundedMonitorWritesJsonAndTheStoreAgrees) {
  const auto dir = aicq::test::scratch("monitor-for");
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string db = (dir / "aicq.db").string(), out = (dir / "run.json").string();
  const auto r = aicq::test::run({"monitor", "--listen", "127.0.0.1:0", "--interval", "200ms", "--for", "1500ms", "-o", out, "--db", db});
  ASSERT_EQ(r.rc, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("serving http://127.0.0.1:"), std::string::npos) << r.out;
  std::ifstream in(out);
  ASSERT_TRUE(in);
  const auto doc = nlohmann::json::parse(in);
  EXPECT_EQ(doc.at("schema"), "aicq-monitor/1");
  EXPECT_EQ(doc.at("status"), "complete");
  EXPECT_EQ(doc.at("requested").at("interval_s"), 0.2);
  EXPECT_EQ(doc.at("requested").at("for_s"), 1.5);
  EXPECT_GE(doc.at("effective").at("duration_s").get<double>(), 1.5);
  // t = 0, 0.2, …, 1.4 at least, plus the last sample stop() takes: ≥ 8 instants.
  EXPECT_GE(doc.at("series").at("t_s").size(), 8u);
  EXPECT_GE(doc.at("summary").at("samples").get<int>(), 8);
  ASSERT_TRUE(doc.at("summary").at("cpu_utilization").is_number()) << doc.at("summary").dump();
  const double cpu = doc.at("summary").at("cpu_utilization");
  EXPECT_GE(cpu, 0.0);
  EXPECT_LE(cpu, 1.0);
  // The store holds the same samples: its mean is their sample mean (the monitor's summary weighs each sample
  // by the time since the previous one, equal at a regular interval but for the last one taken at stop).
  double sum = 0, n = 0;
  for (const auto& v : doc.at("series").at("values").at("procfs/cpu_utilization/cpu"))
    if (!v.is_null()) sum += v.get<double>(), n += 1;
  ASSERT_GT(n, 0);
  const double sample_mean = sum / n;
  const auto u = aicq::test::run({"utilization", "--db", db, "--since", "10m", "--format", "json"});
  ASSERT_EQ(u.rc, 0) << u.err << u.out;
  const auto ud = nlohmann::json::parse(u.out);
  bool found = false;
  for (const auto& s : ud.at("summary").at("signals"))
    if (s.at("signal") == "cpu") {
      found = true;
      EXPECT_NEAR(s.at("mean").get<double>(), sample_mean, 1e-12) << s.dump();
      EXPECT_EQ(s.at("samples").get<double>(), n);
    }
  EXPECT_TRUE(found);
  bool evidence = false;
  for (const auto& e : ud.at("evidence"))
    if (e.at("metric") == "utilization.cpu.cpu_busy") {
      evidence = true;
      EXPECT_EQ(e.at("kind"), "measured");
      EXPECT_EQ(e.at("source").at("tool"), "aicq");
    }
  EXPECT_TRUE(evidence);
  // -o writes the same document, and a declaration can reference it: the evidence reader takes it as it is.
  const std::string util = (dir / "util.json").string();
  ASSERT_EQ(aicq::test::run({"utilization", "--db", db, "--since", "10m", "-o", util}).rc, 0);
  const auto read_back = aicq::declare::load_evidence_file(util);
  ASSERT_FALSE(read_back.empty());
  bool busy = false;
  for (const auto& e : read_back)
    if (e.metric == "utilization.cpu.cpu_busy") {
      busy = true;
      EXPECT_NEAR(e.quantity.si, sample_mean, 1e-12);
      EXPECT_EQ(e.kind, aicq::core::EvidenceKind::measured);
    }
  EXPECT_TRUE(busy);
}

TEST(PrometheusServer, UtilizationFromAMissingStoreExitsOne) {
  const auto dir = aicq::test::scratch("util-nostore");
  const auto r = aicq::test::run({"utilization", "--db", (dir / "none.db").string()});
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("no store at"), std::string::npos) << r.err;
}

}  // namespace
