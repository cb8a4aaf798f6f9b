// compute.gpu — see gpu.hpp for the contract.
#include "aicq/probe/gpu.hpp"

#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <thread>

#include "aicq/catalog/catalog.hpp"
#include "aicq/core/diagnostics.hpp"
#include "aicq/core/units.hpp"
#include "aicq/hw/nvml.hpp"
#include "aicq/probe/child.hpp"
#include "aicq/probe/probe_util.hpp"
#include "aicq/probe/probes.hpp"

#ifndef AICQ_GPU_PROBE_BUILT
#define AICQ_GPU_PROBE_BUILT 0
#endif

namespace aicq::probe {

namespace gpu {

namespace {

constexpr const char* kId = "compute.gpu";
constexpr std::size_t kMaxStdout = std::size_t{64} << 20;

const nlohmann::json& member(const nlohmann::json& j, const char* key, const char* what) {
  if (!j.is_object() || !j.contains(key))
    throw core::WorkError(fmt::format("aicq-gpu-probe's evidence document has no `{}` in {}", key, what));
  return j.at(key);
}

double number(const nlohmann::json& j, const char* key, const char* what) {
  const auto& v = member(j, key, what);
  if (!v.is_number()) throw core::WorkError(fmt::format("aicq-gpu-probe's evidence document: `{}` in {} is not a number", key, what));
  return v.get<double>();
}

// The CUDA index of a per-device entry (-1 when absent). Read as a double: GCC 12 reports a false
// -Wnull-dereference inside nlohmann's integer conversion.
long device_of(const nlohmann::json& d) {
  if (!d.is_object() || !d.contains("device") || !d.at("device").is_number()) return -1;
  return static_cast<long>(d.at("device").get<double>());
}

std::string text(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j.at(key).is_string() ? j.at(key).get<std::string>() : std::string();
}

}  // namespace

FromDocument from_document(const nlohmann::json& doc) {
  FromDocument out;
  if (text(doc, "schema") != "aicq-evidence/1")
    throw core::WorkError("aicq-gpu-probe printed no evidence document (schema aicq-evidence/1)");
  const auto& summary = member(doc, "summary", "the document");
  const auto& list = member(summary, "measurements", "its summary");
  if (!list.is_array()) throw core::WorkError("aicq-gpu-probe's evidence document: summary.measurements is not a list");
  for (const auto& sm : list) {
    const std::string id = text(sm, "id");
    if (id.empty()) throw core::WorkError("aicq-gpu-probe's evidence document: a measurement without an id");
    const auto& samples = member(sm, "samples", id.c_str());
    if (!samples.is_array()) throw core::WorkError(fmt::format("aicq-gpu-probe's evidence document: {}.samples is not a list", id));
    if (samples.empty()) {
      // It ran on no device: the reasons are per device.
      std::string why;
      if (sm.contains("per_device") && sm["per_device"].is_array())
        for (const auto& d : sm["per_device"])
          if (d.contains("not_run"))
            why += fmt::format("{}GPU {}: {}", why.empty() ? "" : "; ", device_of(d), text(d, "not_run"));
      out.not_run.push_back(fmt::format("{}: {}", id, why.empty() ? "ran on no device" : why));
      continue;
    }
    Measurement m;
    m.id = id;
    m.unit = text(sm, "unit");
    for (const auto& s : samples) {
      if (!s.is_number()) throw core::WorkError(fmt::format("aicq-gpu-probe's evidence document: {}.samples holds a non-number", id));
      m.samples.push_back(s.get<double>());
    }
    m.stats = statistics(m.samples);
    m.precision = text(sm, "precision");
    m.work = number(sm, "work", id.c_str());
    m.work_unit = text(sm, "work_unit");
    const double devices = number(sm, "devices", id.c_str());
    if (sm.contains("peak_total") && sm["peak_total"].is_number()) m.peak = sm["peak_total"].get<double>();
    m.peak_source = text(sm, "peak_method");
    m.details = {{"library", text(sm, "library")}, {"kernel", text(sm, "method")}, {"devices", devices}};
    if (sm.contains("peak_per_device") && sm["peak_per_device"].is_number()) m.details["peak_per_device"] = sm["peak_per_device"];
    for (const char* k : {"peak_method", "catalog", "peak_reference", "peak_missing"})
      if (!text(sm, k).empty()) m.details[k] = text(sm, k);
    if (sm.contains("fraction_of_peak")) m.details["fraction_of_peak"] = sm["fraction_of_peak"];
    if (sm.contains("per_device")) m.details["per_device"] = sm["per_device"];
    const bool valid = !sm.contains("valid") || !sm["valid"].is_boolean() || sm["valid"].get<bool>();
    if (!valid) {
      m.details["valid"] = false;
      m.details["invalid_reason"] = text(sm, "invalid_reason");
    }
    if (sm.contains("per_device") && sm["per_device"].is_array())
      for (const auto& d : sm["per_device"])
        if (d.contains("check") && d["check"].is_object())
          out.checks.push_back(Check{fmt::format("{}.gpu{}", id, device_of(d)), d["check"].value("passed", false),
                                     text(d["check"], "detail")});
    out.measurements.push_back(std::move(m));
  }
  for (const char* k : {"settings", "devices", "cuda_runtime", "cuda_driver", "cublaslt", "cuda_visible_devices", "host"})
    if (summary.contains(k)) out.effective[k] = summary[k];
  return out;
}

std::vector<std::string> arguments_for(const Context& ctx, const std::map<std::string, double>& peak_flops,
                                       const std::string& peak_source) {
  std::vector<std::string> a;
  if (ctx.tiny) {
    a = {"--size", "256", "--warmups", "1", "--reps", "2", "--copy-bytes", "16MiB", "--host-bytes", "4MiB", "--check-samples", "16"};
  } else {
    switch (ctx.suite) {
      case Suite::quick:
        a = {"--size", "4096", "--warmups", "2", "--reps", "5", "--copy-bytes", "256MiB", "--host-bytes", "64MiB"};
        break;
      case Suite::standard:  // 8192³ saturates an H100/H200; 1 GiB copies are far past the 50 MB L2
        a = {"--size", "8192", "--warmups", "3", "--reps", "10", "--copy-bytes", "1GiB", "--host-bytes", "512MiB"};
        break;
      case Suite::full:
        a = {"--size", "8192", "--warmups", "5", "--reps", "30", "--copy-bytes", "4GiB", "--host-bytes", "1GiB"};
        break;
    }
  }
  for (const auto& [p, v] : peak_flops) a.insert(a.end(), {"--peak", fmt::format("{}={}", p, core::shortest(v))});
  if (!peak_source.empty()) a.insert(a.end(), {"--peak-source", peak_source});
  return a;
}

std::string probe_path(const std::string& aicq_exe) {
  if (const char* env = std::getenv("AICQ_GPU_PROBE"); env && *env) return env;
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path exe = aicq_exe.empty() ? fs::read_symlink("/proc/self/exe", ec) : fs::path(aicq_exe);
  if (ec || exe.empty()) return "aicq-gpu-probe";
  return (exe.parent_path() / "aicq-gpu-probe").string();
}

}  // namespace gpu

namespace {

// The last complete line of `s` ("" when none).
std::string last_line(const std::string& s) {
  const auto end = s.find_last_of('\n');
  if (end == std::string::npos || end == 0) return {};
  const auto before = s.find_last_of('\n', end - 1);
  const std::size_t begin = before == std::string::npos ? 0 : before + 1;
  return s.substr(begin, end - begin);
}

ProbeResult finish(ProbeResult r, Status s, std::string reason, std::chrono::steady_clock::time_point start) {
  r.status = s;
  r.reason = std::move(reason);
  r.duration_s = util::since(start);
  return r;
}

// The catalog peaks of the GPUs NVML lists, when they are all one catalogued model (else none: aicq-gpu-probe
// then matches each device in its own copy of the catalog).
struct CatalogPeaks {
  std::map<std::string, double> flops;
  std::string id, reference;
};
CatalogPeaks catalog_peaks(const hw::Nvml& nvml) {
  CatalogPeaks out;
  try {
    const auto cat = catalog::HardwareCatalog::load(data::DataSource());
    const catalog::HardwareModel* model = nullptr;
    for (const unsigned i : nvml.visible_devices()) {
      const auto* hm = cat.find_by_name(nvml.info(i).name);
      if (!hm || (model && hm != model)) return {};
      model = hm;
    }
    if (!model) return {};
    for (const auto& [p, q] : model->peak)
      if (p == "fp64" || p == "tf32" || p == "bf16" || p == "fp16" || p == "fp8") out.flops[p] = q.si;
    out.id = model->id;
    out.reference = model->source_of("peak");
  } catch (const std::exception&) {
    return {};  // the catalog is data; without it aicq-gpu-probe's own table still applies
  }
  return out;
}

ProbeResult run_gpu(const Context& ctx) {
  const auto start = std::chrono::steady_clock::now();
  ProbeResult r;
  r.id = gpu::kId;
  r.started = util::iso_now();
  r.requested = {{"suite", to_string(ctx.suite)}, {"tiny", ctx.tiny}};

  std::string why;
  const auto nvml = hw::Nvml::load(&why);
  if (!nvml) return finish(r, Status::skipped, "no NVIDIA GPU: " + why, start);
  if (nvml->device_count() == 0)
    return finish(r, Status::skipped, fmt::format("no NVIDIA GPU: NVML (driver {}) lists no device", nvml->driver_version()), start);

  const char* env = std::getenv("AICQ_GPU_PROBE");
  const bool chosen = env && *env;
  if (!chosen && !AICQ_GPU_PROBE_BUILT)
    return finish(r, Status::skipped,
                  "built without the CUDA toolkit: aicq-gpu-probe was not built (install the CUDA toolkit so that CMake finds "
                  "nvcc, e.g. /usr/local/cuda/bin/nvcc, and rebuild; or build gpu/ on its own and set AICQ_GPU_PROBE)",
                  start);
  const std::string exe = gpu::probe_path(ctx.aicq_exe);
  std::error_code ec;
  if (!std::filesystem::exists(exe, ec))
    return finish(r, Status::skipped,
                  fmt::format("aicq-gpu-probe not found at {} ({})", exe,
                              chosen ? "$AICQ_GPU_PROBE" : "it is built and installed next to the aicq binary"),
                  start);

  const CatalogPeaks peaks = catalog_peaks(*nvml);
  const auto args = gpu::arguments_for(
      ctx, peaks.flops, peaks.id.empty() ? std::string() : fmt::format("hardware catalog {}: {}", peaks.id, peaks.reference));
  std::vector<std::string> argv{exe};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string shown;
  for (const auto& a : argv) shown += (shown.empty() ? "" : " ") + a;
  r.requested["command"] = argv;

  // Standard: five GEMMs of 8192³ and three transfers, ~20 s on an H100; the limit is for a hung device.
  const double timeout_s = ctx.tiny ? 120 : ctx.suite == Suite::full ? 1800 : 600;
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(timeout_s));
  ChildProcess child(argv, child_environment({}), shown);
  std::string last_step;
  while (child.output_open()) {
    if (ctx.cancelled()) {
      child.kill_and_reap();
      throw Cancelled{};
    }
    if (clock::now() >= deadline) {
      child.kill_and_reap();
      return finish(r, Status::failed, fmt::format("`{}` did not finish within {:g} s and was killed", shown, timeout_s), start);
    }
    child.pump(100);
    if (child.out().size() > gpu::kMaxStdout) {
      child.kill_and_reap();
      return finish(r, Status::failed, fmt::format("`{}` printed more than {} MiB; killed", shown, gpu::kMaxStdout >> 20), start);
    }
    // Its progress lines on stderr ("  GPU 0 gemm_bf16: 771.2 TFLOP/s …") are the step shown.
    if (std::string step = last_line(child.err()); !step.empty() && step != last_step) {
      last_step = step;
      ctx.report(Progress{gpu::kId, std::move(step), 0, 0, util::since(start), 0});
    }
  }
  int status = 0;
  for (;;) {
    if (const auto st = child.try_reap()) {
      status = *st;
      break;
    }
    if (ctx.cancelled()) {
      child.kill_and_reap();
      throw Cancelled{};
    }
    if (clock::now() >= deadline) {
      child.kill_and_reap();
      return finish(r, Status::failed, fmt::format("`{}` did not finish within {:g} s and was killed", shown, timeout_s), start);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const std::string err_tail = tail_lines(child.err(), 3);
  if (WIFSIGNALED(status))
    return finish(r, Status::failed, fmt::format("`{}` was killed by signal {} ({}): {}", shown, WTERMSIG(status),
                                                 strsignal(WTERMSIG(status)), err_tail), start);
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (code != 0 && code != 3)  // 3: measured, a reference check failed (the document says which)
    return finish(r, Status::failed, fmt::format("aicq-gpu-probe exited with code {}: {}", code, err_tail), start);

  const auto doc = nlohmann::json::parse(child.out(), nullptr, false);
  if (doc.is_discarded()) return finish(r, Status::failed, "aicq-gpu-probe printed no JSON: " + err_tail, start);
  gpu::FromDocument got;
  try {
    got = gpu::from_document(doc);
  } catch (const core::WorkError& e) {
    return finish(r, Status::failed, e.what(), start);
  }
  for (auto& m : got.measurements) {
    // The peaks came from aicq's own catalog: say which entry, and its public reference.
    if (!peaks.id.empty() && m.details.contains("peak_per_device")) {
      m.details["catalog"] = peaks.id;
      m.details["peak_reference"] = peaks.reference;
      m.details["peak_method"] = "hardware catalog";
      m.peak_source = fmt::format("hardware catalog {} (dense peak per device × {} GPUs)", peaks.id,
                                  m.details["devices"].get<double>());
    }
  }
  r.measurements = std::move(got.measurements);
  r.checks = std::move(got.checks);
  r.effective = got.effective;
  if (!got.not_run.empty()) r.effective["not_run"] = got.not_run;
  std::string failed;
  for (const auto& c : r.checks)
    if (!c.passed) failed += fmt::format("{}{}: {}", failed.empty() ? "" : "; ", c.id, c.detail);
  if (!failed.empty()) return finish(r, Status::invalid, "reference check failed: " + failed, start);
  if (r.measurements.empty()) {
    std::string reasons;
    for (const auto& n : got.not_run) reasons += (reasons.empty() ? "" : "; ") + n;
    return finish(r, Status::failed, "aicq-gpu-probe measured nothing: " + reasons, start);
  }
  return finish(r, Status::ok, "", start);
}

}  // namespace

Probe gpu_probe() {
  Probe p;
  p.id = gpu::kId;
  p.title = "GEMM and memory bandwidth on NVIDIA GPUs (aicq-gpu-probe: cuBLASLt, CUDA events)";
  p.measures = "GEMM FLOP/s per precision (2·m·n·k, 8192³), device copy B/s (read + written), pinned host↔device B/s";
  p.precisions = "fp64, tf32, bf16, fp16, fp8";
  p.feeds = "ce.measured (GEMM against the catalog peak per GPU); bandwidths reported";
  p.typical_s = {{Suite::standard, 30}, {Suite::full, 90}};
  p.run = run_gpu;
  return p;
}

}  // namespace aicq::probe
