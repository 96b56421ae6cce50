// hearth_net's Beast server on loopback with real sockets: limits, deadlines,
// keep-alive, pipelining, drain. The handler is a plain function here.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>

#include <caf/all.hpp>

#include "net/edge_bridge.hpp"
#include "net/http_server.hpp"
#include "support/raw_http.hpp"

using namespace hearth;
using namespace hearth::net;
using namespace std::chrono_literals;
using test::raw_connection;

namespace {

// Answers "METHOD PATH BODY"; /hold keeps the responder for the test to use;
// /never drops it; /twice answers twice; /inject returns a header with CRLF.
struct echo_handler {
  std::mutex m;
  std::condition_variable cv;
  std::vector<responder> held;

  request_handler handler() {
    return [this](http_request req, responder respond) {
      if (req.path == "/hold") {
        std::lock_guard<std::mutex> lock(m);
        held.push_back(std::move(respond));
        cv.notify_all();
        return;
      }
      if (req.path == "/never") return;
      http_response r{200, {{"Content-Type", "text/plain"}}, req.method + " " + req.path + " " + req.body};
      if (req.path == "/inject") r.headers.emplace_back("X-Evil", "a\r\nSet-Cookie: stolen=1");
      if (req.path == "/cookies") {
        r.headers.emplace_back("Set-Cookie", "a=1");
        r.headers.emplace_back("Set-Cookie", "b=2");
      }
      if (req.path == "/twice") respond(r);
      respond(std::move(r));
    };
  }

  responder wait_held() {
    std::unique_lock<std::mutex> lock(m);
    cv.wait_for(lock, 10s, [&] { return !held.empty(); });
    REQUIRE_FALSE(held.empty());
    auto r = held.back();
    held.pop_back();
    return r;
  }
};

std::unique_ptr<http_server> start(echo_handler& h, http_limits limits = {}) {
  auto s = http_server::start("127.0.0.1:0", limits, h.handler());
  REQUIRE(s);
  return std::move(*s);
}

std::string get(const std::string& path, const std::string& extra = "") {
  return "GET " + path + " HTTP/1.1\r\nHost: x\r\n" + extra + "\r\n";
}

}  // namespace

TEST_CASE("listen addresses are validated", "[http]") {
  CHECK(parse_listen_address("127.0.0.1:3000").ok());
  CHECK(parse_listen_address("[::1]:80")->first == "::1");
  CHECK_FALSE(parse_listen_address("127.0.0.1").ok());
  CHECK_FALSE(parse_listen_address("127.0.0.1:99999").ok());
  CHECK_FALSE(parse_listen_address("127.0.0.1:http").ok());
  echo_handler h;
  CHECK_FALSE(http_server::start("not-an-ip:0", {}, h.handler()).ok());
}

TEST_CASE("a busy port is a clear start failure", "[http]") {
  echo_handler h;
  auto first = start(h);
  auto second = http_server::start("127.0.0.1:" + std::to_string(first->port()), {}, h.handler());
  REQUIRE_FALSE(second);
  CHECK(second.error().code == hearth::http_errc::listen_failed);
}

TEST_CASE("keep-alive and pipelined requests are answered in order", "[http]") {
  echo_handler h;
  auto server = start(h);
  raw_connection c(server->port());
  REQUIRE(c.send(get("/one")));
  auto r1 = c.read_response();
  REQUIRE(r1);
  CHECK(r1->body == "GET /one ");
  REQUIRE(c.send(get("/a") + "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nxyz" + get("/c")));
  CHECK(c.read_response()->body == "GET /a ");
  CHECK(c.read_response()->body == "POST /b xyz");
  CHECK(c.read_response()->body == "GET /c ");
}

TEST_CASE("repeated response headers are kept and injected ones dropped", "[http]") {
  echo_handler h;
  auto server = start(h);
  auto r = test::http_exchange(server->port(), get("/cookies"));
  REQUIRE(r);
  CHECK(r->headers.count("set-cookie") == 2);
  auto evil = test::http_exchange(server->port(), get("/inject"));
  REQUIRE(evil);
  CHECK(evil->status == 200);
  CHECK(evil->headers.count("x-evil") == 0);
  CHECK(evil->headers.count("set-cookie") == 0);
}

TEST_CASE("malformed and oversized requests get a clear 4xx and the server stays up", "[http]") {
  echo_handler h;
  http_limits limits;
  limits.header_bytes = 2048;
  limits.body_bytes = 1024;
  auto server = start(h, limits);
  auto port = server->port();

  auto bad = test::http_exchange(port, "GARBAGE\r\n\r\n");
  REQUIRE(bad);
  CHECK(bad->status == 400);
  CHECK(bad->body.find("\"bad_request\"") != std::string::npos);

  auto big_header = test::http_exchange(port, get("/", "X-Big: " + std::string(4096, 'a') + "\r\n"));
  REQUIRE(big_header);
  CHECK(big_header->status == 431);

  auto big_body = test::http_exchange(port, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n");
  REQUIRE(big_body);
  CHECK(big_body->status == 413);
  CHECK(big_body->body.find("body_too_large") != std::string::npos);

  raw_connection chunked(port);
  std::string chunks = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 3; ++i) chunks += "200\r\n" + std::string(512, 'z') + "\r\n";
  chunks += "0\r\n\r\n";
  chunked.send(chunks);
  auto chunked_reply = chunked.read_response();
  REQUIRE(chunked_reply);
  CHECK(chunked_reply->status == 413);

  auto bad_length = test::http_exchange(port, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n");
  REQUIRE(bad_length);
  CHECK(bad_length->status == 400);

  auto ok = test::http_exchange(port, get("/still-up"));
  REQUIRE(ok);
  CHECK(ok->status == 200);
}

TEST_CASE("HEAD and Expect: 100-continue", "[http]") {
  echo_handler h;
  auto server = start(h);
  raw_connection c(server->port());
  c.send("HEAD /x HTTP/1.1\r\nHost: x\r\n\r\n");
  auto head = c.read_response(10s, true);
  REQUIRE(head);
  CHECK(head->body.empty());
  CHECK(head->header("content-length") == std::to_string(std::string("HEAD /x ").size()));

  raw_connection e(server->port());
  e.send("POST /e HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
  auto cont = e.read_response();
  REQUIRE(cont);
  CHECK(cont->status == 100);
  e.send("hi");
  auto final = e.read_response();
  REQUIRE(final);
  CHECK(final->body == "POST /e hi");
}

TEST_CASE("a slow request header or body is answered 408 at its deadline; an idle connection is closed", "[http]") {
  echo_handler h;
  http_limits limits;
  limits.header_timeout = 300ms;
  limits.idle_timeout = 300ms;
  limits.body_timeout = 300ms;
  auto server = start(h, limits);
  raw_connection slow(server->port());
  slow.send("GET / HTTP/1.1\r\nHost:");
  auto late = slow.read_response(10s);
  REQUIRE(late);
  CHECK(late->status == 408);
  CHECK(late->body.find("\"request_timeout\"") != std::string::npos);
  CHECK(slow.wait_closed(10s));

  raw_connection body(server->port());
  body.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");  // 7 bytes never come
  auto cut = body.read_response(10s);
  REQUIRE(cut);
  CHECK(cut->status == 408);
  CHECK(body.wait_closed(10s));

  raw_connection idle(server->port());
  idle.send(get("/first"));
  REQUIRE(idle.read_response());
  CHECK(!idle.read_response(10s));  // no answer to a request never begun: just the close
  CHECK(idle.wait_closed(10s));

  raw_connection silent(server->port());  // connected, nothing sent
  CHECK(!silent.read_response(10s));
  CHECK(silent.wait_closed(10s));
}

TEST_CASE("a handler that never answers gets 504; a double answer is ignored", "[http]") {
  echo_handler h;
  http_limits limits;
  limits.handler_timeout = 200ms;
  auto server = start(h, limits);
  auto r = test::http_exchange(server->port(), get("/never"));
  REQUIRE(r);
  CHECK(r->status == 504);
  raw_connection c(server->port());
  c.send(get("/twice") + get("/after"));
  CHECK(c.read_response()->body == "GET /twice ");
  CHECK(c.read_response()->body == "GET /after ");
}

TEST_CASE("requests per connection and connections are capped", "[http]") {
  echo_handler h;
  http_limits limits;
  limits.max_requests_per_connection = 2;
  limits.max_connections = 1;
  auto server = start(h, limits);
  raw_connection c(server->port());
  c.send(get("/1"));
  auto r1 = c.read_response();
  REQUIRE(r1);
  CHECK(r1->header("connection") != "close");
  c.send(get("/2"));
  auto r2 = c.read_response();
  REQUIRE(r2);
  CHECK(r2->header("connection") == "close");
  CHECK(c.wait_closed(10s));

  // At the limit a connection waiting for a request gives its slot to a
  // newcomer; one with a request under way does not (503).
  raw_connection idle(server->port());
  raw_connection newcomer(server->port());
  CHECK(idle.wait_closed(10s));
  newcomer.send(get("/hold"));
  responder held = h.wait_held();
  raw_connection refused(server->port());
  auto busy = refused.read_response();
  REQUIRE(busy);
  CHECK(busy->status == 503);
  held(http_response{200, {}, "done"});
  auto r3 = newcomer.read_response();
  REQUIRE(r3);
  CHECK(r3->body == "done");
}

TEST_CASE("drain lets a request in flight finish, then completes", "[http]") {
  echo_handler h;
  auto server = start(h);
  raw_connection busy(server->port());
  raw_connection idle(server->port());
  busy.send(get("/hold"));
  idle.send(get("/warm"));
  REQUIRE(idle.read_response());
  responder held = h.wait_held();

  std::promise<void> drained;
  server->drain([&] { drained.set_value(); });
  CHECK(idle.wait_closed(10s));
  auto done = drained.get_future();
  CHECK(done.wait_for(0s) == std::future_status::timeout);  // still waiting for /hold

  held(http_response{200, {}, "late"});
  auto r = busy.read_response();
  REQUIRE(r);
  CHECK(r->body == "late");
  CHECK(r->header("connection") == "close");
  CHECK(done.wait_for(10s) == std::future_status::ready);
  CHECK(server->open_connections() == 0);
}

TEST_CASE("drain closes what is still in flight at its deadline", "[http]") {
  echo_handler h;
  http_limits limits;
  limits.drain_timeout = 200ms;
  auto server = start(h, limits);
  raw_connection busy(server->port());
  busy.send(get("/hold"));
  responder held = h.wait_held();
  std::promise<void> drained;
  server->drain([&] { drained.set_value(); });
  CHECK(drained.get_future().wait_for(10s) == std::future_status::ready);
  CHECK(busy.wait_closed(10s));
  held(http_response{200, {}, "too late"});  // harmless after close
}

#include "net/cgi.hpp"

TEST_CASE("CGI output parsing (RFC 3875 section 6)", "[cgi]") {
  auto ok = parse_cgi_output("Status: 201 Created\r\nContent-Type: application/json\r\nX-A: 1\r\nX-A: 2\r\n\r\n{\"a\":1}");
  REQUIRE(ok);
  CHECK(ok->status == 201);
  CHECK(ok->body == "{\"a\":1}");
  CHECK(std::count_if(ok->headers.begin(), ok->headers.end(), [](auto& h) { return h.first == "X-A"; }) == 2);

  auto plain = parse_cgi_output("\nhello");
  REQUIRE(plain);
  CHECK(plain->status == 200);
  CHECK(plain->headers.front().second == "text/plain");
  CHECK(plain->body == "hello");

  auto redirect = parse_cgi_output("Location: https://example.org/\n\n");
  REQUIRE(redirect);
  CHECK(redirect->status == 302);

  CHECK(parse_cgi_output("no blank line at all").error().code == hearth::task_errc::bad_cgi_output);
  CHECK(parse_cgi_output("not a header\n\nbody").error().code == hearth::task_errc::bad_cgi_output);
  CHECK(parse_cgi_output("Status: abc\n\n").error().code == hearth::task_errc::bad_cgi_output);
  CHECK(parse_cgi_output("Status: 999\n\n").error().code == hearth::task_errc::bad_cgi_output);
}

TEST_CASE("CGI request variables; payment headers never reach the program", "[cgi]") {
  http_request req;
  req.method = "POST";
  req.target = "/h.cgi/a/b?x=1";
  req.query = "x=1";
  req.body = "data";
  req.remote_address = "127.0.0.1";
  req.remote_port = 5555;
  req.headers = {{"Content-Type", "text/plain"}, {"User-Agent", "t"}, {"X-PAYMENT", "p"}, {"PAYMENT-SIGNATURE", "s"},
                 {"X-402-Key", "0xsecret"}, {"Proxy", "evil"}, {"Accept", "a"}, {"Accept", "b"}, {"Bad Name", "x"}};
  auto in = cgi_input(req, {"h", "/a/b", "localhost", "3000"});
  auto has = [&](const std::string& kv) { return std::find(in.env.begin(), in.env.end(), kv) != in.env.end(); };
  CHECK(has("REQUEST_METHOD=POST"));
  CHECK(has("PATH_INFO=/a/b"));
  CHECK(has("QUERY_STRING=x=1"));
  CHECK(has("CONTENT_LENGTH=4"));
  CHECK(has("CONTENT_TYPE=text/plain"));
  CHECK(has("SCRIPT_NAME=/h.cgi"));
  CHECK(has("HTTP_USER_AGENT=t"));
  CHECK(has("HTTP_ACCEPT=a, b"));
  for (const auto& e : in.env) {
    CHECK(e.find("PAYMENT") == std::string::npos);
    CHECK(e.find("402") == std::string::npos);
    CHECK(e.rfind("HTTP_PROXY", 0) != 0);
    CHECK(e.rfind("REMOTE_", 0) != 0);  // kept out of the task id
  }
  CHECK(std::is_sorted(in.env.begin(), in.env.end()));
  CHECK(in.private_env.front() == "REMOTE_ADDR=127.0.0.1");
  CHECK(in.stdin_data == "data");
}

TEST_CASE("listing page sizes: 1 to 1000, 100 by default", "[http]") {
  CHECK(page_limit("") == 100u);
  CHECK(page_limit("after=x&limit=7") == 7u);
  CHECK(page_limit("limit=5000") == 1000u);
  CHECK_FALSE(page_limit("limit=0"));
  CHECK_FALSE(page_limit("limit=-1"));
  CHECK_FALSE(page_limit("limit=ten"));
  CHECK_FALSE(page_limit("limit=99999"));
}

#include "actors/call_rules.hpp"
#include "net/x402_edge.hpp"
#include "payments/buyer.hpp"

TEST_CASE("X-402-Key is honoured from loopback peers only, within X-402-Max", "[x402]") {
  using namespace hearth;
  payments::requirement r;
  r.net = payments::find_network("base-sepolia");
  r.amount = *crypto::parse_uint256("10000");
  r.pay_to = *crypto::parse_address("0x209693Bc6afc0C5328bA36FaF03C514EF312287C");
  r.resource = "http://127.0.0.1/x.cgi/";
  http_request req;
  req.path = "/x.cgi/";
  req.headers = {{"X-402-Key", "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"},
                 {"X-402-Max", "USDC:0.05"}};
  for (const char* peer : {"127.0.0.1", "::1", "::ffff:127.0.0.1"}) {
    req.remote_address = peer;
    auto signed_header = hearth::actors::sign_for_caller(read_call_payment(req), {r});
    INFO(peer);
    REQUIRE(signed_header);
    auto p = payments::decode_payment(*signed_header);
    REQUIRE(p);
    CHECK(payments::verify(*p, r, static_cast<std::uint64_t>(std::time(nullptr))).valid);
  }
  for (const char* peer : {"10.0.0.5", "192.168.1.2", "::ffff:10.0.0.5", "2001:db8::1"}) {
    req.remote_address = peer;
    auto refused = hearth::actors::sign_for_caller(read_call_payment(req), {r});
    INFO(peer);
    REQUIRE(!refused);
    CHECK(refused.error().code == hearth::payment_errc::x402_key_not_loopback);
  }
  req.remote_address = "127.0.0.1";
  req.headers = {{"X-402-Key", "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"},
                 {"X-402-Max", "0.001"}};
  auto over = hearth::actors::sign_for_caller(read_call_payment(req), {r});
  REQUIRE(!over);
  CHECK(over.error().code == hearth::payment_errc::over_max);
}

// The edge's bridge actors (net/edge_bridge.hpp) in a real actor system.
namespace {

struct bridge_owner_state {
  edge_bridges bridges;
  static inline const char* name = "bridge_owner";
};

caf::behavior bridge_owner(caf::stateful_actor<bridge_owner_state>* self, unsigned count) {
  self->state.bridges.start(self, count);
  self->set_down_handler([self](caf::down_msg& dm) { self->state.bridges.replace(self, dm.source); });
  return {[](caf::get_atom) { return true; }};
}

// What respond was first called with, if it was within wait.
std::optional<http_response> run_in_bridge(caf::actor_system& sys, bridge_work work, std::chrono::milliseconds deadline,
                                           std::chrono::milliseconds wait = 10s) {
  auto answered = std::make_shared<std::promise<http_response>>();
  auto once = std::make_shared<std::atomic<bool>>(false);
  auto got = answered->get_future();
  bridge_run(sys, [answered, once](http_response r) { if (!once->exchange(true)) answered->set_value(std::move(r)); },
             std::move(work), deadline);
  if (got.wait_for(wait) != std::future_status::ready) return std::nullopt;
  return got.get();
}

bridge_work answer_with(unsigned status) {
  return [status](caf::event_based_actor*, const responder& respond) {
    respond({status, {}, "first"});
    respond({599, {}, "second"});  // ignored
  };
}

}  // namespace

TEST_CASE("edge bridges answer once, time out what is not answered, and survive a throwing handler", "[bridge]") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  SECTION("without published bridges a temporary one answers") {
    auto r = run_in_bridge(sys, answer_with(201), 5s);
    REQUIRE(r);
    CHECK(r->status == 201);
    CHECK(r->body == "first");
  }
  auto owner = sys.spawn(bridge_owner, 2u);
  caf::scoped_actor wait_for_start{sys};
  wait_for_start->request(owner, caf::infinite, caf::get_atom::value).receive([](bool) {}, [](caf::error&) {});

  SECTION("an answer, an ask of another actor, a second answer ignored") {
    // An argument: CAF 0.17 dereferences a null pointer spawning a function actor with none.
    auto echo = sys.spawn([](int step) -> caf::behavior { return {[step](int x) { return x + step; }}; }, 1);
    auto r = run_in_bridge(sys, [echo](caf::event_based_actor* self, const responder& respond) {
      self->request(echo, caf::infinite, 41).then([respond](int x) { respond({200, {}, std::to_string(x)}); });
    }, 5s);
    REQUIRE(r);
    CHECK(r->body == "42");
    caf::anon_send_exit(echo, caf::exit_reason::user_shutdown);
    for (int i = 0; i < 8; ++i) {  // every bridge
      auto again = run_in_bridge(sys, answer_with(200), 5s);
      REQUIRE(again);
      CHECK(again->body == "first");
    }
  }
  SECTION("work that never answers gets the timeout answer at its deadline (swept once a second)") {
    auto start = std::chrono::steady_clock::now();
    auto r = run_in_bridge(sys, [](caf::event_based_actor*, const responder&) {}, 200ms);
    REQUIRE(r);
    CHECK(r->status == 503);
    CHECK(r->body.find("node_unavailable") != std::string::npos);
    auto took = std::chrono::steady_clock::now() - start;
    CHECK(took >= 200ms);
    CHECK(took < 3s);
  }
  SECTION("a handler that throws ends its bridge, which is replaced") {
    (void)run_in_bridge(sys, [](caf::event_based_actor*, const responder&) { throw std::runtime_error("boom"); }, 5s,
                        500ms);
    // Until the owner has replaced the bridge (a request sent to the dead one is dropped
    // with its responder): rounds over every registry key, until one is answered whole.
    bool whole_round = false;
    for (int round = 0; round < 10 && !whole_round; ++round) {
      whole_round = true;
      for (int i = 0; i < 16; ++i)
        if (auto r = run_in_bridge(sys, answer_with(200), 5s, 250ms); !r || r->status != 200) whole_round = false;
    }
    CHECK(whole_round);
  }
  caf::anon_send_exit(owner, caf::exit_reason::user_shutdown);
}
