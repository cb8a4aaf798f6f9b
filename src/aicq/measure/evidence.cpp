// Measured evidence of one machine (see session.hpp: evidence_of).
#include <fmt/format.h>

#include <map>

#include "aicq/core/units.hpp"
#include "aicq/core/version.hpp"
#include "aicq/measure/session.hpp"

namespace aicq::measure {

namespace {

core::EvidenceKind kind_of(const std::string& peak_kind) {
  if (peak_kind == "declared") return core::EvidenceKind::declared;
  if (peak_kind == "estimated") return core::EvidenceKind::estimated;
  return core::EvidenceKind::measured;
}

core::Dimension dimension_of(const std::string& unit) {
  using namespace core::dim;
  if (unit == "FLOP/s" || unit == "OP/s") return op_rate();
  if (unit == "B/s") return byte_rate();
  if (unit == "IOPS" || unit == "Hz") return frequency();
  if (unit == "s") return time();
  if (unit == "W") return power();
  if (unit == "J") return energy();
  if (unit == "B") return bytes();
  return core::Dimension::none();
}

class Builder {
 public:
  Builder(std::string time, std::vector<core::Evidence>& out) : time_(std::move(time)), out_(out) {}

  core::Evidence& add(std::string metric, double si, core::Dimension dim, core::EvidenceKind kind, std::string method,
                      std::string note = {}) {
    core::Evidence e;
    e.metric = std::move(metric);
    e.quantity.si = si;
    e.quantity.dim = dim;
    e.text = e.quantity.to_string();
    e.kind = kind;
    e.source.tool = "aicq";
    e.source.tool_version = core::version();
    e.source.time = time_;
    e.source.method = std::move(method);
    e.note = std::move(note);
    out_.push_back(std::move(e));
    return out_.back();
  }

 private:
  std::string time_;
  std::vector<core::Evidence>& out_;
};

std::string method_of(const probe::Measurement& m) {
  return fmt::format("median of {} timed repetitions (min {}, max {}, CV {:.2f}%)", m.stats.n, core::shortest(m.stats.min),
                     core::shortest(m.stats.max), 100 * m.stats.cv);
}

std::string name_of(const probe::ProbeResult& r, const probe::Measurement& m) {
  std::string lib;
  if (m.details.contains("library")) lib = m.details["library"].get<std::string>();
  if (m.details.contains("kernel") && m.details["kernel"].is_string())
    lib += (lib.empty() ? "" : ", ") + m.details["kernel"].get<std::string>();
  return lib.empty() ? fmt::format("{} {}", r.id, m.id) : fmt::format("{} {} ({})", r.id, m.id, lib);
}

// A measurement's own verdict (e.g. reduced precision below 99% of the FP32 accuracy), beside its probe's.
bool measurement_valid(const probe::Measurement& m) {
  return !(m.details.contains("valid") && m.details["valid"].is_boolean() && !m.details["valid"].get<bool>());
}

}  // namespace

std::vector<core::Evidence> evidence_of(const hw::Host& host, const hw::Peaks& peaks,
                                        const std::vector<probe::ProbeResult>& results, bool with_inventory,
                                        const std::string& time, const catalog::HardwareCatalog* cat) {
  std::vector<core::Evidence> out;
  Builder b(time, out);
  using core::EvidenceKind;
  namespace dim = core::dim;
  const int sockets = host.cpu.sockets > 0 ? host.cpu.sockets : 1;
  std::map<std::string, const hw::Peak*> peak_by_precision;
  for (const auto& p : peaks.peaks) peak_by_precision[p.precision] = &p;

  // The machine as an inventory group "node": one unit; its CPUs, with the peak per CPU package.
  if (with_inventory) {
    b.add("inventory.node.count", 1, core::Dimension::none(), EvidenceKind::measured, "this machine (aicq run)",
          host.hostname);
    b.add("inventory.node.cpu.count_per_unit", sockets, core::Dimension::none(), EvidenceKind::measured,
          "CPU packages found by hwloc", host.cpu.model_name);
    for (const auto& p : peaks.peaks) {
      auto& e = b.add("inventory.node.cpu.peak." + p.precision, p.flops / sockets, dim::op_rate(), kind_of(p.kind), p.method,
                      fmt::format("{} per CPU package", p.precision));
      e.source.reference = p.source;
    }
    const auto catalogued = [&](const catalog::HardwareModel& hm, const std::string& role) {
      if (hm.tdp) {
        auto& e = b.add(fmt::format("inventory.node.{}.tdp", role), hm.tdp->si, dim::power(), EvidenceKind::declared,
                        "hardware catalog", hm.name);
        e.source.catalog = hm.id;
        e.source.reference = hm.source_of("tdp");
      }
    };
    if (cat && !host.cpu.catalog_cpu.empty())
      if (const auto* hm = cat->find(host.cpu.catalog_cpu)) catalogued(*hm, "cpu");
    if (!host.gpus.empty()) {
      b.add("inventory.node.accelerator.count_per_unit", static_cast<double>(host.gpus.size()), core::Dimension::none(),
            EvidenceKind::measured, "GPUs found by NVML", host.gpus.front().name);
      if (const auto* hm = cat ? cat->find_by_name(host.gpus.front().name) : nullptr) {
        for (const auto& [prec, q] : hm->peak) {
          auto& e = b.add("inventory.node.accelerator.peak." + prec, q.si, dim::op_rate(), EvidenceKind::declared,
                          "hardware catalog", hm->name);
          e.source.catalog = hm->id;
          e.source.reference = hm->source_of("peak");
        }
        catalogued(*hm, "accelerator");
      }
    }
  }

  // Workloads: every compute measurement with a precision, against the peak at that precision.
  for (const auto& r : results) {
    if (r.status != probe::Status::ok && r.status != probe::Status::invalid) continue;
    for (const auto& m : r.measurements) {
      const std::string p = fmt::format("probe.{}.{}", r.id, m.id);
      if (m.samples.empty() || m.stats.n == 0) continue;
      const bool compute = (m.unit == "FLOP/s" || m.unit == "OP/s") && !m.precision.empty();
      if (r.id == "compat.runtimes") continue;  // rows below
      if (compute) {
        auto& a = b.add(p + ".achieved", m.stats.median, dim::op_rate(), EvidenceKind::measured, method_of(m), name_of(r, m));
        a.source.reference = m.peak_source;
        const auto pk = peak_by_precision.find(m.precision);
        if (m.details.contains("devices") && m.details["devices"].is_number()) {
          // A probe on other devices than the CPUs (compute.gpu) names its devices and their peak; never the CPU's.
          b.add(p + ".devices", m.details["devices"].get<double>(), core::Dimension::none(), EvidenceKind::measured,
                "devices the probe ran on");
          if (m.details.contains("peak_per_device") && m.details["peak_per_device"].is_number()) {
            auto& e = b.add(p + ".peak_per_device", m.details["peak_per_device"].get<double>(), dim::op_rate(),
                            EvidenceKind::declared, m.details.value("peak_method", "peak per device"));
            e.source.catalog = m.details.value("catalog", "");
            e.source.reference = m.details.value("peak_reference", "");
          }
        } else if (pk != peak_by_precision.end()) {
          b.add(p + ".devices", sockets, core::Dimension::none(), EvidenceKind::measured, "CPU packages the probe ran on");
          auto& e = b.add(p + ".peak_per_device", pk->second->flops / sockets, dim::op_rate(), kind_of(pk->second->kind),
                          pk->second->method);
          e.source.reference = pk->second->source;
        }
        if (r.status == probe::Status::invalid)
          b.add(p + ".invalid", 1, core::Dimension::none(), EvidenceKind::measured, "validity gate", r.reason);
        else if (!measurement_valid(m))
          b.add(p + ".invalid", 1, core::Dimension::none(), EvidenceKind::measured, "validity gate",
                m.details.value("invalid_reason", "the measurement's own validity gate failed"));
      } else {
        // Memory and storage figures: reported, not scored (methodology: ce.measured).
        b.add(p + (m.higher_is_better ? ".rate" : ".value"), m.stats.median, dimension_of(m.unit), EvidenceKind::measured,
              method_of(m), name_of(r, m));
      }
    }
    if (r.power && !r.power->quality.empty()) {
      const auto q = core::power_quality_from(r.power->quality);
      const std::string p = fmt::format("probe.{}", r.id);
      auto& w = b.add(p + ".power.mean", r.power->mean_power_w, dim::power(),
                      q == core::PowerQuality::q0 ? EvidenceKind::estimated : EvidenceKind::measured,
                      "mean power over the probe's run", r.power->source);
      w.quality = q;
      auto& j = b.add(p + ".energy", r.power->energy_j, dim::energy(),
                      q == core::PowerQuality::q0 ? EvidenceKind::estimated : EvidenceKind::measured,
                      "energy over the probe's run", r.power->source);
      j.quality = q;
    }
  }

  // Model workloads (ie.model_compute, methodology §2.4): every valid measurement that carries its model — FLOP
  // per unit counted layer by layer, throughput, accuracy against its reference — on the devices and peak of
  // its precision. Numbered m0, m1, … so that they never collide with a declaration's models[0], ….
  int model_row = 0;
  for (const auto& r : results) {
    if (r.status != probe::Status::ok) continue;
    for (const auto& m : r.measurements) {
      if (m.stats.n == 0 || !m.details.contains("model") || !m.details["model"].is_object() || !measurement_valid(m)) continue;
      const auto& md = m.details["model"];
      const auto pk = peak_by_precision.find(m.precision);
      if (!md.contains("flop_per_unit") || !md.contains("throughput") || pk == peak_by_precision.end()) continue;
      const std::string p = fmt::format("models[m{}]", model_row++);
      const std::string what = fmt::format("{} ({} {}, {} {})", md.value("name", r.id), md.value("task", ""), m.precision, r.id, m.id);
      const std::string unit = md.value("unit", "sample");
      b.add(p + ".throughput", md["throughput"].get<double>(), unit == "token" ? dim::token_rate() : dim::sample_rate(),
            EvidenceKind::measured, method_of(m), what);
      b.add(p + ".flop_per_unit", md["flop_per_unit"].get<double>(), dim::ops(), EvidenceKind::measured,
            "counted layer by layer from the shapes of the network the probe ran (2 FLOP per multiply-add)", what);
      b.add(p + ".devices", sockets, core::Dimension::none(), EvidenceKind::measured, "CPU packages the probe ran on");
      auto& pe = b.add(p + ".peak_per_device", pk->second->flops / sockets, dim::op_rate(), kind_of(pk->second->kind),
                       pk->second->method);
      pe.source.reference = pk->second->source;
      const std::string metric = md.value("accuracy_metric", "accuracy");
      if (md.contains("accuracy"))
        b.add(p + ".accuracy", md["accuracy"].get<double>(), core::Dimension::none(), EvidenceKind::measured, metric, what);
      if (md.contains("reference_accuracy"))
        b.add(p + ".reference_accuracy", md["reference_accuracy"].get<double>(), core::Dimension::none(),
              EvidenceKind::measured, md.value("reference", "the reference the probe compares against"), what);
    }
  }

  // Resilience (ie.intelligence's measured caps, methodology §2.5): checkpoint write bandwidth and recovery time.
  for (const auto& r : results) {
    if (r.status != probe::Status::ok) continue;
    for (const auto& m : r.measurements) {
      if (m.stats.n == 0) continue;
      if (r.id == "resilience.checkpoint" && m.id == "write_bandwidth")
        b.add("resilience.checkpoint.write_bandwidth", m.stats.median, dim::byte_rate(), EvidenceKind::measured, method_of(m),
              name_of(r, m));
      else if (r.id == "resilience.recovery" && m.id == "recovery_time")
        b.add("resilience.recovery.time", m.stats.median, dim::time(), EvidenceKind::measured,
              "SIGKILL of a training process → death detected → restarted from its last checkpoint → first step done",
              name_of(r, m));
    }
  }

  // Runtime compatibility rows (sus.compatibility, measured part): pass 1, partial 0.5, fail 0.
  int row = 0;
  for (const auto& r : results) {
    if (r.id != "compat.runtimes" || r.status != probe::Status::ok) continue;
    for (const auto& m : r.measurements) {
      if (m.samples.empty() || !m.details.contains("layer")) continue;
      const std::string layer = m.details["layer"].get<std::string>();
      const std::string result = m.details.value("result", "");
      b.add(fmt::format("compatibility[m{}].{}", row++, layer), m.samples.front(), core::Dimension::none(),
            EvidenceKind::measured, "the same small matmul against a reference, within the precision's tolerance",
            fmt::format("{}: {}", m.id, result));
    }
  }
  return out;
}

}  // namespace aicq::measure
