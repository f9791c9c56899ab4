#!/usr/bin/env bash
# Counts the cache misses of the call path under valgrind's cachegrind: a last-level cache of
# 32 MiB (this machine's L3) and an L1 of 32 KiB, simulated, so the counts do not move with the
# other work on a shared machine as times do (docs/detection.md, "Throughput"). Run to run they
# still differ by a few per cent (when the JIT and the GC run depends on timing), and cachegrind
# models no hardware prefetch: a sequential copy counts as many misses as random reads.
#
#   scripts/cachesim.sh WORLD_DIR [DETECTORS] [RECORDS]
#
# WORLD_DIR holds cards.csv and calls.csv (`interdict simulate`); DETECTORS is `all` (every call
# detector, the default), `none` (parsing alone) or names joined by commas; RECORDS is how many
# call records to read (default 400,000, about 3 minutes with every detector). Needs valgrind
# (Debian: apt install valgrind) and the build (`npm run build:server`).
set -euo pipefail
world=${1:?usage: scripts/cachesim.sh WORLD_DIR [DETECTORS] [RECORDS]}
which=${2:-all}
records=${3:-400000}
[[ $which =~ ^[a-z_]+(,[a-z_]+)*$ ]] || { echo "cachesim: detectors are all, none or names joined by commas, not: $which" >&2; exit 2; }
[[ $records =~ ^[1-9][0-9]*$ ]] || { echo "cachesim: RECORDS is a positive whole number, not: $records" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
command -v valgrind > /dev/null || { echo "cachesim: valgrind is not installed" >&2; exit 1; }
[ -f "$root/dist/server/detection/run.js" ] || { echo "cachesim: no build; run npm run build:server" >&2; exit 1; }
[ -f "$world/cards.csv" ] && [ -f "$world/calls.csv" ] || { echo "cachesim: $world has no cards.csv and calls.csv" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ln -s "$(cd "$world" && pwd)/cards.csv" "$work/cards.csv"
head -n $((records + 1)) "$world/calls.csv" > "$work/calls.csv"
records=$(($(wc -l < "$work/calls.csv") - 1))
cat > "$work/run.mjs" << EOF
import { runDetection } from '$root/dist/server/detection/run.js';
import { allDetectors } from '$root/dist/server/detection/detectors/index.js';
const which = '$which';
const calls = allDetectors().filter((d) => d.onCall);
const unknown = which === 'all' || which === 'none' ? [] : which.split(',').filter((n) => !calls.some((d) => d.name === n));
if (unknown.length) {
  console.error(\`cachesim: not a call detector: \${unknown.join(', ')} (\${calls.map((d) => d.name).join(', ')})\`);
  process.exit(2);
}
const ds = calls.filter((d) => which === 'all' || which.split(',').includes(d.name));
const r = await runDetection({ cards: '$work/cards.csv', calls: '$work/calls.csv' }, which === 'none' ? [] : ds, {
  emit: () => undefined,
});
console.log(\`\${r.calls} call records, \${r.cards} cards, detectors: \${which}\`);
EOF
valgrind --tool=cachegrind --cache-sim=yes --LL=33554432,16,64 --D1=32768,8,64 --I1=32768,8,64 \
  --smc-check=all-non-file --cachegrind-out-file="$work/cg.out" node "$work/run.mjs" 2> "$work/log" ||
  { grep -Ev '^(==|--)[0-9]+(==|--)' "$work/log" >&2; exit 1; }
# Per record: instructions, L1 data read misses, last-level read and write misses; then the
# last-level read misses of the JIT's code (no symbols: ???) against V8's garbage collector.
cg_annotate --show=Ir,D1mr,DLmr,DLmw --sort=DLmr "$work/cg.out" | awk -v n="$records" '
  function num(s) { gsub(/,/, "", s); return s + 0 }
  { line = $0; gsub(/\([^)]*\)/, "", line); split(line, f, " +"); if (f[1] == "") for (i = 1; i < 6; i++) f[i] = f[i + 1] }
  /PROGRAM TOTALS/ { printf "per record: %.0f instructions, %.1f L1 read misses, %.1f LL read misses, %.1f LL write misses\n", num(f[1]) / n, num(f[2]) / n, num(f[3]) / n, num(f[4]) / n }
  /\?\?\?:\?\?\?$/ { jit = num(f[3]) }
  /v8::internal::(Scaveng|ConcurrentMarking|MarkCompact|Sweeper|MarkingVisitor|IterateAndScavenge)/ { gc += num(f[3]) }
  END { printf "LL read misses per record: %.1f in JIT code, %.1f in the garbage collector\n", jit / n, gc / n }'
