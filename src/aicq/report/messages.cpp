#include "aicq/report/messages.hpp"

#include <array>

namespace aicq::report {

namespace {

struct Entry {
  Msg id;
  const char* en;
  const char* zh;
};

// In the order of the enum; catalog_complete() checks it.
constexpr std::array<Entry, static_cast<std::size_t>(Msg::count_)> kCatalog{{
    {Msg::report_title, "AI compute system assessment", "智算系统评估报告"},
    {Msg::comparison_title, "Comparison of AI compute systems", "智算系统对比报告"},
    {Msg::contents, "Contents", "目录"},
    {Msg::operator_, "Operator", "运营方"},
    {Msg::location, "Location", "地点"},
    {Msg::description, "Description", "描述"},
    {Msg::boundary, "Boundary", "评估边界"},
    {Msg::assessed, "Assessed", "评估时间"},
    {Msg::tool, "Tool", "工具"},
    {Msg::profile, "Profile", "评估配置"},
    {Msg::overall, "Overall score", "总分"},
    {Msg::grade, "Grade", "等级"},
    {Msg::coverage, "Coverage", "覆盖率"},
    {Msg::final_, "final", "最终"},
    {Msg::provisional, "provisional", "暂定"},
    {Msg::provisional_note,
     "Provisional grade: some evidence is missing. Weights are renormalised over what is present; a missing "
     "indicator or dimension is never counted as 0.",
     "暂定等级：部分证据缺失。权重按已有部分重新归一；缺失的指标或维度从不按 0 分计。"},
    {Msg::final_note, "Final grade: every indicator has evidence.", "最终等级：所有指标均有证据。"},
    {Msg::floor_capped, "Floor rule: the grade is capped from {} because of {}.", "底线规则：因 {} 等级由 {} 下调。"},
    {Msg::no_overall, "No overall score: no dimension has evidence.", "无总分：没有任何维度有证据。"},
    {Msg::result_status, "Result status", "结果状态"},
    {Msg::status_complete, "complete", "完整"},
    {Msg::status_interrupted, "interrupted", "已中断"},
    {Msg::status_invalid, "invalid", "无效"},
    {Msg::sec_dimensions, "Five dimensions", "五维评估"},
    {Msg::sec_indicators, "Indicators", "指标"},
    {Msg::sec_carbon, "Carbon by lifecycle stage", "全生命周期碳排放"},
    {Msg::sec_improve, "How to improve", "改进建议"},
    {Msg::sec_probes, "Probe results", "探针结果"},
    {Msg::sec_telemetry, "Telemetry", "遥测数据"},
    {Msg::sec_method, "Methodology", "方法说明"},
    {Msg::sec_repro, "Reproducibility", "可复现信息"},
    {Msg::sec_ranking, "Ranking (TOPSIS)", "排名（TOPSIS）"},
    {Msg::sec_across, "Indicators across systems", "各系统指标对比"},
    {Msg::sec_systems, "Systems compared", "参与对比的系统"},
    {Msg::dimension, "Dimension", "维度"},
    {Msg::indicator, "Indicator", "指标"},
    {Msg::value, "Value", "数值"},
    {Msg::unit, "Unit", "单位"},
    {Msg::score, "Score", "得分"},
    {Msg::evidence, "Evidence", "证据"},
    {Msg::weight, "Weight", "权重"},
    {Msg::weight_in_dimension, "Weight in its dimension", "维度内权重"},
    {Msg::weight_global, "Weight in the overall score", "总分中的权重"},
    {Msg::reason, "Reason", "原因"},
    {Msg::missing, "missing", "缺失"},
    {Msg::missing_dimension, "missing (no indicator of this dimension has evidence)", "缺失（该维度没有任何指标有证据）"},
    {Msg::kind_measured, "measured", "实测"},
    {Msg::kind_imported, "imported", "导入"},
    {Msg::kind_declared, "declared", "声明"},
    {Msg::kind_estimated, "estimated", "估算"},
    {Msg::kinds_legend, "Evidence kinds", "证据类型"},
    {Msg::details, "Details", "详情"},
    {Msg::formula, "Formula", "公式"},
    {Msg::inputs, "Inputs", "输入"},
    {Msg::intermediate, "Intermediate values", "中间值"},
    {Msg::notes, "Notes", "说明"},
    {Msg::none, "none", "无"},
    {Msg::source, "Source", "来源"},
    {Msg::radar_note, "Scores 0–100. A missing dimension has no point on the radar and is marked as missing; it is never drawn as 0.",
     "得分 0–100。缺失的维度在雷达图上没有数据点并标注为缺失，从不画成 0。"},
    {Msg::carbon_embodied, "Embodied (manufacturing)", "隐含碳（制造）"},
    {Msg::carbon_transport, "Transport", "运输"},
    {Msg::carbon_operational_location, "Operational (location-based)", "运行（基于位置）"},
    {Msg::carbon_operational_market, "Operational (market-based)", "运行（基于市场）"},
    {Msg::carbon_end_of_life, "End of life", "报废处置"},
    {Msg::carbon_stage, "Stage", "阶段"},
    {Msg::carbon_amount, "tCO2e over the lifetime", "生命周期 tCO2e"},
    {Msg::carbon_total, "Total (operational market-based)", "合计（运行按基于市场法）"},
    {Msg::carbon_none, "This result has no lifecycle carbon figures.", "本结果没有生命周期碳排放数据。"},
    {Msg::carbon_note,
     "From co2.lifecycle: the two operational figures are alternatives (location-based: grid average; market-based: "
     "after the renewable share), not to be added.",
     "来自 co2.lifecycle：两个运行阶段数值是两种算法（基于位置：电网平均；基于市场：扣除可再生能源比例），不能相加。"},
    {Msg::improve_intro,
     "Ordered by the points the overall score would gain if the indicator reached the next anchor of its scoring "
     "curve (the indicator's score gain × its weight in the overall score, renormalised like the score itself).",
     "按各指标升至评分曲线下一个锚点时总分可增加的分数排序（指标得分增量 × 该指标在总分中的权重，按与总分相同的方式归一）。"},
    {Msg::improve_now, "Now", "当前"},
    {Msg::improve_next, "Next anchor", "下一个锚点"},
    {Msg::improve_indicator_points, "Indicator +points", "指标加分"},
    {Msg::improve_overall_points, "Overall +points", "总分加分"},
    {Msg::improve_top, "Already at the top anchor of its curve: {}.", "已达评分曲线最高锚点：{}。"},
    {Msg::improve_linear, "Scored linearly, without a curve (each declared level or share counts directly): {}.",
     "线性计分、无评分曲线（每一级或比例直接计分）：{}。"},
    {Msg::improve_missing, "Missing evidence — supplying it raises the coverage and can make the grade final: {}.",
     "缺失证据——补充后可提高覆盖率，并可使等级成为最终等级：{}。"},
    {Msg::improve_nothing, "No indicator can move up a curve anchor.", "没有可以提升到下一个曲线锚点的指标。"},
    {Msg::curves_unavailable,
     "The scoring curves are unavailable: the profile at hand (sha256 {}) is not the one this result was scored "
     "with (sha256 {}).",
     "评分曲线不可用：当前评估配置（sha256 {}）不是本结果评分时所用的配置（sha256 {}）。"},
    {Msg::curves_no_profile, "The scoring curves are unavailable: no profile was given.", "评分曲线不可用：未提供评估配置。"},
    {Msg::method_intro,
     "Each indicator's value is mapped to a 0–100 score by a piecewise-linear curve (or a linear rule); a dimension "
     "is the weighted mean of its indicators present, the overall score the weighted mean of the dimensions present.",
     "各指标数值经分段线性评分曲线（或线性规则）映射为 0–100 分；维度得分为其已有指标的加权平均，总分为已有维度的加权平均。"},
    {Msg::method_weights, "Weights", "权重"},
    {Msg::method_curves, "Scoring curves", "评分曲线"},
    {Msg::method_formulas, "Formulas", "公式"},
    {Msg::method_grades, "Grade bands", "等级划分"},
    {Msg::method_weights_method, "method", "方法"},
    {Msg::curve_anchors, "Anchors (value → score)", "锚点（数值 → 得分）"},
    {Msg::curve_direction, "Direction", "方向"},
    {Msg::higher_better, "higher is better", "越高越好"},
    {Msg::lower_better, "lower is better", "越低越好"},
    {Msg::curve_reason, "Why", "依据"},
    {Msg::grade_band, "Grade", "等级"},
    {Msg::min_score, "Overall score at least", "总分不低于"},
    {Msg::grade_name, "Name", "名称"},
    {Msg::probes_note, "Probes run on this machine, as recorded in the result.", "在本机运行的探针，按结果记录。"},
    {Msg::telemetry_note, "Time series recorded during the run.", "运行期间记录的时间序列。"},
    {Msg::machine, "Machine", "机器"},
    {Msg::peaks_heading, "Peak per precision (whole machine) and how it was obtained", "各精度峰值（整机）及其来源"},
    {Msg::probe_col, "Probe", "探针"},
    {Msg::measurement_col, "Measurement", "测量项"},
    {Msg::median_col, "Median", "中位数"},
    {Msg::cv_col, "CV", "变异系数"},
    {Msg::repetitions_col, "Repetitions", "重复次数"},
    {Msg::of_peak_col, "% of peak", "占峰值比例"},
    {Msg::status_col, "Status", "状态"},
    {Msg::power_col, "Mean power (quality)", "平均功率（质量等级）"},
    {Msg::diagnosis_heading, "Why measured is below peak (gap diagnosis)", "实测低于峰值的原因（差距诊断）"},
    {Msg::models_heading, "AI workloads: throughput, MFU and accuracy (模算效率)", "AI 负载：吞吐、MFU 与精度（模算效率）"},
    {Msg::model_col, "Model (task, precision)", "模型（任务、精度）"},
    {Msg::throughput_col, "Throughput", "吞吐"},
    {Msg::flop_per_unit_col, "FLOP per unit", "每单位 FLOP"},
    {Msg::mfu_col, "MFU", "MFU"},
    {Msg::accuracy_col, "Accuracy (reference)", "精度（参考值）"},
    {Msg::retention_col, "Retention", "精度保持率"},
    {Msg::resilience_heading, "Resilience: checkpoint and recovery (智能化程度)", "韧性：检查点与故障恢复（智能化程度）"},
    {Msg::sec_cluster, "Cluster: nodes, stragglers, what is missing", "集群：节点、掉队节点、缺失部分"},
    {Msg::node_col, "Node", "节点"},
    {Msg::ranks_col, "Ranks", "进程号"},
    {Msg::node_peaks_col, "Peaks of the node", "节点峰值"},
    {Msg::stragglers_heading, "Stragglers", "掉队节点"},
    {Msg::missing_heading, "Missing ranks and nodes", "缺失的进程与节点"},
    {Msg::diagnosis_none, "The gap diagnosis found nothing.", "差距诊断未发现问题。"},
    {Msg::cost_col, "Cost", "代价"},
    {Msg::fix_col, "Fix", "改进方法"},
    {Msg::command, "Command", "命令"},
    {Msg::host, "Host", "主机"},
    {Msg::tool_revision, "Tool version and git revision", "工具版本与 git 修订"},
    {Msg::git_dirty, "(uncommitted changes)", "（有未提交的修改）"},
    {Msg::profile_sha256, "Profile and its SHA-256", "评估配置及其 SHA-256"},
    {Msg::data_fingerprint, "Data fingerprint (vocabularies SHA-256)", "数据指纹（词表 SHA-256）"},
    {Msg::evidence_count, "Evidence records", "证据记录数"},
    {Msg::declaration, "Declaration", "声明文件"},
    {Msg::evidence_files, "Evidence files", "证据文件"},
    {Msg::result_file, "Result file (SHA-256 of its bytes)", "结果文件（文件字节的 SHA-256）"},
    {Msg::signature, "Signature", "签名"},
    {Msg::unsigned_, "unsigned", "未签名"},
    {Msg::signed_by, "signed by key {} (verify with aicq verify)", "已由密钥 {} 签名（用 aicq verify 验证）"},
    {Msg::licence, "Apache ECharts licence (the charting library inlined in this file)", "Apache ECharts 许可证（本文件内嵌的图表库）"},
    {Msg::generated_by, "Generated by aicq {}. Self-contained: opens offline, loads nothing from the network.",
     "由 aicq {} 生成。自包含文件：离线打开，不从网络加载任何内容。"},
    {Msg::rank, "Rank", "排名"},
    {Msg::closeness, "Closeness", "贴近度"},
    {Msg::system, "System", "系统"},
    {Msg::best, "best", "最优"},
    {Msg::ranking_note,
     "TOPSIS (vector normalisation) on the five dimension scores with the profile's dimension weights {}; closeness "
     "1 = the ideal system, 0 = the worst on every dimension.",
     "基于五个维度得分的 TOPSIS（向量归一化），采用评估配置的维度权重 {}；贴近度 1 为理想系统，0 为各维度均最差。"},
    {Msg::across_note, "Each cell: score, then value. ★ marks the best score of the row.", "每格：得分，其下为数值。★ 标记该行最高得分。"},
}};

}  // namespace

std::string_view msg(Msg id, Lang lang) {
  const Entry& e = kCatalog.at(static_cast<std::size_t>(id));
  return lang == Lang::zh ? e.zh : e.en;
}

bool catalog_complete() {
  for (std::size_t i = 0; i < kCatalog.size(); ++i) {
    const Entry& e = kCatalog[i];
    if (static_cast<std::size_t>(e.id) != i || e.en == nullptr || e.zh == nullptr || *e.en == '\0' || *e.zh == '\0') return false;
  }
  return true;
}

std::string kind_name(const std::string& kind, Lang lang) {
  if (kind == "measured") return std::string(msg(Msg::kind_measured, lang));
  if (kind == "imported") return std::string(msg(Msg::kind_imported, lang));
  if (kind == "declared") return std::string(msg(Msg::kind_declared, lang));
  if (kind == "estimated") return std::string(msg(Msg::kind_estimated, lang));
  return kind;
}

}  // namespace aicq::report
