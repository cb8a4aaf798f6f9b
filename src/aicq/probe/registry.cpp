#include <algorithm>

#include "aicq/probe/probes.hpp"

namespace aicq::probe {

const std::vector<Probe>& registry() {
  static const std::vector<Probe> r = {gemm_probe(), linpack_probe(), stream_probe(), first_touch_probe(), storage_probe(), compat_probe(),
                                          ai_train_probe(), ai_infer_probe(), checkpoint_probe(), recovery_probe(),
                                          gpu_probe()};
  return r;
}

const Probe* find(std::string_view id) {
  const auto& r = registry();
  const auto it = std::find_if(r.begin(), r.end(), [&](const Probe& p) { return p.id == id; });
  return it == r.end() ? nullptr : &*it;
}

}  // namespace aicq::probe
