// memory.stream — placeholder until the probe lands.
#include "aicq/probe/probes.hpp"

namespace aicq::probe {

Probe stream_probe() {
  Probe p;
  p.id = "memory.stream";
  p.title = "(not built yet)";
  p.run = [](const Context&) {
    ProbeResult r;
    r.id = "memory.stream";
    r.status = Status::skipped;
    r.reason = "not implemented in this build";
    return r;
  };
  return p;
}

}  // namespace aicq::probe
