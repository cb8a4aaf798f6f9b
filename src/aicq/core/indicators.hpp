// The indicator catalog: the 12 indicators and 5 dimensions of the five-dimension evaluation system
// (report §4.3, table 4; methodology §2). Ids are stable: results, profiles and declarations refer to them.
#pragma once

#include <span>
#include <string_view>

namespace aicq::core {

struct DimensionInfo {
  std::string_view id;  // "ce", "ie", "co2", "acc", "sus"
  std::string_view zh;
  std::string_view en;
  std::string_view report_section;  // where the report defines it
};

struct IndicatorInfo {
  std::string_view id;         // e.g. "ce.theoretical"
  std::string_view dimension;  // e.g. "ce"
  std::string_view zh;
  std::string_view en;
  std::string_view methodology_section;  // section of docs/methodology.md
};

std::span<const DimensionInfo> dimensions();
std::span<const IndicatorInfo> indicators();
const IndicatorInfo* find_indicator(std::string_view id);
const DimensionInfo* find_dimension(std::string_view id);

}  // namespace aicq::core
