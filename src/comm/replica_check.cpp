// Why SHA-256 and not a faster 64-bit hash: it is the project's hash already
// (OpenSSL, SHA-NI accelerated, well over 1 GB/s on current x86), so there is
// no hand-written hash to get wrong, and a check every few hundred steps of a
// 100M-parameter model costs well under a second. Its first 8 bytes make a
// 64-bit digest whose accidental collisions are negligible.
#include "comm/replica_check.h"

#include <string>

#include "core/sha256.h"
#include "core/strings.h"

namespace aif {

int64_t ParameterDigest(const Tensor& flat_params) {
  AIF_CHECK(flat_params.defined(), "ParameterDigest of an undefined tensor");
  // Device parameters are hashed from a host copy; the check is occasional.
  const Tensor host = flat_params.device() == DeviceType::kCpu ? flat_params : flat_params.To(DeviceType::kCpu);
  Sha256 h;
  const int64_t header[2] = {static_cast<int64_t>(host.dtype()), host.numel()};
  h.Update(header, sizeof(header));
  h.Update(host.raw(), host.nbytes());
  const std::string hex = h.HexDigest();
  return static_cast<int64_t>(std::stoull(hex.substr(0, 16), nullptr, 16));
}

void CheckReplicasAgree(Communicator& comm, const Tensor& flat_params, int64_t step) {
  Tensor mine = Tensor::Empty({1}, DType::kI64);
  mine.data<int64_t>()[0] = ParameterDigest(flat_params);
  Tensor all = Tensor::Empty({comm.size()}, DType::kI64);
  comm.AllGather(mine, all);
  // Every rank sees the same gathered digests, so every rank throws alike:
  // the error is collective (printed once, a clean exit rather than an abort).
  const int64_t* digest = all.data<int64_t>();
  for (int r = 1; r < comm.size(); ++r) {
    if (digest[r] != digest[0]) {
      throw Error(ErrorKind::kComm,
                  Format("parameters of rank %d differ from rank 0 at step %lld (replicas diverged: nondeterministic "
                         "kernels, or a rank skipped an update); stopping",
                         r, static_cast<long long>(step)),
                  /*collective=*/true);
    }
  }
}

}  // namespace aif
