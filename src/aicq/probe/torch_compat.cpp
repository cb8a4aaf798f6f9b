// compat.runtimes' libtorch row: the shared product through libtorch's C++ API (see compat.hpp).
#include <torch/torch.h>

#include "aicq/probe/compat.hpp"

namespace aicq::probe::compat {

namespace {

std::vector<double> to_doubles(const torch::Tensor& t) {
  const torch::Tensor d = t.to(torch::kFloat64).contiguous();
  const double* p = d.data_ptr<double>();
  return std::vector<double>(p, p + d.numel());
}

}  // namespace

std::optional<TorchProduct> torch_product(const std::vector<double>& a, const std::vector<double>& b, int n) {
  TorchProduct out;
  out.version = "libtorch " TORCH_VERSION;
  const auto from = [n](const std::vector<double>& v) {
    return torch::from_blob(const_cast<double*>(v.data()), {n, n}, torch::kFloat64).clone();
  };
  const torch::Tensor ta = from(a), tb = from(b);
  const std::pair<const char*, torch::Dtype> precisions[] = {
      {"fp64", torch::kFloat64}, {"fp32", torch::kFloat32}, {"bf16", torch::kBFloat16}};
  for (const auto& [name, dtype] : precisions) {
    try {
      const auto c = to_doubles(torch::mm(ta.to(dtype), tb.to(dtype)));
      (dtype == torch::kFloat64 ? out.fp64 : dtype == torch::kFloat32 ? out.fp32 : out.bf16) = c;
    } catch (const std::exception& e) {
      out.errors.push_back(std::string(name) + ": " + e.what());
    }
  }
  return out;
}

}  // namespace aicq::probe::compat
