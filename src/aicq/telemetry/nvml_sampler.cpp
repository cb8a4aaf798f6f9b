// NVIDIA GPUs through hw::Nvml (dlopen'ed NVML; units converted to SI there).
#include <fmt/format.h>
#include <limits>

#include "aicq/hw/nvml.hpp"
#include "aicq/telemetry/samplers.hpp"

namespace aicq::telemetry {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
double or_nan(const std::optional<double>& v) { return v ? *v : kNaN; }
}  // namespace

NvmlSampler::NvmlSampler(std::shared_ptr<hw::Nvml> nvml, unsigned index) : nvml_(std::move(nvml)), index_(index) {
  const hw::GpuInfo info = nvml_->info(index_);
  const std::string dev = fmt::format("gpu{}", index_);
  source_ = fmt::format("NVML {} {} ({}, {})", dev, info.name, info.uuid, nvml_->library_path());
  channels_ = {{metric::power_w, dev, "W", false, PowerScope::component},
               {metric::energy_j, dev, "J", true, PowerScope::component},
               {metric::gpu_utilization, dev, "1", false, PowerScope::none},
               {metric::gpu_memory_utilization, dev, "1", false, PowerScope::none},
               {metric::memory_used_bytes, dev, "B", false, PowerScope::none},
               {metric::temperature_c, dev, "Cel", false, PowerScope::none},
               {metric::sm_clock_hz, dev, "Hz", false, PowerScope::none},
               {metric::mem_clock_hz, dev, "Hz", false, PowerScope::none},
               {metric::power_limit_w, dev, "W", false, PowerScope::none}};
}

void NvmlSampler::sample(double /*t_s*/, std::span<double> out) {
  const hw::GpuReading r = nvml_->read(index_);  // throws core::WorkError when the GPU is gone
  out[0] = or_nan(r.power_w);
  out[1] = kNaN;
  if (r.energy_j) {
    // NVML's counter runs since the driver loaded: report the energy since this sampler opened.
    if (!first_energy_j_) first_energy_j_ = r.energy_j;
    if (*r.energy_j >= *first_energy_j_) out[1] = *r.energy_j - *first_energy_j_;
  }
  out[2] = or_nan(r.gpu_utilization);
  out[3] = or_nan(r.memory_utilization);
  out[4] = or_nan(r.memory_used_bytes);
  out[5] = or_nan(r.temperature_c);
  out[6] = or_nan(r.sm_clock_hz);
  out[7] = or_nan(r.mem_clock_hz);
  out[8] = or_nan(r.power_limit_w);
}

}  // namespace aicq::telemetry
