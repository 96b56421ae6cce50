#include "crypto/keccak.hpp"

#include <cstring>

namespace hearth::crypto {
namespace {

constexpr std::uint64_t round_constants[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL};
inline std::uint64_t rotl(std::uint64_t x, int n) { return (x << n) | (x >> (64 - n)); }

// One round reading lanes X.. and writing lanes Y.., unrolled: theta, then
// rho and pi folded into the loads of each output row, then chi and iota.
#define HEARTH_KECCAK_ROUND(X, Y, rc)                                                  \
  do {                                                                                 \
    std::uint64_t Ca = X##ba ^ X##ga ^ X##ka ^ X##ma ^ X##sa;                          \
    std::uint64_t Ce = X##be ^ X##ge ^ X##ke ^ X##me ^ X##se;                          \
    std::uint64_t Ci = X##bi ^ X##gi ^ X##ki ^ X##mi ^ X##si;                          \
    std::uint64_t Co = X##bo ^ X##go ^ X##ko ^ X##mo ^ X##so;                          \
    std::uint64_t Cu = X##bu ^ X##gu ^ X##ku ^ X##mu ^ X##su;                          \
    std::uint64_t Da = Cu ^ rotl(Ce, 1), De = Ca ^ rotl(Ci, 1), Di = Ce ^ rotl(Co, 1); \
    std::uint64_t Do = Ci ^ rotl(Cu, 1), Du = Co ^ rotl(Ca, 1);                        \
    std::uint64_t Ba, Be, Bi, Bo, Bu;                                                  \
    Ba = X##ba ^ Da;                                                                   \
    Be = rotl(X##ge ^ De, 44);                                                         \
    Bi = rotl(X##ki ^ Di, 43);                                                         \
    Bo = rotl(X##mo ^ Do, 21);                                                         \
    Bu = rotl(X##su ^ Du, 14);                                                         \
    Y##ba = Ba ^ (~Be & Bi) ^ (rc);                                                    \
    Y##be = Be ^ (~Bi & Bo);                                                           \
    Y##bi = Bi ^ (~Bo & Bu);                                                           \
    Y##bo = Bo ^ (~Bu & Ba);                                                           \
    Y##bu = Bu ^ (~Ba & Be);                                                           \
    Ba = rotl(X##bo ^ Do, 28);                                                         \
    Be = rotl(X##gu ^ Du, 20);                                                         \
    Bi = rotl(X##ka ^ Da, 3);                                                          \
    Bo = rotl(X##me ^ De, 45);                                                         \
    Bu = rotl(X##si ^ Di, 61);                                                         \
    Y##ga = Ba ^ (~Be & Bi);                                                           \
    Y##ge = Be ^ (~Bi & Bo);                                                           \
    Y##gi = Bi ^ (~Bo & Bu);                                                           \
    Y##go = Bo ^ (~Bu & Ba);                                                           \
    Y##gu = Bu ^ (~Ba & Be);                                                           \
    Ba = rotl(X##be ^ De, 1);                                                          \
    Be = rotl(X##gi ^ Di, 6);                                                          \
    Bi = rotl(X##ko ^ Do, 25);                                                         \
    Bo = rotl(X##mu ^ Du, 8);                                                          \
    Bu = rotl(X##sa ^ Da, 18);                                                         \
    Y##ka = Ba ^ (~Be & Bi);                                                           \
    Y##ke = Be ^ (~Bi & Bo);                                                           \
    Y##ki = Bi ^ (~Bo & Bu);                                                           \
    Y##ko = Bo ^ (~Bu & Ba);                                                           \
    Y##ku = Bu ^ (~Ba & Be);                                                           \
    Ba = rotl(X##bu ^ Du, 27);                                                         \
    Be = rotl(X##ga ^ Da, 36);                                                         \
    Bi = rotl(X##ke ^ De, 10);                                                         \
    Bo = rotl(X##mi ^ Di, 15);                                                         \
    Bu = rotl(X##so ^ Do, 56);                                                         \
    Y##ma = Ba ^ (~Be & Bi);                                                           \
    Y##me = Be ^ (~Bi & Bo);                                                           \
    Y##mi = Bi ^ (~Bo & Bu);                                                           \
    Y##mo = Bo ^ (~Bu & Ba);                                                           \
    Y##mu = Bu ^ (~Ba & Be);                                                           \
    Ba = rotl(X##bi ^ Di, 62);                                                         \
    Be = rotl(X##go ^ Do, 55);                                                         \
    Bi = rotl(X##ku ^ Du, 39);                                                         \
    Bo = rotl(X##ma ^ Da, 41);                                                         \
    Bu = rotl(X##se ^ De, 2);                                                          \
    Y##sa = Ba ^ (~Be & Bi);                                                           \
    Y##se = Be ^ (~Bi & Bo);                                                           \
    Y##si = Bi ^ (~Bo & Bu);                                                           \
    Y##so = Bo ^ (~Bu & Ba);                                                           \
    Y##su = Bu ^ (~Ba & Be);                                                           \
  } while (0)

void keccak_f1600(std::uint64_t s[25]) {
  std::uint64_t Aba = s[0], Abe = s[1], Abi = s[2], Abo = s[3], Abu = s[4];
  std::uint64_t Aga = s[5], Age = s[6], Agi = s[7], Ago = s[8], Agu = s[9];
  std::uint64_t Aka = s[10], Ake = s[11], Aki = s[12], Ako = s[13], Aku = s[14];
  std::uint64_t Ama = s[15], Ame = s[16], Ami = s[17], Amo = s[18], Amu = s[19];
  std::uint64_t Asa = s[20], Ase = s[21], Asi = s[22], Aso = s[23], Asu = s[24];
  std::uint64_t Eba, Ebe, Ebi, Ebo, Ebu, Ega, Ege, Egi, Ego, Egu, Eka, Eke, Eki, Eko, Eku;
  std::uint64_t Ema, Eme, Emi, Emo, Emu, Esa, Ese, Esi, Eso, Esu;
  for (int round = 0; round < 24; round += 2) {
    HEARTH_KECCAK_ROUND(A, E, round_constants[round]);
    HEARTH_KECCAK_ROUND(E, A, round_constants[round + 1]);
  }
  s[0] = Aba, s[1] = Abe, s[2] = Abi, s[3] = Abo, s[4] = Abu;
  s[5] = Aga, s[6] = Age, s[7] = Agi, s[8] = Ago, s[9] = Agu;
  s[10] = Aka, s[11] = Ake, s[12] = Aki, s[13] = Ako, s[14] = Aku;
  s[15] = Ama, s[16] = Ame, s[17] = Ami, s[18] = Amo, s[19] = Amu;
  s[20] = Asa, s[21] = Ase, s[22] = Asi, s[23] = Aso, s[24] = Asu;
}

#undef HEARTH_KECCAK_ROUND

// Lanes are little-endian 64-bit words regardless of the host byte order.
void absorb_block(std::uint64_t state[25], const std::uint8_t* block, std::size_t rate) {
  for (std::size_t i = 0; i < rate / 8; ++i) {
    std::uint64_t lane = 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    std::memcpy(&lane, block + 8 * i, 8);
#else
    for (int b = 7; b >= 0; --b) lane = (lane << 8) | block[8 * i + b];
#endif
    state[i] ^= lane;
  }
  keccak_f1600(state);
}

}  // namespace

void keccak256_hasher::update(const std::uint8_t* data, std::size_t size) {
  if (buffered_ > 0) {
    std::size_t take = std::min(rate - buffered_, size);
    std::memcpy(buffer_ + buffered_, data, take);
    buffered_ += take;
    data += take;
    size -= take;
    if (buffered_ < rate) return;
    absorb_block(state_, buffer_, rate);
    buffered_ = 0;
  }
  for (; size >= rate; data += rate, size -= rate) absorb_block(state_, data, rate);
  std::memcpy(buffer_, data, size);
  buffered_ = size;
}

hash256 keccak256_hasher::finish() {
  std::memset(buffer_ + buffered_, 0, rate - buffered_);
  buffer_[buffered_] ^= 0x01;
  buffer_[rate - 1] ^= 0x80;
  absorb_block(state_, buffer_, rate);
  hash256 out;
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<std::uint8_t>(state_[i / 8] >> (8 * (i % 8)));
  *this = keccak256_hasher{};
  return out;
}

hash256 keccak256(const std::uint8_t* data, std::size_t size) {
  keccak256_hasher h;
  h.update(data, size);
  return h.finish();
}

}  // namespace hearth::crypto
