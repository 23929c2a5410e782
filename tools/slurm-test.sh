#!/usr/bin/env bash
# The Slurm tests against a real one-node cluster: installs slurm-wlm and munge when missing, starts the
# cluster (tools/slurm-cluster.sh), runs the SlurmTests with WIRINGLAB_SLURM=1 and stops the daemons on
# every exit, also when a test fails. A cluster that does not come up fails this script (never a skip).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/ensure-packages.sh slurm-wlm munge
dir=$(mktemp -d /tmp/wiringlab-slurm.XXXXXX)
trap 'tools/slurm-cluster.sh stop "$dir"' EXIT
tools/slurm-cluster.sh start "$dir"
export SLURM_CONF=$dir/slurm.conf WIRINGLAB_SLURM=1
"${SWIFT:-swift}" test --filter SlurmTests
