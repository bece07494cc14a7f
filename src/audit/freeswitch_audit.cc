#include "audit/freeswitch_audit.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <system_error>

#include "audit/asterisk_reader.h"
#include "audit/secret_strength.h"
#include "audit/text_match.h"
#include "audit/xml_reader.h"

namespace tg::audit {
namespace {

namespace fs = std::filesystem;
using xml::Element;

constexpr std::string_view kShippedDefaultPassword = "1234";  // vanilla vars.xml
constexpr std::string_view kShippedEslPassword = "ClueCon";   // vanilla event_socket.conf.xml

struct Document {
  std::string file;  // relative to the directory
  std::unique_ptr<Element> root;
};

// FreeSWITCH's switch_true(): yes, on, true, t, enabled, active, allow, or a non-zero number.
bool fsTrue(std::string_view v) {
  using asterisk::equalsIgnoreCase;
  for (std::string_view t : {"enabled", "active", "allow"}) {
    if (equalsIgnoreCase(v, t)) return true;
  }
  if (!v.empty() && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return v.find_first_not_of('0') != std::string_view::npos;
  }
  return asterisk::isTrue(v);
}

class FreeswitchAudit {
 public:
  explicit FreeswitchAudit(std::string directory) : dir_(std::move(directory)) {
    result_.target = dir_;
  }

  AuditResult run() {
    std::error_code ec;
    if (!fs::is_directory(dir_, ec)) {
      result_.errors.push_back(dir_ + ": not a directory");
      return std::move(result_);
    }
    if (auto vars = load("vars.xml")) readVars(*vars);
    if (auto acl = load("autoload_configs/acl.conf.xml")) readAcl(*acl);
    for (const std::string& file : xmlFiles("directory", true)) {
      if (auto d = load(file)) checkDirectory(*d);
    }
    for (const std::string& file : xmlFiles("dialplan", true)) {
      if (auto d = load(file)) checkDialplan(*d);
    }
    for (const std::string& file : xmlFiles("sip_profiles", false)) {
      if (auto d = load(file)) checkProfiles(*d);
    }
    if (auto esl = load("autoload_configs/event_socket.conf.xml")) checkEventSocket(*esl);
    if (!anyFile_ && result_.errors.empty()) {
      result_.errors.push_back(dir_ +
                               ": no vars.xml, sip_profiles/, directory/ or "
                               "autoload_configs/ here: not a FreeSWITCH configuration");
    }
    result_.sort();
    return std::move(result_);
  }

 private:
  std::optional<Document> load(const std::string& file) {
    std::error_code ec;
    if (!fs::exists(fs::path(dir_) / file, ec)) return std::nullopt;
    anyFile_ = true;
    xml::ParseResult parsed = xml::parseXmlFile((fs::path(dir_) / file).string());
    if (!parsed.root) {
      result_.errors.push_back(file + ": " + parsed.error);
      return std::nullopt;
    }
    return Document{file, std::move(parsed.root)};
  }

  // The *.xml files below `sub` (recursively or not), relative to the directory, sorted.
  std::vector<std::string> xmlFiles(const std::string& sub, bool recursive) {
    std::vector<std::string> out;
    const fs::path base = fs::path(dir_) / sub;
    std::error_code ec;
    if (!fs::is_directory(base, ec)) return out;
    auto take = [&](const fs::directory_entry& e) {
      std::error_code fileEc;
      if (e.is_regular_file(fileEc) && e.path().extension() == ".xml") {
        out.push_back(fs::relative(e.path(), dir_, fileEc).string());
      }
    };
    if (recursive) {
      for (auto it = fs::recursive_directory_iterator(base, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        take(*it);
      }
    } else {
      for (auto it = fs::directory_iterator(base, ec); !ec && it != fs::directory_iterator();
           it.increment(ec)) {
        take(*it);
      }
    }
    if (ec) result_.errors.push_back(sub + ": " + ec.message());
    std::sort(out.begin(), out.end());
    return out;
  }

  // $${name} replaced by vars.xml's value (left as written when unknown).
  std::string resolve(std::string value) const {
    size_t pos = 0;
    while ((pos = value.find("$${", pos)) != std::string::npos) {
      const size_t end = value.find('}', pos);
      if (end == std::string::npos) break;
      const auto it = vars_.find(value.substr(pos + 3, end - pos - 3));
      if (it == vars_.end()) {
        pos = end + 1;
        continue;
      }
      value.replace(pos, end - pos + 1, it->second);
      pos += it->second.size();
    }
    return value;
  }

  void readVars(const Document& d) {
    for (const Element* e : d.root->findAll("X-PRE-PROCESS")) {
      if (e->attribute("cmd") != "set") continue;
      const std::string data = e->attribute("data");
      const size_t eq = data.find('=');
      if (eq == std::string::npos) continue;
      const std::string name = data.substr(0, eq);
      const std::string value = data.substr(eq + 1);
      vars_[name] = value;
      if (name == "rtp_secure_media") srtpSetting(d, *e, value, true);
      if (name != "default_password") continue;
      if (value == kShippedDefaultPassword) {
        result_.add("FS-DEFAULT-PASSWORD", d.file, e->line, "default_password=1234 (as shipped)");
      } else if (const std::string why = secretWeakness(value, ""); !why.empty()) {
        result_.add("FS-WEAK-PASSWORD", d.file, e->line, "default_password: " + why);
      }
    }
  }

  void readAcl(const Document& d) {
    for (const Element* list : d.root->findAll("list")) {
      bool open = list->attribute("default") == "allow";
      for (const auto& node : list->children) {
        if (node->name != "node") continue;
        if (node->attribute("type") == "deny") open = false;
        const std::string cidr = node->attribute("cidr");
        if (node->attribute("type") == "allow" && (cidr == "0.0.0.0/0" || cidr == "::/0")) {
          open = true;
        }
      }
      if (open) openLists_.insert(list->attribute("name"));
    }
  }

  // Whether an apply-inbound-acl value lets everyone in.
  bool openAcl(const std::string& name) const {
    return name == "any_v4.auto" || name == "any_v6.auto" || openLists_.count(name) != 0;
  }

  static const Element* param(const Element& parent, std::string_view name) {
    for (const Element* p : parent.findAll("param")) {
      if (p->attribute("name") == name) return p;
    }
    return nullptr;
  }

  void checkDirectory(const Document& d) {
    for (const Element* user : d.root->findAll("user")) {
      const Element* password = param(*user, "password");
      if (password == nullptr) continue;
      const std::string raw = password->attribute("value");
      const std::string id = user->attribute("id");
      if (raw.find("$${default_password}") != std::string::npos &&
          vars_.count("default_password") != 0 &&
          vars_.at("default_password") == kShippedDefaultPassword) {
        result_.add("FS-DEFAULT-PASSWORD", d.file, password->line,
                    "user " + id + " uses $${default_password}, which is 1234");
        continue;
      }
      const std::string value = resolve(raw);
      if (value.find("$${") != std::string::npos) continue;  // unknown variable
      const std::string why =
          value == id ? std::string("equals the user id") : secretWeakness(value, id);
      if (!why.empty()) {
        result_.add("FS-WEAK-PASSWORD", d.file, password->line, "user " + id + ": " + why);
      }
    }
  }

  void checkProfiles(const Document& d) {
    for (const Element* profile : d.root->findAll("profile")) {
      const std::string name = profile->attribute("name");
      const Element* acl = param(*profile, "apply-inbound-acl");
      const bool aclOpen = acl != nullptr && openAcl(resolve(acl->attribute("value")));
      if (aclOpen) {
        result_.add("FS-OPEN-INBOUND-ACL", d.file, acl->line,
                    "profile " + name + ": apply-inbound-acl=" + acl->attribute("value") +
                        " admits every address");
      }
      const bool restricted = acl != nullptr && !aclOpen;
      auto value = [&](std::string_view key) -> std::optional<std::string> {
        const Element* p = param(*profile, key);
        if (p == nullptr) return std::nullopt;
        return resolve(p->attribute("value"));
      };
      if (const Element* p = param(*profile, "auth-calls");
          p != nullptr && !fsTrue(*value("auth-calls")) && !restricted) {
        result_.add("FS-AUTH-CALLS-OFF", d.file, p->line,
                    "profile " + name + ": auth-calls=" + *value("auth-calls") +
                        " and no apply-inbound-acl");
      }
      for (std::string_view blind : {"accept-blind-reg", "accept-blind-auth"}) {
        if (const Element* p = param(*profile, blind); p != nullptr && fsTrue(*value(blind))) {
          result_.add("FS-BLIND-REG", d.file, p->line,
                      "profile " + name + ": " + std::string(blind) + "=" + *value(blind));
        }
      }
      if (const Element* p = param(*profile, "inbound-late-negotiation");
          p != nullptr && fsTrue(*value("inbound-late-negotiation")) && !restricted) {
        result_.add("FS-LATE-NEG-NO-ACL", d.file, p->line,
                    "profile " + name + ": inbound-late-negotiation=true without an ACL");
      }
      const Element* tls = param(*profile, "tls");
      if (tls == nullptr || !fsTrue(*value("tls"))) {
        result_.add("FS-NO-TLS", d.file, tls != nullptr ? tls->line : profile->line,
                    "profile " + name + ": tls=" + (tls != nullptr ? *value("tls") : "unset"));
      }
      bool srtpHere = false;
      for (const Element* v : profile->findAll("variable")) {
        if (v->attribute("name") != "rtp_secure_media") continue;
        srtpSetting(d, *v, resolve(v->attribute("value")), false);
        srtpHere = true;
      }
      if (!srtpHere && !srtpAnywhere_) {
        result_.add("FS-NO-SRTP", d.file, profile->line,
                    "profile " + name +
                        ": rtp_secure_media is set nowhere (vars.xml, the profile's variables "
                        "or the dialplan): its calls' media is plain RTP");
      }
    }
  }

  // rtp_secure_media (vars.xml, a profile's <variables>, a dialplan set/export): SRTP is on
  // when it starts with mandatory, optional or true (suites may follow a colon). A setting in
  // vars.xml or the dialplan covers every profile's calls (`global`); a profile's covers its own.
  void srtpSetting(const Document& d, const Element& where, const std::string& value, bool global) {
    if (global) srtpAnywhere_ = true;
    const std::string mode = value.substr(0, value.find(':'));
    using asterisk::equalsIgnoreCase;
    if (equalsIgnoreCase(mode, "mandatory") || equalsIgnoreCase(mode, "optional") || fsTrue(mode)) {
      return;
    }
    result_.add("FS-NO-SRTP", d.file, where.line, "rtp_secure_media=" + value);
  }

  // Caller-controlled channel variables: what a caller writes in the INVITE.
  static bool callerData(std::string_view data) {
    for (std::string_view v :
         {"${caller_id_number}", "${caller_id_name}", "${effective_caller_id_number}",
          "${effective_caller_id_name}", "${destination_number}", "${sip_from_user}",
          "${sip_from_display}", "${sip_to_user}", "${sip_req_user}", "${sip_h_", "${sip_i_"}) {
      if (data.find(v) != std::string_view::npos) return true;
    }
    for (char n = '1'; n <= '9'; ++n) {  // a condition's regex captures of the dialled number
      if (data.find(std::string("$") + n) != std::string_view::npos) return true;
    }
    return false;
  }

  void checkDialplan(const Document& d) {
    for (const Element* context : d.root->findAll("context")) {
      const std::string contextName = context->attribute("name");
      std::vector<const Element*> actions = context->findAll("action");
      for (const Element* anti : context->findAll("anti-action")) actions.push_back(anti);
      for (const Element* a : actions) {
        const std::string app = a->attribute("application");
        const std::string data = a->attribute("data");
        if ((app == "system" || app == "bgsystem") && callerData(data)) {
          result_.add("FS-DIALPLAN-SHELL", d.file, a->line,
                      "context " + contextName + ": " + app + " " + data);
        }
        if ((app == "set" || app == "export") && data.starts_with("rtp_secure_media=")) {
          srtpSetting(d, *a, data.substr(data.find('=') + 1), true);
        }
        if (contextName == "public" && app == "bridge" &&
            (data.find("sofia/gateway/") != std::string::npos ||
             data.find("sofia/external/") != std::string::npos)) {
          result_.add("FS-PUBLIC-BRIDGE", d.file, a->line, "context public: bridge " + data);
        }
      }
    }
  }

  void checkEventSocket(const Document& d) {
    const Element* listen = param(*d.root, "listen-ip");
    const Element* acl = param(*d.root, "apply-inbound-acl");
    const std::string ip = listen != nullptr ? resolve(listen->attribute("value")) : "127.0.0.1";
    const bool restricted = acl != nullptr && !openAcl(resolve(acl->attribute("value")));
    if (listen != nullptr && !isLoopbackHost(ip) && !restricted) {
      result_.add("FS-ESL-EXPOSED", d.file, listen->line, "listen-ip=" + ip);
    }
    if (const Element* p = param(*d.root, "password")) {
      const std::string password = resolve(p->attribute("value"));
      if (password == kShippedEslPassword) {
        result_.add("FS-ESL-DEFAULT-PASSWORD", d.file, p->line, "password=ClueCon (as shipped)");
      } else if (const std::string why = secretWeakness(password, ""); !why.empty()) {
        result_.add("FS-WEAK-PASSWORD", d.file, p->line, "event socket password: " + why);
      }
    }
  }

  std::string dir_;
  AuditResult result_;
  std::map<std::string, std::string> vars_;
  std::set<std::string> openLists_;
  bool anyFile_ = false;
  bool srtpAnywhere_ = false;  // rtp_secure_media seen in vars.xml or the dialplan
};

}  // namespace

AuditResult auditFreeswitchDirectory(const std::string& directory) {
  return FreeswitchAudit(directory).run();
}

}  // namespace tg::audit
