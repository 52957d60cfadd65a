// The XML-RPC response parser of the supervisord collector (collectors/services/xmlrpc.h).
#include "collectors/services/xmlrpc.h"

#include <gtest/gtest.h>

namespace vitals::xmlrpc {
namespace {

using K = Value::Kind;

// As supervisord 4 (Python's xmlrpc.client) writes it.
constexpr std::string_view kTwo = R"(<?xml version='1.0'?>
<methodResponse>
<params>
<param>
<value><array><data>
<value><struct>
<member>
<name>description</name>
<value><string>pid 4711, uptime 0:00:05</string></value>
</member>
<member>
<name>exitstatus</name>
<value><int>0</int></value>
</member>
<member>
<name>group</name>
<value><string>web</string></value>
</member>
<member>
<name>name</name>
<value><string>a&amp;b &lt;1&gt; &#233;</string></value>
</member>
<member>
<name>pid</name>
<value><int>4711</int></value>
</member>
<member>
<name>start</name>
<value><int>1700000000</int></value>
</member>
<member>
<name>state</name>
<value><int>20</int></value>
</member>
<member>
<name>statename</name>
<value><string>RUNNING</string></value>
</member>
</struct></value>
<value><struct>
<member><name>name</name><value>quitter</value></member>
<member><name>group</name><value><string>quitter</string></value></member>
<member><name>state</name><value><i4>100</i4></value></member>
<member><name>exitstatus</name><value><int>3</int></value></member>
<member><name>stdout_logfile</name><value><string/></value></member>
<member><name>x</name><value><array><data><value><boolean>1</boolean></value><value><double>-1.5</double></value><value><nil/></value></data></array></value></member>
</struct></value>
</data></array></value>
</param>
</params>
</methodResponse>
)";

TEST(XmlRpc, ParsesGetAllProcessInfo) {
  std::string err;
  auto r = parse_response(kTwo, &err);
  ASSERT_TRUE(r) << err;
  EXPECT_FALSE(r->fault);
  parse::ParseErrors errors;
  auto procs = process_infos(r->value, errors);
  ASSERT_TRUE(procs);
  EXPECT_TRUE(errors.empty());
  ASSERT_EQ(procs->size(), 2u);
  EXPECT_EQ((*procs)[0].name, "a&b <1> \xc3\xa9");
  EXPECT_EQ((*procs)[0].group, "web");
  EXPECT_EQ((*procs)[0].state, 20);
  EXPECT_EQ((*procs)[0].start, 1700000000);
  EXPECT_EQ((*procs)[0].pid, 4711);
  EXPECT_EQ((*procs)[0].state_name, "RUNNING");
  EXPECT_EQ((*procs)[1].name, "quitter");  // an untyped <value> is a string
  EXPECT_EQ((*procs)[1].state, 100);
  EXPECT_EQ((*procs)[1].exit_status, 3);
  EXPECT_EQ((*procs)[1].start, 0);  // absent: 0, as node_exporter
  const Value* x = r->value.items[1].member("x");
  ASSERT_TRUE(x);
  ASSERT_EQ(x->items.size(), 3u);
  EXPECT_EQ(x->items[0].kind, K::kBool);
  EXPECT_EQ(x->items[0].integer, 1);
  EXPECT_EQ(x->items[1].real, -1.5);
  EXPECT_EQ(x->items[2].kind, K::kNil);
}

TEST(XmlRpc, Fault) {
  std::string err;
  auto r = parse_response(
      "<methodResponse><fault><value><struct><member><name>faultCode</name><value><int>1</int>"
      "</value></member><member><name>faultString</name><value><string>UNKNOWN_METHOD</string>"
      "</value></member></struct></value></fault></methodResponse>",
      &err);
  ASSERT_TRUE(r) << err;
  EXPECT_TRUE(r->fault);
  EXPECT_EQ(r->fault_code, 1);
  EXPECT_EQ(r->fault_string, "UNKNOWN_METHOD");
}

TEST(XmlRpc, BadEntryIsAnItemErrorOthersStay) {
  std::string err;
  auto r = parse_response(
      "<methodResponse><params><param><value><array><data>"
      "<value><struct><member><name>name</name><value>ok</value></member>"
      "<member><name>state</name><value><int>20</int></value></member></struct></value>"
      "<value><int>7</int></value>"
      "<value><struct><member><name>name</name><value>bad</value></member>"
      "<member><name>state</name><value><string>RUNNING</string></value></member></struct>"
      "</value></data></array></value></param></params></methodResponse>",
      &err);
  ASSERT_TRUE(r) << err;
  parse::ParseErrors errors;
  auto procs = process_infos(r->value, errors);
  ASSERT_TRUE(procs);
  ASSERT_EQ(procs->size(), 1u);
  EXPECT_EQ((*procs)[0].name, "ok");
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].line, 2);
  EXPECT_EQ(errors[1].line, 3);
  EXPECT_NE(errors[1].message.find("state"), std::string::npos);
}

TEST(XmlRpc, MalformedDocuments) {
  struct Case {
    std::string_view xml;
    std::string_view error;
  };
  const Case cases[] = {
      {"", "expected <methodResponse>"},
      {"<methodResponse><params><param><value><int>x</int></value></param></params>"
       "</methodResponse>",
       "bad integer"},
      {"<methodResponse><params><param><value><int>1</int></value></param></params>",
       "expected </methodResponse>"},
      {"<methodResponse><params><param><value>&bogus;</value></param></params></methodResponse>",
       "unknown entity"},
      {"<methodResponse><params><param><value><blob>1</blob></value></param></params>"
       "</methodResponse>",
       "unknown value type <blob>"},
      {"<methodResponse><params><param><value><string>1</string></value></param></params>"
       "</methodResponse>junk",
       "text after"},
      {"<methodResponse><params><param><value><string>&#0;</string></value></param></params>"
       "</methodResponse>",
       "bad character reference"},
  };
  for (const auto& c : cases) {
    std::string err;
    EXPECT_FALSE(parse_response(c.xml, &err)) << c.xml;
    EXPECT_NE(err.find(c.error), std::string::npos) << c.xml << " -> " << err;
  }
  parse::ParseErrors errors;
  EXPECT_FALSE(process_infos(Value{}, errors));
  EXPECT_EQ(errors.size(), 1u);
}

TEST(XmlRpc, Limits) {
  std::string deep = "<methodResponse><params><param>";
  for (int i = 0; i < 40; ++i) deep += "<value><array><data>";
  deep += "<value>x</value>";
  for (int i = 0; i < 40; ++i) deep += "</data></array></value>";
  deep += "</param></params></methodResponse>";
  std::string err;
  EXPECT_FALSE(parse_response(deep, &err));
  EXPECT_NE(err.find("nested too deep"), std::string::npos) << err;
  EXPECT_TRUE(parse_response(deep, &err, {.max_depth = 64}));

  std::string many = "<methodResponse><params><param><value><array><data>";
  for (int i = 0; i < 100; ++i) many += "<value>x</value>";
  many += "</data></array></value></param></params></methodResponse>";
  EXPECT_FALSE(parse_response(many, &err, {.max_values = 50}));
  EXPECT_NE(err.find("too many values"), std::string::npos) << err;
  EXPECT_TRUE(parse_response(many, &err));
}

TEST(XmlRpc, MethodCall) {
  EXPECT_EQ(method_call("supervisor.getAllProcessInfo"),
            "<?xml version=\"1.0\"?>\n<methodCall><methodName>supervisor.getAllProcessInfo"
            "</methodName><params></params></methodCall>\n");
}

}  // namespace
}  // namespace vitals::xmlrpc
