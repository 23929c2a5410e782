#!/usr/bin/env bash
# A one-node Slurm cluster on localhost for the Slurm tests (CI and `make slurm-test`), run as root:
#   tools/slurm-cluster.sh start DIR   writes DIR/slurm.conf, starts munged, slurmctld, slurmd; waits for the node
#   tools/slurm-cluster.sh stop DIR    stops the daemons it started (by the pids in DIR)
# Containers have no usable cgroups and no systemd, so the config uses proctrack/linuxproc, task/none and no
# accounting; all state lives under DIR. Clients find the config through SLURM_CONF=DIR/slurm.conf.
set -euo pipefail
action=${1:?usage: slurm-cluster.sh start|stop DIR}
dir=${2:?usage: slurm-cluster.sh start|stop DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

stop() {
  # Jobs first (a failed test can leave one running), then only the daemons this script started: their
  # pid files are in $dir.
  if [ -f "$dir/slurmctld.pid" ]; then
    SLURM_CONF=$dir/slurm.conf scancel --user="$(id -un)" 2>/dev/null || true
    for _ in $(seq 20); do
      [ -z "$(SLURM_CONF=$dir/slurm.conf squeue --noheader 2>/dev/null)" ] && break
      sleep 0.5
    done
  fi
  for name in slurmd slurmctld munged; do
    if [ -f "$dir/$name.pid" ]; then
      pid=$(cat "$dir/$name.pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$dir/$name.pid"
    fi
  done
}

if [ "$action" = stop ]; then stop; exit 0; fi
[ "$action" = start ] || { echo "slurm-cluster.sh: unknown action '$action' (start or stop)" >&2; exit 2; }

node=$(hostname -s)
mkdir -p "$dir/spool/ctld" "$dir/spool/d" "$dir/log" "$dir/munge"
cat > "$dir/slurm.conf" <<EOF
ClusterName=wiringlab-test
SlurmctldHost=$node
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
JobRequeue=1
StateSaveLocation=$dir/spool/ctld
SlurmdSpoolDir=$dir/spool/d
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
MinJobAge=300
KillWait=30
SchedulerParameters=batch_sched_delay=0
NodeName=$node CPUs=2 RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$dir/slurm.conf

# munged: a key if there is none, sockets and pid under $dir so nothing else is touched.
if [ ! -s /etc/munge/munge.key ]; then
  mkdir -p /etc/munge
  if command -v mungekey >/dev/null; then mungekey --create --keyfile=/etc/munge/munge.key
  else create-munge-key -f; fi
fi
chown root:root /etc/munge/munge.key 2>/dev/null || true
chmod 600 /etc/munge/munge.key
munged --force --socket="$dir/munge/munge.socket" --pid-file="$dir/munged.pid" \
  --log-file="$dir/log/munged.log" --seed-file="$dir/munge/seed" --key-file=/etc/munge/munge.key

slurmctld -f "$dir/slurm.conf" -i
slurmd -f "$dir/slurm.conf"
for _ in $(seq 60); do
  state=$(sinfo -h -N -o %t 2>/dev/null | head -1 || true)
  if [ "$state" = idle ]; then echo "slurm: node $node idle (SLURM_CONF=$dir/slurm.conf)"; exit 0; fi
  sleep 1
done
echo "slurm-cluster.sh: the node did not come up (state '${state:-none}'); logs:" >&2
tail -n 20 "$dir/log/"*.log >&2 || true
stop
exit 1
