// storage.io — placeholder until the probe lands.
#include "aicq/probe/probes.hpp"

namespace aicq::probe {

Probe storage_probe() {
  Probe p;
  p.id = "storage.io";
  p.title = "(not built yet)";
  p.run = [](const Context&) {
    ProbeResult r;
    r.id = "storage.io";
    r.status = Status::skipped;
    r.reason = "not implemented in this build";
    return r;
  };
  return p;
}

}  // namespace aicq::probe
