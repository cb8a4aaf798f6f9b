// compute.linpack — placeholder until the probe lands.
#include "aicq/probe/probes.hpp"

namespace aicq::probe {

Probe linpack_probe() {
  Probe p;
  p.id = "compute.linpack";
  p.title = "(not built yet)";
  p.run = [](const Context&) {
    ProbeResult r;
    r.id = "compute.linpack";
    r.status = Status::skipped;
    r.reason = "not implemented in this build";
    return r;
  };
  return p;
}

}  // namespace aicq::probe
