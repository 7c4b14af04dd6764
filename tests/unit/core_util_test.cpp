// core: hashing, strings, atomic files and the error conventions.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/sha256.h"
#include "core/strings.h"
#include "support/test_util.h"

namespace aif {
namespace {

TEST(Sha256, KnownDigests) {
  EXPECT_EQ(Sha256Hex("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256 h;
  h.Update("a", 1);
  h.Update("bc", 2);
  EXPECT_EQ(h.HexDigest(), Sha256Hex("abc", 3));
}

TEST(Sha256, FileAndMissingFile) {
  testing::TempDir dir;
  testing::WriteText(dir.File("x"), "abc");
  uint64_t size = 0;
  EXPECT_EQ(Sha256File(dir.File("x"), &size), Sha256Hex("abc", 3));
  EXPECT_EQ(size, 3u);
  try {
    Sha256File(dir.File("missing"));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kIo);
    EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos);
  }
}

TEST(Strings, StrictNumberParsing) {
  EXPECT_EQ(*ParseDouble(" 1.5 "), 1.5);
  EXPECT_FALSE(ParseDouble("1.5x"));
  EXPECT_FALSE(ParseDouble(""));
  EXPECT_EQ(*ParseInt("-42"), -42);
  EXPECT_FALSE(ParseInt("4.2"));
  EXPECT_EQ(*ParseBytes("256M"), 256u << 20);
  EXPECT_EQ(*ParseBytes("1GiB"), 1u << 30);
  EXPECT_EQ(*ParseBytes("4096"), 4096u);
  EXPECT_FALSE(ParseBytes("12 parsecs"));
  EXPECT_EQ(Split("a,,b", ','), (std::vector<std::string>{"a", "", "b"}));
}

TEST(AtomicFile, CommitPublishesAndAbandonLeavesNothing) {
  testing::TempDir dir;
  const std::string path = dir.File("sub/out.json");
  WriteFileAtomic(path, "{\"v\": 1}");
  EXPECT_EQ(ReadFileToString(path), "{\"v\": 1}");
  {
    AtomicOutput out(path);
    testing::WriteText(out.temp_path(), "partial");
    // destroyed without Commit: as if the writer failed
  }
  EXPECT_EQ(ReadFileToString(path), "{\"v\": 1}");
  for (const auto& entry : std::filesystem::directory_iterator(dir.File("sub"))) {
    EXPECT_EQ(entry.path().filename(), "out.json") << "stray file " << entry.path();
  }
}

TEST(AtomicFile, DiskFullIsAnIoErrorAndKeepsTheOldFile) {
  testing::TempDir dir;
  const std::string mnt = dir.File("tiny");
  MakeDirectories(mnt);
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=64k") != 0) {
    GTEST_SKIP() << "cannot mount a small tmpfs here (needs root): disk-full path not exercised";
  }
  const std::string path = mnt + "/config.json";
  WriteFileAtomic(path, "old");
  try {
    WriteFileAtomic(path, std::string(1 << 20, 'x'));
    ADD_FAILURE() << "expected ENOSPC";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kIo);
    EXPECT_NE(std::string(e.what()).find("No space left"), std::string::npos) << e.what();
  }
  EXPECT_EQ(ReadFileToString(path), "old");
  ::umount(mnt.c_str());
}

TEST(Errors, ExitCodesAreDistinctPerKind) {
  std::set<int> codes;
  for (ErrorKind k : {ErrorKind::kUsage, ErrorKind::kData, ErrorKind::kIo, ErrorKind::kInternal, ErrorKind::kComm}) {
    EXPECT_NE(ExitCodeFor(k), 0);
    EXPECT_NE(ExitCodeFor(k), 1);
    codes.insert(ExitCodeFor(k));
  }
  EXPECT_EQ(codes.size(), 5u);
}

}  // namespace
}  // namespace aif
