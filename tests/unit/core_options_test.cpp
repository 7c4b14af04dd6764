// Job options: flags, INI config files with job sections, precedence and the
// usage errors that name the offending option.
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/options.h"
#include "support/test_util.h"

namespace aif {
namespace {

struct Parsed {
  std::string out;
  double lr = 0;
  int64_t steps = 0;
  bool force = false;
};

void Parse(std::vector<std::string> args, Parsed* p) {
  JobOptions o("train", "aif train", "test");
  o.Add<double>("lr", &p->lr, 0.1, "learning rate").Add<int64_t>("steps", &p->steps, 10, "steps");
  o.AddOptional<std::string>("out", &p->out, "output").AddFlag("force", &p->force, "force");
  args.insert(args.begin(), "train");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  ASSERT_TRUE(o.Parse(static_cast<int>(argv.size()), argv.data()));
}

std::string UsageMessage(std::vector<std::string> args) {
  Parsed p;
  try {
    Parse(args, &p);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUsage);
    return e.what();
  }
  ADD_FAILURE() << "expected a usage error";
  return "";
}

TEST(Options, DefaultsAndFlags) {
  Parsed p;
  Parse({"--lr", "0.5", "--force"}, &p);
  EXPECT_EQ(p.lr, 0.5);
  EXPECT_EQ(p.steps, 10);
  EXPECT_TRUE(p.force);
}

TEST(Options, ConfigFileWithSectionsAndFlagPrecedence) {
  testing::TempDir dir;
  testing::WriteText(dir.File("c.ini"),
                     "# shared pipeline config\nlr = 0.25\n[train]\nsteps = 77\nforce = true\n"
                     "[prepare]\nsource = csv\n");
  Parsed p;
  Parse({"--config", dir.File("c.ini"), "--lr", "0.5"}, &p);
  EXPECT_EQ(p.lr, 0.5);     // the flag wins over the file
  EXPECT_EQ(p.steps, 77);   // from this job's section
  EXPECT_TRUE(p.force);
}

TEST(Options, ErrorsNameTheOption) {
  EXPECT_NE(UsageMessage({"--lr", "fast"}).find("--lr"), std::string::npos);
  EXPECT_NE(UsageMessage({"--no-such"}).find("no-such"), std::string::npos);
  testing::TempDir dir;
  testing::WriteText(dir.File("bad.ini"), "lr = 0.1\nbogus = 3\n");
  std::string msg = UsageMessage({"--config", dir.File("bad.ini")});
  EXPECT_NE(msg.find("bogus"), std::string::npos) << msg;
  testing::WriteText(dir.File("type.ini"), "steps = many\n");
  msg = UsageMessage({"--config", dir.File("type.ini")});
  EXPECT_NE(msg.find("steps"), std::string::npos) << msg;
  testing::WriteText(dir.File("section.ini"), "[trian]\nsteps = 3\n");
  msg = UsageMessage({"--config", dir.File("section.ini")});
  EXPECT_NE(msg.find("trian"), std::string::npos) << msg;
  msg = UsageMessage({"--config", dir.File("missing.ini")});
  EXPECT_NE(msg.find("missing.ini"), std::string::npos) << msg;
}

TEST(Options, EffectiveConfigRecordsValues) {
  Parsed p;
  JobOptions o("train", "aif train", "test");
  o.Add<double>("lr", &p.lr, 0.1, "lr").AddOptional<std::string>("out", &p.out, "out");
  std::vector<std::string> args = {"train", "--lr", "0.3"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  ASSERT_TRUE(o.Parse(3, argv.data()));
  nlohmann::json j = o.EffectiveConfig();
  EXPECT_EQ(j["lr"], 0.3);
  EXPECT_FALSE(j.contains("out"));  // not given, no default
}

}  // namespace
}  // namespace aif
