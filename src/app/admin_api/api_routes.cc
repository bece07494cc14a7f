// The admin API's routes over the gateway: what it shows and what an admin may do to it.
// Routing, authentication and the role check are done before these run (admin_api.cc).

#include <charconv>
#include <limits>

#include "app/admin_api/admin_api.h"
#include "app/cdr_command.h"
#include "auth/lockout.h"

namespace tg::app::admin_api {
namespace {

constexpr size_t kMaxLimit = 10000;
constexpr size_t kMaxText = 256;

std::string_view callStateName(b2bua::CallState s) {
  switch (s) {
    case b2bua::CallState::kRouting:
      return "routing";
    case b2bua::CallState::kEarly:
      return "early";
    case b2bua::CallState::kConfirmed:
      return "confirmed";
    case b2bua::CallState::kEnded:
      return "ended";
  }
  return "unknown";
}

// A non-negative integer query parameter: its value, `fallback` when absent, or nullopt when
// it is not a number in [0, max].
std::optional<int64_t> numberParam(const ApiRequest& r, std::string_view name, int64_t fallback,
                                   int64_t max = std::numeric_limits<int64_t>::max()) {
  const auto text = queryValue(r, name);
  if (!text) return fallback;
  int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || ptr != text->data() + text->size() || value < 0 || value > max) {
    return std::nullopt;
  }
  return value;
}

ApiResponse badParam(std::string_view name, std::string_view what) {
  return errorResponse(
      400, std::string("query parameter ") + std::string(name) + ": " + std::string(what));
}

// A CDR as one level of columns for CSV: a nested object's keys become "media.bytes_a_to_b".
nlohmann::ordered_json flatCdr(const db::CdrRecord& record) {
  nlohmann::ordered_json flat = nlohmann::ordered_json::object();
  const nlohmann::ordered_json nested = cdrJson(record);
  for (auto it = nested.begin(); it != nested.end(); ++it) {
    if (!it.value().is_object()) {
      flat[it.key()] = it.value();
      continue;
    }
    for (auto inner = it.value().begin(); inner != it.value().end(); ++inner) {
      flat[it.key() + "." + inner.key()] = inner.value();
    }
  }
  return flat;
}

std::string csvField(const nlohmann::ordered_json& value) {
  std::string text = value.is_string() ? value.get<std::string>()
                     : value.is_null() ? std::string()
                                       : value.dump();
  // RFC 4180 quoting; a leading = + - @ is prefixed so a spreadsheet does not run it.
  if (!text.empty() && (text[0] == '=' || text[0] == '+' || text[0] == '-' || text[0] == '@') &&
      !value.is_number()) {
    text.insert(0, "'");
  }
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

}  // namespace

ApiResponse AdminApi::status(const Call&) {
  return jsonResponse(200, statusJson(backend_.status()));
}

ApiResponse AdminApi::calls(const Call&) {
  nlohmann::json list = nlohmann::json::array();
  for (const CallEntry& e : backend_.calls()) {
    nlohmann::json media = nullptr;  // null: the call's media is not relayed
    if (e.media) {
      const auto& m = *e.media;
      media = {{"packets_a_to_b", m.packetsAtoB},
               {"packets_b_to_a", m.packetsBtoA},
               {"bytes_a_to_b", m.bytesAtoB},
               {"bytes_b_to_a", m.bytesBtoA},
               {"foreign_dropped", m.foreignDropped},
               {"unauthenticated_dropped", m.unauthenticatedDropped},
               {"over_rate_dropped", m.overRateDropped},
               {"payload_type_dropped", m.payloadTypeDropped},
               {"srtp_a", m.srtpA},
               {"srtp_b", m.srtpB}};
    }
    list.push_back({{"uuid", e.call.uuid},
                    {"worker", e.worker},
                    {"direction", b2bua::directionName(e.call.direction)},
                    {"state", callStateName(e.call.state)},
                    {"provider", e.call.provider},
                    {"dialled", e.call.dialled},
                    {"media", media}});
  }
  return jsonResponse(200, {{"calls", list}});
}

ApiResponse AdminApi::endCall(const Call& c) {
  const std::string& uuid = c.args[0];
  const bool ended = backend_.endCall(uuid, "ended by admin " + c.who.actor);
  return acted(c, "api end call " + auth::printableName(uuid),
               ended ? ActionResult{} : ActionResult{404, "no such call"}, {{"ended", uuid}});
}

ApiResponse AdminApi::events(const Call& c) {
  const ApiRequest& r = c.request;
  EventQuery q;
  const auto since = numberParam(r, "since", 0);
  if (!since) return badParam("since", "Unix seconds");
  const auto limit = numberParam(r, "limit", 100, kMaxLimit);
  if (!limit) return badParam("limit", "a number from 0 to 10000");
  q.since = *since;
  q.limit = static_cast<size_t>(*limit);
  q.zone = queryValue(r, "zone").value_or("");
  q.source = queryValue(r, "source").value_or("");
  q.rule = queryValue(r, "rule").value_or("");
  if (q.zone.size() > kMaxText || q.source.size() > kMaxText || q.rule.size() > kMaxText) {
    return errorResponse(400, "a filter is longer than 256 characters");
  }
  nlohmann::json list = nlohmann::json::array();
  for (const EventRow& e : backend_.events(q)) {
    list.push_back({{"time", e.time},
                    {"zone", e.zone},
                    {"source", e.source},
                    {"rule", e.rule},
                    {"detail", e.detail}});
  }
  return jsonResponse(200, {{"events", list}});
}

ApiResponse AdminApi::bans(const Call&) {
  nlohmann::json list = nlohmann::json::array();
  for (const BanRow& b : backend_.bans()) {
    list.push_back({{"source", b.source},
                    {"reason", b.reason},
                    {"created", b.created},
                    {"expires", b.expires ? nlohmann::json(*b.expires) : nlohmann::json(nullptr)}});
  }
  return jsonResponse(200, {{"bans", list}});
}

ApiResponse AdminApi::addBan(const Call& c) {
  auto parsed = jsonBody(c.request);
  if (auto* refusal = std::get_if<ApiResponse>(&parsed)) return *refusal;
  const nlohmann::json& body = std::get<nlohmann::json>(parsed);
  const auto source = body.find("source");
  const auto reason = body.find("reason");
  const auto duration = body.find("duration_s");
  if (source == body.end() || !source->is_string() || source->get<std::string>().size() > 64 ||
      (reason != body.end() &&
       (!reason->is_string() || reason->get<std::string>().size() > kMaxText)) ||
      (duration != body.end() && !duration->is_number_unsigned())) {
    return errorResponse(400,
                         "give \"source\" (an address or CIDR), optionally \"reason\" (text) and "
                         "\"duration_s\" (seconds, 0 or absent: until removed)");
  }
  const std::string text = source->get<std::string>();
  const std::string why =
      reason == body.end() ? "banned by " + c.who.actor : reason->get<std::string>();
  const int64_t seconds =
      duration == body.end()
          ? 0
          : static_cast<int64_t>(std::min<uint64_t>(duration->get<uint64_t>(), 315360000));
  const ActionResult result = backend_.addBan(text, why, seconds);
  return acted(c, "api ban add " + auth::printableName(text), result,
               {{"banned", text}, {"duration_s", seconds}, {"message", result.message}});
}

ApiResponse AdminApi::removeBan(const Call& c) {
  const std::string& source = c.args[0];
  const ActionResult result = backend_.removeBan(source);
  return acted(c, "api ban remove " + auth::printableName(source), result, {{"removed", source}});
}

ApiResponse AdminApi::cdrs(const Call& c) {
  const ApiRequest& r = c.request;
  CdrQuery q;
  const auto since = numberParam(r, "since", 0);
  const auto until = numberParam(r, "until", 0);
  const auto limit = numberParam(r, "limit", 100, kMaxLimit);
  if (!since || !until) return badParam(since ? "until" : "since", "Unix seconds");
  if (!limit) return badParam("limit", "a number from 0 to 10000");
  const std::string format = queryValue(r, "format").value_or("json");
  if (format != "json" && format != "csv") return badParam("format", "csv or json");
  q.since = *since;
  q.until = *until;
  q.limit = static_cast<size_t>(*limit);
  const std::vector<db::CdrRecord> records = backend_.cdrs(q);
  if (format == "json") {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const db::CdrRecord& record : records) list.push_back(cdrJson(record));
    ApiResponse out;
    out.body = nlohmann::ordered_json{{"cdrs", list}}.dump(
        -1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    return out;
  }
  ApiResponse out;
  out.contentType = "text/csv; charset=utf-8";
  out.headers.emplace_back("Content-Disposition", "attachment; filename=\"cdrs.csv\"");
  // Plain iterators over named values: the rows are built first, never iterated as temporaries.
  const nlohmann::ordered_json header = flatCdr(db::CdrRecord{});
  std::string line;
  for (auto it = header.begin(); it != header.end(); ++it) {
    line += (line.empty() ? "" : ",") + it.key();
  }
  out.body = line + "\r\n";
  for (const db::CdrRecord& record : records) {
    const nlohmann::ordered_json row = flatCdr(record);
    line.clear();
    for (auto it = row.begin(); it != row.end(); ++it) {
      line += (it == row.begin() ? "" : ",") + csvField(it.value());
    }
    out.body += line + "\r\n";
  }
  return out;
}

ApiResponse AdminApi::accounts(const Call&) {
  return jsonResponse(200, {{"accounts", backend_.accounts()}});
}

ApiResponse AdminApi::accountAction(const Call& c) {
  const std::string& name = c.args[0];
  const std::string& path = c.request.path;
  const std::string action = path.substr(path.rfind('/') + 1);
  const ActionResult result = backend_.accountAction(name, action);
  return acted(c, "api account " + action + " " + auth::printableName(name), result,
               {{"account", name}, {"done", action}, {"message", result.message}});
}

ApiResponse AdminApi::registrations(const Call&) {
  return jsonResponse(200, {{"registrations", backend_.registrations()}});
}

ApiResponse AdminApi::reload(const Call& c) {
  const nlohmann::json result = backend_.reload();
  const bool applied = result.value("applied", false);
  backend_.audit(c.who.actor, "api reload", applied ? "ok" : "failed: refused", c.request.source);
  return jsonResponse(applied ? 200 : 422, result);
}

ApiResponse AdminApi::explain(const Call& c) {
  auto parsed = jsonBody(c.request);
  if (auto* refusal = std::get_if<ApiResponse>(&parsed)) return *refusal;
  nlohmann::json report;
  const ActionResult result = backend_.explain(std::get<nlohmann::json>(parsed), &report);
  if (result.status != 200) return errorResponse(result.status, result.message);
  return jsonResponse(200, report);
}

}  // namespace tg::app::admin_api
