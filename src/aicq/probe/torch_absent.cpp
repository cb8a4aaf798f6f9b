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
  p.typical_s = {{Suite::standard, 0}, {Suite::full, 0}};  // not in the quick suite, as with libtorch
  p.run = [](const Context&) {
    ProbeResult r;
    r.status = Status::skipped;
    r.reason = kWhy;
    return r;
  };
  return p;
}

}  // namespace

// Titles and what each measures as the libtorch build registers them (ai_train.cpp, ai_infer.cpp, resilience.cpp).
Probe ai_train_probe() {
  return absent("ai.train", "CNN on Fashion-MNIST to 85% test accuracy (libtorch)",
                "time-to-accuracy (s, MLPerf rule), training FLOP/s per segment between evaluations, samples/s, MFU", "fp32",
                "ie.model_compute, ce.measured");
}
Probe ai_infer_probe() {
  return absent("ai.infer", "inference of the trained CNN and a transformer encoder block (libtorch)",
                "offline samples/s and FLOP/s (FP32, BF16, INT8), single-stream latency p50/p90/p99, accuracy, retention, MFU",
                "fp32, bf16, int8", "ie.model_compute, ce.measured");
}
Probe checkpoint_probe() {
  return absent("resilience.checkpoint",
                "Checkpoint: a training state written with fsync and read back (CNN + Adam, synthetic 1 GiB)",
                "write and read B/s, CNN state write time (s); projection: time to checkpoint GPT-3", "—",
                "ie.intelligence (checkpointing cap)");
}
Probe recovery_probe() {
  return absent("resilience.recovery",
                "Kill-and-resume: a training process killed (SIGKILL) and restarted from its last checkpoint",
                "recovery, detection and restart time (s), steps lost, trajectory match", "—", "ie.intelligence (fault recovery cap)");
}

int train_worker(const std::string&, int, int, std::uint64_t, int, std::optional<int>) {
  std::cerr << "aicq: " << kWhy << "\n";
  return 1;
}

namespace compat {
std::optional<TorchProduct> torch_product(const std::vector<double>&, const std::vector<double>&, int) { return std::nullopt; }
}  // namespace compat

}  // namespace aicq::probe
