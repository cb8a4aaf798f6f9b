-- Result history (see src/aicq/store/store.hpp; docs/cli.md: aicq history, aicq show).
-- Applied once, inside a transaction, by Store::open; never edit a migration that has shipped: add a new one.

-- One row per result aicq assess produced. The summary columns repeat members of the document for listing
-- and filtering; result_json is the document itself, canonical (RFC 8785), with its SHA-256.
CREATE TABLE results (
  id             INTEGER PRIMARY KEY,
  created        TEXT NOT NULL,                 -- provenance.created, UTC ISO 8601 ("2026-11-29T12:00:00Z")
  recorded       TEXT NOT NULL,                 -- when the store received it, UTC ISO 8601
  system         TEXT NOT NULL,                 -- system.name
  operator       TEXT,                          -- system.operator
  profile_id     TEXT NOT NULL,
  profile_sha256 TEXT NOT NULL,
  overall_score  REAL,                          -- NULL when no dimension could be scored
  grade          TEXT,                          -- L1..L5; NULL without an overall score
  grade_status   TEXT NOT NULL CHECK (grade_status IN ('final', 'provisional')),
  coverage       REAL NOT NULL CHECK (coverage >= 0 AND coverage <= 1),
  status         TEXT NOT NULL CHECK (status IN ('complete', 'interrupted', 'invalid')),
  written_to     TEXT NOT NULL DEFAULT '',      -- the file the result was written to; '' when not written
  result_json    TEXT NOT NULL,
  result_sha256  TEXT NOT NULL CHECK (length(result_sha256) = 64)
) STRICT;

CREATE INDEX results_by_system ON results (system, created);
CREATE INDEX results_by_created ON results (created);

-- One row per indicator of each result, scored or missing, for trends.
CREATE TABLE result_indicators (
  result_id INTEGER NOT NULL REFERENCES results (id) ON DELETE CASCADE,
  indicator TEXT NOT NULL,                      -- e.g. ce.theoretical
  status    TEXT NOT NULL CHECK (status IN ('scored', 'missing')),
  value     REAL,                               -- in unit; NULL when missing
  unit      TEXT NOT NULL DEFAULT '',
  score     REAL,                               -- 0..100; NULL when missing
  kind      TEXT,                               -- measured | imported | declared | estimated
  PRIMARY KEY (result_id, indicator)
) STRICT;

CREATE INDEX result_indicators_by_indicator ON result_indicators (indicator, result_id);
