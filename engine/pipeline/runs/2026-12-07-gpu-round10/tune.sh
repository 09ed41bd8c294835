#!/usr/bin/env bash
# GPU round 10, call 1 (issue 13): the shipped dense tuned on the new rows (tasks/prose_qa.py's questions of real
# sentences, tasks/events.py's side clauses) for MIN minutes, its Q8_0 file back in 16 MB parts and a quick
# PyTorch check of it and of the shipped dense (SETS). The tuned checkpoint stays in .device/work on the warm
# machine as call 2's teacher. NAME (default dense-new) names the outputs; TASK_MIX, if set, replaces weights of
# the task mix. It is ablation.sh with one arm and 8 row-generator processes, as call 1 ran; logs, sums and
# replies come back in small.tar.gz (call 1 itself, before the two scripts were one, brought them as plain files).
exec env ARMS="${NAME:-dense-new}:${TASK_MIX:-}" MIN="${MIN:-7.3}" WORKERS="${WORKERS:-8}" "$(dirname "$0")/ablation.sh"
