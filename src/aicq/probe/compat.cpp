// compat.runtimes — placeholder until the probe lands.
#include "aicq/probe/probes.hpp"

namespace aicq::probe {

Probe compat_probe() {
  Probe p;
  p.id = "compat.runtimes";
  p.title = "(not built yet)";
  p.run = [](const Context&) {
    ProbeResult r;
    r.id = "compat.runtimes";
    r.status = Status::skipped;
    r.reason = "not implemented in this build";
    return r;
  };
  return p;
}

}  // namespace aicq::probe
