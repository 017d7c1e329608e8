#!/bin/sh
# stop-after.sh SECONDS COMMAND...: runs COMMAND and stops it (SIGSTOP)
# after SECONDS, as a hung process would; mpirun kills it when the job ends.
seconds=$1
shift
"$@" &
pid=$!
sleep "$seconds"
kill -STOP "$pid"
wait "$pid"
