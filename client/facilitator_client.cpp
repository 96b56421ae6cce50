#include "client/facilitator_client.hpp"

#include <spdlog/spdlog.h>

#include <thread>

#include "client/http_client.hpp"

namespace hearth::client {

actors::facilitator_call make_facilitator_call(std::string base_url, std::chrono::milliseconds timeout,
                                               unsigned attempts) {
  while (!base_url.empty() && base_url.back() == '/') base_url.pop_back();
  return [base_url, timeout, attempts](const std::string& path, const nlohmann::json& body) -> result<nlohmann::json> {
    failure last{payment_errc::facilitator_unavailable, "no attempt made"};
    for (unsigned attempt = 0; attempt < attempts; ++attempt) {
      if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(200) * (1u << attempt));  // backoff
      client_request req;
      req.method = "POST";
      req.url = base_url + path;
      req.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
      req.body = body.dump();
      req.timeout = timeout;
      auto res = send_request(req);
      if (!res) {
        if (res.error().code == client_errc::timeout) return fail(payment_errc::facilitator_timeout, "the facilitator did not answer " + path + " in time");
        last = fail(payment_errc::facilitator_unavailable, res.error().message);
      } else if (res->status >= 500) {
        last = fail(payment_errc::facilitator_unavailable, "the facilitator answered " + path + " with " + std::to_string(res->status));
      } else {
        auto answer = nlohmann::json::parse(res->body, nullptr, false);
        if (answer.is_object()) return answer;
        last = fail(payment_errc::facilitator_bad_answer, "the facilitator's answer to " + path + " is not a JSON object");
      }
      spdlog::warn("facilitator {} attempt {}/{}: {}", path, attempt + 1, attempts, last.message);
    }
    return last;
  };
}

}  // namespace hearth::client
