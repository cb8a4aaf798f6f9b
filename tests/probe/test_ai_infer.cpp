// ai.infer on the real Fashion-MNIST files with libtorch, at its tiny sizes: physics bounds (achieved ≤ 1.05 ×
// an upper bound on the peak), exact FLOP counts, FLOP/s = FLOP per unit × throughput, accuracy and retention,
// latency percentiles, the reuse of ai.train's model, the validity gate on a model that missed its target, and
// the encoder's FLOP count against what torch::nn::TransformerEncoderLayer is made of.
//
// Time: the first test trains the CNN once (unless ai.train already kept one in this process); each probe run
// then makes 2 timed passes over the 10 000 test images per precision.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <thread>

#include "aicq/probe/ai_model.hpp"
#include "aicq/probe/flops.hpp"
#include "aicq/probe/probe.hpp"

namespace aicq::probe {
namespace {

// Upper bounds on what any x86 core can do per cycle, at a clock no shipping x86 part reaches (6 GHz), as in
// test_compute_probes.cpp: fp32 128 FLOP/cycle (two 512-bit FMA pipes: 2 × 16 lanes × 2 FLOP = 64, doubled);
// bf16 1024 (AMX TDPBF16PS, 16 384 FLOP every 16 cycles); int8 2048 OP (AMX TDPBSSD). × the cores here.
// A rate above 1.05 × this bound means a wrong work count or a wrong clock.
Context tiny_context() {
  Context ctx;
  ctx.tiny = true;
  ctx.suite = Suite::standard;
  ctx.threads = 2;
  // Tiny sizes time a fixed 2 passes whatever the budget; the budget matters only to the training the first
  // test may do (ai.train's rule: max(budget, 120 s)), which stops at the target: room for a loaded machine.
  ctx.budget_s = 300;
  const double cores = std::max(1u, std::thread::hardware_concurrency());
  const double hz = 6e9;
  ctx.peak_flops = {{"fp32", cores * hz * 128}, {"bf16", cores * hz * 1024}, {"int8", cores * hz * 2048}};
  ctx.peak_source = "test upper bound: cores × 6 GHz × per-cycle maximum of any x86 core";
  return ctx;
}

const Measurement* find_measurement(const ProbeResult& r, const std::string& id) {
  for (const auto& m : r.measurements)
    if (m.id == id) return &m;
  return nullptr;
}

const Check* find_check(const ProbeResult& r, const std::string& id) {
  for (const auto& c : r.checks)
    if (c.id == id) return &c;
  return nullptr;
}

// FLOP per image of the default CNN (flops.hpp: 2 FLOP per multiply-add, matrix work only):
//   conv1 1→32, 3×3, 28×28 out:  2 · 28·28 · 32 · 9      =   451 584
//   conv2 32→64, 3×3, 14×14 out: 2 · 14·14 · 64 · 32 · 9 = 7 225 344
//   fc1 64·7·7 = 3136 → 128:     2 · 3136 · 128          =   802 816
//   fc2 128 → 10:                2 · 128 · 10            =     2 560
//                                                   total  8 482 304
constexpr double kCnnFlop = 8482304;
// Parameters: conv1 32·9 + 32 = 320; conv2 64·32·9 + 64 = 18 496; fc1 3136·128 + 128 = 401 536;
// fc2 128·10 + 10 = 1 290; total 421 642.
constexpr double kCnnParameters = 421642;
// Encoder block d = 256, 4 heads, ff = 1024, T = 128, per sequence (MACs × 2):
//   QKV 3·d² and output d² per token: 4 · 65 536 = 262 144; attention Q·Kᵀ and ·V: 2·T·d = 65 536 per token;
//   feed-forward 2·d·ff = 524 288 per token; sum 851 968 MACs per token × 128 tokens × 2 = 218 103 808 FLOP.
constexpr double kEncoderFlop = 218103808;

// A model measurement of the evidence contract: unit, precision, peak from the context, every sample physical,
// work = FLOP per image × 10 000, FLOP/s = flop_per_unit × throughput.
void expect_model_measurement(const Context& ctx, const Measurement& m, const std::string& precision) {
  SCOPED_TRACE(m.id);
  EXPECT_EQ(m.unit, "FLOP/s");
  EXPECT_EQ(m.precision, precision);
  ASSERT_TRUE(m.peak.has_value());
  EXPECT_DOUBLE_EQ(*m.peak, ctx.peak_flops.at(precision));
  EXPECT_EQ(m.peak_source, ctx.peak_source);
  ASSERT_EQ(m.samples.size(), 2u);  // tiny: 2 timed passes
  EXPECT_EQ(m.stats.n, 2u);
  for (double s : m.samples) {
    EXPECT_GT(s, 0);
    EXPECT_LE(s, 1.05 * *m.peak) << "faster than physics allows";
  }
  ASSERT_TRUE(m.work.has_value());
  EXPECT_DOUBLE_EQ(*m.work, kCnnFlop * 10000);
  EXPECT_EQ(m.work_unit, "FLOP");
  const auto& model = m.details.at("model");
  EXPECT_EQ(model.at("name"), "Fashion-MNIST CNN");
  EXPECT_EQ(model.at("task"), "inference");
  EXPECT_EQ(model.at("unit"), "sample");
  EXPECT_EQ(model.at("accuracy_metric"), "top-1, 10 000 test images");
  EXPECT_DOUBLE_EQ(model.at("flop_per_unit").get<double>(), kCnnFlop);
  EXPECT_DOUBLE_EQ(model.at("parameters").get<double>(), kCnnParameters);
  const double throughput = model.at("throughput").get<double>();
  EXPECT_NEAR(m.stats.median, kCnnFlop * throughput, 1e-9 * m.stats.median);
  // Each pass: samples/s × FLOP per image = that pass's FLOP/s.
  const auto per_s = m.details.at("samples_per_s").get<std::vector<double>>();
  ASSERT_EQ(per_s.size(), m.samples.size());
  for (std::size_t i = 0; i < per_s.size(); ++i) EXPECT_NEAR(m.samples[i], kCnnFlop * per_s[i], 1e-9 * m.samples[i]);
  const double accuracy = model.at("accuracy").get<double>();
  EXPECT_GT(accuracy, 0);
  EXPECT_LE(accuracy, 1);
}

// A reduced-precision variant: reference = the FP32 accuracy, retention = A ÷ A_ref in (0, 1.01], and its
// validity (details and Check) exactly the MLPerf rule R ≥ 0.99.
void expect_retention(const ProbeResult& r, const Measurement& m, double fp32_accuracy) {
  SCOPED_TRACE(m.id);
  const auto& model = m.details.at("model");
  EXPECT_DOUBLE_EQ(model.at("reference_accuracy").get<double>(), fp32_accuracy);
  const double retention = m.details.at("retention").get<double>();
  EXPECT_DOUBLE_EQ(retention, model.at("accuracy").get<double>() / fp32_accuracy);
  EXPECT_GT(retention, 0);
  EXPECT_LE(retention, 1.01);
  const bool valid = retention >= 0.99;
  EXPECT_EQ(m.details.at("valid").get<bool>(), valid);
  const Check* c = find_check(r, "retention_" + m.precision);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->passed, valid) << c->detail;
}

TEST(AiInfer, TinyRunIsPhysicalAccurateAndComplete) {
  const Context ctx = tiny_context();
  const Probe* p = find("ai.infer");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->typical_s.count(Suite::quick), 0u);  // left out of the quick suite
  EXPECT_EQ(p->typical_s.count(Suite::standard), 1u);
  const ProbeResult r = p->run(ctx);
  ASSERT_NE(r.status, Status::skipped) << r.reason;
  ASSERT_NE(r.status, Status::failed) << r.reason;
  EXPECT_FALSE(r.effective.contains("not_measured")) << r.effective.dump();

  // The model: trained to its target here (or by ai.train earlier in this process).
  const auto& source = r.effective.at("model_source");
  ASSERT_TRUE(source.at("reached_target").get<bool>()) << source.dump();
  if (source.at("trained_here").get<bool>()) {
    EXPECT_GT(source.at("train_seconds").get<double>(), 0);
  }
  const Check* reference = find_check(r, "reference_model");
  ASSERT_NE(reference, nullptr);
  EXPECT_TRUE(reference->passed) << reference->detail;

  // Offline FP32: accuracy on the full test set ≥ the 85% target, and it is its own reference.
  const Measurement* fp32 = find_measurement(r, "offline_fp32");
  ASSERT_NE(fp32, nullptr);
  expect_model_measurement(ctx, *fp32, "fp32");
  const double a32 = fp32->details["model"]["accuracy"].get<double>();
  EXPECT_GE(a32, 0.85);
  EXPECT_DOUBLE_EQ(fp32->details["model"]["reference_accuracy"].get<double>(), a32);

  // BF16 and INT8: physical, with retention against the FP32 accuracy of the same weights.
  for (const auto& [id, precision] : {std::pair{"offline_bf16", "bf16"}, std::pair{"offline_int8", "int8"}}) {
    const Measurement* m = find_measurement(r, id);
    ASSERT_NE(m, nullptr) << id;
    expect_model_measurement(ctx, *m, precision);
    expect_retention(r, *m, a32);
  }

  // SingleStream: every query's latency kept; nearest-rank percentiles of 50 latencies (1-based rank ⌈p·50⌉):
  // p50 → rank 25, p90 → rank 45, p99 → rank ⌈49.5⌉ = 50, the largest.
  const Measurement* ss = find_measurement(r, "single_stream_fp32");
  ASSERT_NE(ss, nullptr);
  EXPECT_EQ(ss->unit, "s");
  EXPECT_FALSE(ss->higher_is_better);
  ASSERT_EQ(ss->samples.size(), 50u);
  EXPECT_EQ(ss->details.at("queries").get<int>(), 50);
  std::vector<double> sorted = ss->samples;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_GT(sorted.front(), 0);
  const double p50 = ss->details.at("p50_s").get<double>(), p90 = ss->details.at("p90_s").get<double>(),
               p99 = ss->details.at("p99_s").get<double>();
  EXPECT_DOUBLE_EQ(p50, sorted[24]);
  EXPECT_DOUBLE_EQ(p90, sorted[44]);
  EXPECT_DOUBLE_EQ(p99, sorted[49]);
  EXPECT_LE(p50, p90);
  EXPECT_LE(p90, p99);
  // One image per query cannot take less time than its FLOP at the peak allows.
  EXPECT_GE(sorted.front() * 1.05 * ctx.peak_flops.at("fp32"), kCnnFlop);

  // Encoder block: FLOP/s = FLOP per sequence × sequences/s; no model evidence (random weights, no accuracy).
  const Measurement* enc = find_measurement(r, "encoder_fp32");
  ASSERT_NE(enc, nullptr);
  EXPECT_EQ(enc->unit, "FLOP/s");
  EXPECT_EQ(enc->precision, "fp32");
  ASSERT_TRUE(enc->peak.has_value());
  EXPECT_FALSE(enc->details.contains("model"));
  EXPECT_DOUBLE_EQ(enc->details.at("flop_per_sequence").get<double>(), kEncoderFlop);
  const double batch = enc->details.at("batch_sequences").get<double>();
  EXPECT_DOUBLE_EQ(*enc->work, kEncoderFlop * batch);
  ASSERT_EQ(enc->samples.size(), 2u);
  for (double s : enc->samples) EXPECT_LE(s, 1.05 * *enc->peak) << "encoder faster than physics allows";
  const double seq_per_s = enc->details.at("sequences_per_s_median").get<double>();
  EXPECT_NEAR(enc->stats.median, kEncoderFlop * seq_per_s, 1e-9 * enc->stats.median);
  EXPECT_NEAR(enc->details.at("tokens_per_s_median").get<double>(), 128 * seq_per_s, 1e-9 * 128 * seq_per_s);
  const Check* finite = find_check(r, "encoder_output");
  ASSERT_NE(finite, nullptr);
  EXPECT_TRUE(finite->passed) << finite->detail;

  // The verdict follows the checks: ok exactly when every check passed.
  bool all = true;
  for (const auto& c : r.checks) all = all && c.passed;
  EXPECT_EQ(r.status == Status::ok, all) << r.reason;

  // The record survives JSON (result.json's raw section).
  const ProbeResult back = probe_result_from_json(to_json(r));
  ASSERT_EQ(back.measurements.size(), r.measurements.size());
  EXPECT_EQ(back.measurements[0].details, r.measurements[0].details);
}

// A model ai.train kept is used as it is (not retrained), with its weights: the probe's FP32 accuracy equals the
// trainer's own evaluation. An untrained model did not reach its target: the probe is invalid and says why.
TEST(AiInfer, UsesTheKeptModelAndIsInvalidWhenItMissedItsTarget) {
  const auto before = ai::last_trained();
  ai::TrainSettings settings;
  settings.threads = 2;
  ai::Trainer trainer(settings, ai::fashion_mnist());  // initialised from seed 0, no step taken
  auto kept = std::make_shared<ai::TrainedModel>();
  kept->settings = settings;
  kept->outcome.reached = false;
  kept->outcome.accuracy = trainer.test_accuracy();
  kept->model = trainer.model();
  ai::keep_trained(kept);
  const ProbeResult r = find("ai.infer")->run(tiny_context());
  ai::keep_trained(before);

  EXPECT_FALSE(r.effective.at("model_source").at("trained_here").get<bool>());
  const Measurement* fp32 = find_measurement(r, "offline_fp32");
  ASSERT_NE(fp32, nullptr);
  // Same weights, same batches of 1000, same threads: the same predictions.
  EXPECT_DOUBLE_EQ(fp32->details["model"]["accuracy"].get<double>(), kept->outcome.accuracy);
  EXPECT_EQ(r.status, Status::invalid);
  const Check* reference = find_check(r, "reference_model");
  ASSERT_NE(reference, nullptr);
  EXPECT_FALSE(reference->passed);
  EXPECT_NE(r.reason.find("did not reach the target"), std::string::npos) << r.reason;
}

// count_encoder against the module itself: the weight shapes of torch::nn::TransformerEncoderLayer give the
// per-token multiply-adds, its parameters the parameter count, and its output is layer-normalised per token
// (post-norm: the last operation is norm2, whose scale is 1 and shift 0 at initialisation).
TEST(AiInfer, EncoderFlopCountMatchesTheModule) {
  const EncoderShape shape;
  torch::manual_seed(1);
  torch::nn::TransformerEncoderLayer layer(
      torch::nn::TransformerEncoderLayerOptions(shape.d_model, shape.heads).dim_feedforward(shape.feed_forward));
  layer->eval();
  const torch::NoGradGuard no_grad;
  auto macs = [](const torch::Tensor& w) { return static_cast<double>(w.size(0) * w.size(1)); };
  const double t = shape.sequence, d = shape.d_model;
  EXPECT_EQ(layer->self_attn->in_proj_weight.sizes(), (std::vector<std::int64_t>{3 * shape.d_model, shape.d_model}));
  const double per_token = macs(layer->self_attn->in_proj_weight) + macs(layer->self_attn->out_proj->weight) +
                           macs(layer->linear1->weight) + macs(layer->linear2->weight) +
                           2 * t * d;  // Q·Kᵀ and softmax·V: every head's T × d/H rows, over all H heads
  const FlopCount count = count_encoder(shape);
  EXPECT_DOUBLE_EQ(count.forward(), 2 * t * per_token);
  EXPECT_DOUBLE_EQ(count.forward(), kEncoderFlop);
  double parameters = 0;
  for (const auto& p : layer->parameters()) parameters += static_cast<double>(p.numel());
  // 3·d²+3d + d²+d + 2·2d (norms) + d·ff+ff + ff·d+d = 197 376 + 65 792 + 1 024 + 263 168 + 262 400 = 789 760.
  EXPECT_DOUBLE_EQ(parameters, 789760);
  EXPECT_DOUBLE_EQ(count.parameters(), parameters);

  const torch::Tensor out = layer->forward(torch::randn({shape.sequence, 2, shape.d_model}));
  const torch::Tensor mean = out.mean(-1), var = out.var(-1, /*unbiased=*/false);
  EXPECT_LT(mean.abs().max().item<double>(), 1e-4);
  EXPECT_LT((var - 1).abs().max().item<double>(), 1e-3);
}

// The CNN's counted FLOP and parameters against the module ai.infer runs.
TEST(AiInfer, CnnCountMatchesTheModule) {
  const ai::FashionCnn m;
  double parameters = 0;
  for (const auto& p : m->parameters()) parameters += static_cast<double>(p.numel());
  const FlopCount count = count_cnn(m->shape);
  EXPECT_DOUBLE_EQ(parameters, kCnnParameters);
  EXPECT_DOUBLE_EQ(count.parameters(), kCnnParameters);
  EXPECT_DOUBLE_EQ(count.forward(), kCnnFlop);
}

}  // namespace
}  // namespace aicq::probe
