#include "guard/scanner/signatures.h"

#include <array>

namespace tg::guard::scanner {

// Where the list comes from: the User-Agent checks of the Kamailio sample configurations and
// secfilter module examples ("friendly-scanner|sipvicious|sipcli"), the widely copied iptables
// string-match rules against SIP scanners (sundayddr, iWar, sip-scan, sipcli, VaxSIPUserAgent,
// Nmap NSE), and fail2ban / APIBAN write-ups of what honeypots see. Only tools made for
// scanning, war dialling or password guessing are listed. Left out on purpose, although some
// block lists carry them: sipsak and sipp (test tools operators use against their own
// gateway) and SDK or product names (Ozeki, PortSIP, "Asterisk PBX") that real clients send.
// Attackers change the User-Agent freely; this list only removes the noise of the lazy ones,
// behaviour (distinct users, OPTIONS sweeps, failure ratio) catches the rest.
constexpr std::array kSignatures = {
    Signature{"friendly-scanner", "SIPVicious svmap/svwar/svcrack default User-Agent"},
    Signature{"sipvicious", "SIPVicious suite"},
    Signature{"sipcli", "SIPCLI, a brute-force call generator"},
    Signature{"sip-scan", "sip-scan"},
    Signature{"sundayddr", "SundayDDR worm scanner"},
    Signature{"iwar", "iWar war dialler"},
    Signature{"vaxsipuseragent", "VaxSIPUserAgent, a toll-fraud dialler's default"},
    Signature{"pplsip", "pplsip toll-fraud dialler"},
    Signature{"smap", "smap SIP scanner"},
    Signature{"nmap nse", "Nmap scripting engine SIP probes"},
    Signature{"sippts", "SIPPTS pentest suite"},
};

std::span<const Signature> shippedSignatures() { return kSignatures; }

}  // namespace tg::guard::scanner
