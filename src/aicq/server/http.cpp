// The one translation unit that includes httplib.h. Debian's cpp-httplib is a compiled library built with
// CPPHTTPLIB_OPENSSL_SUPPORT, _ZLIB_SUPPORT and _BROTLI_SUPPORT; its class layouts depend on them, so the
// header must be read with the same three definitions: they come from pkg-config (cpp-httplib.pc) through the
// PkgConfig::CPPHTTPLIB target in CMakeLists.txt, never from a #define here.
#include "aicq/server/http.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <httplib.h>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "aicq/core/diagnostics.hpp"

#if !defined(CPPHTTPLIB_OPENSSL_SUPPORT) || !defined(CPPHTTPLIB_ZLIB_SUPPORT) || !defined(CPPHTTPLIB_BROTLI_SUPPORT)
#error "httplib.h must be read with the definitions Debian's libcpp-httplib was built with (pkg-config cpp-httplib)"
#endif

namespace aicq::server {

namespace {

core::InputError bad_option(std::string_view option, std::string_view text, const std::string& expected) {
  return core::InputError(core::Location{std::string(option)}, std::string(option),
                          fmt::format("expected {}, found '{}'", expected, text));
}

std::optional<int> parse_port(std::string_view s) {
  if (s.empty() || s.size() > 5) return std::nullopt;
  int v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v > 65535) return std::nullopt;
  return v;
}

// Splits "host:port" / "[v6]:port" / "host" into host and port text (port empty when absent).
bool split_host_port(std::string_view hp, std::string& host, std::string& port) {
  if (hp.starts_with("[")) {
    const auto close = hp.find(']');
    if (close == std::string_view::npos) return false;
    host = std::string(hp.substr(1, close - 1));
    const std::string_view rest = hp.substr(close + 1);
    if (rest.empty()) port.clear();
    else if (rest.front() == ':') port = std::string(rest.substr(1));
    else return false;
    return !host.empty();
  }
  const auto colon = hp.rfind(':');
  if (colon == std::string_view::npos) {
    host = std::string(hp);
    port.clear();
  } else {
    host = std::string(hp.substr(0, colon));
    port = std::string(hp.substr(colon + 1));
    if (port.empty()) return false;
  }
  if (host.empty() || host.find_first_of(" /?#@[]:") != std::string::npos) return false;
  return true;
}

std::string bracketed(const std::string& host) { return host.find(':') != std::string::npos ? "[" + host + "]" : host; }

std::string regex_escaped(const std::string& path) {
  std::string out;
  for (const char c : path) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '_') out += c;
    else out += std::string("\\") + c;
  }
  return out;
}

// Why a TCP connection to host:port fails, found by trying it (httplib reports only "Connection"): the
// resolver's or connect's own words, e.g. "Connection refused". Empty when a connection succeeds now.
std::string connect_failure(const std::string& host, int port, std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res); rc != 0)
    return fmt::format("cannot resolve host '{}': {}", host, ::gai_strerror(rc));
  std::string reason = "no address to connect to";
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      reason = fmt::format("socket(): {}", std::strerror(errno));
      continue;
    }
    int err = 0;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      err = errno;
      if (err == EINPROGRESS) {
        pollfd p{fd, POLLOUT, 0};
        const int ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
        if (ready == 0) {
          err = ETIMEDOUT;
        } else {
          socklen_t len = sizeof err;
          if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
        }
      }
    }
    ::close(fd);
    if (err == 0) {
      ::freeaddrinfo(res);
      return {};
    }
    reason = err == ETIMEDOUT ? fmt::format("no answer within {} ms", timeout.count()) : std::string(std::strerror(err));
  }
  ::freeaddrinfo(res);
  return reason;
}

std::string describe(httplib::Error e) {
  switch (e) {
    case httplib::Error::Connection: return "could not connect";
    case httplib::Error::ConnectionTimeout: return "no connection within the timeout";
    case httplib::Error::Read: return "the connection closed or timed out while reading the response";
    case httplib::Error::Write: return "the connection closed while sending the request";
    case httplib::Error::SSLConnection: return "TLS handshake failed";
    case httplib::Error::SSLLoadingCerts: return "the system's TLS trust store could not be loaded";
    case httplib::Error::SSLServerVerification: return "the server's TLS certificate could not be verified";
    case httplib::Error::ExceedRedirectCount: return "too many redirects";
    case httplib::Error::Canceled: return "the request was cancelled";
    case httplib::Error::Compression: return "the response could not be decompressed";
    default: return "HTTP client error " + httplib::to_string(e);
  }
}

}  // namespace

// --- addresses -------------------------------------------------------------------------------------------------

std::string ListenAddress::text() const { return bracketed(host) + ":" + std::to_string(port); }

ListenAddress parse_listen_address(std::string_view text, std::string_view option) {
  const std::string expected = "ADDR:PORT, e.g. 127.0.0.1:9464, 0.0.0.0:9464 (every interface), [::1]:9464 or 127.0.0.1:0 (a free port)";
  std::string host, port;
  if (!split_host_port(text, host, port) || port.empty()) throw bad_option(option, text, expected);
  const auto p = parse_port(port);
  if (!p) throw bad_option(option, text, "a port 0–65535 in " + expected);
  return ListenAddress{host, *p};
}

std::string BaseUrl::text() const { return fmt::format("{}://{}:{}{}", scheme, bracketed(host), port, prefix); }

BaseUrl parse_base_url(std::string_view text, std::string_view option) {
  const std::string expected = "a URL http(s)://HOST[:PORT][/PREFIX], e.g. http://127.0.0.1:9090";
  BaseUrl u;
  std::string_view rest;
  if (text.starts_with("http://")) {
    u.scheme = "http";
    rest = text.substr(7);
  } else if (text.starts_with("https://")) {
    u.scheme = "https";
    rest = text.substr(8);
  } else {
    throw bad_option(option, text, expected);
  }
  if (rest.find_first_of("?#") != std::string_view::npos) throw bad_option(option, text, expected + " (no query string)");
  const auto slash = rest.find('/');
  const std::string_view hp = rest.substr(0, slash);
  if (hp.find('@') != std::string_view::npos)
    throw bad_option(option, text, expected + " without user:password@ (credentials do not belong on a command line)");
  std::string port;
  if (!split_host_port(hp, u.host, port)) throw bad_option(option, text, expected);
  if (port.empty()) {
    u.port = u.scheme == "https" ? 443 : 80;
  } else {
    const auto p = parse_port(port);
    if (!p || *p == 0) throw bad_option(option, text, "a port 1–65535 in " + expected);
    u.port = *p;
  }
  if (slash != std::string_view::npos) {
    std::string prefix(rest.substr(slash));
    while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
    u.prefix = prefix;
  }
  return u;
}

std::string url_encode(std::string_view text) {
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~')
      out += ch;
    else
      out += fmt::format("%{:02X}", static_cast<unsigned>(c));
  }
  return out;
}

// --- server ----------------------------------------------------------------------------------------------------

struct HttpServer::Impl {
  httplib::Server svr;
  std::map<std::string, std::function<HttpResponse()>> handlers;
  std::thread thread;
  std::atomic<std::int64_t> requests{0};
  std::atomic<bool> listening_done{false};
  bool started = false;
};

HttpServer::HttpServer() : impl_(std::make_unique<Impl>()) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::get(std::string path, std::function<HttpResponse()> handler) { impl_->handlers[std::move(path)] = std::move(handler); }

int HttpServer::start(const ListenAddress& at) {
  Impl& m = *impl_;
  if (m.started) throw core::WorkError("HTTP server: started twice");
  // Scrapers keep their connection alive; a few threads serve Prometheus, a browser and curl at once.
  m.svr.new_task_queue = [] { return new httplib::ThreadPool(4); };
  // httplib's default sets SO_REUSEPORT, which would let a second `aicq monitor` share the port silently.
  m.svr.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  for (const auto& [path, handler] : m.handlers) {
    m.svr.Get(regex_escaped(path), [this, h = handler](const httplib::Request&, httplib::Response& res) {
      ++impl_->requests;
      try {
        const HttpResponse r = h();
        res.status = r.status;
        res.set_content(r.body, r.content_type.c_str());
      } catch (const std::exception& e) {
        res.status = 500;
        res.set_content(std::string("aicq: ") + e.what() + "\n", "text/plain; charset=utf-8");
      }
    });
  }
  errno = 0;
  int port = at.port;
  bool bound = false;
  if (at.port == 0) {
    port = m.svr.bind_to_any_port(at.host);
    bound = port > 0;
  } else {
    bound = m.svr.bind_to_port(at.host, at.port);
  }
  if (!bound) {
    const int err = errno;
    std::string reason = err != 0 ? std::string(std::strerror(err)) : "the address could not be resolved or bound";
    if (err == EADDRINUSE) reason += " (another program listens there; choose another with --listen ADDR:PORT, or port 0 for a free one)";
    if (err == EADDRNOTAVAIL) reason += " (the address is not one of this machine's)";
    if (err == EACCES) reason += " (ports below 1024 need privileges)";
    throw core::WorkError(fmt::format("cannot listen on {}: {}", at.text(), reason));
  }
  m.thread = std::thread([&m] {
    m.svr.listen_after_bind();
    m.listening_done = true;
  });
  m.started = true;
  // stop() only takes effect once the server runs: wait for it, so that an early stop() cannot be lost.
  for (int i = 0; i < 500 && !m.svr.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  return port;
}

void HttpServer::stop() {
  Impl& m = *impl_;
  if (!m.started) return;
  // httplib's stop() acts only once the server runs; until the serving thread has returned, ask again (a stop
  // that came before the thread started serving is not lost).
  while (!m.listening_done) {
    m.svr.stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  m.thread.join();
  m.started = false;
}

std::int64_t HttpServer::requests() const { return impl_->requests.load(); }

// --- client ----------------------------------------------------------------------------------------------------

HttpResult http_get(const BaseUrl& base, const std::string& path_and_query, std::chrono::milliseconds timeout) {
  std::unique_ptr<httplib::ClientImpl> client;
  if (base.scheme == "https") {
    auto tls = std::make_unique<httplib::SSLClient>(base.host, base.port);
    tls->enable_server_certificate_verification(true);
    client = std::move(tls);
  } else {
    client = std::make_unique<httplib::ClientImpl>(base.host, base.port);
  }
  const auto sec = std::chrono::duration_cast<std::chrono::seconds>(timeout);
  const auto usec = std::chrono::duration_cast<std::chrono::microseconds>(timeout - sec);
  client->set_connection_timeout(static_cast<time_t>(sec.count()), static_cast<time_t>(usec.count()));
  client->set_read_timeout(static_cast<time_t>(sec.count()), static_cast<time_t>(usec.count()));
  client->set_keep_alive(false);
  const std::string target = base.prefix + path_and_query;
  const httplib::Result r = client->Get(target);
  if (!r) {
    std::string why = describe(r.error());
    if (r.error() == httplib::Error::Connection || r.error() == httplib::Error::ConnectionTimeout) {
      const std::string reason = connect_failure(base.host, base.port, timeout);
      if (!reason.empty()) why += ": " + reason;
    }
    throw core::WorkError(fmt::format("cannot reach {}{}: {}", base.text(), target.substr(0, target.find('?')), why));
  }
  HttpResult out;
  out.status = r->status;
  out.body = r->body;
  out.content_type = r->get_header_value("Content-Type");
  return out;
}

}  // namespace aicq::server
