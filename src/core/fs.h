// File-system helpers with aif's error conventions: every failure throws
// Error(kIo) naming the path and the system's reason. Also the facts that
// lineage records about where and when a job ran (host, user, UTC time).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace aif {

bool PathExists(const std::string& path);
bool IsDirectory(const std::string& path);
uint64_t FileSize(const std::string& path);
// mkdir -p; no error when the directory already exists.
void MakeDirectories(const std::string& path);
std::string ParentDirectory(const std::string& path);  // "." for a bare name
std::string AbsolutePath(const std::string& path);
void FsyncPath(const std::string& path);               // a file or a directory
void RemoveFileIfExists(const std::string& path);
std::string ReadFileToString(const std::string& path);
// Names in a directory, sorted, without "." and "..".
std::vector<std::string> ListDirectory(const std::string& path);
// Copies a file's bytes and fsyncs the copy (the directory is not synced).
void CopyFileSynced(const std::string& from, const std::string& to);
// rm -rf; no error when the path does not exist.
void RemoveTree(const std::string& path);

std::string HostName();
std::string UserName();
std::string NowUtcIso8601();  // 2026-11-22T10:15:00Z
std::string FileModifiedUtc(const std::string& path);  // the file's mtime, the same format

}  // namespace aif
