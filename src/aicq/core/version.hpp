// Build identity; the definitions are generated at build time by cmake/VersionScript.cmake.
#pragma once

namespace aicq::core {
const char* version();       // semantic version of aicq, e.g. "0.1.0"
const char* git_revision();  // short git revision of the source tree, or "unknown"
bool git_dirty();            // tracked files differed from the revision when built
}  // namespace aicq::core
