#include "net/offer_routes.hpp"

#include <nlohmann/json.hpp>

#include "actors/offer_registry.hpp"
#include "crypto/base64.hpp"
#include "crypto/bytes.hpp"
#include "messages/offer.hpp"
#include "messages/node.hpp"
#include "net/actor_ask.hpp"
#include "net/offer_json.hpp"

namespace hearth::net {
namespace {

void upload(caf::actor_system& sys, http_request& req, responder respond) {
  auto offer_b64 = req.header("X-Hearth-Offer");
  auto signature_hex = req.header("X-Hearth-Signature");
  if (offer_b64.empty() || signature_hex.empty())
    return respond(json_error(offer_errc::missing_offer, "send the offer in X-Hearth-Offer and its signature in X-Hearth-Signature"));
  auto canonical = crypto::base64_decode(offer_b64);
  if (!canonical) return respond(json_error(crypto_errc::bad_base64, "X-Hearth-Offer is not standard base64"));
  auto signature = crypto::from_hex(signature_hex);
  if (!signature) return respond(json_error(crypto_errc::bad_hex, "X-Hearth-Signature is not hex"));
  offer_upload up{std::move(*canonical), std::string(signature->begin(), signature->end()), std::move(req.body)};
  ask_actor<offer_registry_type, stored_offer>(
      sys, actors::offer_registry_key, std::move(respond),
      [](stored_offer& o) { return json_response(201, offer_to_json(o)); }, put_atom::value, std::move(up));
}

void list(caf::actor_system& sys, const http_request& req, responder respond) {
  std::string after = query_param(req.query, "after");
  auto page = page_limit(req.query);
  if (!page) return respond(json_error(http_errc::bad_query, "limit is a number from 1 to 1000"));
  std::uint32_t limit = *page;
  ask_actor<offer_registry_type, std::vector<stored_offer>>(
      sys, actors::offer_registry_key, std::move(respond),
      [limit](std::vector<stored_offer>& offers) {
        nlohmann::json items = nlohmann::json::array();
        for (const auto& o : offers) items.push_back(offer_to_json(o));
        nlohmann::json next = offers.size() == limit ? nlohmann::json(offers.back().hash) : nlohmann::json(nullptr);
        return json_response(200, {{"offers", items}, {"next", next}});
      },
      list_atom::value, after, limit);
}

}  // namespace

bool route_offers(caf::actor_system& sys, http_request& req, responder& respond) {
  if (req.path == "/offers") {
    if (req.method == "POST") upload(sys, req, std::move(respond));
    else if (req.method == "GET" || req.method == "HEAD") list(sys, req, std::move(respond));
    else respond(method_not_allowed(req, "GET, HEAD, POST"));
    return true;
  }
  // PUT /offers/HASH/private/env|stdin: the owner's secret value, which
  // only someone holding it can send (its sha256 is in the signed offer).
  if (auto at = req.path.find("/private/"); req.path.rfind("/offers/", 0) == 0 && at != std::string::npos) {
    if (req.method != "PUT") {
      respond(method_not_allowed(req, "PUT"));
      return true;
    }
    private_upload up{req.path.substr(8, at - 8), req.path.substr(at + 9), std::move(req.body)};
    ask_actor<offer_registry_type, stored_offer>(
        sys, actors::offer_registry_key, std::move(respond),
        [](stored_offer& o) { return json_response(200, offer_to_json(o)); }, put_atom::value, std::move(up));
    return true;
  }
  if (req.path.rfind("/offers/", 0) == 0) {
    if (req.method != "GET" && req.method != "HEAD") {
      respond(method_not_allowed(req, "GET, HEAD"));
      return true;
    }
    std::string hash = req.path.substr(8);
    ask_actor<offer_registry_type, stored_offer>(
        sys, actors::offer_registry_key, std::move(respond),
        [](stored_offer& o) { return json_response(200, offer_to_json(o)); }, get_atom::value, hash);
    return true;
  }
  return false;
}

}  // namespace hearth::net
