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

DigestServer::DigestServer(const base::Clock& clock, DigestServerOptions options)
    : clock_(clock),
      options_(std::move(options)),
      dummyMd5_(base::randomHex(16)),
      dummySha_(base::randomHex(32)) {
  if (options_.key.empty()) options_.key = randomKey();
  if (options_.algorithms.empty()) options_.algorithms = {sip::DigestAlgorithm::kSha256};
  if (options_.maxTrackedNonces == 0) options_.maxTrackedNonces = 1;
  // Nonces issued before we started may have been used already, by us before a restart or by
  // another node: their counts are unknown here.
  forgottenUpTo_ =
      std::chrono::duration_cast<std::chrono::seconds>(clock_.wallNow().time_since_epoch())
          .count() -
      1;
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
  std::vector<std::string> out;
  out.reserve(options_.algorithms.size());
  for (const sip::DigestAlgorithm alg : options_.algorithms) {
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
  std::lock_guard lock(mutex_);
  auto it = counts_.find(std::string(nonce));
  if (it != counts_.end()) {
    if (nc <= it->second) return DigestCheck::kReplay;
    it->second = nc;
    return DigestCheck::kOk;
  }
  // Its count may have been forgotten: make the phone take a fresh nonce.
  if (issuedS <= forgottenUpTo_) return DigestCheck::kStale;
  while (counts_.size() >= options_.maxTrackedNonces && !order_.empty()) {
    forgottenUpTo_ = std::max(forgottenUpTo_, order_.front().second);
    counts_.erase(order_.front().first);
    order_.pop_front();
  }
  counts_.emplace(std::string(nonce), nc);
  order_.emplace_back(std::string(nonce), issuedS);
  return DigestCheck::kOk;
}

void DigestServer::expire() {
  const int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(clock_.wallNow().time_since_epoch()).count();
  std::lock_guard lock(mutex_);
  // Past their lifetime they are refused as stale before their count is consulted.
  std::erase_if(order_, [&](const auto& entry) {
    if (now - entry.second <= options_.nonceLifetime.count()) return false;
    counts_.erase(entry.first);
    return true;
  });
}

size_t DigestServer::trackedNonces() const {
  std::lock_guard lock(mutex_);
  return counts_.size();
}

}  // namespace tg::auth
