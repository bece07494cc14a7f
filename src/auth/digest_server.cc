#include "auth/digest_server.h"

#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "base/random.h"

namespace tg::auth {
namespace {

constexpr size_t kTimeHex = 16;
constexpr size_t kSaltHex = 16;
constexpr size_t kMacHex = 32;
constexpr size_t kNonceHex = kTimeHex + kSaltHex + kMacHex;
constexpr int64_t kClockSkewS = 60;  // a nonce from a node whose clock runs a little ahead

std::string toHex(const unsigned char* data, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0xf];
  }
  return out;
}

bool isLowerHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

template <typename T>
std::optional<T> parseHex(std::string_view s) {
  T value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value, 16);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string randomKey() {
  std::array<unsigned char, 32> key{};
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) {
    // RAND_bytes only fails without entropy; base::randomHex aborts in that case too.
    return base::randomHex(32);
  }
  return std::string(reinterpret_cast<const char*>(key.data()), key.size());
}

}  // namespace

std::string_view checkName(DigestCheck c) {
  switch (c) {
    case DigestCheck::kOk:
      return "ok";
    case DigestCheck::kMalformed:
      return "malformed credentials";
    case DigestCheck::kWrongRealm:
      return "wrong realm";
    case DigestCheck::kUnknownAlgorithm:
      return "algorithm not offered";
    case DigestCheck::kBadQop:
      return "qop not auth";
    case DigestCheck::kInvalidNonce:
      return "invalid nonce";
    case DigestCheck::kWrongResponse:
      return "wrong response";
    case DigestCheck::kStale:
      return "stale nonce";
    case DigestCheck::kReplay:
      return "replayed nonce-count";
  }
  return "?";
}

std::optional<std::string> loadNonceKey(const std::string& path, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (error != nullptr) *error = path + ": cannot read the nonce key file";
    return std::nullopt;
  }
  std::string key((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (key.size() < 32) {
    if (error != nullptr) {
      *error = path + ": the nonce key must hold at least 32 bytes (has " +
               std::to_string(key.size()) + "); create it with head -c 32 /dev/urandom";
    }
    return std::nullopt;
  }
  return key;
}

namespace {

std::unique_ptr<store::MemoryStore> ownStoreUnless(store::Store* given, const base::Clock& clock,
                                                   size_t cap) {
  if (given != nullptr) return nullptr;
  // One shard: the cap is exact and the oldest count is the one forgotten.
  return std::make_unique<store::MemoryStore>(
      clock, store::MemoryStoreOptions{.maxKeys = std::max<size_t>(1, cap), .shards = 1});
}

}  // namespace

DigestServer::DigestServer(const base::Clock& clock, DigestServerOptions options,
                           store::Store* store)
    : clock_(clock),
      options_(std::move(options)),
      dummyMd5_(base::randomHex(16)),
      dummySha_(base::randomHex(32)),
      ownStore_(ownStoreUnless(store, clock, options_.maxTrackedNonces)),
      store_(store != nullptr ? *store : *ownStore_) {
  if (!store_.completesInline()) {
    throw std::invalid_argument("the digest server needs a store that answers inline");
  }
  if (options_.key.empty()) options_.key = randomKey();
  if (options_.algorithms.empty()) options_.algorithms = {sip::DigestAlgorithm::kSha256};
  // Nonces issued before we started may have been used already, by us before a restart or by
  // another node: their counts are unknown here.
  forgottenUpTo_ =
      std::chrono::duration_cast<std::chrono::seconds>(clock_.wallNow().time_since_epoch())
          .count() -
      1;
  evictionsSeen_ = store_.evictions(kNonceKeyPrefix);
}

const std::string& DigestServer::dummyHa1(sip::DigestAlgorithm alg) const {
  return sip::hexLength(alg) == 32 ? dummyMd5_ : dummySha_;
}

std::string DigestServer::mac(std::string_view timeHex, std::string_view saltHex,
                              const base::Address& source) const {
  std::string data;
  data.reserve(64 + options_.realm.size());
  data.append(timeHex);
  data.append(saltHex);
  data.push_back('\0');
  data.append(options_.realm);
  data.push_back('\0');
  data.append(source.ip());  // not the port: NAT and TCP reconnects change it
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), options_.key.data(), static_cast<int>(options_.key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
           &len) == nullptr) {
    return {};
  }
  return toHex(out, kMacHex / 2);
}

std::string DigestServer::makeNonce(const base::Address& source) const {
  const int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(clock_.wallNow().time_since_epoch()).count();
  char time[kTimeHex + 1];
  std::snprintf(time, sizeof time, "%016llx", static_cast<unsigned long long>(now));
  const std::string salt = base::randomHex(kSaltHex / 2);
  return std::string(time) + salt + mac(time, salt, source);
}

std::optional<DigestServer::NonceParts> DigestServer::openNonce(std::string_view nonce,
                                                                const base::Address& source) const {
  if (nonce.size() != kNonceHex || !isLowerHex(nonce)) return std::nullopt;
  const auto issued = parseHex<uint64_t>(nonce.substr(0, kTimeHex));
  if (!issued) return std::nullopt;
  const std::string_view salt = nonce.substr(kTimeHex, kSaltHex);
  const std::string expected = mac(nonce.substr(0, kTimeHex), salt, source);
  if (!sip::constantTimeEquals(expected, nonce.substr(kTimeHex + kSaltHex))) return std::nullopt;
  return NonceParts{static_cast<int64_t>(*issued), salt};
}

std::vector<std::string> DigestServer::challenges(const base::Address& source, bool stale) const {
  return challenges(source, stale, options_.algorithms);
}

std::vector<std::string> DigestServer::challenges(
    const base::Address& source, bool stale, const std::vector<sip::DigestAlgorithm>& order) const {
  std::vector<std::string> out;
  out.reserve(order.size());
  for (const sip::DigestAlgorithm alg : order) {
    const std::string nonce = makeNonce(source);
    sip::Challenge c;
    c.realm = options_.realm;
    c.nonce = nonce;
    c.algorithm = sip::name(alg);
    c.qop = "auth";
    c.stale = stale;
    out.push_back(sip::formatChallenge(c));
  }
  return out;
}

DigestPrecheck DigestServer::precheck(const sip::Credentials& c,
                                      const base::Address& source) const {
  DigestPrecheck out;
  if (!c.isDigest() || !c.missingRequired().empty() || c.userhash) return out;
  if (!c.realm.equals(options_.realm)) {
    out.status = DigestCheck::kWrongRealm;
    return out;
  }
  const auto alg = sip::parseDigestAlgorithm(c.algorithm.present ? c.algorithm.view() : "");
  if (!alg || std::find(options_.algorithms.begin(), options_.algorithms.end(), *alg) ==
                  options_.algorithms.end()) {
    out.status = DigestCheck::kUnknownAlgorithm;
    return out;
  }
  out.algorithm = *alg;
  if (!c.qop.present || !c.qop.equals("auth")) {
    out.status = DigestCheck::kBadQop;
    return out;
  }
  if (c.nc.view().size() != 8 || !parseHex<uint32_t>(c.nc.view())) return out;  // kMalformed
  const auto parts = openNonce(c.nonce.view(), source);
  if (!parts) {
    out.status = DigestCheck::kInvalidNonce;
    return out;
  }
  const int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(clock_.wallNow().time_since_epoch()).count();
  if (parts->issuedS > now + kClockSkewS) {
    out.status = DigestCheck::kInvalidNonce;
    return out;
  }
  out.expired = now - parts->issuedS > options_.nonceLifetime.count();
  out.status = DigestCheck::kOk;
  return out;
}

bool DigestServer::responseMatches(const sip::Credentials& c, std::string_view method,
                                   sip::DigestAlgorithm alg, std::string_view ha1) const {
  const std::string uri = c.uri.str();
  const std::string nonce = c.nonce.str();
  const std::string cnonce = c.cnonce.str();
  sip::DigestInputs in;
  in.algorithm = alg;
  in.storedHa1 = ha1;
  in.method = method;
  in.uri = uri;
  in.nonce = nonce;
  in.nc = c.nc.view();
  in.cnonce = cnonce;
  in.qop = sip::DigestQop::kAuth;
  return sip::constantTimeEquals(sip::computeResponse(in), lower(c.response.view()));
}

DigestCheck DigestServer::verify(const sip::Credentials& c, std::string_view method,
                                 const DigestPrecheck& pre, std::string_view ha1) {
  if (pre.status != DigestCheck::kOk) return pre.status;
  if (!responseMatches(c, method, pre.algorithm, ha1)) return DigestCheck::kWrongResponse;
  if (pre.expired) return DigestCheck::kStale;
  const std::string_view nonce = c.nonce.view();
  const auto issued = parseHex<uint64_t>(nonce.substr(0, std::min(nonce.size(), kTimeHex)));
  const auto nc = parseHex<uint32_t>(c.nc.view());
  if (!issued || !nc) return DigestCheck::kInvalidNonce;  // precheck() vouched for both
  return recordNonceCount(nonce, static_cast<int64_t>(*issued), *nc);
}

DigestCheck DigestServer::recordNonceCount(std::string_view nonce, int64_t issuedS, uint32_t nc) {
  const std::string key = std::string(kNonceKeyPrefix) + std::string(nonce);
  const int64_t nowS =
      std::chrono::duration_cast<std::chrono::seconds>(clock_.wallNow().time_since_epoch()).count();
  // Past its lifetime a nonce is refused as stale before its count is consulted: the count
  // need not outlive it.
  const auto ttl = std::chrono::seconds(
      std::max<int64_t>(1, issuedS + options_.nonceLifetime.count() + 1 - nowS));
  const std::string next = std::to_string(nc);
  // Another worker may answer with the same nonce at the same moment: compare-and-set, and
  // look again when it moved first.
  for (int attempt = 0; attempt < 8; ++attempt) {
    const auto held = store::answerNow<std::optional<std::string>>(
        [&](store::Done<std::optional<std::string>> d) { store_.get(key, std::move(d)); });
    std::optional<std::string_view> expected;
    if (held) {
      uint32_t seen = 0;
      const auto [end, ec] = std::from_chars(held->data(), held->data() + held->size(), seen);
      if (ec != std::errc() || nc <= seen) return DigestCheck::kReplay;
      expected = *held;
    } else {
      // Absent: never used, or forgotten by an eviction.
      const uint64_t evictions = store_.evictions(key);
      if (evictions != evictionsSeen_.exchange(evictions)) {
        int64_t upTo = forgottenUpTo_.load();
        while (upTo < nowS && !forgottenUpTo_.compare_exchange_weak(upTo, nowS)) {
        }
      }
      // Its count may have been forgotten: make the phone take a fresh nonce.
      if (issuedS <= forgottenUpTo_.load()) return DigestCheck::kStale;
    }
    const auto result = store::answerNow<store::CasResult>([&](store::Done<store::CasResult> d) {
      store_.compareAndSet(key, expected, next, ttl, std::move(d));
    });
    if (result.swapped()) return DigestCheck::kOk;
  }
  return DigestCheck::kReplay;  // others kept moving it: this answer is not the newest
}

void DigestServer::expire() {
  if (ownStore_) ownStore_->sweep();
}

size_t DigestServer::trackedNonces() const { return ownStore_ ? ownStore_->size() : 0; }

}  // namespace tg::auth
