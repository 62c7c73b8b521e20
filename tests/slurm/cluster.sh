#!/usr/bin/env bash
# A one-node Slurm cluster on this machine for the Slurm tests (docs/slurm.md, "Trying Slurm
# locally"): munged, slurmctld and slurmd of Debian's slurm-wlm, run as root, with every file
# (key, state, spool, logs, pid files, slurm.conf) under one folder and ports nobody listens on,
# so that it never touches a system-wide Slurm and several can run side by side.
#
#   tests/slurm/cluster.sh start DIR   # DIR must not exist; prints "export SLURM_CONF=..."
#   tests/slurm/cluster.sh stop DIR    # stops what `start` started, by the pids it recorded
#
# `start` waits until the node is idle (or fails, stopping what it started, with the logs);
# `stop` signals each daemon by the pid `start` recorded, waits for it to exit (SIGKILL after
# 10 s) and removes DIR. Nothing is stopped by name.
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
D=$2

# Pids this script started, one file per daemon: DIR/pids/<name>.
stop_cluster() {
  local dir=$1 name pid i
  [ -d "$dir/pids" ] || return 0
  for name in slurmd slurmctld munged; do
    [ -s "$dir/pids/$name" ] || continue
    pid=$(cat "$dir/pids/$name")
    # Only a process that is still the daemon we started (pids are reused).
    if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q "$dir"; then
      kill "$pid" 2>/dev/null || true
      for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$dir/pids/$name"
  done
  if [ -s "$dir/munge-socket-dir" ]; then
    rm -rf "$(cat "$dir/munge-socket-dir")"
    rm -f "$dir/munge-socket-dir"
  fi
}

# A TCP port nobody listens on (the kernel's pick, released at once).
free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])'
}

case "$cmd" in
start)
  [ "$(id -u)" -eq 0 ] || { echo "$0: the daemons run as root here; run as root" >&2; exit 1; }
  for exe in munged slurmctld slurmd sinfo sbatch; do
    command -v "$exe" >/dev/null || { echo "$0: $exe not found (apt-get install slurm-wlm munge)" >&2; exit 1; }
  done
  [ ! -e "$D" ] || { echo "$0: $D exists; give a new folder" >&2; exit 1; }
  mkdir -p "$D"
  D=$(cd "$D" && pwd)
  mkdir -p "$D"/{state,spool,log,munge,pids}
  # munged wants every folder above its socket searchable by all, which DIR's parents need not
  # be (mktemp -d folders are not): the socket gets a folder of its own in /tmp.
  S=$(mktemp -d /tmp/trainsim-munge.XXXXXX)
  chmod 755 "$S"
  echo "$S" > "$D/munge-socket-dir"
  trap 'status=$?; if [ $status -ne 0 ]; then tail -n 20 "$D"/log/* "$D"/munge/munged.log >&2 2>/dev/null; stop_cluster "$D"; fi' EXIT
  dd if=/dev/urandom of="$D/munge/munge.key" bs=1024 count=1 status=none
  chmod 600 "$D/munge/munge.key"
  munged --key-file="$D/munge/munge.key" --socket="$S/munge.sock" \
         --pid-file="$D/munge/munged.pid" --log-file="$D/munge/munged.log" --seed-file="$D/munge/seed"
  cp "$D/munge/munged.pid" "$D/pids/munged"
  host=$(hostname -s)
  ctld_port=$(free_port)
  slurmd_port=$(free_port)
  while [ "$slurmd_port" = "$ctld_port" ]; do slurmd_port=$(free_port); done
  cat > "$D/slurm.conf" <<CONF
ClusterName=trainsim-test
SlurmctldHost=$host
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
AuthInfo=socket=$S/munge.sock
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd.pid
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF=$D/slurm.conf
  slurmctld -f "$SLURM_CONF"
  for i in $(seq 100); do [ -s "$D/slurmctld.pid" ] && break; sleep 0.1; done
  cp "$D/slurmctld.pid" "$D/pids/slurmctld"
  slurmd -f "$SLURM_CONF"
  for i in $(seq 100); do [ -s "$D/slurmd.pid" ] && break; sleep 0.1; done
  cp "$D/slurmd.pid" "$D/pids/slurmd"
  # Ready when the node takes jobs.
  for i in $(seq 150); do
    state=$(sinfo -h -N -o '%T' 2>/dev/null | head -n1 || true)
    [ "$state" = idle ] && break
    sleep 0.2
  done
  [ "$state" = idle ] || { echo "$0: the node did not become idle (state '$state')" >&2; exit 1; }
  echo "export SLURM_CONF=$SLURM_CONF" > "$D/env"
  cat "$D/env"
  ;;
stop)
  [ -d "$D" ] || exit 0
  D=$(cd "$D" && pwd)
  stop_cluster "$D"
  rm -rf "$D"
  ;;
*) usage ;;
esac
