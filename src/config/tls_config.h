#pragma once

// TLS: the certificate trunkguard presents on tls:// listeners, and the checks it makes of
// providers' certificates. Read by tls_section.cc.

namespace tg::config {

struct TlsSettings {};
struct ProviderTls {};

}  // namespace tg::config
