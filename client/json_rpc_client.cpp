#include "client/json_rpc_client.hpp"

#include <atomic>

#include "client/http_client.hpp"

namespace hearth::client {

payments::json_rpc_call make_json_rpc_call(std::string url, std::chrono::milliseconds timeout) {
  auto ids = std::make_shared<std::atomic<std::uint64_t>>(1);
  return [url = std::move(url), timeout, ids](const std::string& method, const nlohmann::json& params) -> result<nlohmann::json> {
    client_request req;
    req.method = "POST";
    req.url = url;
    req.headers = {{"Content-Type", "application/json"}};
    req.body = nlohmann::json{{"jsonrpc", "2.0"}, {"id", ids->fetch_add(1)}, {"method", method}, {"params", params}}.dump();
    req.timeout = timeout;
    auto res = send_request(req);
    if (!res) return fail(chain_errc::chain_unavailable, method + ": " + res.error().message);
    auto answer = nlohmann::json::parse(res->body, nullptr, false);
    if (!answer.is_object()) {
      if (res->status >= 500 || res->status == 429)
        return fail(chain_errc::chain_unavailable, method + ": the endpoint answered HTTP " + std::to_string(res->status));
      return fail(chain_errc::chain_rpc_error, method + ": the answer is not JSON-RPC (HTTP " + std::to_string(res->status) + ")");
    }
    if (answer.contains("error") && !answer["error"].is_null()) {
      const auto& e = answer["error"];
      std::string message = e.is_object() ? e.value("message", std::string("no message")) : e.dump();
      if (e.is_object() && e.contains("data") && e["data"].is_string()) message += " " + e["data"].get<std::string>();
      int code = e.is_object() ? e.value("code", 0) : 0;
      return fail(chain_errc::chain_rpc_error, method + ": " + message + " (code " + std::to_string(code) + ")");
    }
    if (!answer.contains("result")) return fail(chain_errc::chain_rpc_error, method + ": the answer has no result");
    return answer["result"];
  };
}

}  // namespace hearth::client
