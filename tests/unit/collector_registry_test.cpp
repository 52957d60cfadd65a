// The collector registry: one declaration per collector, and a duplicate name reported as an
// error (checked by main) instead of a throw from a static initializer.
#include <gtest/gtest.h>

#include "core/collector.h"

namespace vitals {
namespace {

class NoArgs final : public Collector {
 public:
  void collect(const CollectContext&, MetricSet&) override {}
};

class FromPaths final : public Collector {
 public:
  explicit FromPaths(const Paths& p) : procfs(p.procfs) {}
  void collect(const CollectContext&, MetricSet&) override {}
  std::string procfs;
};

class FromOptions final : public Collector {
 public:
  FromOptions(const CollectorOptions& o, const Paths&) : flag(o.boolean("flag")) {}
  void collect(const CollectContext&, MetricSet&) override {}
  bool flag;
};

class WithCreate final : public Collector {
 public:
  static std::unique_ptr<Collector> create(const CollectorOptions& o, const Paths&) {
    if (!o.boolean("flag")) throw std::invalid_argument("flag must be set");
    return std::make_unique<WithCreate>();
  }
  void collect(const CollectContext&, MetricSet&) override {}
};

CollectorSpec spec(std::string name, std::string source) {
  CollectorSpec s = collector_spec<NoArgs>(std::move(name), true, "help");
  s.source = std::move(source);
  return s;
}

TEST(CollectorRegistry, DuplicateNameIsAnErrorNamingBothFiles) {
  std::vector<CollectorSpec> specs;
  EXPECT_FALSE(CollectorRegistry::add_to(specs, spec("b", "collectors/b.cpp")));
  EXPECT_FALSE(CollectorRegistry::add_to(specs, spec("a", "collectors/a.cpp")));
  auto err = CollectorRegistry::add_to(specs, spec("b", "collectors/other.cpp"));
  ASSERT_TRUE(err);
  EXPECT_EQ(*err, "collector b registered twice (collectors/b.cpp and collectors/other.cpp)");
  ASSERT_EQ(specs.size(), 2u);  // the first registration stays, sorted by name
  EXPECT_EQ(specs[0].name, "a");
  EXPECT_EQ(specs[1].name, "b");
  EXPECT_EQ(specs[1].source, "collectors/b.cpp");
}

TEST(CollectorRegistry, TheBinaryRegistersEachNameOnce) {
  EXPECT_TRUE(CollectorRegistry::errors().empty());
  const CollectorSpec* m = CollectorRegistry::find("meminfo");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->source, "collectors/meminfo.cpp");
  EXPECT_TRUE(m->default_enabled);
  EXPECT_EQ(m->help, "Exposes memory statistics.");
}

TEST(CollectorRegistry, OneDeclarationPicksTheFactory) {
  Paths paths;
  paths.procfs = "/x/proc";
  CollectorOptions o;
  o.set("flag", {"true"}, true);
  auto s1 = collector_spec<NoArgs>("n", false, "h");
  EXPECT_NE(s1.make(o, paths), nullptr);
  EXPECT_FALSE(s1.default_enabled);
  auto p = collector_spec<FromPaths>("p", true, "h").make(o, paths);
  EXPECT_EQ(dynamic_cast<FromPaths&>(*p).procfs, "/x/proc");
  auto f = collector_spec<FromOptions>("o", true, "h", {{"flag", OptionKind::kBool, "false", "f"}});
  ASSERT_EQ(f.options.size(), 1u);
  EXPECT_TRUE(dynamic_cast<FromOptions&>(*f.make(o, paths)).flag);
  EXPECT_NE(collector_spec<WithCreate>("c", true, "h").make(o, paths), nullptr);
  CollectorOptions off;
  off.set("flag", {"false"}, false);
  EXPECT_THROW(collector_spec<WithCreate>("c", true, "h").make(off, paths), std::invalid_argument);
}

}  // namespace
}  // namespace vitals
