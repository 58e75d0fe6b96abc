//! Highlighted code through the binary: only scopes the generated
//! stylesheet can match get a span, the code's text is unchanged, and a
//! change of highlighting theme renders the pages again.

use crate::common::{self, TestSite};

const CODE: &str = "import json\nfrom collections import Counter\n\n\ndef tally(rows, threshold=318):\n    \"\"\"Count the rows\n    over the threshold.\"\"\"\n    counts = Counter()\n    for row in rows:\n        if row.get(\"a<b\", 0) > threshold:\n            counts[\"a&b\"] += 5  # total\n    return json.dumps(dict(counts), indent=2)\n";

fn site(themes: &str) -> TestSite {
    let s = TestSite::new();
    s.file(
        "site.yaml",
        &format!("title: Code\nbase_url: https://example.org/\n{themes}"),
    )
    .file(
        "content/articles/code.md",
        &format!("---\ntitle: Code\ndate: 2020-01-01\n---\nSome code:\n\n```python\n{CODE}```\n"),
    );
    s
}

/// The `<code>` element's inner HTML.
fn code_html(page: &str) -> &str {
    let start = page
        .find("<code class=\"language-python\">")
        .expect("a python block");
    let inner = &page[start + "<code class=\"language-python\">".len()..];
    &inner[..inner.find("</code>").expect("the block's end")]
}

/// Text without its tags, unescaped.
fn text(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        rest = &rest[i + rest[i..].find('>').expect("a closed tag") + 1..];
    }
    out.push_str(rest);
    common::unescape(&out)
}

/// Each compound of the stylesheet's selectors, as its classes
/// (`.hl-keyword.hl-control` → `[hl-keyword, hl-control]`).
fn compounds(css: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for rule in css.split('}') {
        let Some((selectors, _)) = rule.split_once('{') else {
            continue;
        };
        let selectors = selectors.rsplit("*/").next().unwrap_or(selectors);
        for compound in selectors.split([',', ' ', '\n']) {
            let classes: Vec<String> = compound
                .split('.')
                .filter(|c| c.starts_with("hl-"))
                .map(str::to_string)
                .collect();
            if !classes.is_empty() {
                out.push(classes);
            }
        }
    }
    out
}

#[test]
fn only_spans_the_stylesheet_can_match_are_written() {
    let s = site("");
    s.build().assert_ok();
    let page = s.read("articles/code/index.html");
    let html = code_html(&page);
    assert_eq!(text(html), CODE, "the code's text is unchanged");
    let compounds = compounds(&s.read("highlight.css"));
    assert!(compounds.len() > 20, "{compounds:?}");
    let spans = common::attr_values(html, "class");
    assert!(spans.len() > 10, "{html}");
    for classes in &spans {
        let classes: Vec<&str> = classes.split(' ').collect();
        assert!(
            compounds
                .iter()
                .any(|c| c.iter().all(|x| classes.contains(&x.as_str()))),
            "a span no selector of highlight.css can match: {classes:?}"
        );
    }
    // syntect puts `import` inside `meta.statement.import.python`, which no
    // rule of the default themes styles; the keyword itself is styled.
    assert!(!html.contains("hl-meta hl-statement"), "{html}");
    // The keyword's span keeps only the classes some rule names
    // (`keyword.control.import.python` is styled by `.hl-keyword`).
    assert!(
        html.contains("<span class=\"hl-keyword\">import</span> json"),
        "{html}"
    );
    for class in spans.iter().flat_map(|c| c.split(' ')) {
        assert!(
            compounds.iter().flatten().any(|c| c == class),
            "a class no selector of highlight.css names: {class}"
        );
    }
}

#[test]
fn another_theme_renders_the_page_again() {
    let s = site("");
    s.build().assert_ok();
    let before = s.read("articles/code/index.html");
    // Solarized styles scopes the default pair does not, and the other
    // way round: the spans differ.
    s.file(
        "site.yaml",
        "title: Code\nbase_url: https://example.org/\nhighlight_theme: Solarized (dark)\nhighlight_theme_dark: false\n",
    );
    s.build().assert_ok();
    let after = s.read("articles/code/index.html");
    assert_ne!(code_html(&before), code_html(&after));
    assert_eq!(text(code_html(&after)), CODE);
    s.run(&["build", "--clean"]).assert_ok();
    assert_eq!(
        after,
        s.read("articles/code/index.html"),
        "as a clean build"
    );
}
