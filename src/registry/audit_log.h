// The audit log of one model: `<store>/<model>/audit.jsonl`, one JSON object
// per line, append-only, written only under the model's StoreLock. Every
// record carries "time", "event", "user", "host" and, under Slurm,
// "slurm_job_id"; the events are
//   register  {version, params_sha256, files}
//   promote   {version, alias, from_version, decision: "promoted", gates}
//   reject    {version, alias, champion_version, decision: "rejected", gates}
//   alias     {alias, version, from_version}           (a direct move)
//   rollback  {alias, version, from_version}
//   recover   {what: ...}  (a previous job died mid-change; the log catches up
//                           with what the store holds)
// A job killed mid-append leaves at most one unterminated last line: the next
// append starts on a fresh line and readers skip lines that do not parse
// (reporting how many).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace aif {

// Adds time/user/host/slurm_job_id, appends one line and fsyncs.
void AppendAuditRecord(const std::string& path, nlohmann::json record);

struct AuditLog {
  std::vector<nlohmann::json> records;
  int64_t unparsable_lines = 0;
};
// A missing file is an empty log.
AuditLog ReadAuditLog(const std::string& path);

}  // namespace aif
