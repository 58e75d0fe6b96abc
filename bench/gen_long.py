#!/usr/bin/env python3
"""One long article and its sidecar, as long_article_site in tests/robust.rs
makes them (issue 16: a 200 MB article, many notes on one article).

usage: gen_long.py DIR BYTES NOTES"""
import sys, os
d, nbytes, notes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
WORDS = ["the","archive","of","letters","was","kept","in","a","cedar","box","that",
 "nobody","opened","for","years","until","winter","when","she","read","them"]
state = 7
M = (1 << 64) - 1
parts = []; total = 0; sentences = []
while total < nbytes:
    para = len(sentences)
    if para % 50 == 0:
        h = f"## Part {para}\n\n"; parts.append(h); total += len(h)
    words = []
    for _ in range(12):
        state = (state * 6364136223846793005 + 1442695040888963407) & M
        words.append(WORDS[(state >> 33) % len(WORDS)])
    sentence = f"Para {para} {' '.join(words)}."
    more = ' '.join(words)
    p = f"{sentence} Then {more}, {para}. And {more} again. Once more {more}; and a last {more}.\n\n"
    parts.append(p); total += len(p); sentences.append(sentence)
os.makedirs(f"{d}/content/articles", exist_ok=True)
open(f"{d}/site.yaml","w").write("title: Long\nbase_url: https://example.org/\n")
with open(f"{d}/content/articles/long.md","w") as f:
    f.write("---\ntitle: Long\ndate: 2024-01-02\n---\n"); f.write(''.join(parts))
if notes:
    with open(f"{d}/content/articles/long.annotations.yaml","w") as f:
        for i in range(notes):
            s = sentences[i * len(sentences) // notes]
            f.write(f"- quote: \"{s}\"\n  note: Note {i}.\n")
