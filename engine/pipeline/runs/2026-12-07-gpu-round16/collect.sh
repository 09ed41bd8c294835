#!/usr/bin/env bash
# GPU round 16, call 3 of 3 (and the end of call 2): waits up to WAIT seconds (default 560) for work.sh's DONE,
# showing its progress about each minute; once it is there, copies .device/work/back (at most 8 files) to $OUT.
set -uo pipefail
cd "$(dirname "$0")/../../../.."
W=.device/work; end=$((SECONDS + ${WAIT:-560}))
while [ ! -e $W/back/DONE ] && [ $SECONDS -lt $end ]; do
    sleep 10; [ $((SECONDS % 60)) -lt 10 ] || continue
    echo "--- ${SECONDS}s"; tail -n 2 $W/work.log
    for f in $W/small/convert-*.log; do [ -e "$f" ] && echo "$(basename $f): $(grep '^step' $f | tail -1)"; done
    ls $W/small | tr '\n' ' '; echo
done
if [ -e $W/back/DONE ]; then
    cat $W/work.log; cp $W/back/* $OUT/ && rm $OUT/DONE && ls -l $OUT
else
    echo "not done after ${WAIT:-560} s"
fi
