// What the commands that read a declaration share: the declaration and all of its evidence (declared facts
// and the records of the evidence files it references).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "aicq/assess/profile.hpp"
#include "aicq/catalog/catalog.hpp"
#include "aicq/report/html.hpp"
#include "aicq/declare/declaration.hpp"
#include "aicq/store/store.hpp"

namespace aicq::cli {

struct SiteInputs {
  declare::Declaration declaration;
  std::vector<core::Evidence> evidence;
};

/// Throws core::InputError with every problem of the declaration and its evidence files.
SiteInputs read_site(const std::string& path, const catalog::Catalogs& catalogs);

/// The profile as the report renderer sees it (curves, blends, weights, bands): the report layer does not
/// depend on assess, so the commands hand it this view.
report::ProfileView profile_view(const assess::Profile& p);

/// The store a command records its result in, opened before any work so that a --db that cannot be a store is
/// reported first (InputError, exit 2); a failure while opening it otherwise (WorkError) never costs the result:
/// the store is then empty and `error` says why, for the command to report after writing the result.
struct ResultStore {
  std::optional<store::Store> db;
  std::string error;
};
ResultStore open_result_store(const std::string& path);

/// Records `result` (written at `result_file`) in the store when one is open, printing "recorded: result N in
/// FILE (aicq show N)" on `out`; when the store could not be opened or the recording failed, prints the warning
/// on `err` and returns false — the command then exits 1, its result already written.
bool record_result(ResultStore& store, const nlohmann::json& result, const std::string& result_file, std::ostream& out,
                   std::ostream& err);

/// The current UTC time as ISO 8601 ("2026-11-29T12:00:00Z").
std::string utc_now();

/// This machine's host name.
std::string host_name();

}  // namespace aicq::cli
