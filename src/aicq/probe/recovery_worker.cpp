// The training worker of resilience.recovery (`aicq probes --train-worker DIR`, protocol in resilience.hpp):
// the Fashion-MNIST CNN trained step by step, checkpointed every K steps through ai::Trainer::save (atomic:
// a kill mid-write leaves the previous checkpoint), resumed from DIR/checkpoint.pt when present.
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fmt/format.h>

#include "aicq/core/diagnostics.hpp"
#include "aicq/probe/ai_model.hpp"
#include "aicq/probe/resilience.hpp"

namespace aicq::probe {

namespace {

// One protocol line, flushed at once: the supervisor stamps each line when it arrives.
void emit(const std::string& line) {
  if (std::fputs(line.c_str(), stdout) < 0 || std::fflush(stdout) != 0)
    throw core::WorkError(fmt::format("writing \"{}\" to standard output failed", line.substr(0, line.size() - 1)));
}

// printf's "%a": the loss exactly, as a hexadecimal float that strtod reads back bit for bit.
std::string hex(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a", v);
  return buf;
}

}  // namespace

int train_worker(const std::string& dir, int total_steps, int checkpoint_every, std::uint64_t seed, int threads,
                 std::optional<int> stop_after) {
  namespace fs = std::filesystem;
  const auto start = std::chrono::steady_clock::now();
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw core::InputError(core::Location{dir}, "--train-worker", fs::exists(dir, ec) ? "expected a folder, found a file" : "no such folder");
  if (total_steps < 1 || checkpoint_every < 1 || threads < 1)
    throw core::InputError(core::Location{"--steps"}, "--steps", fmt::format("expected --steps ≥ 1, --checkpoint-every ≥ 1 and --threads ≥ 1, found {}, {}, {}",
                                                                              total_steps, checkpoint_every, threads));
  if (stop_after && (*stop_after < 1 || *stop_after > total_steps))
    throw core::InputError(core::Location{"--stop-after"}, "--stop-after",
                           fmt::format("expected a step from 1 to {}, found {}", total_steps, *stop_after));
  const std::string path = (fs::path(dir) / "checkpoint.pt").string();

  try {
    torch::set_num_threads(threads);
    ai::TrainSettings settings;
    settings.seed = seed;
    settings.threads = threads;
    ai::Trainer trainer(settings, ai::fashion_mnist());
    if (fs::exists(path, ec)) trainer.load(path);
    const double ready_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    emit(fmt::format("ready {} {:.6f}\n", trainer.steps(), ready_s));
    while (trainer.steps() < total_steps) {
      const double loss = trainer.step();
      const std::int64_t step = trainer.steps();
      emit(fmt::format("step {} {}\n", step, hex(loss)));
      // The kill point of run_recovery: exactly after this step's line, before anything else happens.
      if (stop_after && step == *stop_after) ::raise(SIGSTOP);
      if (step % checkpoint_every == 0) {
        trainer.save(path);
        emit(fmt::format("checkpoint {}\n", step));
      }
    }
    emit(fmt::format("done {}\n", trainer.steps()));
  } catch (const c10::Error& e) {
    throw core::WorkError(fmt::format("training worker in {}: libtorch: {}", dir, e.what_without_backtrace()));
  }
  return 0;
}

}  // namespace aicq::probe
