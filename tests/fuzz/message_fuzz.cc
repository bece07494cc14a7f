// Any bytes as a datagram: parse, validate, and for valid messages serialize and parse again.
#include <cstddef>
#include <cstdint>
#include <string>

#include "sip/builder.h"
#include "sip/message.h"
#include "sip/validator.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tg::sip;
  Message m;
  if (!m.parse(std::string(reinterpret_cast<const char*>(data), size)).ok()) return 0;
  // Touch every lazy accessor: they must cope with anything that parsed.
  (void)m.requestUri();
  (void)m.from();
  (void)m.to();
  (void)m.topVia();
  (void)m.cseq();
  (void)m.maxForwards();
  (void)m.expires();
  (void)m.contact();
  const Verdict v = validate(m);
  if (!v.ok()) return 0;
  Message again;
  if (!again.parse(MessageEditor(m).serialize()).ok()) __builtin_trap();
  if (!validate(again).ok()) __builtin_trap();
  // The serializer adds a Content-Length when a body came without one (builder.h).
  const size_t added = !m.has(HeaderId::kContentLength) && !m.body().empty() ? 1 : 0;
  if (again.headers().size() != m.headers().size() + added) __builtin_trap();
  return 0;
}
