// A build without libtorch (AICQ_ENABLE_TORCH=OFF, e.g. the sanitizer preset): the AI and resilience probes
// are listed, and running one says why it cannot run here — never a made-up number.
#include <iostream>

#include "aicq/probe/compat.hpp"
#include "aicq/probe/probes.hpp"
#include "aicq/probe/resilience.hpp"

namespace aicq::probe {

namespace {

constexpr const char* kWhy = "this aicq was built without libtorch (AICQ_ENABLE_TORCH=OFF); build the release preset with Debian's libtorch-dev";

Probe absent(std::string id, std::string title, std::string measures, std::string precisions, std::string feeds) {
  Probe p;
  p.id = std::move(id);
  p.title = std::move(title);
  p.measures = std::move(measures);
  p.precisions = std::move(precisions);
  p.feeds = std::move(feeds);
  p.run = [](const Context&) {
    ProbeResult r;
    r.status = Status::skipped;
    r.reason = kWhy;
    return r;
  };
  return p;
}

}  // namespace

Probe ai_train_probe() {
  return absent("ai.train", "CNN on Fashion-MNIST to 85% test accuracy (libtorch)", "time-to-accuracy, samples/s, MFU",
                "fp32", "ie.model_compute, ce.measured");
}
Probe ai_infer_probe() {
  return absent("ai.infer", "inference of the trained CNN and a transformer encoder block (libtorch)",
                "offline samples/s, single-stream latency p50/p90/p99, accuracy, retention, MFU", "fp32, bf16",
                "ie.model_compute, ce.measured");
}
Probe checkpoint_probe() {
  return absent("resilience.checkpoint", "checkpoint write and read with fsync", "B/s, s", "—", "ie.intelligence (checkpointing cap)");
}
Probe recovery_probe() {
  return absent("resilience.recovery", "a training process killed and resumed from its checkpoint", "s, steps lost", "—",
                "ie.intelligence (fault recovery cap)");
}

int train_worker(const std::string&, int, int, std::uint64_t, int, std::optional<int>) {
  std::cerr << "aicq: " << kWhy << "\n";
  return 1;
}

namespace compat {
std::optional<TorchProduct> torch_product(const std::vector<double>&, const std::vector<double>&, int) { return std::nullopt; }
}  // namespace compat

}  // namespace aicq::probe
