#!/bin/sh
# two-hosts.sh NNC MODEL DATA CACHE OUT [ARGS...]: runs `nnc train
# --distributed` as two "hosts" on this machine: two network namespaces
# joined by a veth pair (10.251.N.1 and 10.251.N.2), one rank in each, over
# TCP only, launched by mpirun through an rsh agent that enters the other
# namespace (there is no ssh between namespaces). Rank 0 saves to OUT. The
# namespaces are removed however the run ends. Needs root.
set -eu
nnc=$1 model=$2 data=$3 cache=$4 out=$5
shift 5
here=$(cd "$(dirname "$0")" && pwd)
# A subnet and names of this run's own, so that runs do not collide.
n=$(( $$ % 200 + 20 ))
a=nnc-a-$$ b=nnc-b-$$
cleanup() {
  ip netns del "$a" 2>/dev/null || true
  ip netns del "$b" 2>/dev/null || true
}
trap cleanup EXIT INT TERM
ip netns add "$a"
ip netns add "$b"
ip link add "va$$" netns "$a" type veth peer name "vb$$" netns "$b"
ip -n "$a" addr add "10.251.$n.1/24" dev "va$$"
ip -n "$b" addr add "10.251.$n.2/24" dev "vb$$"
for ns in "$a" "$b"; do
  ip -n "$ns" link set lo up
done
ip -n "$a" link set "va$$" up
ip -n "$b" link set "vb$$" up

hosts=$(mktemp)
printf '10.251.%s.1 slots=1\n10.251.%s.2 slots=1\n' "$n" "$n" > "$hosts"
agent=$(mktemp)
cat > "$agent" <<AGENT
#!/bin/sh
# mpirun's rsh agent: "agent HOST COMMAND..." runs COMMAND in HOST's namespace.
host=\$1
shift
exec ip netns exec "$b" sh -c "\$*"
AGENT
chmod +x "$agent"
status=0
# The sanitizer build's options for MPI's processes (tests/lit.cfg.py; the
# path has no spaces).
lsan=""
if [ -n "${NNC_TEST_MPI_LSAN_OPTIONS:-}" ]; then
  lsan="-x LSAN_OPTIONS=$NNC_TEST_MPI_LSAN_OPTIONS"
fi
# shellcheck disable=SC2086
ip netns exec "$a" mpirun -np 2 $lsan --hostfile "$hosts" \
  --mca plm_rsh_agent "$agent" --mca btl tcp,self \
  --mca btl_tcp_if_include "10.251.$n.0/24" \
  --mca oob_tcp_if_include "10.251.$n.0/24" \
  "$nnc" train "$model" --distributed --data "$data" --cache-dir "$cache" \
  --save "$out" "$@" || status=$?
rm -f "$hosts" "$agent"
exit $status
