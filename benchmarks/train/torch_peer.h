// PyTorch as train_mlp_bench's peer: benchmarks/train/torch_mlp.py run as a
// child process on the same model, batch, device and precision. It answers
// with one JSON object on stdout, or {"unavailable": reason} when it cannot
// do what was asked (no CUDA in this torch, no torch.compile before 2.0).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace aif {
namespace train_bench {

enum class PeerStatus {
  kOk,           // the answer is in *out
  kUnavailable,  // the peer cannot do this here; *why says why
  kFailed,       // the interpreter or torch is missing or the script failed; *why has its last stderr line
};

struct TorchPeer {
  std::string python;  // the interpreter that has torch
  std::string script;  // torch_mlp.py
  // Runs `python script args`.
  PeerStatus Run(const std::string& args, nlohmann::json* out, std::string* why) const;
};

}  // namespace train_bench
}  // namespace aif
