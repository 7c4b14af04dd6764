// An exclusive lock on one model of the store, held while its versions,
// aliases or audit log change. It is a POSIX record lock (fcntl F_SETLK) on
// `<store>/<model>/.lock`:
//  - it is released by the kernel (or the NFS lock manager) when the holder
//    exits or is killed, so a killed job never leaves a stale lock behind;
//  - it works across hosts on shared file systems that support POSIX locks:
//    NFSv4, NFSv3 with lockd, Lustre mounted with `flock` (not `localflock`),
//    GPFS, BeeGFS; see docs/store.md for what this assumes.
// Readers never lock: everything they read is published by rename.
// Acquisition polls with a bounded wait and fails with kIo naming the holder
// (host and pid, written into `.lock` after acquiring) when it times out.
#pragma once

#include <string>

namespace aif {

class StoreLock {
 public:
  StoreLock(const std::string& lock_path, double timeout_seconds);
  ~StoreLock();
  StoreLock(const StoreLock&) = delete;
  StoreLock& operator=(const StoreLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace aif
