-- Telemetry: runs (monitor sessions, the sampling of aicq run), their channels, raw samples and 1-minute
-- aggregates (see src/aicq/store/store.hpp: telemetry; src/aicq/telemetry/telemetry.hpp).
-- Applied once, inside a transaction, by Store::open; never edit a migration that has shipped: add a new one.
-- Times are Unix seconds (UTC, fractional). Raw samples are pruned after a retention period (default 7 days);
-- the aggregates are kept longer (default 400 days).

CREATE TABLE telemetry_runs (
  id          INTEGER PRIMARY KEY,
  command     TEXT NOT NULL,                   -- monitor | run
  host        TEXT NOT NULL,
  started     REAL NOT NULL,
  ended       REAL,                            -- NULL while running, or when the process died
  interval_s  REAL NOT NULL CHECK (interval_s > 0),
  sources     TEXT NOT NULL DEFAULT '[]'       -- JSON: the samplers (id, source, quality, kind, model)
) STRICT;

CREATE INDEX telemetry_runs_by_started ON telemetry_runs (started);

-- One time series: a metric of a device read by a sampler.
CREATE TABLE telemetry_channels (
  id       INTEGER PRIMARY KEY,
  run_id   INTEGER NOT NULL REFERENCES telemetry_runs (id) ON DELETE CASCADE,
  sampler  TEXT NOT NULL,                      -- procfs | rapl | nvml | ipmi | redfish | estimate
  metric   TEXT NOT NULL,                      -- power_w, energy_j, cpu_utilization, gpu_utilization, ...
  device   TEXT NOT NULL,                      -- cpu, memory, package-0, gpu0, node, chassis-1U
  unit     TEXT NOT NULL,
  counter  INTEGER NOT NULL CHECK (counter IN (0, 1)),
  scope    TEXT NOT NULL CHECK (scope IN ('none', 'node', 'component', 'part')),
  quality  TEXT CHECK (quality IN ('Q0', 'Q1', 'Q2', 'Q3')),
  kind     TEXT NOT NULL CHECK (kind IN ('measured', 'estimated')),
  UNIQUE (run_id, sampler, metric, device)
) STRICT;

-- Raw samples; a value a source did not give is absent rather than NULL.
CREATE TABLE telemetry_samples (
  channel_id INTEGER NOT NULL REFERENCES telemetry_channels (id) ON DELETE CASCADE,
  t          REAL NOT NULL,
  value      REAL NOT NULL,
  PRIMARY KEY (channel_id, t)
) STRICT, WITHOUT ROWID;

CREATE INDEX telemetry_samples_by_t ON telemetry_samples (t);

-- One row per channel and minute (minute = floor(t / 60)): kept after the raw samples are pruned.
CREATE TABLE telemetry_minutes (
  channel_id INTEGER NOT NULL REFERENCES telemetry_channels (id) ON DELETE CASCADE,
  minute     INTEGER NOT NULL,
  n          INTEGER NOT NULL CHECK (n > 0),
  total      REAL NOT NULL,                   -- sum of the values
  minimum    REAL NOT NULL,
  maximum    REAL NOT NULL,
  first_t    REAL NOT NULL,
  first_v    REAL NOT NULL,
  last_t     REAL NOT NULL,
  last_v     REAL NOT NULL,
  PRIMARY KEY (channel_id, minute)
) STRICT, WITHOUT ROWID;

CREATE INDEX telemetry_minutes_by_minute ON telemetry_minutes (minute);
