#include "aicq/core/indicators.hpp"

#include <algorithm>
#include <array>

namespace aicq::core {
namespace {
constexpr std::array<DimensionInfo, 5> kDimensions = {{
    {"ce", "算效水平", "Compute efficiency", "§4.3.2"},
    {"ie", "智效水平", "Intelligence efficiency", "§4.3.3"},
    {"co2", "碳效水平", "Carbon efficiency", "§4.3.4"},
    {"acc", "可获得水平", "Accessibility", "§4.3.5"},
    {"sus", "可持续水平", "Sustainability", "§4.3.6"},
}};

constexpr std::array<IndicatorInfo, 12> kIndicators = {{
    {"ce.theoretical", "ce", "理论算效", "Theoretical compute efficiency", "2.1"},
    {"ce.measured", "ce", "实测性能", "Measured performance", "2.2"},
    {"ce.utilization", "ce", "资源利用率", "Resource utilization", "2.3"},
    {"ie.model_compute", "ie", "模算效率", "Model-compute efficiency", "2.4"},
    {"ie.intelligence", "ie", "智能化程度", "Degree of intelligence", "2.5"},
    {"co2.lifecycle", "co2", "全生命周期低碳管理", "Lifecycle low-carbon management", "2.6"},
    {"co2.compute_carbon", "co2", "算力碳效", "Compute carbon efficiency", "2.7"},
    {"acc.universality", "acc", "普适能力", "Universality", "2.8"},
    {"acc.inclusiveness", "acc", "普惠能力", "Inclusiveness", "2.9"},
    {"sus.compatibility", "sus", "技术兼容性", "Technical compatibility", "2.10"},
    {"sus.supply_chain", "sus", "供应链完备程度", "Supply-chain completeness", "2.11"},
    {"sus.openness", "sus", "产业生态开放水平", "Ecosystem openness", "2.12"},
}};
}  // namespace

std::span<const DimensionInfo> dimensions() { return kDimensions; }
std::span<const IndicatorInfo> indicators() { return kIndicators; }

const IndicatorInfo* find_indicator(std::string_view id) {
  auto it = std::find_if(kIndicators.begin(), kIndicators.end(), [&](const auto& i) { return i.id == id; });
  return it == kIndicators.end() ? nullptr : &*it;
}

const DimensionInfo* find_dimension(std::string_view id) {
  auto it = std::find_if(kDimensions.begin(), kDimensions.end(), [&](const auto& d) { return d.id == id; });
  return it == kDimensions.end() ? nullptr : &*it;
}

}  // namespace aicq::core
