// Implements torch_peer.h with popen; the child's stderr goes to a temporary
// file so that warnings (torch.compile prints many) cannot corrupt the JSON.
#include "torch_peer.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "core/strings.h"  // Format

namespace aif {
namespace train_bench {
namespace {

// stdout of `cmd`, and its exit status in *status.
std::string Capture(const std::string& cmd, int* status) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) {
    *status = -1;
    return out;
  }
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof(buf), p)) out.append(buf, n);
  const int raw = pclose(p);
  *status = raw != -1 && WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return out;
}

std::string LastLine(const std::string& path) {
  std::ifstream f(path);
  std::string line, last;
  while (std::getline(f, line)) {
    if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
  }
  return last;
}

}  // namespace

PeerStatus TorchPeer::Run(const std::string& args, nlohmann::json* out, std::string* why) const {
  char err_path[] = "/tmp/aif-torch-peer-XXXXXX";
  const int fd = mkstemp(err_path);
  if (fd < 0) {
    *why = "cannot create a temporary file for the PyTorch peer's messages";
    return PeerStatus::kFailed;
  }
  close(fd);
  int status = 0;
  const std::string text =
      Capture(Format("%s %s %s 2>%s", python.c_str(), script.c_str(), args.c_str(), err_path), &status);
  const std::string last_error = LastLine(err_path);
  std::remove(err_path);
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (status != 0 || j.is_discarded() || !j.is_object()) {
    *why = Format("%s %s failed (exit status %d)%s%s", python.c_str(), script.c_str(), status,
                  last_error.empty() ? "" : ": ", last_error.c_str());
    return PeerStatus::kFailed;
  }
  if (j.contains("unavailable")) {
    *why = j["unavailable"].get<std::string>();
    return PeerStatus::kUnavailable;
  }
  *out = j;
  return PeerStatus::kOk;
}

}  // namespace train_bench
}  // namespace aif
