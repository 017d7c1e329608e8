#!/bin/sh
# kill-after.sh SECONDS COMMAND...: runs COMMAND and kills it (SIGKILL)
# after SECONDS, as a crashed process.
seconds=$1
shift
"$@" &
pid=$!
sleep "$seconds"
kill -KILL "$pid"
wait "$pid"
