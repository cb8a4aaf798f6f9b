// Which sources exist here, and the samplers of those that do.
#include <unistd.h>

#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

#include "aicq/catalog/catalog.hpp"
#include "aicq/core/diagnostics.hpp"
#include "aicq/hw/nvml.hpp"
#include "aicq/telemetry/samplers.hpp"

namespace aicq::telemetry {

namespace fs = std::filesystem;

namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The program of a command line, found on PATH (or as given when it has a '/').
std::optional<std::string> find_program(const std::string& command) {
  std::istringstream in(command);
  std::string prog;
  in >> prog;
  if (prog.empty()) return std::nullopt;
  if (prog.find('/') != std::string::npos) return ::access(prog.c_str(), X_OK) == 0 ? std::optional(prog) : std::nullopt;
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string p = (fs::path(dir.empty() ? "." : dir) / prog).string();
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  return std::nullopt;
}

// The estimate's inputs: CPU facts from /proc/cpuinfo and, when the model is in the catalog, its TDP.
EstimateConfig with_catalog(const Config& config, const CpuFacts& cpu) {
  EstimateConfig e = config.estimate;
  if (e.rated_power_w || e.host_tdp_w || cpu.model_name.empty()) return e;
  try {
    const auto catalog = catalog::HardwareCatalog::load(data::DataSource(config.data_dir));
    if (const catalog::HardwareModel* m = catalog.find_by_name(cpu.model_name); m && m->kind == "cpu" && m->tdp) {
      e.host_tdp_w = m->tdp->si;
      e.host_threads = m->threads;
      e.host_cpu_name = m->name;
    }
  } catch (const core::InputError&) {
    // A broken --data-dir catalog is reported by the commands that read it; the estimate falls back to CCF.
  }
  return e;
}

Availability named(std::string id, std::string name) {
  Availability a;
  a.id = std::move(id);
  a.name = std::move(name);
  return a;
}

struct Probe {
  std::vector<Availability> list;
  std::vector<std::unique_ptr<Sampler>> samplers;
};

Probe probe(const Config& config, bool keep) {
  Probe p;
  auto add = [&](Availability a, std::unique_ptr<Sampler> s) {
    if (s) {
      a.available = true;
      a.source = s->source();
      a.quality = s->quality();
      a.kind = s->kind();
      a.model = s->model();
      if (keep) p.samplers.push_back(std::move(s));
    }
    p.list.push_back(std::move(a));
  };

  // procfs
  {
    Availability a = named("procfs", "CPU and memory utilization (/proc/stat, /proc/meminfo)");
    a.metrics = {metric::cpu_utilization, metric::memory_used_bytes, metric::memory_total_bytes};
    std::unique_ptr<Sampler> s;
    try {
      s = std::make_unique<ProcfsSampler>(config.root);
    } catch (const core::WorkError& e) {
      a.why_not = fmt::format("no CPU utilization: {}", e.what());
    }
    add(std::move(a), std::move(s));
  }
  // RAPL
  {
    Availability a = named("rapl", "RAPL energy counters (powercap sysfs)");
    a.metrics = {metric::energy_j, metric::power_w};
    std::unique_ptr<Sampler> s;
    std::string why;
    if (!find_rapl_zones(config.root, &why).empty()) {
      try {
        s = std::make_unique<RaplSampler>(config.root);
      } catch (const core::WorkError& e) {
        why = e.what();
      }
    }
    a.why_not = s ? "" : why;
    add(std::move(a), std::move(s));
  }
  // NVML: one sampler per GPU, one line for all
  {
    Availability a = named("nvml", "NVIDIA GPUs (NVML)");
    a.metrics = {metric::power_w, metric::energy_j, metric::gpu_utilization, metric::gpu_memory_utilization,
                 metric::memory_used_bytes, metric::temperature_c, metric::sm_clock_hz, metric::mem_clock_hz,
                 metric::power_limit_w};
    if (!config.nvml) {
      a.why_not = "NVML not used (turned off)";
      p.list.push_back(std::move(a));
    } else {
      std::string why;
      std::shared_ptr<hw::Nvml> nvml;
      try {
        nvml = hw::Nvml::load(&why);
      } catch (const core::WorkError& e) {
        why = e.what();
      }
      if (!nvml) {
        a.why_not = fmt::format("no NVML: {}", why);
        p.list.push_back(std::move(a));
      } else if (nvml->device_count() == 0) {
        a.why_not = fmt::format("no NVIDIA GPU: NVML {} (driver {}) reports no device", nvml->library_path(), nvml->driver_version());
        p.list.push_back(std::move(a));
      } else {
        std::vector<std::string> sources, errors;
        std::string note;
        std::vector<unsigned> visible;
        try {
          visible = nvml->visible_devices(&note);  // only the devices in use are measured
        } catch (const core::WorkError& e) {
          note = e.what();
        }
        if (!note.empty()) errors.push_back(note);
        if (visible.empty()) errors.push_back(fmt::format("CUDA_VISIBLE_DEVICES leaves none of the {} GPUs visible", nvml->device_count()));
        for (const unsigned i : visible) {
          try {
            auto s = std::make_unique<NvmlSampler>(nvml, i);
            sources.push_back(s->source());
            if (keep) p.samplers.push_back(std::move(s));
          } catch (const core::WorkError& e) {
            errors.push_back(fmt::format("gpu{}: {}", i, e.what()));
          }
        }
        a.available = !sources.empty();
        a.quality = core::PowerQuality::q1;
        a.source = fmt::format("{}", fmt::join(sources, "; "));
        a.why_not = fmt::format("{}", fmt::join(errors, "; "));
        p.list.push_back(std::move(a));
      }
    }
  }
  // IPMI DCMI
  {
    Availability a = named("ipmi", "node power from the BMC (IPMI DCMI)");
    a.metrics = {metric::power_w};
    std::unique_ptr<Sampler> s;
    const std::string device = under_root(config.root, config.ipmi_device);
    std::error_code ec;
    if (config.ipmi_command.empty()) {
      a.why_not = "IPMI not used (no --ipmi-command)";
    } else if (!find_program(config.ipmi_command)) {
      a.why_not = fmt::format("no IPMI: '{}' is not installed (apt-get install ipmitool)", config.ipmi_command.substr(0, config.ipmi_command.find(' ')));
    } else if (config.ipmi_require_device && !fs::exists(device, ec)) {
      a.why_not = fmt::format("no IPMI: {} absent (no BMC here, or the ipmi_si and ipmi_devintf modules are not loaded)", device);
    } else {
      try {
        s = std::make_unique<IpmiSampler>(config.ipmi_command);
      } catch (const std::exception& e) {  // a failed command or an output that is no reading
        a.why_not = fmt::format("no IPMI power: {}", e.what());
      }
    }
    add(std::move(a), std::move(s));
  }
  // Redfish
  {
    Availability a = named("redfish", "node power from the BMC (Redfish)");
    a.metrics = {metric::power_w, metric::energy_j};
    std::unique_ptr<Sampler> s;
    if (config.redfish_url.empty()) {
      a.why_not = "Redfish not configured (--redfish URL)";
    } else {
      try {
        s = std::make_unique<RedfishSampler>(config);
      } catch (const core::WorkError& e) {
        a.why_not = fmt::format("no Redfish power: {}", e.what());
      }
    }
    add(std::move(a), std::move(s));
  }

  // Which power a window would use: a measured node meter, else components, else the estimate.
  Availability* best = nullptr;
  for (auto& a : p.list)
    if (a.available && a.quality && (a.id == "ipmi" || a.id == "redfish") && (!best || *a.quality > *best->quality)) best = &a;
  bool measured = best != nullptr;
  if (!best)
    for (auto& a : p.list)
      if (a.available && a.quality && (a.id == "rapl" || a.id == "nvml")) {
        a.used_for_power = true;
        measured = true;
      }
  if (best) best->used_for_power = true;

  // The estimate: always described; a sampler only when nothing is measured.
  {
    Availability a = named("estimate", "estimate from a model (no meter)");
    a.metrics = {metric::power_w};
    const CpuFacts cpu = parse_cpuinfo(read_all(under_root(config.root, "proc/cpuinfo")));
    const EstimateModel model = make_estimate(with_catalog(config, cpu), cpu);
    a.available = true;
    a.quality = core::PowerQuality::q0;
    a.kind = core::EvidenceKind::estimated;
    a.model = model.model;
    a.source = "model: " + model.model;
    a.used_for_power = !measured;
    if (!measured && keep) p.samplers.push_back(std::make_unique<EstimateSampler>(config.root, model));
    p.list.push_back(std::move(a));
  }
  return p;
}

}  // namespace

std::vector<Availability> discover(const Config& config) { return probe(config, false).list; }

std::vector<std::unique_ptr<Sampler>> open_samplers(const Config& config, std::vector<Availability>* report) {
  Probe p = probe(config, true);
  if (report) *report = std::move(p.list);
  return std::move(p.samplers);
}

}  // namespace aicq::telemetry
