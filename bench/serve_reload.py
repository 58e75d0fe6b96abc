#!/usr/bin/env python3
"""serve's edit → reload on a site, as serve itself reports it:

    bench/serve_reload.py SITE MARGINALIA_BINARY ARTICLE.md [EDITS]

Starts `marginalia serve`, waits until the whole site is built, then
appends a sentence to ARTICLE.md (relative to SITE) EDITS times (5), 3 s
apart, printing serve's line for each ("reload sent X after the change
was taken up (Y after the first file event)"). The article is restored.
"""
import os, signal, subprocess, sys, threading, time

site, mbin, rel = sys.argv[1], sys.argv[2], sys.argv[3]
edits = int(sys.argv[4]) if len(sys.argv) > 4 else 5
p = subprocess.Popen([mbin, "serve", "--root", site, "--port", "0"],
                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
lines = []
threading.Thread(target=lambda: [lines.append(l) for l in p.stderr], daemon=True).start()
while not any(l.startswith("built ") for l in lines):
    if p.poll() is not None:
        sys.exit("serve exited early:\n" + "".join(lines))
    time.sleep(0.2)
art = os.path.join(site, rel)
orig = open(art).read()
try:
    for i in range(edits):
        n = len(lines)
        with open(art, "w") as f:
            f.write(orig + "\nEdited in round %d.\n" % i)
        t = time.time()
        while not any("re-rendered" in l or "updated" in l for l in lines[n:]):
            if time.time() - t > 120:
                break
            time.sleep(0.05)
        print("".join(lines[n:]).strip(), flush=True)
        time.sleep(3)
finally:
    with open(art, "w") as f:
        f.write(orig)
    p.send_signal(signal.SIGINT)
    p.wait()
