#include "aicq/ingest/importer.hpp"

#include <charconv>
#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <openssl/evp.h>

#include "aicq/core/diagnostics.hpp"

namespace aicq::ingest {

struct LineReader::Hash {
  EVP_MD_CTX* ctx = nullptr;
  Hash() : ctx(EVP_MD_CTX_new()) {
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) != 1) throw core::WorkError("OpenSSL EVP_DigestInit_ex(SHA-256) failed");
  }
  ~Hash() { EVP_MD_CTX_free(ctx); }
  Hash(const Hash&) = delete;
  Hash& operator=(const Hash&) = delete;
  void update(const char* data, std::size_t n) {
    if (EVP_DigestUpdate(ctx, data, n) != 1) throw core::WorkError("OpenSSL EVP_DigestUpdate failed");
  }
  [[nodiscard]] std::string hex() const {
    EVP_MD_CTX* copy = EVP_MD_CTX_new();
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!copy || EVP_MD_CTX_copy_ex(copy, ctx) != 1 || EVP_DigestFinal_ex(copy, md, &len) != 1) {
      EVP_MD_CTX_free(copy);
      throw core::WorkError("OpenSSL EVP_DigestFinal_ex failed");
    }
    EVP_MD_CTX_free(copy);
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < len; ++i) {
      out += digits[md[i] >> 4];
      out += digits[md[i] & 0xF];
    }
    return out;
  }
};

LineReader::LineReader(std::string path) : path_(std::move(path)), hash_(std::make_shared<Hash>()) {
  std::error_code ec;
  if (std::filesystem::is_directory(path_, ec))
    throw core::InputError(core::Location{path_}, "", "expected a file, found a folder");
  in_.open(path_, std::ios::binary);
  if (!in_) throw core::InputError(core::Location{path_}, "", "cannot open the file (missing, or no permission to read it)");
}

bool LineReader::next(std::string& line) {
  line.clear();
  char c = 0;
  bool any = false;
  while (in_.get(c)) {
    any = true;
    hash_->update(&c, 1);
    if (c == '\n') break;
    if (c == '\0')
      throw core::InputError(core::Location{path_, line_ + 1, static_cast<int>(line.size()) + 1}, "",
                             "expected a text file, found a NUL byte (is this a binary file?)");
    if (line.size() >= kMaxLineBytes)
      throw core::InputError(core::Location{path_, line_ + 1, 1}, "",
                             fmt::format("expected lines shorter than {} bytes, found a longer one (wrong file?)", kMaxLineBytes));
    line += c;
  }
  if (!any) return false;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  ++line_;
  return true;
}

std::string LineReader::sha256() const { return hash_->hex(); }

void LineReader::drain() {
  char buf[65536];
  while (in_.read(buf, sizeof buf) || in_.gcount() > 0) hash_->update(buf, static_cast<std::size_t>(in_.gcount()));
}

std::string file_sha256(const std::string& path) {
  LineReader r(path);
  r.drain();
  return r.sha256();
}

core::Evidence imported(std::string metric, core::Quantity q, std::string text, const std::string& path, int line,
                        const std::string& sha256, const std::string& tool, const std::string& tool_version) {
  core::Evidence e;
  e.metric = std::move(metric);
  e.quantity = std::move(q);
  e.text = std::move(text);
  e.kind = core::EvidenceKind::imported;
  e.source.at = core::Location{path, line, 0};
  e.source.sha256 = sha256;
  e.source.tool = tool;
  e.source.tool_version = tool_version;
  return e;
}

double number_at(std::string_view text, const std::string& path, int line, std::string_view what) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  double v = 0;
  const char* first = text.data();
  if (!text.empty() && *first == '+') ++first;
  const auto [ptr, ec] = std::from_chars(first, text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || text.empty() || !std::isfinite(v))
    throw core::InputError(core::Location{path, line, 0}, "", fmt::format("expected {} as a finite number, found '{}'", what, text));
  return v;
}

}  // namespace aicq::ingest
