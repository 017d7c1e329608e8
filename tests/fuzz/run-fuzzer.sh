#!/bin/sh
# run-fuzzer.sh FUZZER CORPUS SECONDS [DICT]
#
# Replays every input of the seed corpus CORPUS (the regression inputs are
# part of it), then fuzzes for SECONDS more. New inputs go to a temporary
# directory, not into the repository's corpus; a crash leaves its input in
# the working directory (crash-*) and fails the run.
set -eu
fuzzer=$1 corpus=$2 seconds=$3 dict=${4:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Debian's libMLIR is not instrumented: its containers would look
# overflowed to ASan, which cannot see their annotations.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_container_overflow=0:allow_user_poisoning=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
set -- -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 \
  -print_final_stats=1
if [ -n "$dict" ]; then
  set -- "$@" -dict="$dict"
fi
exec "$fuzzer" "$@" "$work" "$corpus"
