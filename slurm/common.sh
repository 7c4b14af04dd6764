# Shared by the batch scripts of slurm/: where aif is, how ranks are
# launched, and a status record per step. Environment (all optional):
#   AIF           the aif binary (default: aif on PATH, else <repo>/build/aif)
#   AIF_LAUNCHER  srun (default: srun --mpi=pmix) or mpirun (Open MPI's, which
#                 takes the rank count from the allocation)
#   AIF_ENV       a file sourced first (modules, LD_LIBRARY_PATH, site settings)
# shellcheck shell=bash
AIF_SLURM_DIR=${AIF_SLURM_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
if [ -n "${AIF_ENV:-}" ]; then . "$AIF_ENV"; fi
if [ -z "${AIF:-}" ]; then
  if command -v aif >/dev/null 2>&1; then AIF=$(command -v aif); else AIF=$AIF_SLURM_DIR/../build/aif; fi
fi
AIF_LAUNCHER=${AIF_LAUNCHER:-srun}
# One BLAS thread per rank unless the job asked for more CPUs per task.
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-${SLURM_CPUS_PER_TASK:-1}}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-${SLURM_CPUS_PER_TASK:-1}}

aif_log() { echo "[aif-slurm $(date -u +%Y-%m-%dT%H:%M:%SZ) job ${SLURM_JOB_ID:-none}${SLURM_RESTART_COUNT:+ restart $SLURM_RESTART_COUNT}] $*"; }

# launch_ranks CMD...: runs CMD on every task of the allocation.
launch_ranks() {
  case $AIF_LAUNCHER in
    srun) srun --mpi=pmix --kill-on-bad-exit=1 "$@" ;;
    mpirun) mpirun --bind-to none "$@" ;;
    *) aif_log "AIF_LAUNCHER must be srun or mpirun, not '$AIF_LAUNCHER'" >&2; return 2 ;;
  esac
}

# write_status FILE STEP STATE CODE: one JSON record of how a step ended.
write_status() {
  [ -n "$1" ] || return 0
  mkdir -p "$(dirname "$1")"
  printf '{"step": "%s", "state": "%s", "exit_code": %d, "job_id": "%s", "restart_count": %d, "host": "%s", "time": "%s"}\n' \
    "$2" "$3" "$4" "${SLURM_JOB_ID:-}" "${SLURM_RESTART_COUNT:-0}" "$(hostname)" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    >"$1.tmp.$$" && mv -f "$1.tmp.$$" "$1"
}
