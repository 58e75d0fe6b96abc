// A generated article denser than anything in the sample archive: 30 long
// notes on 8 paragraphs (issue 15), several on one line, some of two
// paragraphs, by three authors and of five kinds. Deterministic, so the
// figures it gives can be compared from run to run.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const PER_PARAGRAPH = [6, 5, 4, 4, 3, 3, 3, 2];
// "claim" is declared in the site's site.yaml; "missing" is not (the build
// warns, and it is drawn in the neutral grey).
const KINDS = ["context", "sourcing", "framing", "correction", "language", "claim"];
export const DECLARED = { key: "claim", label: "Checked claim", colour: "#8a4b00", dark: "#f0b070" };
const AUTHORS = ["A. Reader", "B. Checker", null];
const WORDS = "the committee said its review of the figures had found nothing that would change the conclusion although several members asked for more time to read the annex and the minutes show a long debate about which year should serve as the baseline".split(" ");

function words(seed, n) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(WORDS[(seed * 7 + i * 3) % WORDS.length]);
  return out.join(" ");
}

export const DENSE_PATH = "articles/dense/";
export const DENSE_NOTES = PER_PARAGRAPH.reduce((a, b) => a + b, 0);

/// Writes the dense site into `root`.
export function writeDenseSite(root) {
  mkdirSync(join(root, "content/articles"), { recursive: true });
  writeFileSync(
    join(root, "site.yaml"),
    'title: "Dense notes"\nlanguage: en\nauthor: "The editors"\nkinds:\n' +
      `  ${DECLARED.key}:\n    label: "${DECLARED.label}"\n    colour: "${DECLARED.colour}"\n    dark: "${DECLARED.dark}"\n    help: "a statement checked against its source"\n`,
  );
  const paragraphs = [];
  const notes = [];
  let n = 0;
  PER_PARAGRAPH.forEach((count, p) => {
    const sentences = [];
    for (let s = 0; s < 6; s++) {
      let sentence = words(p * 6 + s, 14);
      // The passages: distinct phrases, the first two of a paragraph on
      // its first line, so that several notes want the same height.
      const here = s === 0 ? Math.min(2, count) : s - 1 + Math.min(2, count) < count && s < 5 ? 1 : 0;
      const marks = [];
      for (let k = 0; k < here; k++) marks.push(`claim ${n + k + 1} stands`);
      if (s === 5) for (let k = marks.length; n + k < notesUpTo(p); k++) marks.push(`claim ${n + k + 1} stands`);
      for (const m of marks) {
        sentence += `, ${m}`;
        const i = n++;
        const long = 40 + ((i * 37) % 90);
        const body = [`**Note ${i + 1}.** ${words(i + 3, long)}.`];
        if (i % 3 === 0) body.push(`${words(i + 11, 30 + (i % 4) * 10)}.`);
        const kind = i === DENSE_NOTES - 1 ? "missing" : KINDS[i % KINDS.length];
        notes.push({ quote: m, kind, author: AUTHORS[i % AUTHORS.length], body });
      }
      sentences.push(sentence.charAt(0).toUpperCase() + sentence.slice(1) + ".");
    }
    paragraphs.push(sentences.join(" "));
  });
  function notesUpTo(p) { return PER_PARAGRAPH.slice(0, p + 1).reduce((a, b) => a + b, 0); }
  if (notes.length !== DENSE_NOTES) throw new Error(`dense site: ${notes.length} notes`);
  writeFileSync(
    join(root, "content/articles/dense.md"),
    `---\ntitle: "A dense article"\ndate: 2024-03-01\n---\n\n${paragraphs.join("\n\n")}\n`,
  );
  const yaml = notes
    .map((x) => {
      let s = `- quote: "${x.quote}"\n  kind: ${x.kind}\n`;
      if (x.author) s += `  author: "${x.author}"\n`;
      s += "  note: |\n" + x.body.map((b) => "    " + b).join("\n\n") + "\n";
      return s;
    })
    .join("\n");
  writeFileSync(join(root, "content/articles/dense.annotations.yaml"), yaml);
}
