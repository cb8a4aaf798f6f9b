// Placeholder until the NVML loader lands.
#include "aicq/hw/nvml.hpp"

namespace aicq::hw {

struct Nvml::Impl {};
Nvml::Nvml(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Nvml::~Nvml() = default;
std::shared_ptr<Nvml> Nvml::load(std::string* why_not) {
  if (why_not) *why_not = "NVML loader not built yet";
  return nullptr;
}

}  // namespace aicq::hw
