// Unit parsing: every unit and prefix the declaration uses, rejected spellings, incompatible units.
// Expected values are the SI definitions (BIPM SI Brochure, 9th ed., table 7 for prefixes; IEC 80000-13
// for binary prefixes); the arithmetic is in each comment.
#include <gtest/gtest.h>

#include "aicq/core/units.hpp"

using namespace aicq::core;

namespace {

double si(std::string_view text) { return parse_quantity(text).si; }

std::string error_of(std::string_view text) {
  try {
    parse_quantity(text);
  } catch (const UnitError& e) {
    return e.what();
  }
  return "no error";
}

std::size_t error_offset(std::string_view text) {
  try {
    parse_quantity(text);
  } catch (const UnitError& e) {
    return e.offset();
  }
  return std::string_view::npos;
}

}  // namespace

TEST(Units, Power) {
  EXPECT_DOUBLE_EQ(si("700 W"), 700.0);
  EXPECT_DOUBLE_EQ(si("10.2 kW"), 10200.0);   // 10.2 × 10³
  EXPECT_DOUBLE_EQ(si("3.2 MW"), 3.2e6);      // 3.2 × 10⁶
  EXPECT_DOUBLE_EQ(si("1.5 GW"), 1.5e9);
  EXPECT_DOUBLE_EQ(si("250 mW"), 0.25);       // 250 × 10⁻³
  EXPECT_EQ(parse_quantity("10.2 kW").dim, dim::power());
  EXPECT_EQ(parse_quantity("10.2 kW").to_string(), "10.2 kW");
}

TEST(Units, Energy) {
  EXPECT_DOUBLE_EQ(si("1 J"), 1.0);
  EXPECT_DOUBLE_EQ(si("2 MJ"), 2e6);
  EXPECT_DOUBLE_EQ(si("1 kWh"), 3.6e6);       // 1000 W × 3600 s
  EXPECT_DOUBLE_EQ(si("1 MWh"), 3.6e9);       // 10⁶ W × 3600 s
  EXPECT_DOUBLE_EQ(si("28 GWh"), 28 * 3.6e12);
  EXPECT_DOUBLE_EQ(si("1 Wh"), 3600.0);
  EXPECT_EQ(parse_quantity("1 kWh").dim, dim::energy());
  EXPECT_EQ(parse_quantity("1 kWh").canonical_unit(), "kWh");
  EXPECT_DOUBLE_EQ(parse_quantity("28 GWh").canonical_value(), 28e6);  // 28 GWh = 28 × 10⁶ kWh
}

TEST(Units, ComputeRatesAndCounts) {
  EXPECT_DOUBLE_EQ(si("1 FLOPS"), 1.0);
  EXPECT_DOUBLE_EQ(si("1 kFLOPS"), 1e3);
  EXPECT_DOUBLE_EQ(si("1 MFLOPS"), 1e6);
  EXPECT_DOUBLE_EQ(si("1 GFLOPS"), 1e9);
  EXPECT_DOUBLE_EQ(si("989 TFLOPS"), 989e12);
  EXPECT_DOUBLE_EQ(si("1.2 PFLOPS"), 1.2e15);
  EXPECT_DOUBLE_EQ(si("2 EFLOPS"), 2e18);
  EXPECT_DOUBLE_EQ(si("1 ZFLOPS"), 1e21);
  EXPECT_DOUBLE_EQ(si("989 TFLOP/s"), 989e12);  // the same rate written as a quotient
  EXPECT_EQ(parse_quantity("989 TFLOP/s").dim, dim::op_rate());
  EXPECT_DOUBLE_EQ(si("1979 TOPS"), 1979e12);   // integer operations count as operations
  EXPECT_EQ(parse_quantity("1979 TOPS").dim, dim::op_rate());
  EXPECT_DOUBLE_EQ(si("8.2 GFLOP"), 8.2e9);
  EXPECT_EQ(parse_quantity("8.2 GFLOP").dim, dim::ops());
  EXPECT_EQ(parse_quantity("989 TFLOPS").to_string(), "989 TFLOP/s");
}

TEST(Units, Efficiency) {
  // 11.8 GFLOPS/W = 11.8 × 10⁹ FLOP/s per W
  const Quantity q = parse_quantity("11.8 GFLOPS/W");
  EXPECT_EQ(q.dim, dim::op_efficiency());
  EXPECT_DOUBLE_EQ(q.si, 11.8e9);
  EXPECT_EQ(q.canonical_unit(), "GFLOPS/W");
  EXPECT_DOUBLE_EQ(q.canonical_value(), 11.8);
  // A rate divided by a power is the same dimension: 989 TFLOPS / 700 W = 1.4129 TFLOPS/W
  EXPECT_EQ(parse_quantity("1 TFLOPS/kW").dim, dim::op_efficiency());
  EXPECT_DOUBLE_EQ(si("1 TFLOPS/kW"), 1e9);  // 10¹² / 10³
}

TEST(Units, BytesAndRates) {
  EXPECT_DOUBLE_EQ(si("80 GB"), 80e9);
  EXPECT_DOUBLE_EQ(si("1 kB"), 1e3);
  EXPECT_DOUBLE_EQ(si("1 KiB"), 1024.0);
  EXPECT_DOUBLE_EQ(si("1 MiB"), 1048576.0);     // 2²⁰
  EXPECT_DOUBLE_EQ(si("1 GiB"), 1073741824.0);  // 2³⁰
  EXPECT_DOUBLE_EQ(si("1 TiB"), 1099511627776.0);
  EXPECT_DOUBLE_EQ(si("3.35 TB/s"), 3.35e12);
  EXPECT_DOUBLE_EQ(si("15 GB/s"), 15e9);
  EXPECT_EQ(parse_quantity("15 GB/s").dim, dim::byte_rate());
  EXPECT_EQ(parse_quantity("1.1 TB").dim, dim::bytes());
}

TEST(Units, Emissions) {
  EXPECT_DOUBLE_EQ(si("1 kgCO2e"), 1.0);
  EXPECT_DOUBLE_EQ(si("3.2 tCO2e"), 3200.0);   // 1 t = 1000 kg
  EXPECT_DOUBLE_EQ(si("500 gCO2e"), 0.5);
  EXPECT_DOUBLE_EQ(si("2 ktCO2e"), 2e6);
  EXPECT_DOUBLE_EQ(si("1 MtCO2e"), 1e9);
  EXPECT_DOUBLE_EQ(si("1 kgCO2"), 1.0);        // CO2 counted as CO2e (methodology)
  const Quantity grid = parse_quantity("0.5366 kgCO2e/kWh");
  EXPECT_EQ(grid.dim, dim::carbon_intensity());
  EXPECT_DOUBLE_EQ(grid.si, 0.5366 / 3.6e6);   // per joule
  EXPECT_DOUBLE_EQ(grid.canonical_value(), 0.5366);
  EXPECT_EQ(grid.canonical_unit(), "kgCO2e/kWh");
  EXPECT_DOUBLE_EQ(parse_quantity("536.6 gCO2e/kWh").canonical_value(), 0.5366);
}

TEST(Units, CurrencyPerUnit) {
  const Quantity price = parse_quantity("250 CNY/h");
  EXPECT_EQ(price.dim, dim::price_per_time());
  EXPECT_EQ(price.currency, "CNY");
  EXPECT_DOUBLE_EQ(price.si, 250.0 / 3600.0);  // per second
  EXPECT_EQ(price.canonical_unit(), "CNY/h");
  EXPECT_DOUBLE_EQ(price.canonical_value(), 250.0);
  const Quantity tariff = parse_quantity("0.45 CNY/kWh");
  EXPECT_EQ(tariff.dim, dim::price_per_energy());
  EXPECT_DOUBLE_EQ(tariff.canonical_value(), 0.45);
  EXPECT_EQ(parse_quantity("39.2 USD/h").currency, "USD");
  EXPECT_EQ(parse_quantity("100 EUR").dim, dim::currency());
  EXPECT_NE(error_of("1 CNY/USD").find("one currency"), std::string::npos);
}

TEST(Units, RatiosAndPercentages) {
  EXPECT_DOUBLE_EQ(si("45%"), 0.45);
  EXPECT_DOUBLE_EQ(si("45 %"), 0.45);
  EXPECT_DOUBLE_EQ(si("0.45"), 0.45);
  EXPECT_DOUBLE_EQ(si("1.25"), 1.25);
  EXPECT_TRUE(parse_quantity("45%").dim.dimensionless());
  EXPECT_TRUE(parse_quantity("1.48").dim.dimensionless());
  EXPECT_DOUBLE_EQ(si("1e3"), 1000.0);
  EXPECT_DOUBLE_EQ(si("7e10"), 7e10);
}

TEST(Units, Durations) {
  EXPECT_DOUBLE_EQ(si("500 ms"), 0.5);
  EXPECT_DOUBLE_EQ(si("500ms"), 0.5);
  EXPECT_DOUBLE_EQ(si("10 min"), 600.0);
  EXPECT_DOUBLE_EQ(si("2 h"), 7200.0);
  EXPECT_DOUBLE_EQ(si("30 d"), 30 * 86400.0);
  EXPECT_DOUBLE_EQ(si("5 y"), 5 * 365 * 86400.0);  // a year is 365 d = 8760 h
  EXPECT_DOUBLE_EQ(si("1 a"), 8760 * 3600.0);
  EXPECT_EQ(parse_quantity("5 y").to_string(), "5 y");
  EXPECT_EQ(parse_quantity("90 min").to_string(), "1.5 h");
  // Command-line durations (conventions): 500ms, 1s, 10m, 30d.
  EXPECT_DOUBLE_EQ(parse_duration_s("500ms"), 0.5);
  EXPECT_DOUBLE_EQ(parse_duration_s("1s"), 1.0);
  EXPECT_DOUBLE_EQ(parse_duration_s("10m"), 600.0);  // 'm' is minutes in a duration option
  EXPECT_DOUBLE_EQ(parse_duration_s("30d"), 2592000.0);
  EXPECT_DOUBLE_EQ(parse_duration_s("1w"), 604800.0);
  EXPECT_THROW(parse_duration_s("10"), UnitError);
  EXPECT_THROW(parse_duration_s("10 parsecs"), UnitError);
  EXPECT_THROW(parse_duration_s("-1s"), UnitError);
}

TEST(Units, WorkRates) {
  EXPECT_EQ(parse_quantity("25000 tokens/s").dim, dim::token_rate());
  EXPECT_EQ(parse_quantity("700000 samples/s").dim, dim::sample_rate());
  EXPECT_EQ(parse_quantity("1 sample/s").dim, dim::sample_rate());
  EXPECT_EQ(parse_quantity("100 queries/s").dim, dim::query_rate());
  EXPECT_EQ(parse_quantity("8.2 GFLOP/sample").dim, dim::ops_per_sample());
  EXPECT_EQ(parse_quantity("140 GFLOP/token").dim, dim::ops_per_token());
  EXPECT_EQ(parse_quantity("2 GHz").dim, dim::frequency());
  EXPECT_DOUBLE_EQ(si("2.1 GHz"), 2.1e9);
}

TEST(Units, CompoundAndParentheses) {
  // kgCO2e per (PFLOPS·h): 1 / (10¹⁵ FLOP/s × 3600 s) = 1 / 3.6e18 per FLOP
  const Quantity q = parse_quantity("1 kgCO2e/(PFLOPS*h)");
  EXPECT_EQ(q.dim, dim::co2e() / dim::ops());
  EXPECT_DOUBLE_EQ(q.si, 1.0 / 3.6e18);
  EXPECT_DOUBLE_EQ(si("3 W·h"), 10800.0);
  EXPECT_DOUBLE_EQ(parse_quantity("1 TFLOPS").in("GFLOPS"), 1000.0);
  EXPECT_DOUBLE_EQ(parse_quantity("10.2 kW").in("W"), 10200.0);
  EXPECT_THROW((void)parse_quantity("10.2 kW").in("kWh"), UnitError);
}

TEST(Units, RejectedSpellings) {
  EXPECT_EQ(error_of("10 KW"), "unknown unit 'KW'; did you mean 'kW'? (units are case-sensitive)");
  EXPECT_EQ(error_of("1 kwh"), "unknown unit 'kwh'; did you mean 'kWh'? (units are case-sensitive)");
  EXPECT_EQ(error_of("5 Tflops"), "unknown unit 'Tflops'; did you mean 'TFLOPS'? (units are case-sensitive)");
  EXPECT_EQ(error_of("5 FLOPs"), "unknown unit 'FLOPs'; write FLOP (a count) or FLOPS (per second)");
  EXPECT_EQ(error_of("10 m"), "unknown unit 'm'; write min (minutes; in a unit 'm' alone is ambiguous)");
  EXPECT_EQ(error_of("100 RMB"), "unknown unit 'RMB'; write CNY");
  EXPECT_EQ(error_of("100 ¥"), "unknown unit '¥'; write CNY or JPY");
  EXPECT_EQ(error_of("1 KB"), "unknown unit 'KB'; write kB (1000 B) or KiB (1024 B)");
  EXPECT_EQ(error_of("3 hours"), "unknown unit 'hours'; write h");
  EXPECT_EQ(error_of("1 kWatt"), "unknown unit 'kWatt'");
  EXPECT_EQ(error_of("1 TWatts"), "unknown unit 'TWatts'");
  EXPECT_EQ(error_of("7 TFLOPSS"), "unknown unit 'TFLOPSS'; did you mean 'TFLOPS'?");
  // Prefixes only where they make sense: no kilo-hours, no milli-FLOPS, no binary watts.
  EXPECT_NE(error_of("1 kh").find("unknown unit 'kh'"), std::string::npos);
  EXPECT_NE(error_of("1 mFLOPS").find("unknown unit 'mFLOPS'"), std::string::npos);
  EXPECT_NE(error_of("1 KiW").find("unknown unit 'KiW'"), std::string::npos);
  EXPECT_NE(error_of("1 PWh").find("unknown unit 'PWh'"), std::string::npos);
}

TEST(Units, MalformedNumbers) {
  EXPECT_EQ(error_of(""), "empty value: expected a number with a unit");
  EXPECT_EQ(error_of("kW"), "expected a number, found 'kW'");
  EXPECT_EQ(error_of("1,000 W"), "no digit-group separators in numbers: write 1000, not 1,000");
  EXPECT_EQ(error_of("nan W"), "expected a finite number, found 'nan'");
  EXPECT_EQ(error_of("inf W"), "expected a finite number, found 'inf'");
  EXPECT_EQ(error_of("1e999 W"), "number out of range");
  EXPECT_EQ(error_of("10 kW kW"), "unexpected 'k' in unit");
  EXPECT_EQ(error_of("10 kW/"), "unit ends after an operator");
  EXPECT_EQ(error_of("10 (kW"), "missing ')' in unit");
  EXPECT_EQ(error_of("10 %/h"), "'%' cannot be combined with other units");
}

TEST(Units, ErrorOffsetsPointAtTheProblem) {
  EXPECT_EQ(error_offset("10 KW"), 3u);          // "10 " then 'KW'
  EXPECT_EQ(error_offset("  10 KW"), 5u);        // leading spaces count
  EXPECT_EQ(error_offset("10 kgCO2e/KWh"), 10u); // the second symbol
  EXPECT_EQ(error_offset("1,000 W"), 1u);
}

TEST(Units, IncompatibleWithTheExpectedDimension) {
  EXPECT_DOUBLE_EQ(parse_quantity("10.2 kW", dim::power(), "10.2 kW").si, 10200.0);
  try {
    parse_quantity("10.2 kWh", dim::power(), "10.2 kW");
    FAIL() << "an energy where a power is expected must be an error";
  } catch (const UnitError& e) {
    EXPECT_STREQ(e.what(), "expected power (e.g. '10.2 kW'), found energy");
  }
  try {
    parse_quantity("10200", dim::power(), "10.2 kW");
    FAIL() << "a bare number where a power is expected must be an error";
  } catch (const UnitError& e) {
    EXPECT_STREQ(e.what(), "missing unit: expected power with a unit, e.g. '10.2 kW'");
  }
  EXPECT_THROW(parse_quantity("989 TFLOP", dim::op_rate(), "989 TFLOPS"), UnitError);  // a count is not a rate
  EXPECT_THROW(parse_quantity("0.5 kgCO2e", dim::carbon_intensity(), "0.5 kgCO2e/kWh"), UnitError);
}

TEST(Units, DisplayPicksAPrefix) {
  Quantity q;
  q.dim = dim::op_rate();
  q.si = 3.43e16;
  EXPECT_EQ(q.to_string(4), "34.3 PFLOP/s");
  q.dim = dim::power();
  q.si = 5.6e6;
  EXPECT_EQ(q.to_string(), "5.6 MW");
  q.dim = dim::energy();
  q.si = 28 * 3.6e12;
  EXPECT_EQ(q.to_string(), "28 GWh");
}

TEST(Units, EditDistanceAndSuggestions) {
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  const std::vector<std::string> c = {"facility", "inventory", "carbon"};
  EXPECT_EQ(closest_match("facilty", c), std::optional<std::string>("facility"));
  EXPECT_EQ(closest_match("zzz", c), std::nullopt);
}

TEST(Units, ShortestRoundTrip) {
  EXPECT_EQ(shortest(0.1), "0.1");
  EXPECT_EQ(shortest(10200), "10200");
  EXPECT_EQ(shortest(1e21), "1e+21");
}
