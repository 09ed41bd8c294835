#!/usr/bin/env bash
# GPU round 16, call 2 of 3 (issue 13), within 30 s of round 13's student.sh on the same warm machine (it left the
# student, the shipped keep 1/8, as .device/student.gguf and the token shards in .device/work): the teacher carried
# as .device/teacher.gguf (the shipped dense), with build/taskdata/skills.json.xz and the bundled gguf-py. Starts
# work.sh in its own process session, so that it outlives this call's 10 minutes, then waits for it as collect.sh
# does; call 3 is collect.sh, within 30 s of this one.
set -uo pipefail
cd "$(dirname "$0")/../../../.."
W=.device/work; mkdir -p $W
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null
sha256sum .device/teacher.gguf .device/student.gguf; ls $W
setsid nohup bash "$(dirname "$0")/work.sh" > $W/work.log 2>&1 < /dev/null &
sleep 5
WAIT=${WAIT:-560} "$(dirname "$0")/collect.sh"
