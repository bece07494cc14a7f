#pragma once

// `trunkguard audit freeswitch DIR`: reads a FreeSWITCH configuration directory (vars.xml,
// sip_profiles/*.xml, directory/**/*.xml, autoload_configs/acl.conf.xml and
// event_socket.conf.xml) and reports the FS-* checks of docs/audit.md at file and line. XML is
// parsed without any entity expansion (xml_reader.h); `$${var}` is resolved from vars.xml.

#include <string>

#include "audit/finding.h"

namespace tg::audit {

AuditResult auditFreeswitchDirectory(const std::string& directory);

}  // namespace tg::audit
