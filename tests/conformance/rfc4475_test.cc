// RFC 4475 torture messages against tests/data/rfc4475/expectations.tsv. Each file is
// one raw datagram; each expectation (valid / invalid / liberal / semantic) is checked, and for
// semantic cases the specific property the RFC describes is asserted.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <sstream>

#include "sip/builder.h"
#include "sip/message.h"
#include "sip/scan.h"
#include "sip/validator.h"

namespace tg::sip {
namespace {

struct Expectation {
  std::string file;
  std::string section;
  std::string expect;
  std::string note;
};

// Readable test names and failure output instead of a byte dump.
void PrintTo(const Expectation& e, std::ostream* os) { *os << e.file << " (" << e.expect << ")"; }

std::filesystem::path dataDir() {
  if (const char* env = std::getenv("TG_TESTDATA_DIR"))
    return std::filesystem::path(env) / "rfc4475";
  return std::filesystem::path(TG_TESTDATA_DIR) / "rfc4475";
}

std::vector<Expectation> loadExpectations() {
  std::vector<Expectation> out;
  std::ifstream in(dataDir() / "expectations.tsv");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    Expectation e;
    std::getline(fields, e.file, '\t');
    std::getline(fields, e.section, '\t');
    std::getline(fields, e.expect, '\t');
    std::getline(fields, e.note);
    out.push_back(e);
  }
  return out;
}

std::string readFile(const std::string& name) {
  std::ifstream in(dataDir() / name, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

struct Judged {
  bool parsed = false;
  Verdict verdict;
};

Judged judge(Message& m, const std::string& bytes) {
  Judged j;
  ParseStatus st = m.parse(bytes);
  j.parsed = st.ok();
  j.verdict = st.ok() ? validate(m) : verdictForParseError(bytes, st.reason);
  return j;
}

bool acceptsType(const Message& m, std::string_view type, std::string_view subtype) {
  bool found = false;
  m.forEachElement(HeaderId::kAccept, [&](std::string_view e) {
    auto mt = parseMediaType(e);
    if (mt && mt->is(type, subtype)) found = true;
  });
  return found;
}

// What each semantic case must show once parsed (RFC 4475 §3.2-§3.4).
const std::map<std::string, std::function<void(const Message&, const Verdict&)>> kSemantic = {
    {"badbranch.dat",
     [](const Message& m, const Verdict& v) {
       EXPECT_TRUE(v.ok());
       ASSERT_NE(m.topVia(), nullptr);
       EXPECT_FALSE(m.topVia()->hasMagicCookie());  // RFC 2543 transaction matching applies
     }},
    {"unkscm.dat",
     [](const Message&, const Verdict& v) {
       EXPECT_EQ(v.action, VerdictAction::kReject);
       EXPECT_EQ(v.code, 416);
     }},
    {"novelsc.dat",
     [](const Message&, const Verdict& v) {
       // soap.beep is syntactically fine but nothing we can route: 416.
       EXPECT_EQ(v.code, 416);
     }},
    {"unksm2.dat",
     [](const Message& m, const Verdict& v) {
       EXPECT_TRUE(v.ok()) << v.reason;
       EXPECT_EQ(m.to()->uri.scheme, UriScheme::kOther);
       EXPECT_EQ(m.from()->uri.scheme, UriScheme::kOther);
     }},
    {"bext01.dat",
     [](const Message& m, const Verdict& v) {
       EXPECT_TRUE(v.ok()) << v.reason;
       std::vector<std::string_view> required;
       m.forEachElement(HeaderId::kRequire, [&](std::string_view t) { required.push_back(t); });
       EXPECT_EQ(required.size(), 2u);  // both unknown: a UAS answers 420 with Unsupported
     }},
    {"invut.dat",
     [](const Message& m, const Verdict& v) {
       EXPECT_TRUE(v.ok()) << v.reason;
       auto mt = parseMediaType(m.value(HeaderId::kContentType));
       ASSERT_TRUE(mt.ok());
       EXPECT_FALSE(mt->is("application", "sdp"));  // a UAS answers 415
     }},
    {"regaut01.dat",
     [](const Message& m, const Verdict& v) {
       EXPECT_TRUE(v.ok()) << v.reason;
       EXPECT_FALSE(startsWithIgnoreCase(m.value(HeaderId::kAuthorization), "Digest"));
     }},
    {"bcast.dat",
     [](const Message& m, const Verdict& v) {
       EXPECT_TRUE(v.ok()) << v.reason;
       std::vector<std::string_view> vias;
       m.forEachElement(HeaderId::kVia, [&](std::string_view e) { vias.push_back(e); });
       ASSERT_EQ(vias.size(), 2u);
       EXPECT_EQ(parseVia(vias[1])->host, "255.255.255.255");
     }},
    {"zeromf.dat",
     [](const Message& m, const Verdict& v) {
       EXPECT_TRUE(v.ok()) << v.reason;
       EXPECT_EQ(m.maxForwards(), 0u);  // a proxy answers 483
     }},
    {"cparam01.dat",
     [](const Message& m, const Verdict& v) {
       EXPECT_TRUE(v.ok()) << v.reason;
       ASSERT_NE(m.contact(), nullptr);
       EXPECT_TRUE(m.contact()->params.has("unknownparam"));  // a header parameter
       EXPECT_TRUE(m.contact()->uri.params.empty());
     }},
    {"cparam02.dat",
     [](const Message& m, const Verdict& v) {
       EXPECT_TRUE(v.ok()) << v.reason;
       ASSERT_NE(m.contact(), nullptr);
       EXPECT_TRUE(m.contact()->uri.params.has("unknownparam"));  // a URI parameter
       EXPECT_TRUE(m.contact()->params.empty());
     }},
    {"regescrt.dat",
     [](const Message& m, const Verdict& v) {
       EXPECT_TRUE(v.ok()) << v.reason;
       ASSERT_NE(m.contact(), nullptr);
       EXPECT_FALSE(m.contact()->uri.headers.empty());  // kept as data, never acted on
     }},
    {"sdp01.dat",
     [](const Message& m, const Verdict& v) {
       EXPECT_TRUE(v.ok()) << v.reason;
       EXPECT_FALSE(acceptsType(m, "application", "sdp"));  // a UAS answers 406
     }},
    {"inv2543.dat",
     [](const Message& m, const Verdict& v) {
       // Accepted for backwards compatibility; it has no magic cookie.
       EXPECT_TRUE(v.ok()) << v.reason;
       EXPECT_FALSE(m.topVia()->hasMagicCookie());
     }},
};

// Parses the serialization of a valid message again and compares what matters.
void expectRoundTrip(const Message& m) {
  const std::string out = MessageEditor(m).serialize();
  Message again;
  ASSERT_TRUE(again.parse(out).ok()) << out;
  EXPECT_TRUE(validate(again).ok());
  EXPECT_EQ(again.startLine(), m.startLine());
  ASSERT_EQ(again.headers().size(), m.headers().size());
  for (size_t i = 0; i < m.headers().size(); ++i) {
    EXPECT_EQ(again.headers()[i].name, m.headers()[i].name);
    EXPECT_EQ(again.headers()[i].value, m.headers()[i].value);
  }
  EXPECT_EQ(again.body(), m.body());
}

class Rfc4475Test : public ::testing::TestWithParam<Expectation> {};

TEST_P(Rfc4475Test, MeetsExpectation) {
  const Expectation& e = GetParam();
  const std::string bytes = readFile(e.file);
  ASSERT_FALSE(bytes.empty()) << "missing " << (dataDir() / e.file);
  Message m;
  const Judged j = judge(m, bytes);
  SCOPED_TRACE(e.file + " (" + e.note + "): " + std::string(j.verdict.reason));

  if (e.expect == "valid") {
    ASSERT_TRUE(j.verdict.ok());
    expectRoundTrip(m);
  } else if (e.expect == "invalid") {
    EXPECT_FALSE(j.verdict.ok());
    const bool isResponse = startsWithIgnoreCase(bytes, "SIP/");
    if (isResponse) {
      EXPECT_EQ(j.verdict.action, VerdictAction::kDrop);
    } else {
      EXPECT_EQ(j.verdict.action, VerdictAction::kReject);
      EXPECT_EQ(j.verdict.code, e.note.find("505") != std::string::npos ? 505 : 400);
    }
  } else if (e.expect == "liberal") {
    // Either outcome is allowed; whatever we decide must be a clean verdict.
    if (!j.verdict.ok()) {
      EXPECT_NE(j.verdict.action, VerdictAction::kAccept);
    }
  } else if (e.expect == "semantic") {
    ASSERT_TRUE(j.parsed) << "semantic cases must parse";
    auto it = kSemantic.find(e.file);
    ASSERT_NE(it, kSemantic.end()) << "no semantic check written for " << e.file;
    it->second(m, j.verdict);
  } else {
    FAIL() << "unknown expectation " << e.expect;
  }
}

std::string caseName(const ::testing::TestParamInfo<Expectation>& info) {
  std::string name = info.param.file.substr(0, info.param.file.find('.'));
  for (char& c : name) {
    if (!isAlnum(c)) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Torture, Rfc4475Test, ::testing::ValuesIn(loadExpectations()), caseName);

TEST(Rfc4475DataTest, EveryFileHasAnExpectation) {
  const auto expectations = loadExpectations();
  ASSERT_GE(expectations.size(), 49u);
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dataDir())) {
    if (entry.path().extension() != ".dat") continue;
    ++files;
    const std::string name = entry.path().filename().string();
    bool found = false;
    for (const auto& e : expectations) found |= e.file == name;
    EXPECT_TRUE(found) << name;
  }
  EXPECT_EQ(files, expectations.size());
}

}  // namespace
}  // namespace tg::sip
