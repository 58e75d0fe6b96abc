#!/usr/bin/env bash
# Benchmark: marginalia against Hugo on the same synthetic archive, in one run.
#
#   bench/run.sh [N ...]          default N: 1000 10000
#
# Environment:
#   GEN=../shared/bench/gen_corpus.py   the corpus generator (same articles for both tools)
#   HUGO=hugo                           Hugo binary (Debian: apt-get install -y hugo)
#   RUNS=5                              timed runs per command, after one untimed warm-up
#   WORK=/tmp/marginalia-bench          corpora and outputs (kept out of the repo)
#
# Every run builds into a fresh, non-existent output folder (deleted after
# the timing, not during it). Figures are medians over RUNS of what
# /usr/bin/time reports for the whole process: wall seconds, user+sys CPU
# seconds and peak resident memory. Hugo builds the articles without their
# notes (it has no sidecars); marginalia builds them with every note
# anchored. The last column is marginalia / Hugo.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
GEN=${GEN:-$here/../shared/bench/gen_corpus.py}
HUGO=${HUGO:-hugo}
RUNS=${RUNS:-5}
WORK=${WORK:-/tmp/marginalia-bench}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000)

command -v "$HUGO" >/dev/null || { echo "hugo not found (apt-get install -y hugo)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time not found (apt-get install -y time)" >&2; exit 2; }
[ -f "$GEN" ] || { echo "corpus generator not found: $GEN (set GEN=)" >&2; exit 2; }
(cd "$here" && cargo build --release --quiet)
bin="$here/target/release/marginalia"
mkdir -p "$WORK"

# measure LABEL OUTDIR CMD... → prints "wall cpu peak_MiB" (medians); {out} in CMD is the output folder
measure() {
  local out=$1; shift
  local rows=()
  for i in $(seq 0 "$RUNS"); do
    local d="$out.run$i"
    rm -rf "$d"
    local cmd=("${@//\{out\}/$d}")
    sync
    /usr/bin/time -o "$WORK/time.txt" -f "%e %U %S %M" "${cmd[@]}" >/dev/null 2>&1 \
      || { echo "FAILED: ${cmd[*]}" >&2; exit 1; }
    [ "$i" -gt 0 ] && rows+=("$(tail -n 1 "$WORK/time.txt")")
  done
  for i in $(seq 0 "$RUNS"); do rm -rf "$out.run$i"; done
  printf '%s\n' "${rows[@]}" | python3 -c '
import statistics, sys
rows = [list(map(float, l.split())) for l in sys.stdin if l.strip()]
wall = statistics.median(r[0] for r in rows)
cpu = statistics.median(r[1] + r[2] for r in rows)
peak = statistics.median(r[3] for r in rows) / 1024
print("%.3f %.3f %.0f" % (wall, cpu, peak))'
}

echo "# $(uname -srm), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB RAM"
echo "# $("$HUGO" version | head -n 1)"
echo "# marginalia $("$bin" --version | awk '{print $2}') ($(cd "$here" && git rev-parse --short HEAD 2>/dev/null || echo unknown))"
printf '\n| articles | notes | tool | wall s | CPU s | peak MiB | wall ratio | peak ratio |\n|---:|---:|---|---:|---:|---:|---:|---:|\n'
for n in "${sizes[@]}"; do
  d="$WORK/$n"
  python3 "$GEN" --articles "$n" --flavor native --out "$d/native" --force >"$d.gen.log" 2>&1 || { cat "$d.gen.log"; exit 1; }
  python3 "$GEN" --articles "$n" --flavor hugo --out "$d/hugo" --force >/dev/null 2>&1
  notes=$(grep -o '[0-9]* notes' "$d.gen.log" | awk '{print $1}')
  read -r mw mc mp < <(measure "$d/out-m" "$bin" build --root "$d/native" --output "{out}")
  read -r hw hc hp < <(measure "$d/out-h" "$HUGO" --quiet -s "$d/hugo" -d "{out}")
  rw=$(python3 -c "print('%.2f' % ($mw / $hw))")
  rp=$(python3 -c "print('%.2f' % ($mp / $hp))")
  printf '| %s | %s | marginalia | %s | %s | %s | %s | %s |\n' "$n" "$notes" "$mw" "$mc" "$mp" "$rw" "$rp"
  printf '| %s | – | hugo | %s | %s | %s | | |\n' "$n" "$hw" "$hc" "$hp"
done
