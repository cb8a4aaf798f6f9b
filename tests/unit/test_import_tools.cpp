// Importers of HPC and tool outputs (hpc.cpp, tools.cpp): real fixtures reproduced to the digit, Debian's fio run
// for the current JSON schema, hostile inputs, bounded memory, and `aicq import hpl` through the CLI.
#include <gtest/gtest.h>

#include "support.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "aicq/cli/cli.hpp"
#include "aicq/core/diagnostics.hpp"
#include "aicq/ingest/importer.hpp"

namespace fs = std::filesystem;
using namespace aicq;

namespace {

std::string fixture(const std::string& rel) { return std::string(AICQ_SOURCE_DIR) + "/tests/fixtures/" + rel; }

ingest::Imported run(const std::string& kind, const std::string& path) {
  const auto* imp = ingest::find_importer(kind);
  if (!imp) throw std::runtime_error("no importer " + kind);
  return imp->run({path});
}

const core::Evidence& get(const ingest::Imported& r, const std::string& metric) {
  for (const auto& e : r.evidence)
    if (e.metric == metric) return e;
  throw std::runtime_error("no evidence " + metric);
}

// value in base units and the line it comes from
void expect(const ingest::Imported& r, const std::string& metric, double si, int line) {
  const auto& e = get(r, metric);
  EXPECT_DOUBLE_EQ(e.quantity.si, si) << metric;
  EXPECT_EQ(e.source.at.line, line) << metric;
  EXPECT_EQ(e.kind, core::EvidenceKind::imported);
  EXPECT_EQ(e.source.sha256.size(), 64u) << metric;
}

struct TempDir {
  fs::path dir;
  TempDir() {
    dir = fs::temp_directory_path() / ("aicq-import-tools-" + std::to_string(::getpid()));
    fs::create_directories(dir);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  [[nodiscard]] std::string write(const std::string& name, const std::string& text) const {
    const auto p = dir / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string replace_once(std::string s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  if (at == std::string::npos) throw std::runtime_error("not in fixture: " + from);
  return s.replace(at, from.size(), to);
}

// The result of an importer on a hostile input: a clear InputError (with a file:line) or a result; never a crash.
void hostile(const std::string& kind, const std::string& path, bool must_fail) {
  try {
    (void)run(kind, path);
    EXPECT_FALSE(must_fail) << kind << " accepted " << path;
  } catch (const core::InputError& e) {
    ASSERT_FALSE(e.diagnostics().empty());
    EXPECT_NE(e.diagnostics().front().to_string().find(path), std::string::npos) << e.what();
  }
}

using test::vm_hwm_kb;

}  // namespace

// --- HPCC / HPL ---------------------------------------------------------------------------------------------------
TEST(ImportToolsHpc, HpccSummaryExactFigures) {
  const auto r = run("hpcc", fixture("hpcc/pkb_hpcc-sample_hpccoutf.txt"));
  EXPECT_EQ(r.tool_version, "1.4.2f");
  expect(r, "hpcc.HPL_Tflops", 0.0331844e12, 448);         // HPL_Tflops=0.0331844
  expect(r, "hpcc.CommWorldProcs", 4, 446);                // CommWorldProcs=4
  expect(r, "hpcc.HPL_N", 39552, 457);                     // HPL_N=39552
  expect(r, "hpcc.HPL_NB", 192, 458);                      // HPL_NB=192
  expect(r, "hpcc.StarDGEMM_Gflops", 10.3432e9, 493);      // StarDGEMM_Gflops=10.3432
  expect(r, "hpcc.SingleDGEMM_Gflops", 25.6834e9, 494);    // SingleDGEMM_Gflops=25.6834
  expect(r, "hpcc.PTRANS_GBs", 0.338561e9, 495);           // PTRANS_GBs=0.338561
  expect(r, "hpcc.MPIRandomAccess_GUPs", 0.0134972e9, 517);// MPIRandomAccess_GUPs=0.0134972
  expect(r, "hpcc.StarSTREAM_Triad", 5.92076e9, 531);      // StarSTREAM_Triad=5.92076 (GB = 1e9 B)
  expect(r, "hpcc.hpl.residual", 0.0049311, 414);          // ||Ax-b||…= 0.0049311 ...... PASSED
  EXPECT_EQ(get(r, "hpcc.HPL_Tflops").quantity.dim, core::dim::op_rate());
  EXPECT_EQ(r.verdict.state, ingest::Verdict::State::valid);
}

TEST(ImportToolsHpc, HplSectionExactFigures) {
  const auto r = run("hpl", fixture("hpcc/pkb_hpl_section_extracted_from_hpcc-sample.txt"));
  EXPECT_EQ(r.tool_version, "2.0");
  // line 47: WR11C2R4       39552   192     2     2            1243.10              3.318e+01
  expect(r, "hpl.run[0].achieved", 3.318e+01 * 1e9, 47);
  expect(r, "hpl.run[0].n", 39552, 47);
  expect(r, "hpl.run[0].nb", 192, 47);
  expect(r, "hpl.run[0].processes", 4, 47);
  expect(r, "hpl.run[0].time", 1243.10, 47);
  expect(r, "hpl.run[0].residual", 0.0049311, 49);  // line 49: …=        0.0049311 ...... PASSED
  expect(r, "hpl.best.achieved", 3.318e+01 * 1e9, 47);
  EXPECT_EQ(r.verdict.state, ingest::Verdict::State::valid);
}

TEST(ImportToolsHpc, HplHeaderKeyedSeveralRunsAndFailedResidual) {
  TempDir t;
  // Columns reordered (header-keyed) and two runs, the faster one FAILED: the best valid run is the slower one.
  const std::string text =
      "HPLinpack 2.3  --  High-Performance Linpack benchmark  --   December 2, 2018\n"
      "T/V                N    NB     P     Q       Gflops               Time\n"
      "--------------------------------------------------------------------------------\n"
      "WR00L2L2       1000    64     1     2    1.234e+01               0.05\n"
      "||Ax-b||_oo/(eps*(||A||_oo*||x||_oo+||b||_oo)*N)=   2.0e-03 ...... PASSED\n"
      "WR00L2L4       1000    64     1     2    2.5e+01                0.03\n"
      "||Ax-b||_oo/(eps*(||A||_oo*||x||_oo+||b||_oo)*N)=   9.0e+01 ...... FAILED\n";
  const auto r = run("hpl", t.write("HPL.out", text));
  expect(r, "hpl.run[0].achieved", 12.34e9, 4);
  expect(r, "hpl.run[0].time", 0.05, 4);
  expect(r, "hpl.run[1].achieved", 25e9, 6);
  expect(r, "hpl.best.achieved", 12.34e9, 4);
  EXPECT_EQ(r.verdict.state, ingest::Verdict::State::invalid);
  EXPECT_NE(r.verdict.reason.find("FAILED"), std::string::npos);
}

TEST(ImportToolsHpc, StreamExactFigures) {
  const auto aws = run("stream", fixture("stream/stream_c_aws_hpc6a48xlarge_1n_iter1.out"));
  EXPECT_EQ(aws.tool_version, "5.10");
  expect(aws, "stream.copy.best_rate", 37338.7e6, 25);  // Copy:  37338.7 (MB = 1e6 B)
  expect(aws, "stream.triad.best_rate", 29995.9e6, 28); // Triad: 29995.9
  expect(aws, "stream.triad.min_time", 0.008001, 28);
  expect(aws, "stream.add.avg_time", 0.010014, 27);
  expect(aws, "stream.array_size", 10000000, 7);
  EXPECT_EQ(aws.verdict.state, ingest::Verdict::State::valid);
  const auto az = run("stream", fixture("stream/stream_c_azure_cyclecloud_hpc_1n_iter1.out"));
  expect(az, "stream.triad.best_rate", 43548.9e6, 28);  // Triad: 43548.9
  expect(az, "stream.scale.max_time", 0.004271, 26);
  EXPECT_EQ(az.verdict.state, ingest::Verdict::State::valid);
}

TEST(ImportToolsHpc, NcclTestsExactFigures) {
  const auto r = run("nccl-tests", fixture("nccl_tests/pkb_nccl_all_reduce_output.txt"));
  expect(r, "nccl.avg_busbw", 0.565546e9, 22);                  // # Avg bus bandwidth    : 0.565546
  expect(r, "nccl.largest.busbw", 0.61e9, 20);                  // 1073741824 … 0.61 (out-of-place busbw)
  expect(r, "nccl.size[268435456].oop.busbw", 0.63e9, 18);
  expect(r, "nccl.size[1048576].ip.time", 2709.7e-6, 10);
  expect(r, "nccl.size[8388608].oop.algbw", 0.56e9, 13);
  EXPECT_EQ(r.verdict.state, ingest::Verdict::State::valid);  // # Out of bounds values : 0 OK
}

// --- fio ------------------------------------------------------------------------------------------------------------
TEST(ImportToolsFio, OldSchemaExactFigures) {
  const auto a = run("fio", fixture("fio/pkb_fio-parser-sample-result.json"));
  EXPECT_EQ(a.tool_version, "fio-2.1.4");
  expect(a, "fio.sequential_write.write.iops", 133, get(a, "fio.sequential_write.write.iops").source.at.line);
  EXPECT_DOUBLE_EQ(get(a, "fio.sequential_write.write.bw").quantity.si, 68118.0 * 1024);         // "bw" : 68118 (KiB/s)
  EXPECT_DOUBLE_EQ(get(a, "fio.sequential_write.write.clat_mean").quantity.si, 477734.84e-6);   // µs
  EXPECT_DOUBLE_EQ(get(a, "fio.sequential_write.write.clat_p99").quantity.si, 823296e-6);       // line 92
  EXPECT_DOUBLE_EQ(get(a, "fio.sequential_write.write.lat_mean").quantity.si, 478737.47e-6);
  EXPECT_GT(get(a, "fio.sequential_write.write.iops").source.at.line, 5);
  const auto b = run("fio", fixture("fio/pkb_fio_hist_job.json"));
  EXPECT_EQ(b.tool_version, "fio-2.17");
  EXPECT_DOUBLE_EQ(get(b, "fio.rand_16k_read_100%-io-depth-1-num-jobs-2.read.iops").quantity.si, 8086.673998);
  EXPECT_DOUBLE_EQ(get(b, "fio.rand_16k_read_100%-io-depth-1-num-jobs-2.read.bw").quantity.si, 129386.0 * 1024);
  EXPECT_DOUBLE_EQ(get(b, "fio.rand_16k_read_100%-io-depth-1-num-jobs-2.read.clat_p99").quantity.si, 1352e-6);
  EXPECT_DOUBLE_EQ(get(b, "fio.rand_16k_write_100%-io-depth-1-num-jobs-2.write.iops").quantity.si, 2457.017193);
}

TEST(ImportToolsFio, TextBeforeJsonIsSkipped) {
  TempDir t;
  const auto p = t.write("fio.txt", "note: some job output\nfio: started\n" + slurp(fixture("fio/pkb_fio_hist_job.json")));
  const auto r = run("fio", p);
  EXPECT_DOUBLE_EQ(get(r, "fio.rand_16k_read_100%-io-depth-1-num-jobs-2.read.iops").quantity.si, 8086.673998);
}

TEST(ImportToolsFio, CurrentSchemaFromDebianFio) {
  if (std::system("command -v fio >/dev/null 2>&1") != 0) GTEST_SKIP() << "fio is not installed (scripts/install-deps.sh installs it)";
  TempDir t;
  const auto data = (t.dir / "data").string();
  const auto out = (t.dir / "fio.json").string();
  const std::string cmd = "fio --name=t --filename=" + data +
                          " --size=4M --rw=randread --bs=4k --ioengine=psync --runtime=1 --output-format=json --output=" + out + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const auto j = nlohmann::json::parse(slurp(out));
  const auto& rd = j["jobs"][0]["read"];
  ASSERT_TRUE(rd.contains("bw_bytes"));
  ASSERT_TRUE(rd.contains("clat_ns"));
  ASSERT_TRUE(rd.contains("lat_ns"));
  const auto r = run("fio", out);
  EXPECT_EQ(r.tool_version, j["fio version"].get<std::string>());
  const double iops = get(r, "fio.t.read.iops").quantity.si;
  const double bw = get(r, "fio.t.read.bw").quantity.si;
  EXPECT_DOUBLE_EQ(bw, rd["bw_bytes"].get<double>());
  EXPECT_DOUBLE_EQ(iops, rd["iops"].get<double>());
  EXPECT_NEAR(iops * 4096, bw, 0.05 * bw);
  EXPECT_DOUBLE_EQ(get(r, "fio.t.read.clat_mean").quantity.si, rd["clat_ns"]["mean"].get<double>() * 1e-9);
  EXPECT_GT(get(r, "fio.t.read.lat_mean").quantity.si, 0);
}

// --- lm-eval ----------------------------------------------------------------------------------------------------------
TEST(ImportToolsLmEval, ResultsExactFigures) {
  const auto a = run("lm-eval", fixture("lm_eval/lmeval_cpu_regression_expected.json"));
  EXPECT_DOUBLE_EQ(get(a, "lm_eval.arc_easy.acc.none").quantity.si, 0.3);
  EXPECT_DOUBLE_EQ(get(a, "lm_eval.lambada_openai.perplexity.none").quantity.si, 605.5452047779999);
  EXPECT_DOUBLE_EQ(get(a, "lm_eval.wikitext.word_perplexity.none").quantity.si, 130.4813590639406);
  EXPECT_EQ(get(a, "lm_eval.lambada_openai.perplexity.none").note.rfind("lower is better", 0), 0u);
  bool na_note = false;
  for (const auto& n : a.notes) na_note |= n.find("\"N/A\"") != std::string::npos;
  EXPECT_TRUE(na_note);
  const auto b = run("lm-eval", fixture("lm_eval/lmeval_results_2025-01-21T00-40-03.356274.json"));
  EXPECT_DOUBLE_EQ(get(b, "lm_eval.mmlu_abstract_algebra.acc.none").quantity.si, 0.34);
  EXPECT_DOUBLE_EQ(get(b, "lm_eval.mmlu_abstract_algebra.acc_stderr.none").quantity.si, 0.047609522856952344);
  EXPECT_EQ(b.tool_version, "git e16afa2f");
}

TEST(ImportToolsLmEval, LimitMarksPartialEvaluation) {
  TempDir t;
  const auto text = replace_once(slurp(fixture("lm_eval/lmeval_results_2025-01-21T00-40-03.356274.json")), "\"limit\": null", "\"limit\": 10.0");
  const auto r = run("lm-eval", t.write("limited.json", text));
  EXPECT_NE(get(r, "lm_eval.mmlu_abstract_algebra.acc.none").note.find("partial evaluation"), std::string::npos);
}

// --- nvidia-smi -------------------------------------------------------------------------------------------------------
TEST(ImportToolsNvidiaSmi, PowerCsvMean) {
  const auto r = run("nvidia-smi", fixture("nvidia_smi/pkb_nvidia_power_output.csv"));
  // mean of the 91 power.draw values of lines 2–92 (16.48 W … 70.01 W)
  EXPECT_NEAR(get(r, "nvidia_smi.gpu[0].power.mean").quantity.si, 65.68912087912089, 1e-9);
  EXPECT_EQ(get(r, "nvidia_smi.gpu[0].power.mean").quality, core::PowerQuality::q1);
  EXPECT_DOUBLE_EQ(get(r, "nvidia_smi.gpu[0].samples").quantity.si, 91);
  EXPECT_DOUBLE_EQ(get(r, "nvidia_smi.gpu[0].window").quantity.si, 0);  // every timestamp is 15:36:51.68
}

TEST(ImportToolsNvidiaSmi, H100CaptureIdleAndLoad) {
  const auto r = run("nvidia-smi", fixture("nvidia_smi/utkuozdemir_capture_linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01.txt"));
  expect(r, "nvidia_smi.block[1].gpu[0].power.mean", 69.85, 1741);         // idle: power.draw 69.85 W
  expect(r, "nvidia_smi.block[1].gpu[0].utilization.mean", 0.0, 1741);     // 0 %
  expect(r, "nvidia_smi.block[2].gpu[0].power.mean", 631.95, 2105);        // load: 631.95 W
  expect(r, "nvidia_smi.block[2].gpu[0].utilization.mean", 1.0, 2105);     // 100 %
}

TEST(ImportToolsNvidiaSmi, MissingValuesAndWindow) {
  TempDir t;
  const auto p = t.write("smi.csv",
                         "timestamp, index, power.draw [W], utilization.gpu [%]\n"
                         "2024/01/01 00:00:00.000, 0, 100.00 W, 50 %\n"
                         "2024/01/01 00:00:00.000, 1, [N/A], [Not Supported]\n"
                         "2024/01/01 00:00:10.500, 0, 300.00 W, 70 %\n");
  const auto r = run("nvidia-smi", p);
  expect(r, "nvidia_smi.gpu[0].power.mean", 200.0, 2);
  EXPECT_NEAR(get(r, "nvidia_smi.gpu[0].utilization.mean").quantity.si, 0.6, 1e-12);
  EXPECT_DOUBLE_EQ(get(r, "nvidia_smi.gpu[0].window").quantity.si, 10.5);
  EXPECT_THROW(get(r, "nvidia_smi.gpu[1].power.mean"), std::runtime_error);
  const auto bad = t.write("bad.csv", "index, power.draw [W]\n0, 12x W\n");
  try {
    (void)run("nvidia-smi", bad);
    FAIL();
  } catch (const core::InputError& e) {
    EXPECT_EQ(e.diagnostics().front().where.line, 2);
    EXPECT_EQ(e.diagnostics().front().where.column, 4);
  }
}

// --- Prometheus text --------------------------------------------------------------------------------------------------
TEST(ImportToolsPrometheus, NodeExporterExactFigures) {
  const auto r = run("prometheus-text", fixture("node_exporter/e2e-output_excerpt_cpu_rapl.prom"));
  expect(r, "prometheus.node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"}", 10870.69, 9);
  expect(r, "prometheus.node_rapl_package_joules_total{index=\"0\",path=\"collector/fixtures/sys/class/powercap/intel-rapl:0\"}", 240422.366267, 78);
  expect(r, "prometheus.node_rapl_core_joules_total{index=\"0\",path=\"collector/fixtures/sys/class/powercap/intel-rapl:0:0\"}", 118821.284256, 75);
  ASSERT_FALSE(r.notes.empty());  // node_cpu_scaling_frequency_hertz: unit not known, counted
  EXPECT_NE(r.notes.back().find("4 samples of 1 metric names"), std::string::npos) << r.notes.back();
}

TEST(ImportToolsPrometheus, DcgmNamesAndUnitsMatchDcgmExporterCounterLists) {
  // The units assumed for dcgm-exporter names are the ones dcgm-exporter's own counter lists state.
  const auto csv = slurp(fixture("dcgm_exporter/default-counters.csv"));
  EXPECT_NE(csv.find("DCGM_FI_DEV_POWER_USAGE,              gauge, Power draw (in W)."), std::string::npos);
  EXPECT_NE(csv.find("DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION, counter, Total energy consumption since boot (in mJ)."), std::string::npos);
  EXPECT_NE(csv.find("DCGM_FI_DEV_GPU_UTIL,      gauge, GPU utilization (in %)."), std::string::npos);
  const auto dcp = slurp(fixture("dcgm_exporter/dcp-metrics-included.csv"));
  EXPECT_NE(dcp.find("DCGM_FI_PROF_SM_ACTIVE,          gauge, The ratio of cycles"), std::string::npos);
  // An exposition in dcgm-exporter's shape (written here: no real scrape is among the fixtures), old and new node label.
  TempDir t;
  const auto p = t.write("dcgm.prom",
                         "# HELP DCGM_FI_DEV_POWER_USAGE Power draw (in W).\n"
                         "# TYPE DCGM_FI_DEV_POWER_USAGE gauge\n"
                         "DCGM_FI_DEV_POWER_USAGE{gpu=\"0\",UUID=\"GPU-1\",device=\"nvidia0\",modelName=\"H100\",Hostname=\"n1\"} 250.5\n"
                         "DCGM_FI_DEV_POWER_USAGE{gpu=\"0\",UUID=\"GPU-1\",device=\"nvidia0\",modelName=\"H100\",hostname=\"n1\"} 249.5 1700000000000\n"
                         "DCGM_FI_DEV_GPU_UTIL{gpu=\"0\",Hostname=\"n1\"} 87\n"
                         "DCGM_FI_PROF_SM_ACTIVE{gpu=\"0\",Hostname=\"n1\"} 0.75\n"
                         "# TYPE DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION counter\n"
                         "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{gpu=\"0\",Hostname=\"n1\"} 1000000\n"
                         "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{gpu=\"0\",Hostname=\"n1\"} 1500000\n"
                         "DCGM_FI_DEV_SM_CLOCK{gpu=\"0\",Hostname=\"a \\\"quoted\\\" \\\\ name\\n\"} 1980\n");
  const auto r = run("prometheus-text", p);
  expect(r, "prometheus.DCGM_FI_DEV_POWER_USAGE{gpu=\"0\",hostname=\"n1\"}", 250.0, 3);  // mean of 250.5 and 249.5
  EXPECT_EQ(get(r, "prometheus.DCGM_FI_DEV_POWER_USAGE{gpu=\"0\",hostname=\"n1\"}").quality, core::PowerQuality::q1);
  expect(r, "prometheus.DCGM_FI_DEV_GPU_UTIL{gpu=\"0\",hostname=\"n1\"}", 0.87, 5);
  expect(r, "prometheus.DCGM_FI_PROF_SM_ACTIVE{gpu=\"0\",hostname=\"n1\"}", 0.75, 6);
  expect(r, "prometheus.DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{gpu=\"0\",hostname=\"n1\"}", 1500.0, 9);  // mJ → J
  expect(r, "prometheus.DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{gpu=\"0\",hostname=\"n1\"}.delta", 500.0, 9);
}

TEST(ImportToolsPrometheus, ParseErrorsAtLineAndColumn) {
  TempDir t;
  const auto p = t.write("bad.prom", "# TYPE up gauge\nup 1\nDCGM_FI_DEV_POWER_USAGE{gpu=\"0\" 12\n");
  try {
    (void)run("prometheus-text", p);
    FAIL();
  } catch (const core::InputError& e) {
    EXPECT_EQ(e.diagnostics().front().where.line, 3);
    EXPECT_EQ(e.diagnostics().front().where.column, 33);  // at "12": a label list not closed
  }
  hostile("prometheus-text", t.write("nan.prom", "DCGM_FI_DEV_POWER_USAGE{gpu=\"0\"} NaN\n"), true);
  hostile("prometheus-text", t.write("huge.prom", "DCGM_FI_DEV_POWER_USAGE{gpu=\"0\"} 1e999\n"), true);
  hostile("prometheus-text", t.write("esc.prom", "x{a=\"\\q\"} 1\n"), true);
}

// --- hostile inputs ---------------------------------------------------------------------------------------------------
TEST(ImportToolsHostile, TruncatedRandomEmptyWrongFormatNanHuge) {
  TempDir t;
  struct Case {
    std::string kind, fixture;
  };
  const std::vector<Case> cases{{"hpcc", "hpcc/pkb_hpcc-sample_hpccoutf.txt"},
                                {"hpl", "hpcc/pkb_hpl_section_extracted_from_hpcc-sample.txt"},
                                {"stream", "stream/stream_c_aws_hpc6a48xlarge_1n_iter1.out"},
                                {"nccl-tests", "nccl_tests/pkb_nccl_all_reduce_output.txt"},
                                {"fio", "fio/pkb_fio_hist_job.json"},
                                {"lm-eval", "lm_eval/lmeval_cpu_regression_expected.json"},
                                {"nvidia-smi", "nvidia_smi/pkb_nvidia_power_output.csv"},
                                {"prometheus-text", "node_exporter/e2e-output_excerpt_cpu_rapl.prom"}};
  std::mt19937 rng(42);
  for (const auto& c : cases) {
    const std::string text = slurp(fixture(c.fixture));
    // truncated at several points: an error or a (partial) result, never a crash
    for (const double frac : {0.0, 0.1, 0.33, 0.5, 0.77, 0.95}) hostile(c.kind, t.write(c.kind + ".trunc", text.substr(0, static_cast<std::size_t>(static_cast<double>(text.size()) * frac))), frac == 0.0);
    // random bytes
    std::string junk(4096, '\0');
    for (auto& ch : junk) ch = static_cast<char>(rng() & 0xFF);
    hostile(c.kind, t.write(c.kind + ".rand", junk), true);
    // empty, missing
    hostile(c.kind, t.write(c.kind + ".empty", ""), true);
    EXPECT_THROW((void)run(c.kind, (t.dir / "does-not-exist").string()), core::InputError);
    // every other fixture given to this importer: the wrong format is refused or read for what it is
    for (const auto& other : cases)
      if (other.kind != c.kind && !(c.kind == "hpl" && other.kind == "hpcc") && !(c.kind == "hpcc" && other.kind == "hpl")) hostile(c.kind, fixture(other.fixture), true);
  }
  // NaN and 1e999 edited into copies: InputError naming the line
  auto edited = [&](const std::string& kind, const std::string& fx, const std::string& from, const std::string& to, int line) {
    const auto p = t.write(kind + ".edited", replace_once(slurp(fixture(fx)), from, to));
    try {
      (void)run(kind, p);
      ADD_FAILURE() << kind << " accepted " << to;
    } catch (const core::InputError& e) {
      if (line > 0) {
        EXPECT_EQ(e.diagnostics().front().where.line, line) << e.what();
      }
    }
  };
  edited("hpcc", "hpcc/pkb_hpcc-sample_hpccoutf.txt", "HPL_Tflops=0.0331844", "HPL_Tflops=nan", 448);
  edited("hpcc", "hpcc/pkb_hpcc-sample_hpccoutf.txt", "StarSTREAM_Triad=5.92076", "StarSTREAM_Triad=1e999", 531);
  edited("hpl", "hpcc/pkb_hpl_section_extracted_from_hpcc-sample.txt", "3.318e+01", "NaN", 47);
  edited("hpl", "hpcc/pkb_hpl_section_extracted_from_hpcc-sample.txt", "3.318e+01", "1e999", 47);
  edited("stream", "stream/stream_c_aws_hpc6a48xlarge_1n_iter1.out", "29995.9", "nan", 28);
  edited("stream", "stream/stream_c_aws_hpc6a48xlarge_1n_iter1.out", "29995.9", "1e999", 28);
  edited("nccl-tests", "nccl_tests/pkb_nccl_all_reduce_output.txt", "0.565546", "1e999", 22);
  edited("fio", "fio/pkb_fio_hist_job.json", "8086.673998", "1e999", 0);
  edited("fio", "fio/pkb_fio_hist_job.json", "8086.673998", "NaN", 0);
  edited("lm-eval", "lm_eval/lmeval_cpu_regression_expected.json", "605.5452047779999", "1e999", 0);
  edited("nvidia-smi", "nvidia_smi/pkb_nvidia_power_output.csv", "16.48 W", "nan W", 2);
  edited("nvidia-smi", "nvidia_smi/pkb_nvidia_power_output.csv", "16.48 W", "1e999 W", 2);
  edited("prometheus-text", "node_exporter/e2e-output_excerpt_cpu_rapl.prom", "240422.366267", "1e999", 78);
  // An HPL overflow in a plausible-looking number: Gflops × 1e9 overflows
  edited("hpl", "hpcc/pkb_hpl_section_extracted_from_hpcc-sample.txt", "3.318e+01", "1e305", 47);
  // STREAM given to hpl: the message the contract names
  try {
    (void)run("hpl", fixture("stream/stream_c_aws_hpc6a48xlarge_1n_iter1.out"));
    FAIL();
  } catch (const core::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("expected an HPL.out result table, found none in"), std::string::npos) << e.what();
  }
}

TEST(ImportToolsHostile, LargePrometheusInputWithBoundedMemory) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "≥ 200 MB input: too slow under the sanitizers (run in the release preset)";
#endif
  TempDir t;
  const auto p = (t.dir / "big.prom").string();
  {
    std::ofstream out(p, std::ios::binary);
    std::string chunk;
    std::size_t written = 0;
    long long ts = 1700000000000;
    while (written < 200u * 1024 * 1024) {
      chunk.clear();
      for (int i = 0; i < 1000; ++i, ++ts) {
        chunk += "DCGM_FI_DEV_POWER_USAGE{gpu=\"" + std::to_string(i % 8) + "\",Hostname=\"node1\",UUID=\"GPU-" + std::to_string(i % 8) + "\"} 250 " + std::to_string(ts) + "\n";
        chunk += "some_other_metric_total{instance=\"node1:9400\",job=\"dcgm\",le=\"" + std::to_string(i) + "\"} 12345.5 " + std::to_string(ts) + "\n";
      }
      out << chunk;
      written += chunk.size();
    }
  }
  ASSERT_GE(fs::file_size(p), 200u * 1024 * 1024);
  const long before = vm_hwm_kb();
  const auto r = run("prometheus-text", p);
  const long after = vm_hwm_kb();
  fs::remove(p);
  ASSERT_EQ(r.evidence.size(), 8u);
  EXPECT_DOUBLE_EQ(get(r, "prometheus.DCGM_FI_DEV_POWER_USAGE{gpu=\"3\",hostname=\"node1\"}").quantity.si, 250.0);
  EXPECT_LT(after - before, 64 * 1024) << "VmHWM grew by " << (after - before) << " kB";
}

// --- CLI ----------------------------------------------------------------------------------------------------------
TEST(ImportToolsCli, ImportHplWritesEvidenceDocument) {
  TempDir t;
  const auto out = (t.dir / "evidence.json").string();
  std::vector<std::string> argv{"aicq", "import", "hpl", fixture("hpcc/pkb_hpl_section_extracted_from_hpcc-sample.txt"), "-o", out};
  std::ostringstream o, e;
  ASSERT_EQ(cli::run(argv, cli::Io{o, e}), 0) << e.str();
  EXPECT_NE(o.str().find("VALID"), std::string::npos) << o.str();
  const auto doc = nlohmann::json::parse(slurp(out));
  ASSERT_TRUE(doc["evidence"].is_array());
  bool found = false;
  for (const auto& ev : doc["evidence"]) {
    EXPECT_EQ(ev["kind"], "imported");
    if (ev["metric"] == "hpl.run[0].achieved") {
      found = true;
      EXPECT_EQ(ev["source"]["sha256"].get<std::string>(), ingest::file_sha256(fixture("hpcc/pkb_hpl_section_extracted_from_hpcc-sample.txt")));
      EXPECT_EQ(ev["source"]["line"], 47) << ev.dump();
    }
  }
  EXPECT_TRUE(found) << doc.dump(2);
  std::ostringstream o2, e2;
  EXPECT_EQ(cli::run({"aicq", "import", "hpl", fixture("stream/stream_c_aws_hpc6a48xlarge_1n_iter1.out")}, cli::Io{o2, e2}), 2);
}
