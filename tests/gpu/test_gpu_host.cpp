// aicq-gpu-probe's host-side logic (gpu/host), without a GPU: counts, statistics, the check's verdict, the
// catalog table CMake generated from data/hardware/accelerators.yaml, the command line, the evidence document —
// read back through the reader `aicq validate` and declarations use (declare/evidence_file.hpp).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <set>

#include "aicq/declare/evidence_file.hpp"
#include "evidence_json.hpp"
#include "hw_support.hpp"
#include "probe_logic.hpp"
#include "support.hpp"

using namespace aicq;
using namespace aicq::gpu;

namespace {

const core::Evidence* find_metric(const std::vector<core::Evidence>& ev, const std::string& metric) {
  for (const auto& e : ev)
    if (e.metric == metric) return &e;
  return nullptr;
}

}  // namespace

TEST(GpuHost, GemmFlopIsTwoMnk) {
  EXPECT_EQ(gemm_flop(2, 3, 4), 48.0);                  // 2·2·3·4
  EXPECT_EQ(gemm_flop(100, 200, 300), 12'000'000.0);    // 2·100·200·300
  EXPECT_EQ(gemm_flop(8192, 8192, 8192), 1'099'511'627'776.0);  // 2·8192³ = 2·549 755 813 888 = 2^40
}

TEST(GpuHost, GemmMemoryPerPrecision) {
  const double nn = 8192.0 * 8192.0;  // 67 108 864 elements per matrix
  EXPECT_EQ(gemm_bytes(Precision::fp64, 8192, 8192, 8192), 3 * 8 * nn);  // A, B, D in FP64: 1 610 612 736 B
  EXPECT_EQ(gemm_bytes(Precision::bf16, 8192, 8192, 8192), 3 * 2 * nn);  // 402 653 184 B
  EXPECT_EQ(gemm_bytes(Precision::fp8, 8192, 8192, 8192), 2 * 1 * nn + 2 * nn);  // FP8 A, B; BF16 D: 268 435 456 B
  EXPECT_EQ(gemm_bytes(Precision::tf32, 10, 20, 30), 4.0 * (10 * 30 + 30 * 20 + 10 * 20));  // 4·1100 = 4400 B
}

TEST(GpuHost, BandwidthByteCounts) {
  EXPECT_EQ(device_copy_bytes(std::size_t{1} << 30), 2147483648.0);    // 1 GiB read + 1 GiB written
  EXPECT_EQ(host_transfer_bytes(std::size_t{512} << 20), 536870912.0); // 512 MiB crosses the link once
}

TEST(GpuHost, RatesStatisticsAndSums) {
  EXPECT_EQ(rates(2e9, {0.002, 0.004, 0.001}), (std::vector<double>{1e12, 5e11, 2e12}));  // 2e9 FLOP ÷ s
  EXPECT_THROW(rates(1, {0.0}), std::invalid_argument);
  const Stats s = statistics({3, 1, 2, 4});
  EXPECT_EQ(s.n, 4u);
  EXPECT_EQ(s.median, 2.5);  // (2 + 3) / 2
  EXPECT_EQ(s.mean, 2.5);
  EXPECT_EQ(s.min, 1);
  EXPECT_EQ(s.max, 4);
  EXPECT_NEAR(s.cv, std::sqrt(5.0 / 3.0) / 2.5, 1e-15);  // squares 2.25+0.25+0.25+2.25 = 5, ÷ (n−1) = 5/3
  EXPECT_THROW(statistics({}), std::invalid_argument);
  EXPECT_EQ(sum_per_repetition({{1, 2}, {3, 4}}), (std::vector<double>{4, 6}));
  EXPECT_THROW(sum_per_repetition({{1, 2}, {3}}), std::invalid_argument);
  EXPECT_THROW(sum_per_repetition({}), std::invalid_argument);
}

TEST(GpuHost, FractionOfTheH200Peaks) {
  const CatalogEntry* h200 = find_catalog_entry("NVIDIA H200");
  ASSERT_NE(h200, nullptr);
  const double bf16 = h200->peak_flops.at("bf16");
  // The issue's H200 ceilings: BF16 GEMM 769–798 TFLOP/s of 989.5 dense; device copy ≈ 4.3 TB/s of 4.8.
  EXPECT_NEAR(*fraction_of_peak(769e12, bf16, 1), 769.0 / 989.5, 1e-12);    // 0.7772
  EXPECT_NEAR(*fraction_of_peak(798e12, bf16, 1), 798.0 / 989.5, 1e-12);    // 0.8065
  EXPECT_NEAR(*fraction_of_peak(8 * 798e12, bf16, 8), 798.0 / 989.5, 1e-12);  // 8 GPUs: the sum against 8 peaks
  EXPECT_NEAR(*fraction_of_peak(4.3e12, *h200->memory_bandwidth, 1), 4.3 / 4.8, 1e-12);  // 0.8958
  EXPECT_FALSE(fraction_of_peak(1e12, std::nullopt, 1));
  EXPECT_FALSE(fraction_of_peak(1e12, 0.0, 1));
  EXPECT_FALSE(fraction_of_peak(1e12, bf16, 0));
}

TEST(GpuHost, CatalogTableHasTheH200Figures) {
  const CatalogEntry* h200 = find_catalog_entry("nvidia h200");  // as CUDA names it, any case
  ASSERT_NE(h200, nullptr);
  EXPECT_EQ(h200->id, "nvidia-h200-sxm-141gb");
  EXPECT_EQ(find_catalog_id("nvidia-h200-sxm-141gb"), h200);
  EXPECT_DOUBLE_EQ(h200->peak_flops.at("fp64"), 67e12);
  EXPECT_DOUBLE_EQ(h200->peak_flops.at("tf32"), 494.5e12);
  EXPECT_DOUBLE_EQ(h200->peak_flops.at("bf16"), 989.5e12);
  EXPECT_DOUBLE_EQ(h200->peak_flops.at("fp16"), 989.5e12);
  EXPECT_DOUBLE_EQ(h200->peak_flops.at("fp8"), 1979e12);
  EXPECT_DOUBLE_EQ(*h200->memory_bandwidth, 4.8e12);
  EXPECT_EQ(find_catalog_entry("NVIDIA H100 80GB HBM3")->id, "nvidia-h100-sxm5-80gb");
  EXPECT_EQ(find_catalog_entry("NVIDIA GeForce RTX 4090"), nullptr);
  EXPECT_EQ(find_catalog_entry(""), nullptr);
}

// The generated table is the catalog aicq itself reads: same accelerators, aliases, peaks and bandwidth.
TEST(GpuHost, CatalogTableEqualsAicqsCatalog) {
  const auto& cat = test::hardware_catalog();
  std::set<std::string> ids;
  for (const auto& hm : cat.models()) {
    if (hm.kind != "accelerator") continue;
    ids.insert(hm.id);
    const CatalogEntry* e = find_catalog_id(hm.id);
    ASSERT_NE(e, nullptr) << hm.id;
    EXPECT_EQ(e->name, hm.name);
    EXPECT_EQ(e->aliases, hm.aliases) << hm.id;
    for (const char* p : {"fp64", "fp32", "tf32", "bf16", "fp16", "fp8"}) {
      const auto it = hm.peak.find(p);
      ASSERT_EQ(e->peak_flops.count(p), it == hm.peak.end() ? 0u : 1u) << hm.id << " " << p;
      if (it != hm.peak.end()) {
        EXPECT_DOUBLE_EQ(e->peak_flops.at(p), it->second.si) << hm.id << " " << p;
      }
    }
    ASSERT_EQ(e->memory_bandwidth.has_value(), hm.memory_bandwidth.has_value()) << hm.id;
    if (hm.memory_bandwidth) {
      EXPECT_DOUBLE_EQ(*e->memory_bandwidth, hm.memory_bandwidth->si) << hm.id;
    }
  }
  EXPECT_EQ(gpu::catalog().size(), ids.size());
  EXPECT_TRUE(ids.count("nvidia-h200-sxm-141gb"));
}

TEST(GpuHost, PrecisionSupportByComputeCapability) {
  EXPECT_FALSE(unsupported_reason(Precision::fp8, 9, 0));   // H100/H200
  EXPECT_FALSE(unsupported_reason(Precision::fp8, 8, 9));   // L40S, L4
  const auto a100 = unsupported_reason(Precision::fp8, 8, 0);
  ASSERT_TRUE(a100);
  EXPECT_NE(a100->find("8.9"), std::string::npos) << *a100;
  EXPECT_NE(a100->find("8.0"), std::string::npos) << *a100;
  EXPECT_TRUE(unsupported_reason(Precision::bf16, 7, 5));   // Turing: no BF16 tensor cores
  EXPECT_TRUE(unsupported_reason(Precision::tf32, 7, 5));
  EXPECT_FALSE(unsupported_reason(Precision::bf16, 8, 0));
  EXPECT_FALSE(unsupported_reason(Precision::fp64, 7, 5));
  EXPECT_FALSE(unsupported_reason(Precision::fp16, 7, 5));
  EXPECT_EQ(input_element_bytes(Precision::fp8), 1u);
  EXPECT_EQ(output_element_bytes(Precision::fp8), 2u);  // BF16 out
}

TEST(GpuHost, ReferenceCheckVerdicts) {
  const std::vector<double> ref = {3, -4, 12, 0.5};
  const auto exact = check_against_reference(ref, ref, 1e-12);
  EXPECT_TRUE(exact.passed);
  EXPECT_EQ(exact.rel_rms_error, 0);
  EXPECT_EQ(exact.samples, 4u);

  // Every entry 0.1% off: relative RMS error exactly 1e-3 — inside BF16's 1e-2, outside FP64's 1e-12.
  std::vector<double> off;
  for (double r : ref) off.push_back(r * 1.001);
  EXPECT_NEAR(check_against_reference(off, ref, 1e-2).rel_rms_error, 1e-3, 1e-12);
  EXPECT_TRUE(check_against_reference(off, ref, reference_tolerance(Precision::bf16, false)).passed);
  EXPECT_FALSE(check_against_reference(off, ref, reference_tolerance(Precision::fp64, false)).passed);

  // A product that wrote zeros: relative RMS error 1, failing at every precision (FP8 fast accumulation: 0.1).
  const auto zeros = check_against_reference(std::vector<double>(4, 0.0), ref, reference_tolerance(Precision::fp8, true));
  EXPECT_FALSE(zeros.passed);
  EXPECT_DOUBLE_EQ(zeros.rel_rms_error, 1.0);
  EXPECT_EQ(zeros.max_abs_error, 12);
  EXPECT_NE(zeros.detail.find("relative RMS error 1 > 0.1"), std::string::npos) << zeros.detail;

  std::vector<double> nan = ref;
  nan[2] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_FALSE(check_against_reference(nan, ref, 1).passed);
  EXPECT_FALSE(check_against_reference(ref, std::vector<double>(4, 0.0), 1).passed);  // inputs never filled
  EXPECT_THROW(check_against_reference({1}, {1, 2}, 1), std::invalid_argument);
  EXPECT_THROW(check_against_reference({}, {}, 1), std::invalid_argument);
}

TEST(GpuHost, SamplePositionsAreCornersThenInRangeAndRepeatable) {
  const auto a = sample_positions(8192, 4096, 256, 7);
  ASSERT_EQ(a.size(), 256u);
  EXPECT_EQ(a[0], (std::pair<std::int64_t, std::int64_t>{0, 0}));
  EXPECT_EQ(a[1], (std::pair<std::int64_t, std::int64_t>{8191, 4095}));
  for (const auto& [i, j] : a) {
    EXPECT_TRUE(i >= 0 && i < 8192);
    EXPECT_TRUE(j >= 0 && j < 4096);
  }
  EXPECT_EQ(a, sample_positions(8192, 4096, 256, 7));
  EXPECT_NE(a, sample_positions(8192, 4096, 256, 8));
  EXPECT_EQ(sample_positions(2, 2, 100, 1).size(), 4u);  // no more than m·n
  EXPECT_EQ(sample_positions(1, 1, 5, 1).size(), 1u);
}

TEST(GpuHost, CommandLine) {
  const Options d = parse_options({});
  EXPECT_EQ(d.m, 8192);
  EXPECT_EQ(d.precisions, all_precisions());
  EXPECT_EQ(d.copy_bytes, std::size_t{1} << 30);

  const Options o = parse_options({"--size", "4096", "--precisions", "bf16,fp8", "--reps", "7", "--warmups", "0",
                                   "--copy-bytes", "256MiB", "--host-bytes", "0", "--peak", "bf16=989.5T", "--peak",
                                   "fp8=1979 TFLOPS", "--peak-source", "datasheet", "--catalog", "nvidia-h200-sxm-141gb",
                                   "--seed", "42", "--fp8-fast-accum", "-o", "out.json"});
  EXPECT_EQ(o.m, 4096);
  EXPECT_EQ(o.k, 4096);
  EXPECT_EQ(o.precisions, (std::vector<Precision>{Precision::bf16, Precision::fp8}));
  EXPECT_EQ(o.reps, 7);
  EXPECT_EQ(o.warmups, 0);
  EXPECT_EQ(o.copy_bytes, 268435456u);  // 256 · 2^20
  EXPECT_EQ(o.host_bytes, 0u);
  EXPECT_DOUBLE_EQ(o.peaks.at("bf16"), 989.5e12);
  EXPECT_DOUBLE_EQ(o.peaks.at("fp8"), 1979e12);
  EXPECT_EQ(o.peak_source, "datasheet");
  EXPECT_EQ(o.seed, 42u);
  EXPECT_TRUE(o.fp8_fast_accum);
  EXPECT_EQ(o.output, "out.json");
  const Options mnk = parse_options({"--mnk", "1,2,3", "--precisions", "none"});
  EXPECT_EQ(mnk.m, 1);
  EXPECT_EQ(mnk.n, 2);
  EXPECT_EQ(mnk.k, 3);
  EXPECT_TRUE(mnk.precisions.empty());

  auto message = [](const std::vector<std::string>& args) {
    try {
      (void)parse_options(args);
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message({"--size", "0"}), "--size: expected an integer from 1 to 1048576, found '0'");
  EXPECT_EQ(message({"--size"}), "--size: expected a value");
  EXPECT_EQ(message({"--precisions", "fp32"}), "--precisions: expected fp64, tf32, bf16, fp16, fp8, all or none, found 'fp32'");
  EXPECT_EQ(message({"--peak", "bf16"}), "--peak: expected PRECISION=RATE such as bf16=989.5T, found 'bf16'");
  EXPECT_EQ(message({"--copy-bytes", "lots"}), "--copy-bytes: expected a size such as 1GiB, 512MiB or 1073741824, found 'lots'");
  EXPECT_EQ(message({"--mnk", "1,2"}), "--mnk: expected M,N,K, found '1,2'");
  EXPECT_EQ(message({"--frobnicate"}), "unknown option '--frobnicate' (see --help)");
  EXPECT_EQ(message({"--catalog", "nvidia-h900"}).rfind("--catalog: no entry 'nvidia-h900' in the catalog built in (", 0), 0u);
  EXPECT_TRUE(parse_options({"--help"}).help);
  EXPECT_NE(usage().find("--peak PREC=RATE"), std::string::npos);
}

TEST(GpuHost, SizesAndRates) {
  EXPECT_EQ(parse_bytes("1073741824"), 1073741824u);
  EXPECT_EQ(parse_bytes("1GiB"), 1073741824u);
  EXPECT_EQ(parse_bytes("1.5GiB"), 1610612736u);  // 1.5 · 2^30
  EXPECT_EQ(parse_bytes("2GB"), 2000000000u);
  EXPECT_EQ(parse_bytes("64 KiB"), 65536u);
  EXPECT_FALSE(parse_bytes("1.5"));   // not a whole number of bytes
  EXPECT_FALSE(parse_bytes("-1GiB"));
  EXPECT_FALSE(parse_bytes("1 parsec"));
  EXPECT_DOUBLE_EQ(*parse_rate("989.5e12"), 989.5e12);
  EXPECT_DOUBLE_EQ(*parse_rate("989.5T"), 989.5e12);
  EXPECT_DOUBLE_EQ(*parse_rate("1.979 PFLOPS"), 1.979e15);
  EXPECT_DOUBLE_EQ(*parse_rate("67TFLOP/s"), 67e12);
  EXPECT_FALSE(parse_rate("0"));
  EXPECT_FALSE(parse_rate("fast"));
  EXPECT_FALSE(parse_rate("1 TB/s"));
}

TEST(GpuHost, PeakChoice) {
  Options o;
  const PeakChoice cat = peak_for(Precision::bf16, "NVIDIA H200", o);
  EXPECT_DOUBLE_EQ(*cat.flops, 989.5e12);
  EXPECT_EQ(cat.catalog_id, "nvidia-h200-sxm-141gb");
  EXPECT_NE(cat.method.find("hardware catalog"), std::string::npos);
  const PeakChoice none = peak_for(Precision::fp64, "NVIDIA L4", o);  // the L4 entry lists no FP64
  EXPECT_FALSE(none.flops);
  EXPECT_EQ(none.missing, "the catalog entry nvidia-l4 lists no fp64 peak");
  EXPECT_EQ(peak_for(Precision::bf16, "Mystery GPU", o).missing,
            "no entry of the hardware catalog matches 'Mystery GPU' (use --catalog or --peak)");
  o.catalog_id = "nvidia-h100-pcie-80gb";  // --catalog beats the name
  EXPECT_DOUBLE_EQ(*peak_for(Precision::bf16, "NVIDIA H200", o).flops, 756.5e12);
  o.peaks["bf16"] = 900e12;  // --peak beats both
  EXPECT_DOUBLE_EQ(*peak_for(Precision::bf16, "NVIDIA H200", o).flops, 900e12);
  EXPECT_EQ(peak_for(Precision::bf16, "NVIDIA H200", o).method, "given on the command line (--peak)");
}

// ---- the evidence document -------------------------------------------------------------------------------

namespace {

// Two H200s as aicq-gpu-probe would describe them, with hand-chosen timings (the GPU is the boundary).
RunInfo two_h200s() {
  RunInfo run;
  run.tool_version = "0.1.0";
  run.time = "2026-01-01T00:00:00Z";
  run.hostname = "gpu-node";
  run.cuda_runtime = run.cuda_driver = "13.0";
  run.cublaslt = "13.0.2";
  run.visible_devices = "0,1";
  for (int d = 0; d < 2; ++d)
    run.devices.push_back({d, "NVIDIA H200", "GPU-x" + std::to_string(d), "0000:1" + std::to_string(d) + ":00.0", 9, 0, 132, 150e9});
  run.options.m = run.options.n = run.options.k = 1000;
  return run;
}

std::vector<MeasurementRun> measured() {
  std::vector<MeasurementRun> ms;
  MeasurementRun g{"gemm_bf16", Precision::bf16, "FLOP/s", gemm_flop(1000, 1000, 1000), "FLOP", "cuBLASLt matmul \"TN\"",
                   "cuBLASLt 13.0.2", {}};
  ReferenceCheck ok;
  ok.passed = true;
  ok.detail = "fine";
  // 2e9 FLOP per repetition. GPU 0: 2, 4, 1 ms → 1e12, 5e11, 2e12; GPU 1: 4, 2, 2 ms → 5e11, 1e12, 1e12.
  g.devices = {{0, {0.002, 0.004, 0.001}, ok, "", "algo"}, {1, {0.004, 0.002, 0.002}, ok, "", "algo"}};
  ms.push_back(g);
  MeasurementRun f{"gemm_fp8", Precision::fp8, "FLOP/s", gemm_flop(1000, 1000, 1000), "FLOP", "fp8", "cuBLASLt 13.0.2", {}};
  ReferenceCheck bad;
  bad.passed = false;
  bad.detail = "relative RMS error 1 > 0.02";
  f.devices = {{0, {0.001, 0.001, 0.001}, bad, "", ""}, {1, {}, std::nullopt, "failed: cudaMalloc: cudaErrorMemoryAllocation (2)", ""}};
  ms.push_back(f);
  MeasurementRun c{"copy_d2d", std::nullopt, "B/s", device_copy_bytes(std::size_t{1} << 30), "B", "memcpy", "CUDA runtime 13.0", {}};
  // 2 GiB moved per repetition: 0.5 ms → 4.294967296e12 B/s; 1 ms → 2.147483648e12 B/s.
  c.devices = {{0, {0.0005}, ok, "", ""}, {1, {0.001}, ok, "", ""}};
  ms.push_back(c);
  MeasurementRun h{"h2d", std::nullopt, "B/s", 1024, "B", "h2d", "CUDA runtime 13.0", {}};
  h.devices = {{0, {}, std::nullopt, "needs 1 GiB", ""}, {1, {}, std::nullopt, "needs 1 GiB", ""}};
  ms.push_back(h);
  return ms;
}

}  // namespace

TEST(GpuHost, AggregateSumsPerRepetition) {
  const auto run = two_h200s();
  const auto ms = measured();
  const Aggregate g = aggregate(ms[0], run);
  EXPECT_EQ(g.devices, (std::vector<int>{0, 1}));
  EXPECT_EQ(g.samples, (std::vector<double>{1.5e12, 1.5e12, 3e12}));  // per repetition: 1e12+5e11, 5e11+1e12, 2e12+1e12
  EXPECT_EQ(g.stats->median, 1.5e12);
  EXPECT_DOUBLE_EQ(*g.peak_per_device, 989.5e12);
  EXPECT_NEAR(*g.fraction_of_peak, 1.5e12 / (2 * 989.5e12), 1e-18);
  EXPECT_TRUE(g.valid);
  const Aggregate f = aggregate(ms[1], run);
  EXPECT_EQ(f.devices, (std::vector<int>{0}));  // GPU 1 failed
  EXPECT_FALSE(f.valid);
  EXPECT_EQ(f.invalid_reason, "GPU 0: relative RMS error 1 > 0.02");
  const Aggregate c = aggregate(ms[2], run);
  EXPECT_DOUBLE_EQ(c.stats->median, 6.442450944e12);  // 4.294967296e12 + 2.147483648e12
  EXPECT_DOUBLE_EQ(*c.peak_per_device, 4.8e12);
  EXPECT_FALSE(aggregate(ms[3], run).stats);  // ran nowhere
}

TEST(GpuHost, EvidenceReadsBackThroughTheDeclarationReader) {
  const auto run = two_h200s();
  const auto path = test::scratch("gpu-host") / "gpu-evidence.json";
  std::ofstream(path) << evidence_document(run, measured()).dump(2);
  const auto ev = declare::load_evidence_file(path.string());

  const auto* a = find_metric(ev, "probe.compute.gpu.gemm_bf16.achieved");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->quantity.si, 1.5e12);
  EXPECT_EQ(a->quantity.dim, core::dim::op_rate());
  EXPECT_EQ(a->kind, core::EvidenceKind::measured);
  EXPECT_EQ(a->source.tool, "aicq-gpu-probe");
  EXPECT_EQ(a->source.tool_version, "0.1.0");
  EXPECT_EQ(a->text, "1.5 TFLOP/s");
  EXPECT_EQ(a->note, "gemm_bf16 on 2 × NVIDIA H200 (cuBLASLt 13.0.2)");
  EXPECT_NE(a->source.method.find("median of 3 timed repetitions"), std::string::npos) << a->source.method;
  EXPECT_NE(a->source.method.find("cuBLASLt matmul \"TN\""), std::string::npos);  // quotes survive the writer
  const auto* d = find_metric(ev, "probe.compute.gpu.gemm_bf16.devices");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->quantity.si, 2);
  const auto* p = find_metric(ev, "probe.compute.gpu.gemm_bf16.peak_per_device");
  ASSERT_NE(p, nullptr);
  EXPECT_DOUBLE_EQ(p->quantity.si, 989.5e12);
  EXPECT_EQ(p->kind, core::EvidenceKind::declared);
  EXPECT_EQ(p->source.catalog, "nvidia-h200-sxm-141gb");
  EXPECT_EQ(find_metric(ev, "probe.compute.gpu.gemm_bf16.invalid"), nullptr);

  // FP8 ran on one GPU only and failed its check: achieved on 1 device, marked invalid (kept, not scored).
  EXPECT_EQ(find_metric(ev, "probe.compute.gpu.gemm_fp8.achieved")->quantity.si, 2e12);
  EXPECT_EQ(find_metric(ev, "probe.compute.gpu.gemm_fp8.devices")->quantity.si, 1);
  const auto* inv = find_metric(ev, "probe.compute.gpu.gemm_fp8.invalid");
  ASSERT_NE(inv, nullptr);
  EXPECT_EQ(inv->note, "GPU 0: relative RMS error 1 > 0.02");

  const auto* c = find_metric(ev, "probe.compute.gpu.copy_d2d.rate");
  ASSERT_NE(c, nullptr);
  EXPECT_DOUBLE_EQ(c->quantity.si, 6.442450944e12);
  EXPECT_EQ(c->quantity.dim, core::dim::byte_rate());
  EXPECT_NE(c->note.find("67.1% of the catalog memory bandwidth"), std::string::npos) << c->note;  // 6.44e12 / 9.6e12
  EXPECT_EQ(find_metric(ev, "probe.compute.gpu.h2d.rate"), nullptr);  // ran nowhere: no figure
  EXPECT_EQ(ev.size(), 8u);  // bf16 ×3, fp8 achieved/devices/peak/invalid, copy rate
}

TEST(GpuHost, JsonWriter) {
  Json o = Json::object();
  o.set("s", "a\"b\\c\nd\x01");
  o.set("n", 0.1);
  o.set("i", 8192);
  o.set("big", 1099511627776.0);
  o.set("inf", std::numeric_limits<double>::infinity());
  o.set("b", false);
  o.set("a", Json::array());
  o.set("n", 2.5);  // replaces, keeps the place
  EXPECT_EQ(o.dump(-1), R"({"s":"a\"b\\c\nd\u0001","n":2.5,"i":8192,"big":1099511627776,"inf":null,"b":false,"a":[]})");
  EXPECT_EQ(Json(0.1).dump(), "0.1");  // shortest round trip
  EXPECT_THROW(Json::array().set("x", 1), std::logic_error);
  EXPECT_THROW(Json::object().push(1), std::logic_error);
  EXPECT_EQ(format_rate(771.2e12, "FLOP/s"), "771.2 TFLOP/s");
  EXPECT_EQ(format_rate(4.3e12, "B/s"), "4.3 TB/s");
  EXPECT_EQ(format_rate(512, "B/s"), "512 B/s");
}
