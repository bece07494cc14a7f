#pragma once

// Where log lines go besides stderr (log.output): the systemd journal with structured fields,
// the local syslog daemon in RFC 5424, or a file that logrotate can rotate (reopened on SIGUSR1).
// Each sink formats the message with the formatter log.cc gives it and adds its own envelope.
// A journal or syslog daemon that is not there does not lose lines: they go to stderr instead.

#include <spdlog/sinks/sink.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tg::log {

// The journal; fields: PRIORITY, SYSLOG_IDENTIFIER=trunkguard, TG_MODULE and what
// journalFields() finds in the message. Without a journald at creation: stderr.
spdlog::sink_ptr makeJournalSink();
// RFC 5424 datagrams (facility daemon) to a local socket such as /dev/log.
spdlog::sink_ptr makeSyslogSink(const std::string& socketPath);
// Appends to `path`, one flushed line per message; reopens the file at the next line after
// requestFileReopen(). Empty `error` on success; otherwise what failed (and nullptr).
spdlog::sink_ptr makeFileSink(const std::string& path, std::string& error);

// Async-signal-safe: the SIGUSR1 handler calls it after logrotate has moved the file away.
void requestFileReopen();

// The journal fields of a message's "call=ID", "zone=Z", "source=ADDR" and "rule=NAME" words
// (TG_CALL_ID, TG_ZONE, TG_SOURCE, TG_RULE), in the order they appear.
std::vector<std::pair<std::string_view, std::string_view>> journalFields(std::string_view message);

// "<30>1 2026-12-07T12:00:00.123Z host trunkguard 4242 b2bua - message": one RFC 5424 record.
std::string syslogRecord(int severity, std::string_view timestamp, std::string_view host, int pid,
                         std::string_view module, std::string_view message);

}  // namespace tg::log
