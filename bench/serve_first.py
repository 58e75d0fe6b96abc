#!/usr/bin/env python3
"""serve's first answers on a site, median of RUNS starts:

    bench/serve_first.py SITE MARGINALIA_BINARY [RUNS] [ARTICLE_URL]

For each run it starts `marginalia serve`, then measures from the start
  - read:   until stderr says phase one is done ("read N documents in")
  - home:   until `/` is answered 200 (requested at once, the way bench/run.sh does)
  - article: until ARTICLE_URL is answered 200 (default: the first article
            linked from the home page; requested right after `/` is answered)
  - whole:  until stderr says the whole site is built ("built N pages")
and prints one line per run and the medians. The header x-marginalia-site
says whether the page came from phase one (partial) or the whole site.
"""
import os, re, signal, statistics, subprocess, sys, threading, time, urllib.request, urllib.error

site, mbin = sys.argv[1], sys.argv[2]
runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
article = sys.argv[4] if len(sys.argv) > 4 else None
port = 18000 + os.getpid() % 1000


def get(path):
    while True:
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=120) as r:
                body = r.read()
                return r.status, r.headers.get("x-marginalia-site"), body
        except urllib.error.HTTPError as e:
            sys.exit("%s: HTTP %d" % (path, e.code))
        except OSError:
            time.sleep(0.005)


rows = []
for i in range(runs):
    t0 = time.perf_counter()
    p = subprocess.Popen([mbin, "serve", "--root", site, "--port", str(port)],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    marks = {}

    def watch():
        for line in p.stderr:
            now = time.perf_counter() - t0
            if line.startswith("read ") and "read" not in marks:
                marks["read"] = now
            if line.startswith("built ") and "whole" not in marks:
                marks["whole"] = now

    w = threading.Thread(target=watch, daemon=True)
    w.start()
    try:
        status, state, body = get("/")
        home = time.perf_counter() - t0
        url = article
        if url is None:
            m = re.search(rb'href="http://[^/]+(/articles/[^"]+/)"', body)
            url = m.group(1).decode() if m else "/"
        t1 = time.perf_counter()
        _, astate, _ = get(url)
        art = time.perf_counter() - t0
        art_alone = time.perf_counter() - t1
        while "whole" not in marks:
            if p.poll() is not None:
                sys.exit("serve exited early")
            time.sleep(0.05)
        row = (marks.get("read", float("nan")), home, art, art_alone, marks["whole"])
        rows.append(row)
        print("run %d: read %.2f s, / %.3f s (%s), %s %.3f s (%s, %.3f s after /), whole site %.2f s"
              % (i + 1, row[0], home, state, url, art, astate, art_alone, row[4]), flush=True)
    finally:
        p.send_signal(signal.SIGINT)
        p.wait()

med = [statistics.median(c) for c in zip(*rows)]
print("median of %d: read %.2f s, / %.3f s, article %.3f s (%.3f s after /), whole site %.2f s"
      % (len(rows), med[0], med[1], med[2], med[3], med[4]))
