// Resilience probes (methodology §2.5): checkpoint write/read bandwidth and kill-and-resume recovery.
// The supervisor side is torch-free; the training worker it supervises (`aicq probes --train-worker DIR`)
// is the Fashion-MNIST CNN of ai_model.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "aicq/probe/probe.hpp"

namespace aicq::probe {

/// Settings of one kill-and-resume experiment.
struct RecoverySettings {
  std::string exe;                   // the aicq binary (Context::aicq_exe)
  std::string dir;                   // an existing folder for the checkpoints; run_recovery leaves it as it found it
  int total_steps = 120;             // the run's length in training steps
  int checkpoint_every = 20;         // steps between checkpoints
  std::optional<int> kill_at_step;   // SIGKILL after this step (1 ≤ k < total_steps); drawn from `seed` in
                                     // (checkpoint_every, total_steps − checkpoint_every) when absent
  std::uint64_t seed = 0;            // the training's seed (weights, batch order) and the kill point's
  int threads = 1;                   // the worker's torch threads
  double timeout_s = 300;            // for each of the three worker runs
};

/// What happened, with every time in seconds.
struct RecoveryOutcome {
  int kill_at_step = 0;          // the step the kill was planned after (given or drawn)
  int killed_at_step = 0;        // the last step the killed worker reported
  int resumed_from_step = 0;     // the checkpoint the restart loaded (its "ready" line)
  int steps_lost = 0;            // killed_at_step − resumed_from_step
  double detection_s = 0;        // SIGKILL sent → supervisor saw the death
  std::string detection_method;  // "pidfd" (poll on a pidfd_open descriptor) or "waitpid"
  double restart_s = 0;          // new worker spawned → checkpoint loaded, ready to train ("ready" read)
  double worker_ready_s = 0;     // the worker's own figure: its start → ready (dataset and checkpoint loaded)
  double first_step_s = 0;       // ready → first resumed step done
  double turnaround_s = 0;       // death seen → new worker spawned (the supervisor's own bookkeeping)
  double recovery_s = 0;         // SIGKILL sent → first resumed step done: detection + turnaround + restart +
                                 // first step (methodology: caps fault_recovery)
  double lost_work_s = 0;        // time the lost steps took to redo: ready → step killed_at_step in the restart
  double reference_step_s = 0;   // median time of one step in the uninterrupted run (between step lines)
  bool trajectory_matches = false;  // every resumed loss within 1e-6 relative of the uninterrupted one
  bool bitwise_equal = false;       // … and all of them bit for bit equal
  bool killed_run_matches = false;  // the killed run's losses up to its death equal the uninterrupted ones
  double max_loss_difference = 0;   // largest |resumed − uninterrupted| over the compared steps
  double max_relative_difference = 0;  // largest |resumed − uninterrupted| ÷ |uninterrupted|
  std::vector<double> reference_losses, resumed_losses;  // by step, from resumed_from_step + 1 on
};

/// Runs an uninterrupted worker for the reference trajectory, then a worker killed with SIGKILL after
/// kill_at_step, then its restart from the last checkpoint. The kill point is exact: the killed worker is
/// started with `--stop-after K` and stops itself (SIGSTOP) right after reporting step K; the supervisor
/// waits for it to be stopped, sends SIGKILL and times the death. Every worker leads its own process group,
/// which is killed on every way out. Throws std::invalid_argument on inconsistent settings,
/// core::WorkError when a worker fails otherwise (naming its command, exit status and the end of its
/// stderr), Cancelled on ctx cancellation (the workers killed and reaped first).
RecoveryOutcome run_recovery(const RecoverySettings& s, const Context& ctx);

/// The training worker (`aicq probes --train-worker DIR …`): resumes from DIR/checkpoint.pt when present,
/// prints "ready STEP SECONDS" (STEP: the step it resumes from, 0 for a fresh start; SECONDS: its own
/// start → ready), then "step N LOSS" per step (LOSS as a hexadecimal float, "%a": exact) and "checkpoint N"
/// after each checkpoint (every `checkpoint_every` steps, written atomically through ai::Trainer::save) is
/// durable, and "done N" at total_steps. With `stop_after`, it stops itself (SIGSTOP) right after printing
/// "step stop_after" (run_recovery kills it there). Each line is flushed when printed. Returns the exit code;
/// throws core::InputError when DIR is not a folder, core::WorkError when training or a checkpoint fails.
/// Defined in the torch library; without libtorch it prints why and returns 1.
int train_worker(const std::string& dir, int total_steps, int checkpoint_every, std::uint64_t seed, int threads,
                 std::optional<int> stop_after = std::nullopt);

}  // namespace aicq::probe
