#include "client/hub_link.hpp"

#include <spdlog/spdlog.h>

#include <random>

#include "crypto/personal_sign.hpp"

namespace hearth::client {

std::string seller_socket_url(const std::string& hub_url) {
  std::string base = hub_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/market/sellers";
}

hub_link::hub_link(std::string hub_url, crypto::private_key key, seller_hello hello, events on,
                   std::chrono::milliseconds max_backoff)
    : url_(seller_socket_url(hub_url)), key_(std::move(key)), hello_(std::move(hello)), on_(std::move(on)),
      max_backoff_(max_backoff) {
  hello_.address = crypto::to_0x(key_.to_address().bytes);
  thread_ = std::thread([this] { run(); });
}

hub_link::~hub_link() {
  stop_ = true;
  {
    std::lock_guard lock(mu_);
    if (ws_) ws_->close();
  }
  wake_.notify_all();
  thread_.join();
}

bool hub_link::send(const protocols::seller_message& m) {
  std::shared_ptr<websocket_client> ws;
  {
    std::lock_guard lock(mu_);
    ws = ws_;
  }
  if (!ws || ws->closed()) return false;
  ws->send(protocols::encode(m), false);  // outside the lock: it may wait
  return true;
}

bool hub_link::send_bytes(std::uint32_t stream, std::string_view bytes) {
  std::shared_ptr<websocket_client> ws;
  {
    std::lock_guard lock(mu_);
    ws = ws_;
  }
  if (!ws || ws->closed()) return false;
  ws->send(protocols::relay_frame(stream, bytes), true);  // outside the lock: it may wait
  return true;
}

void hub_link::run() {
  std::mt19937_64 rng(std::random_device{}());
  auto backoff = std::chrono::milliseconds(500);
  while (!stop_) {
    if (session()) backoff = std::chrono::milliseconds(500);
    if (stop_) break;
    // Full jitter over [backoff/2, backoff]: sellers dropped together do not return together.
    std::uniform_int_distribution<long> jitter(backoff.count() / 2, backoff.count());
    auto wait = std::chrono::milliseconds(jitter(rng));
    std::unique_lock lock(mu_);
    wake_.wait_for(lock, wait, [this] { return stop_.load(); });
    backoff = std::min(backoff * 2, max_backoff_);
  }
}

bool hub_link::session() {
  auto connected = websocket_client::connect(url_, {}, std::chrono::seconds(10));
  if (!connected) {
    spdlog::debug("hub {}: {}", url_, connected.error().message);
    return false;
  }
  std::shared_ptr<websocket_client> ws = std::move(*connected);
  auto next = [&](std::chrono::milliseconds t) -> std::optional<protocols::hub_message> {
    while (!stop_) {
      auto m = ws->receive(t);
      if (!m) return std::nullopt;
      auto decoded = protocols::decode_hub_message(m->data);
      if (!decoded) {
        spdlog::warn("hub {}: {}", url_, decoded.error().message);
        continue;
      }
      return std::move(*decoded);
    }
    return std::nullopt;
  };
  auto challenge = next(std::chrono::seconds(10));
  if (!challenge || !std::holds_alternative<protocols::wire_challenge>(*challenge)) {
    ws->close();
    return false;
  }
  auto c = std::get<protocols::wire_challenge>(*challenge);
  seller_hello hello = hello_;
  std::string text = protocols::hello_message(c.nonce, hello.address, hello.name);
  hello.signature =
      key_.sign_digest(crypto::personal_message_digest(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()))
          .to_0x();
  ws->send(protocols::encode(protocols::seller_message{hello}), false);
  auto welcome = next(std::chrono::seconds(10));
  if (!welcome || !std::holds_alternative<protocols::wire_welcome>(*welcome)) {
    std::string why = "no welcome";
    if (welcome && std::holds_alternative<protocols::wire_refused>(*welcome)) {
      auto& r = std::get<protocols::wire_refused>(*welcome);
      why = r.code + ": " + r.message;
    }
    spdlog::warn("hub {} refused this seller: {}", url_, why);
    ws->close();
    return false;
  }
  {
    std::lock_guard lock(mu_);
    ws_ = ws;
  }
  on_.up(std::get<protocols::wire_welcome>(*welcome).seller_id, c.heartbeat_ms);
  std::string why = "the hub closed the connection";
  while (!stop_) {
    auto m = ws->receive(std::chrono::seconds(1));
    if (!m) {
      if (ws->closed()) break;
      continue;
    }
    if (m->binary) {
      std::uint32_t stream = 0;
      std::string_view bytes;
      if (protocols::parse_relay_frame(m->data, stream, bytes) && on_.bytes) on_.bytes(stream, std::string(bytes));
      continue;
    }
    auto decoded = protocols::decode_hub_message(m->data);
    if (!decoded) {
      spdlog::warn("hub {}: {}", url_, decoded.error().message);
      continue;
    }
    if (auto* r = std::get_if<protocols::wire_refused>(&*decoded)) {
      why = r->code + ": " + r->message;
      break;
    }
    on_.message(std::move(*decoded));
  }
  {
    std::lock_guard lock(mu_);
    ws_.reset();
  }
  ws->close();
  on_.down(why);
  return true;
}

}  // namespace hearth::client
