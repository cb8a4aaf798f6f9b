// aicq probes [--format text|json] [--run PROBE …] [--train-worker DIR …]: the probe list, one probe's JSON record,
// or the training worker that resilience.recovery supervises (see docs/cli.md).
#include <filesystem>
#include <chrono>
#include <thread>
#include <fmt/format.h>
#include <ostream>

#include "aicq/cli/commands.hpp"
#include "aicq/core/diagnostics.hpp"
#include "aicq/probe/probe.hpp"
#include "aicq/probe/resilience.hpp"

namespace aicq::cli {

namespace {

struct ProbesOptions {
  std::string format = "text", run, suite = "standard", scratch;
  bool tiny = false;
  int threads = 0;
  // The training worker of resilience.recovery (not for users: its supervisor starts it).
  std::string train_worker;
  std::optional<int> steps, checkpoint_every, stop_after;  // defaults: 120, 20
  std::optional<std::uint64_t> seed;                        // default 0
};

nlohmann::json listing() {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& p : probe::registry()) {
    nlohmann::json t = nlohmann::json::object();
    for (const auto& [s, secs] : p.typical_s) t[probe::to_string(s)] = secs;
    a.push_back({{"id", p.id}, {"title", p.title}, {"measures", p.measures}, {"precisions", p.precisions}, {"feeds", p.feeds},
                 {"typical_s", t}});
  }
  return a;
}

int run_probes(const ProbesOptions& o, Io io) {
  const bool worker_option = o.steps || o.checkpoint_every || o.seed || o.stop_after;
  if (o.train_worker.empty() && worker_option)
    throw core::InputError(core::Location{"aicq probes"}, "--train-worker",
                           "--steps, --checkpoint-every, --seed and --stop-after go with --train-worker DIR");
  if (!o.train_worker.empty()) {
    if (!o.run.empty())
      throw core::InputError(core::Location{"aicq probes"}, "--train-worker", "--train-worker and --run exclude each other");
    const int threads = o.threads > 0 ? o.threads : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    return probe::train_worker(o.train_worker, o.steps.value_or(120), o.checkpoint_every.value_or(20), o.seed.value_or(0), threads,
                               o.stop_after);
  }
  if (o.run.empty()) {
    const auto list = listing();
    if (o.format == "json") {
      io.out << list.dump(2) << "\n";
      return kOk;
    }
    for (const auto& p : list) {
      io.out << fmt::format("{}  {}\n", p["id"].get<std::string>(), p["title"].get<std::string>());
      io.out << fmt::format("    measures:   {}\n", p["measures"].get<std::string>());
      io.out << fmt::format("    precision:  {}\n", p["precisions"].get<std::string>());
      std::string typical;
      for (const auto& s : {"quick", "standard", "full"})
        if (p["typical_s"].contains(s)) typical += fmt::format("{}{} ~{:.0f} s", typical.empty() ? "" : ", ", s, p["typical_s"][s].get<double>());
      io.out << fmt::format("    typical:    {}\n", typical.empty() ? "—" : typical);
      io.out << fmt::format("    feeds:      {}\n", p["feeds"].get<std::string>());
    }
    return kOk;
  }
  const probe::Probe* selected = probe::find(o.run);
  if (!selected) {
    std::vector<std::string> known;
    for (const auto& p : probe::registry()) known.push_back(p.id);
    throw core::InputError(core::Location{o.run}, "--run", fmt::format("unknown probe '{}': expected one of {}", o.run, fmt::join(known, ", ")));
  }
  probe::Context ctx;
  ctx.suite = *probe::suite_from(o.suite);
  ctx.threads = o.threads > 0 ? o.threads : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  ctx.tiny = o.tiny;
  ctx.scratch_dir = o.scratch.empty() ? std::filesystem::temp_directory_path().string() : o.scratch;
  probe::ProbeResult r;
  const auto t0 = std::chrono::steady_clock::now();
  try {
    r = selected->run(ctx);
  } catch (const probe::Cancelled&) {
    r.status = probe::Status::skipped;
    r.reason = "interrupted";
  }
  r.id = selected->id;
  r.duration_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  io.out << probe::to_json(r).dump() << "\n";
  return r.status == probe::Status::failed ? kWorkFailure : kOk;
}

}  // namespace

Action add_probes(CLI::App& app, const GlobalOptions&) {
  auto o = std::make_shared<ProbesOptions>();
  app.add_option("--format", o->format, "text or json")->check(CLI::IsMember({"text", "json"}));
  app.add_option("--run", o->run, "probe to run");
  app.add_option("--suite", o->suite, "suite")->check(CLI::IsMember({"quick", "standard", "full"}));
  app.add_flag("--tiny", o->tiny, "smallest sizes");
  app.add_option("--threads", o->threads, "threads")->check(CLI::Range(1, 4096));
  app.add_option("--scratch", o->scratch, "scratch folder");
  app.add_option("--train-worker", o->train_worker, "training worker of resilience.recovery");
  app.add_option("--steps", o->steps, "worker: training steps")->check(CLI::Range(1, 100000000));
  app.add_option("--checkpoint-every", o->checkpoint_every, "worker: steps between checkpoints")->check(CLI::Range(1, 100000000));
  app.add_option("--seed", o->seed, "worker: seed");
  app.add_option("--stop-after", o->stop_after, "worker: stop itself after this step")->check(CLI::Range(1, 100000000));
  return [o](Io io) { return run_probes(*o, io); };
}

}  // namespace aicq::cli
