// Writing output files so that a reader never sees half of one (conventions: results are written
// atomically): the content goes to a temporary file in the same folder, is flushed to disk, then renamed.
#pragma once

#include <string>
#include <string_view>

namespace aicq::core {

/// Throws InputError when the folder does not exist (a path the user gave), WorkError when writing fails.
void write_file_atomic(const std::string& path, std::string_view content);

}  // namespace aicq::core
