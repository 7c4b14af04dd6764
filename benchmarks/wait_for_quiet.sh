#!/usr/bin/env bash
# Waits until the machine's CPUs are nearly idle (busy < QUIET_BUSY_PCT, 15 by
# default, over 3 s, from /proc/stat), for at most QUIET_TIMEOUT seconds
# (600), then returns; prints what it saw. On a shared VM another job's
# compiler can take the core a rank needs, and every MPI handshake then waits
# for a scheduler tick: the sweeps' numbers are only worth keeping when the
# machine is quiet. Sourced or run by the benchmarks' run.sh scripts.
busy_pct() {
  local a b
  read -r -a a < <(head -1 /proc/stat)
  sleep 3
  read -r -a b < <(head -1 /proc/stat)
  local idle=$(( (b[4] + b[5]) - (a[4] + a[5]) )) total=0 i
  for i in 1 2 3 4 5 6 7 8; do total=$(( total + b[i] - a[i] )); done
  echo $(( total > 0 ? 100 * (total - idle) / total : 0 ))
}
deadline=$(( SECONDS + ${QUIET_TIMEOUT:-600} ))
while :; do
  busy=$(busy_pct)
  if (( busy < ${QUIET_BUSY_PCT:-15} )); then
    echo "wait_for_quiet: CPUs ${busy}% busy; starting (load average $(cut -d' ' -f1-3 /proc/loadavg))"
    break
  fi
  if (( SECONDS >= deadline )); then
    echo "wait_for_quiet: CPUs still ${busy}% busy after ${QUIET_TIMEOUT:-600} s; starting anyway, expect noise" >&2
    break
  fi
  sleep 5
done
