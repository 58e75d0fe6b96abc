#!/usr/bin/env bash
# Benchmark: marginalia against Hugo on the same synthetic archive, in one run.
#
#   bench/run.sh [N ...]          default N: 10000
#
# Environment:
#   GEN=../shared/bench/gen_corpus.py   the corpus generator (same articles for both tools)
#   HUGO=hugo                           Hugo binary (Debian: apt-get install -y hugo)
#   RUNS=3                              timed rounds (after one untimed warm-up round)
#   WORK=/tmp/marginalia-bench          corpora and outputs (kept out of the repo)
#   SEARCH=1                            also measure the bytes a search downloads
#                                       (needs node, `npm ci` and /usr/bin/chromium)
#
# Each round runs, one after the other (so load on the machine falls on
# all of them alike):
#   hugo        Hugo's full build into a fresh folder (the bar)
#   cold        `marginalia build --clean` into a fresh folder
#   no-change   `marginalia build` again over that output, nothing changed
#   article     `marginalia build` after one article was edited
#   sidecar     `marginalia build` after one sidecar was edited
#   template    `marginalia build` after a template was edited (every page
#               rendered through Tera again; documents whose own inputs
#               did not change may come from the build cache)
#   fresh-out   `marginalia build` into a fresh output folder with the
#               build cache of the previous builds in place (a deploy into
#               a new folder, or CI with `.marginalia/` restored)
#   clean-over  `marginalia build --clean` over that existing output (the
#               full build that replaces a site, every page rendered)
# Builds over an existing output start from the spare the build before
# left beside it (`.out-m-1.marginalia-spare`, README "The spare"). Each
# round builds into folders of its own (`out-m-<round>`, `out-h-<round>`,
# `out-f-<round>`), so `cold` and `fresh-out` are builds into a fresh
# folder with no spare. Nothing is deleted between timed builds: the
# outputs of every round are removed together after the last one (about
# 2 GB a round at 10k). Deleting ~100k files right before a timed build
# would charge it for the kernel, not the tool: on an ext4 without a
# journal (this machine's) every inode allocated within 60 s, or 360 s, of
# a mass deletion rescans the freed inodes (docs/benchmarks.md, "the
# kernel"), and it fell on whichever build came next.
# then serve's first-page latency: from starting `marginalia serve` to the
# first complete answer for the home page (median of RUNS).
#
# The generated corpus is first made warning-free (bench/fixup.py: the note
# kinds it uses are declared, a quote it wrote twice into one article is
# pinned with `occurrence: 1`), since only a build without warnings is
# recorded by the build cache.
# Every timed command is `sh -c 'sync; CMD'` after a `sync`, so writeback
# of the previous command is not charged to the next. Figures are medians
# over RUNS of wall seconds, user+sys CPU seconds and peak RSS (the
# kernel's rusage of the child); the ratio is marginalia / Hugo's median.
# Outputs are deleted outside the timing.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
GEN=${GEN:-$here/../shared/bench/gen_corpus.py}
HUGO=${HUGO:-hugo}
RUNS=${RUNS:-3}
WORK=${WORK:-/tmp/marginalia-bench}
SEARCH=${SEARCH:-1}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000)

command -v "$HUGO" >/dev/null || { echo "hugo not found (apt-get install -y hugo)" >&2; exit 2; }
[ -f "$GEN" ] || { echo "corpus generator not found: $GEN (set GEN=)" >&2; exit 2; }
(cd "$here" && cargo build --release --quiet)
bin="$here/target/release/marginalia"
mkdir -p "$WORK"

echo "# $(uname -srm), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB RAM, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $("$HUGO" version | head -n 1)"
echo "# marginalia $("$bin" --version | awk '{print $2}') ($(cd "$here" && git rev-parse --short HEAD 2>/dev/null || echo unknown))"

rounds=$(cat <<'PY'
import os, shutil, statistics, subprocess, sys, time
n, work, runs, hugo, mbin = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
native, hsite = os.path.join(work, "native"), os.path.join(work, "hugo")
# A site template to edit: the theme's base template, copied once into the
# site's own templates/ (which overrides the theme's) before the rounds.
template = os.path.join(native, "templates", "base.html")
os.makedirs(os.path.dirname(template), exist_ok=True)
shutil.copyfile(os.environ["BASE_TEMPLATE"], template)

def timed(cmd):
    os.sync()
    t0 = time.perf_counter()
    p = subprocess.Popen(["sh", "-c", 'sync; exec "$@"', "sh"] + cmd,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    if status != 0:
        sys.exit("FAILED: %s\n%s" % (" ".join(cmd), err.decode(errors="replace")))
    return (wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024)

def remove_output(d):
    """Removes an output folder and what marginalia keeps beside it (the
    spare, the sums), so a build into it starts from nothing: the `cold`
    and `fresh-out` rows measure a build into a fresh folder with no spare."""
    shutil.rmtree(d, ignore_errors=True)
    parent, name = os.path.split(d)
    for n in os.listdir(parent):
        if n.startswith(".%s.marginalia-" % name):
            p = os.path.join(parent, n)
            if os.path.isdir(p):
                shutil.rmtree(p, ignore_errors=True)
            else:
                os.remove(p)

def edit(path, text):
    with open(path, "a") as f:
        f.write(text)

articles = sorted(os.path.join(dp, f) for dp, _, fs in os.walk(os.path.join(native, "content"))
                  for f in fs if f.endswith(".md") and not f.startswith("_"))
sidecars = [a[:-3] + ".annotations.yaml" for a in articles if os.path.exists(a[:-3] + ".annotations.yaml")]
rows = {k: [] for k in ("hugo", "cold", "no-change", "article", "sidecar", "template", "fresh-out", "clean-over")}
def round_outputs(i):
    return [os.path.join(work, "out-%s-%d" % (k, i)) for k in ("m", "h", "f")]
# Outputs an interrupted run left; removing them is charged to the warm-up round.
for name in os.listdir(work):
    if name.startswith(("out-", ".out-")):
        p = os.path.join(work, name)
        shutil.rmtree(p) if os.path.isdir(p) else os.remove(p)
os.sync()
for i in range(runs + 1):
    out_m, out_h, out_f = round_outputs(i)
    r = {}
    r["hugo"] = timed([hugo, "--quiet", "-s", hsite, "-d", out_h])
    r["cold"] = timed([mbin, "build", "--clean", "--root", native, "--output", out_m])
    r["no-change"] = timed([mbin, "build", "--root", native, "--output", out_m])
    edit(articles[(i * 7919) % len(articles)], "\nOne more sentence, edit %d.\n" % i)
    r["article"] = timed([mbin, "build", "--root", native, "--output", out_m])
    edit(sidecars[(i * 104729) % len(sidecars)], "\n# edited in round %d\n" % i)
    r["sidecar"] = timed([mbin, "build", "--root", native, "--output", out_m])
    edit(template, "\n<!-- edited in round %d -->\n" % i)
    r["template"] = timed([mbin, "build", "--root", native, "--output", out_m])
    r["fresh-out"] = timed([mbin, "build", "--root", native, "--output", out_f])
    r["clean-over"] = timed([mbin, "build", "--clean", "--root", native, "--output", out_m])
    if i:  # round 0 is the warm-up
        for k, v in r.items():
            rows[k].append(v)
for i in range(runs + 1):
    for d in round_outputs(i):
        remove_output(d)
hw = statistics.median(x[0] for x in rows["hugo"])
for k, v in rows.items():
    wall = statistics.median(x[0] for x in v)
    cpu = statistics.median(x[1] for x in v)
    peak = statistics.median(x[2] for x in v)
    ratio = "" if k == "hugo" else "%.3f" % (wall / hw)
    walls = " ".join("%.2f" % x[0] for x in v)
    print("| %s | %s | %.3f | %.2f | %.0f | %s | %s |" % (n, k, wall, cpu, peak, ratio, walls))
PY
)

printf '\n| articles | build | wall s | CPU s | peak MiB | ÷ Hugo wall | each run s |\n|---:|---|---:|---:|---:|---:|---|\n'
for n in "${sizes[@]}"; do
  d="$WORK/$n"
  python3 "$GEN" --articles "$n" --flavor native --out "$d/native" --force >"$d.gen.log" 2>&1 || { cat "$d.gen.log"; exit 1; }
  python3 "$GEN" --articles "$n" --flavor hugo --out "$d/hugo" --force >/dev/null 2>&1
  python3 "$here/bench/fixup.py" "$d/native" "$bin"
  rm -rf "$d/native/.marginalia"
  BASE_TEMPLATE="$here/themes/default/templates/base.html" python3 -c "$rounds" "$n" "$d" "$RUNS" "$HUGO" "$bin"
done

serve_first=$(cat <<'PY'
import os, signal, statistics, subprocess, sys, time, urllib.request
site, runs, mbin = sys.argv[1], int(sys.argv[2]), sys.argv[3]
port = 18000 + os.getpid() % 1000
waits = []
for i in range(runs):
    t0 = time.perf_counter()
    p = subprocess.Popen([mbin, "serve", "--root", site, "--port", str(port)],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=60) as r:
                    r.read()
                    if r.status == 200:
                        break
            except OSError:
                if p.poll() is not None:
                    sys.exit("serve exited early")
                time.sleep(0.01)
        waits.append(time.perf_counter() - t0)
    finally:
        p.send_signal(signal.SIGINT)
        p.wait()
print("| serve: first page | %.3f s (median of %d: %s) |" % (
    statistics.median(waits), runs, " ".join("%.2f" % w for w in waits)))
PY
)
echo
for n in "${sizes[@]}"; do
  echo "# serve on $n articles"
  python3 -c "$serve_first" "$WORK/$n/native" "$RUNS" "$bin"
done

if [ "$SEARCH" = 1 ]; then
  for n in "${sizes[@]}"; do
    echo
    echo "# search on $n articles: bytes downloaded per query (tests/browser/search-bytes.mjs)"
    (cd "$here" && MARGINALIA_BIN="$bin" node tests/browser/search-bytes.mjs "$WORK/$n/native")
  done
fi
