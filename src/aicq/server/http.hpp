// HTTP for aicq, over cpp-httplib (Debian's libcpp-httplib, built with OpenSSL, zlib and brotli): a small
// server for /metrics and a GET client for the Prometheus HTTP API. httplib.h is included by http.cpp alone.
//
// Errors: a value the user gave that cannot be an address or URL throws core::InputError naming the option
// (exit 2); an address that cannot be bound (a port in use, an address not on this machine) or a server that
// cannot be reached throws core::WorkError naming the address or URL and the reason (exit 1).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace aicq::server {

/// Where to listen: "127.0.0.1:9464", "[::1]:9464", "0.0.0.0:9464", "localhost:0" (port 0: the system picks a
/// free port; HttpServer::start returns it).
struct ListenAddress {
  std::string host;
  int port = 0;
  /// "host:port", with brackets around an IPv6 host.
  [[nodiscard]] std::string text() const;
};

/// Parses ADDR:PORT (the host is required, so that listening on every interface is always a written choice:
/// 0.0.0.0 or [::]). Throws core::InputError naming `option` for anything else.
ListenAddress parse_listen_address(std::string_view text, std::string_view option = "--listen");

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

/// A server answering GET requests on its own threads until stop() or destruction.
class HttpServer {
 public:
  HttpServer();
  ~HttpServer();  // stops
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Registers a handler for an exact path; before start(). The handler runs on a server thread: it must be
  /// safe to call concurrently with the rest of the program. An exception in it answers 500 with its message.
  void get(std::string path, std::function<HttpResponse()> handler);

  /// Binds (SO_REUSEADDR only: a second process on the same port is refused, never shares it) and serves on
  /// a thread of its own. Returns the bound port. Throws core::WorkError "cannot listen on ADDR:PORT: reason".
  int start(const ListenAddress& at);
  /// Stops serving and joins the thread. Idempotent.
  void stop();
  /// Requests answered so far.
  [[nodiscard]] std::int64_t requests() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// A base URL such as "http://127.0.0.1:9090" or "https://prom.example/prometheus" (a path prefix is kept:
/// Prometheus behind a reverse proxy or with --web.route-prefix).
struct BaseUrl {
  std::string scheme;  // http or https
  std::string host;    // without brackets
  int port = 0;        // explicit or the scheme's default
  std::string prefix;  // "" or "/prometheus" (no trailing slash)
  /// scheme://host:port/prefix, as written back in messages and evidence.
  [[nodiscard]] std::string text() const;
};

/// Throws core::InputError naming `option` for anything but http(s)://HOST[:PORT][/PREFIX] (user:password@ and
/// query strings are refused: credentials do not belong in a command line that lands in shell histories).
BaseUrl parse_base_url(std::string_view text, std::string_view option);

struct HttpResult {
  int status = 0;
  std::string body;
  std::string content_type;
};

/// GET base.prefix + path_and_query. Any HTTP status is returned (the caller reads error bodies); no response
/// at all throws core::WorkError naming the URL and why (connection refused, timed out, TLS handshake, …).
/// HTTPS verifies the server's certificate against the system's trust store.
HttpResult http_get(const BaseUrl& base, const std::string& path_and_query, std::chrono::milliseconds timeout);

/// Percent-encoding of a query parameter value (RFC 3986 unreserved characters kept).
std::string url_encode(std::string_view text);

}  // namespace aicq::server
