// Every failure code of the node, one enum per module. A code's name is the
// stable "code" of HTTP and JSON-RPC errors, its status the one HTTP status
// it is answered with (the JSON-RPC code follows from it, see jsonrpc_code),
// its line the meaning the README's error table shows (`hearth errors`
// prints the table; tests/errors_test checks the README against it). A code
// misspelt is a compile error, not a 500.
//
// Rule: codes are never renamed or reused; retire one by leaving it here
// with "retired" in its line.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// X(name, http_status, "meaning")
#define HEARTH_HTTP_ERRORS(X)                                                                               \
  X(bad_request, 400, "the request is malformed; the message says how")                                     \
  X(bad_query, 400, "a query parameter is out of range (limit is 1 to 1000)")                               \
  X(not_found, 404, "no such endpoint")                                                                    \
  X(method_not_allowed, 405, "the endpoint does not take this method (Allow lists those it takes)")         \
  X(body_too_large, 413, "the request body exceeds this endpoint's limit")                                  \
  X(header_too_large, 431, "the request's header block exceeds the limit")                                  \
  X(upgrade_required, 426, "the endpoint is a WebSocket, or a WebSocket was asked of one that is not")      \
  X(unauthorized, 401, "a credential is missing or wrong (host token, owner signature, guest or task token)") \
  X(loopback_only, 403, "the endpoint answers loopback peers only")                                         \
  X(origin_not_allowed, 403, "a foreign Host or Origin (DNS rebinding) is refused")                        \
  X(rate_limited, 429, "too many requests from this address; Retry-After says when to come back")           \
  X(too_many_connections, 503, "the node holds its connection limit; the connection is closed")          \
  X(handler_timeout, 504, "the node did not answer in time")                                                \
  X(spool_failed, 507, "the node could not store or read back the request body")                            \
  X(internal_error, 500, "a bug: the node failed in a way it did not expect")                               \
  X(node_unavailable, 503, "the node's actors are restarting or did not answer")                            \
  X(listen_failed, 500, "the node cannot listen on the address")                                            \
  X(bad_listen_address, 400, "the listen address is not HOST:PORT")                                         \
  X(tls_identity_unusable, 400, "--tls-cert or --tls-key cannot be read, is not PEM, or the key is not the certificate's") \
  X(request_timeout, 408, "the request's header or body did not arrive within its deadline; the connection is closed")

#define HEARTH_OFFER_ERRORS(X)                                                                              \
  X(offer_not_found, 404, "no offer has this hash on this node")                                            \
  X(missing_offer, 400, "an upload without X-Hearth-Offer or X-Hearth-Signature")                           \
  X(bad_offer, 422, "the offer does not decode or breaks a rule (the message names it)")                    \
  X(offer_not_canonical, 422, "the offer's bytes are not its canonical encoding")                           \
  X(bad_offer_signature, 422, "the offer's signature is malformed or not its owner's")                      \
  X(owner_not_accepted, 403, "this node does not accept offers from this owner")                            \
  X(bad_limits, 422, "the offer's limits are zero or malformed")                                            \
  X(limits_exceed_node, 422, "the offer asks for more than this node allows")                               \
  X(bad_manifest, 422, "an MCP offer's manifest is not a valid tool description")                           \
  X(offer_expired, 410, "the offer's validity has passed; nothing was charged")                             \
  X(wrong_offer_mode, 409, "the offer is of another mode (cgi, batch, mcp) than the endpoint")              \
  X(executable_missing, 422, "the node does not have the offer's executable and none was uploaded")         \
  X(executable_size_mismatch, 422, "the uploaded executable's size is not the offer's")                     \
  X(executable_hash_mismatch, 422, "the uploaded executable's sha256 is not the offer's")                   \
  X(arch_mismatch, 422, "the executable's architecture is not the offer's")                                 \
  X(not_executable, 422, "the upload is not an executable this node can run")                               \
  X(unsupported_architecture, 422, "the executable is for an architecture this node cannot run")              \
  X(args_not_extendable, 400, "the offer takes no arguments from its callers (its owner fixed them)")          \
  X(env_not_extendable, 400, "the offer takes no environment variables from its callers")                    \
  X(stdin_not_appendable, 400, "the offer's stdin is fixed by its owner: send no body or stdin")             \
  X(offer_version_unsupported, 422, "the offer is of a newer version than this node understands")          \
  X(duration_out_of_range, 400, "the duration asked for is outside the offer's min..max seconds")           \
  X(duration_not_offered, 400, "the offer sells no choice of duration (per-second offers with --max-duration do)") \
  X(private_input_missing, 503, "the owner has not given this node the offer's private env or stdin")         \
  X(private_input_mismatch, 422, "the private value's sha256 is not the one the offer names")                 \
  X(executable_fetch_failed, 502, "the node could not fetch the offer's executable from its https URL")       \
  X(no_payable_price, 422, "none of the offer's price options is on a network this node takes")             \
  X(offer_unavailable, 503, "the cluster member holding the offer is gone; try again later")

#define HEARTH_TASK_ERRORS(X)                                                                               \
  X(task_not_found, 404, "no task has this id")                                                             \
  X(node_busy, 503, "every run slot is taken and the queue is full; try again")                             \
  X(task_failed, 502, "the task ended without an answer (its error says why)")                              \
  X(task_cancelled, 503, "the task was cancelled (the node stopped)")                                       \
  X(sandbox_failed, 502, "the sandbox could not start the handler")                                         \
  X(handler_failed, 502, "the handler exited with a non-zero code and no CGI answer")                       \
  X(handler_crashed, 502, "the handler was killed by a signal")                                             \
  X(bad_cgi_output, 502, "the handler's output is not a CGI response")                                      \
  X(wall_limit, 504, "the handler ran out of wall-clock time")                                              \
  X(memory_limit, 502, "the handler was killed at its memory limit")                                        \
  X(cpu_limit, 502, "the handler used up its CPU seconds")                                                  \
  X(output_limit, 502, "the handler wrote more than its output limit")

#define HEARTH_PAYMENT_ERRORS(X)                                                                            \
  X(payment_not_found, 404, "no payment has this id")                                                       \
  X(malformed_payment, 400, "the payment header does not decode as an x402 payment")                        \
  X(payment_invalid, 402, "the payment does not pay this call (the challenge's error says why)")            \
  X(payment_replayed, 402, "this payment's nonce was used already")                                         \
  X(payment_required, 402, "the call is priced and no payment came")                                        \
  X(settlement_failed, 402, "the payment was refused when it was settled")                                  \
  X(invalid_network, 402, "the payment is for a network this offer is not paid on")                         \
  X(invalid_payment_requirements, 400, "the requirements sent to the facilitator are malformed or not USDC") \
  X(pay_to_not_served, 402, "this node's facilitator does not settle for this payTo")                       \
  X(no_payment_networks, 503, "this node accepts payments on no network it knows")                          \
  X(facilitator_unavailable, 503, "the facilitator could not be reached")                                   \
  X(facilitator_timeout, 503, "the facilitator did not answer in time")                                     \
  X(facilitator_bad_answer, 502, "the facilitator's answer is not x402")                                    \
  X(x402_key_not_loopback, 403, "X-402-Key (the node signs for the caller) is accepted from loopback only")  \
  X(bad_x402_key, 400, "X-402-Key is not a hex secp256k1 private key")                                      \
  X(bad_amount, 400, "an amount is not a decimal number of USDC")                                           \
  X(bad_max, 400, "a spending cap is not TOKEN:AMOUNT")                                                     \
  X(over_max, 402, "the price is above the payer's cap")                                                    \
  X(bad_preference, 400, "a network preference is not a network name or CAIP-2 id")                        \
  X(bad_requirement, 400, "a payment requirement in a challenge is malformed")                              \
  X(no_requirements, 400, "the challenge lists no payment requirement")                                     \
  X(no_acceptable_requirement, 402, "no requirement of the challenge can be paid (network, asset, scheme)") \
  X(no_key, 402, "a priced tool and no payer key")                                                          \
  X(over_budget, 402, "the gateway's budget does not cover the price")                                      \
  X(bad_budget, 400, "a budget is not a decimal number of USDC")

#define HEARTH_COUCH_ERRORS(X)                                                                              \
  X(invite_not_found, 404, "no invite has this code or id")                                                 \
  X(invite_redeemed, 409, "the invite was redeemed already")                                                \
  X(invite_expired, 410, "the invite's expiry has passed")                                                  \
  X(invite_revoked, 410, "the host revoked the invite")                                                     \
  X(invite_not_active, 409, "the invite cannot be changed in its state")                                    \
  X(guest_not_found, 404, "no guest has this id")                                                           \
  X(guest_ended, 409, "the guest has ended (expired or revoked)")                                           \
  X(guest_revoked, 401, "the guest was revoked; its token opens nothing")                                   \
  X(guest_not_running, 409, "the guest's environment is not running yet")                                   \
  X(no_environment, 501, "this node provisions no environments")                                           \
  X(environment_missing, 410, "the guest's environment is gone")                                            \
  X(environment_failed, 500, "the guest's environment could not be built or reached")                       \
  X(bad_command, 400, "a command is empty or malformed")                                                    \
  X(bad_guest_id, 400, "a guest id is not one the node made")                                              \
  X(home_unavailable, 503, "the cluster member that hosts the guest's environment cannot be reached")

#define HEARTH_SANDBOX_ERRORS(X)                                                                            \
  X(isolation_unavailable, 503, "the host lacks an isolation feature the run needs and the operator did not waive it") \
  X(unknown_isolation_step, 400, "--sandbox-allow-weaker names no step that can be waived")                 \
  X(sandbox_setup_failed, 500, "a sandbox setup step failed (the message names it)")                        \
  X(sandbox_gone, 500, "the warm sandbox died; the run is retried cold")                                    \
  X(cgroup_unavailable, 503, "the run's cgroup could not be made or joined")                                \
  X(quota_unavailable, 503, "the disk quota could not be set up")                                           \
  X(network_unavailable, 503, "the sandbox's network (slirp4netns) could not be set up")                    \
  X(request_too_large, 500, "a run request is too large for the warm sandbox's wire")                       \
  X(program_not_runnable, 422, "the program does not exist or cannot be run in the sandbox")                \
  X(not_elf, 422, "the file is not an ELF executable")                                                      \
  X(file_unreadable, 500, "a file the node needs cannot be read")                                           \
  X(stdin_unreadable, 500, "the run's stdin file cannot be read")                                           \
  X(terminal_failed, 500, "the pty or its shell could not be started")                                      \
  X(tool_missing, 503, "a system tool the sandbox needs is not installed")                                  \
  X(tool_failed, 500, "a system tool the sandbox ran failed")

#define HEARTH_STORAGE_ERRORS(X)                                                                            \
  X(storage_busy, 503, "RocksDB is busy or stalled; try again")                                             \
  X(storage_error, 500, "a storage operation failed")                                                       \
  X(storage_corruption, 500, "RocksDB reports corruption")                                                  \
  X(record_corrupt, 500, "a stored record does not decode")                                                 \
  X(data_dir_locked, 500, "another node holds the data directory")                                          \
  X(data_dir_unwritable, 500, "the data directory cannot be written")                                       \
  X(data_dir_unusable, 500, "the data directory is not a directory the node can use")                      \
  X(bad_hash, 400, "a content hash is not 64 hex digits")

#define HEARTH_CRYPTO_ERRORS(X)                                                                             \
  X(bad_hex, 400, "not hex")                                                                                \
  X(bad_length, 400, "a value has the wrong length")                                                        \
  X(bad_base64, 400, "not standard base64")                                                                 \
  X(bad_integer, 400, "not an unsigned 256-bit integer")                                                    \
  X(integer_overflow, 400, "an integer does not fit 256 bits")                                              \
  X(bad_address, 400, "not a 20-byte hex address")                                                          \
  X(bad_address_checksum, 400, "an address's EIP-55 checksum is wrong")                                     \
  X(bad_key, 400, "not a valid secp256k1 private key")                                                      \
  X(bad_signature, 400, "a signature is malformed or does not recover")                                     \
  X(bad_signature_v, 400, "a signature's v is not 27/28 (or 0/1)")                                          \
  X(high_s_signature, 400, "a signature's s is in the upper half (EIP-2)")                                  \
  X(bad_typed_data, 400, "EIP-712 typed data is malformed")                                                 \
  X(crypto_error, 500, "OpenSSL failed")                                                                    \
  X(rng_failure, 500, "the random generator failed; nothing was made")                                      \
  X(empty_passphrase, 400, "a key passphrase is empty")                                                     \
  X(derive_failed, 500, "the key could not be derived")                                                     \
  X(key_file_exists, 409, "a key file exists already (it is never overwritten)")                            \
  X(key_file_unreadable, 500, "the key file cannot be read or holds no key")                                \
  X(key_file_unwritable, 500, "the key file cannot be written")                                             \
  X(sealed_box_invalid, 500, "a sealed secret does not open: altered, or sealed under another node key")

#define HEARTH_CLIENT_ERRORS(X)                                                                             \
  X(bad_url, 400, "a URL is not http[s]://HOST[:PORT]/PATH")                                                \
  X(connect_failed, 502, "the server could not be reached")                                                 \
  X(request_failed, 502, "the request failed on the way")                                                   \
  X(timeout, 504, "the server did not answer in time")                                                      \
  X(handshake_refused, 502, "the server refused the WebSocket handshake")                                   \
  X(bad_answer, 502, "the server's answer is not what the protocol says")                                   \
  X(http_error, 502, "the server answered with an HTTP error")                                              \
  X(rpc_error, 502, "the MCP server answered with a JSON-RPC error")                                        \
  X(no_servers, 400, "the MCP gateway was given no server")                                                 \
  X(bad_arguments, 400, "tool arguments are not a JSON object")                                             \
  X(upload_failed, 502, "the node refused an offer upload without saying why")                              \
  X(payment_refused, 402, "the server refused the payment hearth curl sent")                            \
  X(tls_failed, 502, "the TLS connection could not be set up (handshake, protocol, CA file)")            \
  X(certificate_invalid, 502, "the server's certificate is not trusted or does not name the host (curl's exit 60)") \
  X(response_too_large, 502, "the server's answer is larger than the request allows")

#define HEARTH_MARKET_ERRORS(X)                                                                             \
  X(bad_wire_message, 400, "a seller WebSocket message is malformed, too large or of another version")      \
  X(seller_refused, 403, "the seller's signature is wrong or its address is not accepted by this hub")     \
  X(bad_ssh_key, 400, "ssh_pubkey is not one OpenSSH public key line")                                      \
  X(bad_job_limit, 400, "a job's cpus, memory or duration is out of range")                                 \
  X(unknown_image, 400, "no online seller offers the preferred_image")                                      \
  X(no_seller_capacity, 503, "no online seller has the capacity the job asks for; try again later")        \
  X(job_not_found, 404, "no job has this id")                                                               \
  X(job_over, 409, "the job has ended; it cannot be extended or cancelled")                                 \
  X(seller_unavailable, 502, "the seller went away or did not answer in time")                              \
  X(provision_failed, 502, "the seller could not build the job's environment")                              \
  X(submit_limited, 429, "too many job submissions from this client; try again later")

#define HEARTH_CONFIG_ERRORS(X)                                                                             \
  X(bad_option, 400, "a command-line option or config key has a value it does not take")                   \
  X(unknown_network, 400, "a payment network the node does not know")                                       \
  X(bad_host_token, 400, "the host token file holds no usable token")                                       \
  X(bad_rootfs, 400, "--couch-rootfs is not a root filesystem")                                             \
  X(facilitator_url_missing, 400, "--settlement facilitator without --facilitator-url")                     \
  X(signalfd_failed, 500, "the node cannot watch its signals")                                              \
  X(derive_source_missing, 400, "hearth key derive needs a passphrase source")                              \
  X(passphrase_missing, 400, "no passphrase was given")                                                     \
  X(passphrase_unreadable, 400, "the passphrase file cannot be read")                                       \
  X(bad_price, 400, "--price or --price-per-second is not a USDC amount with at most 6 decimals")           \
  X(mode_missing, 400, "hearth offer needs --cgi, --mcp or --batch")                                        \
  X(price_missing, 400, "hearth offer needs --price or --price-per-second")                                 \
  X(bad_header, 400, "hearth curl -H is not 'Name: value'")                                                 \
  X(bad_data, 400, "hearth curl's -d/--data/-F cannot be read or formed")                                   \
  X(output_unwritable, 500, "hearth curl -o names a file that cannot be written")

#define HEARTH_CHAIN_ERRORS(X)                                                                              \
  X(chain_unavailable, 503, "the chain's JSON-RPC endpoint could not be reached or did not answer in time")  \
  X(chain_rpc_error, 502, "the chain's JSON-RPC endpoint answered with an error or not as JSON-RPC")         \
  X(chain_not_configured, 400, "no --chain-rpc endpoint is given for the payment's network")                \
  X(chain_id_mismatch, 400, "the --chain-rpc endpoint serves another chain than its network's")             \
  X(authorization_refused, 402, "the token refused the authorization in simulation (used, cancelled, expired, balance)") \
  X(gas_unaffordable, 503, "the settlement key's native balance cannot pay the transaction's gas")          \
  X(transaction_reverted, 402, "the settlement transaction was mined but reverted (status 0) or logged no AuthorizationUsed")

// X(module, enum type, list)
#define HEARTH_ERROR_MODULES(X)                     \
  X(http, http_errc, HEARTH_HTTP_ERRORS)           \
  X(offers, offer_errc, HEARTH_OFFER_ERRORS)       \
  X(tasks, task_errc, HEARTH_TASK_ERRORS)          \
  X(payments, payment_errc, HEARTH_PAYMENT_ERRORS) \
  X(couch, couch_errc, HEARTH_COUCH_ERRORS)        \
  X(sandbox, sandbox_errc, HEARTH_SANDBOX_ERRORS)  \
  X(storage, storage_errc, HEARTH_STORAGE_ERRORS) \
  X(crypto, crypto_errc, HEARTH_CRYPTO_ERRORS) \
  X(client, client_errc, HEARTH_CLIENT_ERRORS)     \
  X(config, config_errc, HEARTH_CONFIG_ERRORS)     \
  X(market, market_errc, HEARTH_MARKET_ERRORS)     \
  X(chain, chain_errc, HEARTH_CHAIN_ERRORS)

namespace hearth {

#define HEARTH_ERROR_ENTRY(name, status, doc) name,
#define HEARTH_ERROR_ENUM(module, type, list) enum class type : std::uint8_t { list(HEARTH_ERROR_ENTRY) };
HEARTH_ERROR_MODULES(HEARTH_ERROR_ENUM)
#undef HEARTH_ERROR_ENUM
#undef HEARTH_ERROR_ENTRY

#define HEARTH_ERROR_MODULE_ENTRY(module, type, list) module,
enum class error_module : std::uint8_t { HEARTH_ERROR_MODULES(HEARTH_ERROR_MODULE_ENTRY) };
#undef HEARTH_ERROR_MODULE_ENTRY

// Any module's code: what a failure carries.
struct error_code {
  error_module module = error_module::http;
  std::uint8_t value = 0;

  constexpr error_code() = default;
  constexpr error_code(error_module m, std::uint8_t v) : module(m), value(v) {}
#define HEARTH_ERROR_CTOR(m, type, list) \
  constexpr error_code(type e) : module(error_module::m), value(static_cast<std::uint8_t>(e)) {}
  HEARTH_ERROR_MODULES(HEARTH_ERROR_CTOR)
#undef HEARTH_ERROR_CTOR

  friend constexpr bool operator==(error_code a, error_code b) { return a.module == b.module && a.value == b.value; }
  friend constexpr bool operator!=(error_code a, error_code b) { return !(a == b); }
};

std::string_view code_name(error_code c);      // "offer_not_found"
std::string_view module_name(error_module m);  // "offers"
unsigned http_status(error_code c);
// JSON-RPC error code for a node failure in MCP: -32602 for the caller's
// mistakes (4xx but those below), -32001 unauthorized (401/403), -32002
// payment (402), -32004 not found or gone (404/410), -32029 rate limited,
// -32003 unavailable (503), -32603 otherwise.
int jsonrpc_code(error_code c);
std::string_view code_meaning(error_code c);
std::optional<error_code> parse_error_code(std::string_view name);
std::vector<error_code> all_error_codes();  // in table order
std::ostream& operator<<(std::ostream& out, error_code c);  // its name

// The README's error table (markdown), from the lists above.
std::string error_table_markdown();

}  // namespace hearth
