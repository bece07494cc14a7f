#include "base/sealed_secret.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <vector>

#include "base/hex.h"
#include "base/openssl_error.h"

namespace tg::base {
namespace {

constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;

using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

std::optional<SealingKey> fail(std::string* error, std::string why) {
  if (error != nullptr) *error = std::move(why);
  return std::nullopt;
}

}  // namespace

SealingKey::~SealingKey() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }

SealingKey SealingKey::fromBytes(const std::array<unsigned char, kBytes>& bytes) {
  SealingKey key;
  key.bytes_ = bytes;
  return key;
}

std::string filePermissionProblem(const std::string& path, bool allowGroup) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return path + ": " + std::strerror(errno);
  if (!S_ISREG(st.st_mode)) return path + ": not a regular file";
  const mode_t forbidden = allowGroup ? S_IRWXO : (S_IRWXG | S_IRWXO);
  if ((st.st_mode & forbidden) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return path + ": mode " + mode + " lets " + (allowGroup ? "everyone" : "group or others") +
           " read it; chmod " + (allowGroup ? "o-rwx" : "600") + " it";
  }
  return {};
}

std::optional<SealingKey> SealingKey::load(const std::string& path, std::string* error) {
  if (std::string problem = filePermissionProblem(path, false); !problem.empty()) {
    return fail(error, "key file " + problem);
  }
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return fail(error, "key file " + path + ": cannot read it");
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  auto bytes = fromHex(line);
  const bool ok = bytes && bytes->size() == kBytes;
  SealingKey key;
  if (ok) std::memcpy(key.bytes_.data(), bytes->data(), kBytes);
  if (bytes) OPENSSL_cleanse(bytes->data(), bytes->size());
  OPENSSL_cleanse(line.data(), line.size());
  if (!ok) return fail(error, "key file " + path + ": expected 64 hex characters (32 bytes)");
  return key;
}

std::optional<SealingKey> SealingKey::loadOrCreate(const std::string& path, bool* created,
                                                   std::string* error) {
  if (created != nullptr) *created = false;
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 || errno != ENOENT) return load(path, error);
  SealingKey key;
  if (RAND_bytes(key.bytes_.data(), static_cast<int>(kBytes)) != 1) {
    return fail(error, "key file " + path + ": no random bytes: " + lastOpensslError());
  }
  // O_EXCL: two processes starting at once must not each write a key of their own.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, S_IRUSR | S_IWUSR);
  if (fd < 0) {
    if (errno == EEXIST) return load(path, error);
    return fail(error, "key file " + path + ": cannot create it: " + std::strerror(errno));
  }
  std::string text = toHex(key.bytes_.data(), kBytes) + "\n";
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                       ::fsync(fd) == 0;
  OPENSSL_cleanse(text.data(), text.size());
  ::close(fd);
  if (!written) {
    ::unlink(path.c_str());
    return fail(error, "key file " + path + ": cannot write it: " + std::strerror(errno));
  }
  if (created != nullptr) *created = true;
  return key;
}

bool isSealed(std::string_view value) { return value.starts_with(kSealedPrefix); }

std::string seal(const SealingKey& key, std::string_view plaintext, std::string_view context) {
  std::vector<unsigned char> out(kNonceBytes + plaintext.size() + kTagBytes);
  unsigned char* nonce = out.data();
  unsigned char* body = out.data() + kNonceBytes;
  unsigned char* tag = body + plaintext.size();
  if (RAND_bytes(nonce, static_cast<int>(kNonceBytes)) != 1) return {};
  CipherContext ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int length = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(plaintext.data());
  const bool ok =
      ctx != nullptr &&
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.bytes().data(), nonce) == 1 &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &length,
                        reinterpret_cast<const unsigned char*>(context.data()),
                        static_cast<int>(context.size())) == 1 &&
      EVP_EncryptUpdate(ctx.get(), body, &length, in, static_cast<int>(plaintext.size())) == 1 &&
      EVP_EncryptFinal_ex(ctx.get(), body + length, &length) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagBytes), tag) == 1;
  if (!ok) return {};
  return std::string(kSealedPrefix) + toHex(out.data(), out.size());
}

std::optional<std::string> unseal(const SealingKey& key, std::string_view sealed,
                                  std::string_view context, std::string* error) {
  auto refuse = [error](const char* why) -> std::optional<std::string> {
    if (error != nullptr) *error = why;
    return std::nullopt;
  };
  if (!isSealed(sealed)) return refuse("not a sealed value (no sealed:v1: prefix)");
  auto raw = fromHex(sealed.substr(kSealedPrefix.size()));
  if (!raw || raw->size() < kNonceBytes + kTagBytes) return refuse("malformed sealed value");
  const size_t bodySize = raw->size() - kNonceBytes - kTagBytes;
  unsigned char* nonce = raw->data();
  unsigned char* body = nonce + kNonceBytes;
  unsigned char* tag = body + bodySize;
  std::string plain(bodySize, '\0');
  auto* outBytes = reinterpret_cast<unsigned char*>(plain.data());
  CipherContext ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int length = 0;
  int finalLength = 0;
  const bool ok =
      ctx != nullptr &&
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.bytes().data(), nonce) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &length,
                        reinterpret_cast<const unsigned char*>(context.data()),
                        static_cast<int>(context.size())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), outBytes, &length, body, static_cast<int>(bodySize)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagBytes), tag) == 1 &&
      EVP_DecryptFinal_ex(ctx.get(), outBytes + length, &finalLength) == 1;
  if (!ok) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return refuse(
        "the sealed value does not authenticate (another key, another place, or "
        "tampered with)");
  }
  return plain;
}

}  // namespace tg::base
