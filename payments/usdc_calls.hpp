// ABI encodings of the USDC (FiatTokenV2_2) calls settlement makes and the
// logs it checks: transferWithAuthorization in both forms (v,r,s for an EOA's
// signature; bytes for a smart wallet's), authorizationState, balanceOf.
#pragma once

#include <array>
#include <cstdint>

#include "crypto/address.hpp"
#include "crypto/bytes.hpp"
#include "payments/exact_evm.hpp"

namespace hearth::payments {

// transferWithAuthorization(from,to,value,validAfter,validBefore,nonce,v,r,s), 0xe3ee160e.
crypto::bytes transfer_with_authorization(const authorization& a, const std::array<std::uint8_t, 65>& rsv);
// transferWithAuthorization(from,to,value,validAfter,validBefore,nonce,bytes signature), 0xcf092995.
crypto::bytes transfer_with_authorization_bytes(const authorization& a, const crypto::bytes& signature);
// The call that settles a payment: the v,r,s form for 65 bytes, the bytes
// form for anything else (FiatTokenV2_2 checks either against EIP-1271 when
// the payer is a contract). An ERC-6492 wrapping is removed first: the token
// takes the wallet's own signature.
crypto::bytes transfer_call(const authorization& a, const crypto::bytes& signature);
// isValidSignature(hash, signature) -> bytes4, 0x1626ba7e (EIP-1271).
crypto::bytes is_valid_signature(const crypto::hash256& hash, const crypto::bytes& signature);
inline constexpr std::uint32_t erc1271_magic = 0x1626ba7e;
// authorizationState(authorizer, nonce) -> bool, 0xe94a0102.
crypto::bytes authorization_state(const crypto::address& authorizer, const crypto::hash256& nonce);
// balanceOf(account) -> uint256, 0x70a08231.
crypto::bytes balance_of(const crypto::address& account);

// x402's invalidReason for a transfer the token refused in simulation
// (authorization_refused, its message the revert reason FiatTokenV2 gives).
std::string refusal_reason(const std::string& revert_message);

// Topic 0 of AuthorizationUsed(address indexed authorizer, bytes32 indexed nonce).
const crypto::hash256& authorization_used_topic();
// Topic 0 of Transfer(address indexed from, address indexed to, uint256 value).
const crypto::hash256& transfer_topic();
// An address as a 32-byte ABI word / indexed topic.
crypto::hash256 address_word(const crypto::address& a);

}  // namespace hearth::payments
