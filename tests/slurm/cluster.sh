# A real one-machine Slurm cluster for the tests (../shared/PLATFORM.md):
# munged, slurmctld and slurmd started by hand as root with a private
# slurm.conf and state under $SLURM_TEST_DIR, torn down on exit. Source it,
# then call slurm_up; SLURM_CONF is exported so sbatch, squeue and scontrol
# talk to this cluster. Tests using it carry the ctest RESOURCE_LOCK "slurm"
# (one cluster at a time: the daemons listen on fixed ports).
#
#   slurm_up [CPUS]       start (advertising CPUS, default 8, cores to schedule)
#   slurm_down            stop (also on EXIT)
#   job_state ID          PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, ...
#   wait_job ID [SECS]    until ID has ended; prints its final state
#   job_exit_code ID      "rc:signal" as Slurm recorded it

slurm_require() {
  local b
  for b in slurmctld slurmd munged sbatch scontrol; do
    command -v "$b" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin command -v "$b" >/dev/null 2>&1 || {
      echo "SKIP: Slurm is not installed (apt-get install slurm-wlm slurmctld slurmd slurm-client munge)"
      exit 77
    }
  done
  [ "$(id -u)" = 0 ] || { echo "SKIP: the test Slurm cluster needs root"; exit 77; }
}

slurm_up() {
  local cpus=${1:-8}
  export PATH=$PATH:/usr/sbin
  slurm_require
  SLURM_TEST_DIR=$(mktemp -d /tmp/aif-slurm.XXXXXX)
  mkdir -p "$SLURM_TEST_DIR"/{state,spool,run,log}
  export SLURM_CONF=$SLURM_TEST_DIR/slurm.conf
  local mem
  mem=$(awk '/MemTotal/ { printf "%d", $2 / 1024 * 0.8 }' /proc/meminfo)
  cat >"$SLURM_CONF" <<CONF
ClusterName=aiftest
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=cred_expire=30
MpiDefault=pmix
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerParameters=sched_interval=2,bf_interval=2
DependencyParameters=kill_invalid_depend
EnforcePartLimits=ALL
MinJobAge=600
KillWait=30
MailProg=/bin/true
ReturnToService=2
SlurmdParameters=config_overrides
StateSaveLocation=$SLURM_TEST_DIR/state
SlurmdSpoolDir=$SLURM_TEST_DIR/spool
SlurmctldPidFile=$SLURM_TEST_DIR/run/slurmctld.pid
SlurmdPidFile=$SLURM_TEST_DIR/run/slurmd.pid
SlurmctldLogFile=$SLURM_TEST_DIR/log/slurmctld.log
SlurmdLogFile=$SLURM_TEST_DIR/log/slurmd.log
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus Sockets=1 CoresPerSocket=$cpus ThreadsPerCore=1 RealMemory=$mem
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
  SLURM_TEST_STARTED_MUNGE=0
  if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    # No working munged (or one still shutting down after a previous test).
    pkill -x munged 2>/dev/null
    for _ in $(seq 50); do pgrep -x munged >/dev/null || break; sleep 0.1; done
    install -d -o munge -g munge /run/munge
    [ -s /etc/munge/munge.key ] || mungekey --create --keyfile=/etc/munge/munge.key
    runuser -u munge -- /usr/sbin/munged
    SLURM_TEST_STARTED_MUNGE=1
    for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  trap 'slurm_down; rm -rf "$E2E_TMP"' EXIT
  # Daemons left by a test that was killed hold the ports: stop them first.
  pkill -x slurmctld 2>/dev/null
  pkill -x slurmd 2>/dev/null
  local i
  for i in $(seq 50); do
    pgrep -x slurmctld >/dev/null || pgrep -x slurmd >/dev/null || break
    sleep 0.2
  done
  pkill -9 -x slurmctld 2>/dev/null
  pkill -9 -x slurmd 2>/dev/null
  slurmctld
  slurmd -N localhost
  for i in $(seq 100); do
    if sinfo -h -o %t 2>/dev/null | grep -qx idle; then return 0; fi
    sleep 0.2
  done
  echo "the test Slurm cluster did not come up; logs in $SLURM_TEST_DIR/log:" >&2
  tail -n 20 "$SLURM_TEST_DIR"/log/*.log >&2
  exit 1
}

slurm_down() {
  [ -n "${SLURM_TEST_DIR:-}" ] || return 0
  timeout 20 scancel --quiet --user=root 2>/dev/null
  timeout 20 scontrol shutdown >/dev/null 2>&1
  local i
  for i in $(seq 50); do
    pgrep -x slurmctld >/dev/null || pgrep -x slurmd >/dev/null || break
    sleep 0.2
  done
  pkill -9 -x slurmd 2>/dev/null
  pkill -9 -x slurmctld 2>/dev/null
  pkill -9 -f "slurmstepd" 2>/dev/null
  if [ "$SLURM_TEST_STARTED_MUNGE" = 1 ]; then
    pkill -x munged 2>/dev/null
    for i in $(seq 50); do pgrep -x munged >/dev/null || break; sleep 0.1; done
  fi
  rm -rf "$SLURM_TEST_DIR"
  SLURM_TEST_DIR=
}

job_state() { scontrol show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | head -1; }
job_exit_code() { scontrol show job "$1" 2>/dev/null | sed -n 's/.* ExitCode=\([0-9:]*\).*/\1/p' | head -1; }

wait_job() {
  local id=$1 limit=${2:-300} waited=0 state
  while [ "$waited" -lt $((limit * 2)) ]; do
    state=$(job_state "$id")
    case $state in
      COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE | PREEMPTED)
        echo "$state"
        return 0
        ;;
    esac
    sleep 0.5
    waited=$((waited + 1))
  done
  echo "TIMEOUT_WAITING($state)"
  return 1
}
