// The microarchitecture catalog: CPUs resolve by vendor and CPUID family/model/stepping (MIDR on Arm), the
// rates follow the ISA in use, and every figure names its source.
#include <gtest/gtest.h>

#include "hw_support.hpp"

using namespace aicq;

namespace {

struct Case {
  const char* vendor;
  int family, model, stepping;
  const char* id;  // nullptr: no entry
};

}  // namespace

TEST(Microarch, ResolvesByVendorFamilyModel) {
  const Case cases[] = {
      {"AMD", 0x17, 0x01, 2, "amd-zen1"},          // Naples
      {"AMD", 0x17, 0x31, 0, "amd-zen2"},          // Rome
      {"AMD", 0x19, 0x01, 1, "amd-zen3"},          // Milan
      {"AMD", 0x19, 0x21, 0, "amd-zen3"},          // Vermeer
      {"AMD", 0x19, 0x11, 1, "amd-zen4"},          // Genoa (this VM's CPUID)
      {"AMD", 0x19, 0xA0, 0, "amd-zen4"},          // Bergamo
      {"AMD", 0x1A, 0x02, 0, "amd-zen5"},          // Turin
      {"AMD", 0x1A, 0x11, 0, "amd-zen5"},          // Turin dense
      {"AMD", 0x1A, 0x44, 0, "amd-zen5"},          // Granite Ridge
      {"AMD", 0x1A, 0x24, 0, "amd-zen5-mobile"},   // Strix Point
      {"amd", 0x19, 0x11, 1, "amd-zen4"},          // vendor case-insensitive
      {"Intel", 6, 0x55, 4, "intel-skylake-sp"},
      {"Intel", 6, 0x55, 7, "intel-cascade-lake-sp"},
      {"Intel", 6, 0x55, 11, "intel-cooper-lake-sp"},
      {"Intel", 6, 0x6A, 6, "intel-ice-lake-sp"},
      {"Intel", 6, 0x8F, 8, "intel-sapphire-rapids"},
      {"Intel", 6, 0xCF, 2, "intel-sapphire-rapids"},  // Emerald Rapids
      {"Intel", 6, 0xAD, 1, "intel-granite-rapids"},
      {"Intel", 6, 0x3F, 2, "intel-haswell"},
      {"Intel", 6, 0x9E, 10, "intel-skylake-client"},
      {"Arm", 0x41, 0xD0C, -1, "arm-neoverse-n1"},
      {"Arm", 0x41, 0xD40, -1, "arm-neoverse-v1"},
      {"Arm", 0x41, 0xD4F, -1, "arm-neoverse-v2"},
      {"HiSilicon", 0x48, 0xD01, -1, "hisilicon-taishan-v110"},
      // Not catalogued: the peak is then an ISA estimate, said so.
      {"Intel", 6, 0x97, 2, nullptr},   // Alder Lake (hybrid)
      {"Intel", 6, 0x55, 9, nullptr},   // a Skylake-X stepping of none of the three server families
      {"AMD", 0x1A, 0x70, 0, nullptr},  // Strix Halo: datapath width not confirmed
      {"AMD", 0x19, 0x11, 1, "amd-zen4"},
      {"Intel", 0x19, 0x11, 1, nullptr},  // the vendor matters
  };
  const auto& cat = test::hardware_catalog();
  for (const auto& c : cases) {
    const auto* u = cat.find_microarchitecture(c.vendor, c.family, c.model, c.stepping);
    if (c.id) {
      ASSERT_NE(u, nullptr) << c.vendor << " " << c.family << " " << c.model;
      EXPECT_EQ(u->id, c.id);
    } else {
      EXPECT_EQ(u, nullptr) << c.vendor << " " << c.family << " " << c.model << " resolved to " << (u ? u->id : "");
    }
  }
}

TEST(Microarch, RatesFollowTheIsaInUse) {
  const auto& cat = test::hardware_catalog();
  const std::vector<std::string> avx2 = {"avx", "fma", "avx2"};
  const std::vector<std::string> zen5 = {"avx", "fma", "avx2", "avx512f", "avx512_bf16", "avx512_vnni"};
  const auto* z5 = cat.find_microarchitecture("AMD", 0x1A, 0x02);
  ASSERT_NE(z5, nullptr);
  // Zen 5, AVX-512 with 2 FMA pipes: fp64 2 x 8 lanes x 2 = 32, fp32 2 x 16 x 2 = 64.
  EXPECT_EQ(z5->rate("fp64", zen5)->flop_per_cycle, 32);
  EXPECT_EQ(z5->rate("fp32", zen5)->flop_per_cycle, 64);
  // bf16 VDPBF16PS: 2 x 16 FP32 lanes x 4 = 128; int8 VPDPBUSD: 2 x 16 INT32 lanes x 8 = 256.
  EXPECT_EQ(z5->rate("bf16", zen5)->flop_per_cycle, 128);
  EXPECT_EQ(z5->rate("int8", zen5)->flop_per_cycle, 256);
  // Without AVX-512 (e.g. disabled by the hypervisor) only the 256-bit rows apply: 2 x 4 x 2 = 16.
  EXPECT_EQ(z5->rate("fp64", avx2)->flop_per_cycle, 16);
  EXPECT_EQ(z5->rate("bf16", avx2), nullptr);

  const auto* z4 = cat.find_microarchitecture("AMD", 0x19, 0x11);
  ASSERT_NE(z4, nullptr);
  EXPECT_EQ(z4->rate("fp64", zen5)->flop_per_cycle, 16);  // 512-bit as 2 x 256-bit: no gain over AVX2
  EXPECT_EQ(z4->rate("bf16", zen5)->flop_per_cycle, 64);

  const auto* spr = cat.find_microarchitecture("Intel", 6, 0x8F);
  ASSERT_NE(spr, nullptr);
  EXPECT_EQ(spr->rate("bf16", {"avx512f", "avx512_bf16", "amx_tile", "amx_bf16"})->flop_per_cycle, 1024);  // AMX
  EXPECT_EQ(spr->rate("bf16", {"avx512f", "avx512_bf16"})->flop_per_cycle, 128);  // AMX off: AVX512_BF16
  EXPECT_EQ(spr->rate("int8", {"avx512f", "avx512_vnni", "amx_int8"})->flop_per_cycle, 2048);

  const auto* z3 = cat.find_microarchitecture("AMD", 0x19, 0x01);
  ASSERT_NE(z3, nullptr);
  EXPECT_EQ(z3->rate("bf16", avx2), nullptr);
  EXPECT_EQ(z3->rate("fp64", avx2)->flop_per_cycle, 16);
}

TEST(Microarch, EveryFigureNamesItsSource) {
  const auto& cat = test::hardware_catalog();
  ASSERT_GE(cat.microarchitectures().size(), 10u);
  for (const auto& u : cat.microarchitectures()) {
    EXPECT_FALSE(u.match_source.empty()) << u.id;
    EXPECT_FALSE(u.match.empty()) << u.id;
    bool fp64 = false;
    for (const auto& r : u.rates) {
      EXPECT_FALSE(r.source.empty()) << u.id << " " << r.precision;
      EXPECT_FALSE(r.isa.empty()) << u.id << " " << r.precision;
      EXPECT_GT(r.flop_per_cycle, 0) << u.id;
      fp64 = fp64 || r.precision == "fp64";
    }
    EXPECT_TRUE(fp64) << u.id << " has no fp64 rate";
  }
}

TEST(Microarch, CpuSkuFiguresAgreeWithTheirMicroarchitecture) {
  // The per-SKU FLOP/cycle of cpus.yaml and the microarchitecture table must tell the same story.
  const auto& cat = test::hardware_catalog();
  const struct {
    const char* sku;
    const char* vendor;
    int family, model;
    std::vector<std::string> isa;
  } pairs[] = {{"amd-epyc-9654", "AMD", 0x19, 0x11, {"avx2", "fma", "avx512f"}},
               {"amd-epyc-7763", "AMD", 0x19, 0x01, {"avx2", "fma"}},
               {"intel-xeon-platinum-8480plus", "Intel", 6, 0x8F, {"avx512f", "amx_bf16", "amx_int8"}},
               {"intel-xeon-platinum-8380", "Intel", 6, 0x6A, {"avx512f"}}};
  for (const auto& p : pairs) {
    const auto* sku = cat.find(p.sku);
    const auto* u = cat.find_microarchitecture(p.vendor, p.family, p.model);
    ASSERT_NE(sku, nullptr) << p.sku;
    ASSERT_NE(u, nullptr) << p.sku;
    for (const auto& [prec, fpc] : sku->flop_per_cycle_per_core) {
      const auto* r = u->rate(prec, p.isa);
      ASSERT_NE(r, nullptr) << p.sku << " " << prec;
      EXPECT_EQ(r->flop_per_cycle, fpc) << p.sku << " " << prec;
    }
  }
}
