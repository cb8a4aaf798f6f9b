#include "aicq/probe/compute.hpp"

#include <cblas.h>
#include <omp.h>
#include <sys/mman.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <new>
#include <sstream>

namespace aicq::probe::compute {

namespace {
constexpr std::size_t kHugePage = std::size_t{2} << 20;
}

Buffer::Buffer(std::size_t bytes) : bytes_(bytes) {
  const std::size_t rounded = (std::max<std::size_t>(bytes, 1) + kHugePage - 1) / kHugePage * kHugePage;
  data_ = std::aligned_alloc(kHugePage, rounded);
  if (!data_) throw std::bad_alloc();
  // Advice only: where transparent huge pages are off, the memset below still takes every fault up front.
  (void)::madvise(data_, rounded, MADV_HUGEPAGE);
  std::memset(data_, 0, rounded);
}

Buffer::~Buffer() { std::free(data_); }

Buffer::Buffer(Buffer&& o) noexcept : data_(o.data_), bytes_(o.bytes_) {
  o.data_ = nullptr;
  o.bytes_ = 0;
}

Buffer& Buffer::operator=(Buffer&& o) noexcept {
  if (this != &o) {
    std::free(data_);
    data_ = o.data_;
    bytes_ = o.bytes_;
    o.data_ = nullptr;
    o.bytes_ = 0;
  }
  return *this;
}

ThreadGuard::ThreadGuard(int threads) : openblas_before_(openblas_get_num_threads()), omp_before_(omp_get_max_threads()) {
  const int t = std::max(threads, 1);
  openblas_set_num_threads(t);
  omp_set_num_threads(t);
}

ThreadGuard::~ThreadGuard() {
  openblas_set_num_threads(openblas_before_);
  omp_set_num_threads(omp_before_);
}

nlohmann::json env_or_null(const char* name) {
  const char* v = std::getenv(name);
  return v ? nlohmann::json(v) : nlohmann::json(nullptr);
}

nlohmann::json openblas_info() {
  const std::string config = openblas_get_config();
  // "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64": the second word is the version.
  std::istringstream words(config);
  std::string first, version;
  words >> first >> version;
  return {{"library", "OpenBLAS"},
          {"version", first == "OpenBLAS" ? version : ""},
          {"config", config},
          {"kernel", openblas_get_corename()},
          {"threads", openblas_get_num_threads()},
          {"OPENBLAS_CORETYPE", env_or_null("OPENBLAS_CORETYPE")},
          {"OPENBLAS_NUM_THREADS", env_or_null("OPENBLAS_NUM_THREADS")},
          {"OMP_NUM_THREADS", env_or_null("OMP_NUM_THREADS")}};
}

RepetitionPlan plan_for(const Context& ctx) {
  if (ctx.tiny) return {1, 2, 2};
  switch (ctx.suite) {
    case Suite::quick: return {1, 3, 5};
    case Suite::standard: return {1, 5, 10};
    case Suite::full: return {2, 10, 30};
  }
  return {1, 5, 10};
}

int repetitions_within(const RepetitionPlan& plan, double share_s, double one_s) {
  if (!(one_s > 0)) return plan.max_reps;
  const double fit = share_s / one_s;
  if (fit >= plan.max_reps) return plan.max_reps;
  return std::max(plan.min_reps, static_cast<int>(fit));
}

double warm_up(const Context& ctx, const std::string& probe, const std::string& step, const std::function<void()>& body) {
  if (ctx.cancelled()) throw Cancelled{};
  ctx.report({probe, step, 0, 0, 0, 0});
  const auto t0 = std::chrono::steady_clock::now();
  body();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace aicq::probe::compute
