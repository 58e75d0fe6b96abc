//! `/annotations.jsonld` against the W3C Web Annotation test suite itself.
//!
//! The suite (github.com/w3c/web-annotation-tests) is a set of JSON Schemas
//! (draft-04), one per assertion, that its runner applies to an
//! annotation. The files this test needs are vendored under `tests/w3c/`
//! with the licence and the commit (see its README). Every annotation the
//! build writes, of a site built through the real binary, is validated
//! against every assertion of `annotationMusts.test`, by the `jsonschema`
//! crate, with the suite's `$ref`s between files resolved offline from the
//! vendored `definitions/`. The suite holds no assertion files for
//! collections and pages, so the collection document and its pages are
//! validated against the `definitions/collections.json` definitions the
//! model's collection MUSTs name.
//!
//! Checked by hand is only what no schema of the suite expresses (the
//! `model …` checks): lifecycle times in UTC, at least one target, a Text
//! Quote Selector with one type and one `exact`, no empty page, unique ids.
//! What each note's annotation says (its quote, context, dates, creator,
//! tags, sources) is checked against the notes of the site.
//!
//! Items of the collection omit `@context` (they are embedded), so the
//! collection's context is applied to them before checking, as JSON-LD does.

use crate::common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::TestSite;
use jsonschema::{Draft, Retrieve, Uri, Validator};
use serde_json::{Value, json};

const ANNO_CONTEXT: &str = "http://www.w3.org/ns/anno.jsonld";

fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/w3c")
}

/// The suite's runner knows every schema by its bare file name (`"id":
/// "annotations.json"`), so the schemas get one flat namespace, resolved
/// from the vendored files; nothing is fetched.
const NAMESPACE: &str = "https://web-annotation-tests.invalid/";

struct SuiteFiles;

impl Retrieve for SuiteFiles {
    fn retrieve(
        &self,
        uri: &Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let name = uri
            .as_str()
            .strip_prefix(NAMESPACE)
            .ok_or_else(|| format!("{uri} is not a file of the vendored suite"))?;
        let path = suite_dir().join("definitions").join(name);
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(serde_json::from_str(&text)?)
    }
}

/// The suite's definitions files, read and indexed once for every schema
/// that refers to them (compiling each assertion against its own copy of
/// them took seconds).
fn definitions() -> &'static jsonschema::Registry<'static> {
    static REGISTRY: OnceLock<jsonschema::Registry<'static>> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let dir = suite_dir().join("definitions");
        let mut files: Vec<(String, Value)> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("a directory entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .map(|p| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                let text = std::fs::read_to_string(&p).expect("a definitions file");
                (
                    format!("{NAMESPACE}{name}"),
                    serde_json::from_str(&text).expect("JSON"),
                )
            })
            .collect();
        files.sort_by(|a, b| a.0.cmp(&b.0));
        jsonschema::Registry::new()
            .draft(Draft::Draft4)
            .retriever(SuiteFiles)
            .extend(files)
            .and_then(|b| b.prepare())
            .expect("the definitions index")
    })
}

/// Compiles a draft-04 schema of the suite (or one made of its
/// definitions), named `name` in the flat namespace.
fn compile(name: &str, schema: &Value) -> Validator {
    jsonschema::options()
        .with_draft(Draft::Draft4)
        .with_base_uri(format!("{NAMESPACE}{name}"))
        .with_registry(definitions())
        .with_retriever(SuiteFiles)
        .should_validate_formats(true)
        .build(schema)
        .unwrap_or_else(|e| panic!("{name}: the schema does not compile: {e}"))
}

/// A check the suite's schemas cannot express, written by hand.
type HandCheck = fn(&Value) -> Result<(), String>;

/// A named check: a suite assertion (its path under tests/w3c/) or a
/// `model …` check.
struct Check {
    name: String,
    validator: Option<Validator>,
    by_hand: Option<HandCheck>,
}

impl Check {
    fn run(&self, v: &Value) -> Result<(), String> {
        if let Some(f) = self.by_hand {
            return f(v);
        }
        let validator = self.validator.as_ref().expect("a schema or a function");
        let errors: Vec<String> = validator
            .iter_errors(v)
            .take(3)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }
}

fn by_hand(name: &str, f: HandCheck) -> Check {
    Check {
        name: name.to_string(),
        validator: None,
        by_hand: Some(f),
    }
}

fn assertion(rel: &str) -> Check {
    let path = suite_dir().join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let schema: Value = serde_json::from_str(&text).expect("the suite's JSON");
    assert_eq!(schema["expectedResult"], "valid", "{rel}");
    let name = rel.rsplit('/').next().unwrap_or(rel);
    Check {
        name: rel.to_string(),
        validator: Some(compile(name, &schema)),
        by_hand: None,
    }
}

/// A check made of `definitions/` schemas (for collections and pages).
fn definition(name: &str, schema: Value) -> Check {
    Check {
        name: name.to_string(),
        validator: Some(compile("marginalia-collection-checks.json", &schema)),
        by_hand: None,
    }
}

fn context_is_anno(file: &str) -> Value {
    json!({
        "type": "object",
        "required": ["@context"],
        "properties": {"@context": {"oneOf": [
            {"$ref": format!("{file}#/definitions/contextValueFound")},
            {"$ref": format!("{file}#/definitions/contextValueInArrayFound")}
        ]}}
    })
}

fn refs(path: &str) -> Value {
    json!({"$ref": path})
}

/// Every check, compiled once for all the tests of this module.
struct Suite {
    /// annotationMusts.test and the model's MUSTs no schema expresses.
    annotation: Vec<Check>,
    /// The optional features marginalia implements: each must be used by
    /// some annotation of the test site.
    features: Vec<Check>,
    collection: Vec<Check>,
    page: Vec<Check>,
}

const FEATURES: &[&str] = &[
    "annotations/3.3.1-annotationCreatedImplemented.json",
    "annotations/3.3.1-annotationCreatorImplemented.json",
    "annotations/3.3.1-annotationSingleCreatorImplemented.json",
    "annotations/3.3.2-annotationCreatorAgentTypeImplemented.json",
    "annotations/3.3.2-annotationCreatorAgentNameImplemented.json",
    "annotations/3.3.2-annotationCreatorAgentSingleNameImplemented.json",
    "annotations/3.3.5-annotationMotivationImplemented.json",
    "annotations/3.3.5-annotationSingleMotivationImplemented.json",
    "annotations/3.1-bodyKeyFound.json",
    "annotations/bodiesTargets/3.2.1-bodyFormat.json",
    "annotations/bodiesTargets/3.2.1-bodyLanguage.json",
    "annotations/bodiesTargets/3.2.1-bodySingleFormat.json",
    "annotations/bodiesTargets/3.2.1-bodySingleLanguage.json",
    "annotations/bodiesTargets/3.3.5-bodyPurpose.json",
    "annotations/bodiesTargets/3.2.4-bodyETB.json",
    "annotations/bodiesTargets/3.2.4-bodyETBTypeTextualBody.json",
    "annotations/bodiesTargets/4-bodySpecificResource.json",
    "annotations/bodiesTargets/4-targSpecificResource.json",
    "annotations/specificResource/4.2-selectorFound.json",
    "annotations/specificResource/4.2.4-textQuoteSelector.json",
    "annotations/specificResource/4.2.4-prefix.json",
    "annotations/specificResource/4.2.4-suffix.json",
];

fn suite() -> &'static Suite {
    static SUITE: OnceLock<Suite> = OnceLock::new();
    SUITE.get_or_init(|| {
        let musts: Value = serde_json::from_str(
            &std::fs::read_to_string(suite_dir().join("annotations/annotationMusts.test"))
                .expect("annotationMusts.test"),
        )
        .expect("JSON");
        let mut annotation: Vec<Check> = musts["assertions"]
            .as_array()
            .expect("a list of assertions")
            .iter()
            .map(|a| assertion(a.as_str().expect("a path")))
            .collect();
        annotation.extend([
            by_hand(
                "model 3.3.1: lifecycle times in UTC (Z)",
                model_lifecycle_times_are_utc,
            ),
            by_hand("model 3.1: at least one target", model_at_least_one_target),
            by_hand(
                "model 4.2.4: a Text Quote Selector has one type and one exact",
                model_text_quote_selector_single_type_and_exact,
            ),
        ]);
        let other = |key: &str| refs(&format!("otherProperties.json#/definitions/{key}"));
        let coll = |key: &str| refs(&format!("collections.json#/definitions/{key}"));
        let collection = vec![
            definition(
                "5.1 collection @context",
                context_is_anno("collections.json"),
            ),
            definition(
                "5.1 collection id",
                refs("id.json#/definitions/idValueFound"),
            ),
            definition(
                "5.1 collection type",
                coll("annotationCollectionTypeValueFound"),
            ),
            definition("5.1 collection label", coll("labelDefinition")),
            definition("5.1 collection total", coll("totalDefinition")),
            definition("5.1 collection first", coll("firstValidIfPresent")),
            definition(
                "5.1 collection first when total > 0",
                coll("firstRequiredIfTotalMoreThanZero"),
            ),
            definition("5.1 collection last", coll("lastValidIfPresent")),
            definition("3.3.1 collection created", other("createdValidIfPresent")),
            definition("3.3.1 collection modified", other("modifiedValidIfPresent")),
            definition("3.3.6 collection rights", other("rightsValidIfPresent")),
        ];
        let page = vec![
            definition("5.2 page @context", context_is_anno("collections.json")),
            definition("5.2 page id", refs("id.json#/definitions/idValueFound")),
            definition("5.2 page type", coll("annotationPageTypeValueFound")),
            definition("5.2 page items", coll("itemsFound")),
            definition("5.2 page startIndex", coll("startIndexDefinition")),
            definition("5.2 page partOf", coll("partOfValidIfPresent")),
            definition("5.2 page next", coll("nextValidIfPresent")),
            definition("5.2 page prev", coll("prevValidIfPresent")),
            definition("3.3.1 page created", other("createdValidIfPresent")),
            definition("3.3.1 page modified", other("modifiedValidIfPresent")),
            definition("3.3.6 page rights", other("rightsValidIfPresent")),
            by_hand(
                "model 5.2: a page has one or more annotations",
                model_page_items_not_empty,
            ),
        ];
        Suite {
            annotation,
            features: FEATURES.iter().map(|f| assertion(f)).collect(),
            collection,
            page,
        }
    })
}

/// The names of the checks `v` fails, with the reasons.
fn failures(checks: &[Check], v: &Value) -> Vec<(String, String)> {
    checks
        .iter()
        .filter_map(|c| c.run(v).err().map(|why| (c.name.clone(), why)))
        .collect()
}

/// An item of the collection as it reads on its own: JSON-LD applies the
/// embedding document's `@context` to it.
fn with_context(item: &Value, collection: &Value) -> Value {
    let mut v = item.clone();
    if let (Some(o), Some(ctx)) = (v.as_object_mut(), collection.get("@context")) {
        o.entry("@context").or_insert_with(|| ctx.clone());
    }
    v
}

impl Suite {
    /// Every check over a parsed `annotations.jsonld` (the collection, its
    /// embedded page and each annotation, whatever its motivation); each
    /// failure as "what: check: why".
    fn check_document(&self, doc: &Value) -> Vec<String> {
        let mut out: Vec<String> = failures(&self.collection, doc)
            .into_iter()
            .map(|(n, why)| format!("collection: {n}: {why}"))
            .collect();
        let Some(page) = doc.get("first").filter(|p| p.is_object()) else {
            return out;
        };
        let page = with_context(page, doc);
        out.extend(
            failures(&self.page, &page)
                .into_iter()
                .map(|(n, why)| format!("page: {n}: {why}")),
        );
        let items = page["items"].as_array().cloned().unwrap_or_default();
        for (i, item) in items.iter().enumerate() {
            let item = with_context(item, doc);
            let what = item["id"]
                .as_str()
                .map_or_else(|| format!("item {i}"), String::from);
            out.extend(
                failures(&self.annotation, &item)
                    .into_iter()
                    .map(|(n, why)| format!("{what}: {n}: {why}")),
            );
        }
        let mut ids: Vec<&str> = items.iter().filter_map(|i| i["id"].as_str()).collect();
        ids.sort_unstable();
        for pair in ids.windows(2).filter(|p| p[0] == p[1]) {
            out.push(format!(
                "model 3.1: two annotations have the id {}",
                pair[0]
            ));
        }
        out
    }
}

// ---------------------------------------------------------------------------
// MUSTs of the model's text that the suite's schemas do not express
// ---------------------------------------------------------------------------

fn ensure(ok: bool, why: impl Into<String>) -> Result<(), String> {
    if ok { Ok(()) } else { Err(why.into()) }
}

/// Model §3.3.1: `created`, `modified` and `generated` are xsd:dateTime
/// "with the UTC timezone expressed as Z" (the suite asks only for some
/// time zone). Checked on the annotation and on its bodies.
fn model_lifecycle_times_are_utc(a: &Value) -> Result<(), String> {
    let mut objects = vec![a];
    match a.get("body") {
        Some(Value::Array(bs)) => objects.extend(bs),
        Some(b) => objects.push(b),
        None => {}
    }
    for o in objects {
        for key in ["created", "modified", "generated"] {
            if let Some(t) = o.get(key) {
                let t = t.as_str().unwrap_or_default();
                ensure(
                    chrono::DateTime::parse_from_rfc3339(t).is_ok() && t.ends_with('Z'),
                    format!("{key} {t:?} is not a UTC date-time ending in Z"),
                )?;
            }
        }
    }
    Ok(())
}

/// Model §3.1: an annotation has one or more targets (the suite's
/// `targetKeyFound` accepts an empty list).
fn model_at_least_one_target(a: &Value) -> Result<(), String> {
    ensure(
        a.get("target")
            .is_some_and(|t| t.as_array().is_none_or(|ts| !ts.is_empty())),
        "no target",
    )
}

/// Model §4.2.4: a Text Quote Selector has exactly one type, the string
/// `TextQuoteSelector` (the suite lets `["TextQuoteSelector", "X"]` through),
/// and exactly one `exact`.
fn model_text_quote_selector_single_type_and_exact(a: &Value) -> Result<(), String> {
    fn selectors(v: &Value, out: &mut Vec<Value>) {
        match v {
            Value::Object(o) => {
                match o.get("selector") {
                    Some(Value::Array(ss)) => out.extend(ss.iter().cloned()),
                    Some(s) => out.push(s.clone()),
                    None => {}
                }
                o.values().for_each(|x| selectors(x, out));
            }
            Value::Array(xs) => xs.iter().for_each(|x| selectors(x, out)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    selectors(a, &mut found);
    let is_tqs = |t: &Value| match t {
        Value::Array(ts) => ts.iter().any(|t| t == "TextQuoteSelector"),
        t => t == "TextQuoteSelector",
    };
    for s in found.iter().filter(|s| s.get("type").is_some_and(is_tqs)) {
        ensure(
            s["type"] == "TextQuoteSelector" && s.get("exact").is_some_and(Value::is_string),
            format!("Text Quote Selector {s} has not one type and one exact"),
        )?;
    }
    Ok(())
}

/// Model §5.2: a page holds one or more annotations.
fn model_page_items_not_empty(p: &Value) -> Result<(), String> {
    ensure(
        p.get("items")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty()),
        "a page with no annotations",
    )
}

// ---------------------------------------------------------------------------
// The site
// ---------------------------------------------------------------------------

const SITE_BASE: &str = "https://example.org/sub/";
const CAFE: &str = "https://example.org/sub/articles/cafe-report/";
const UNDATED: &str = "https://example.org/sub/articles/undated/";
const LEAP: &str = "https://example.org/sub/papers/leap-study/";

/// A small archive whose notes use every feature: author and date, neither,
/// tags, several sources, passages at the very start and end of the article
/// and of a block, Unicode, curly quotes, a passage across emphasis with an
/// ampersand, an undated article, a date-only article on a leap day, and a
/// note date with an offset. The article text has no straight quotes (smart
/// punctuation would curl them).
fn archive() -> TestSite {
    let s = TestSite::new();
    s.file(
        "site.yaml",
        "title: W3C test archive\nbase_url: https://example.org/sub/\nlanguage: en\n",
    )
    .file(
        "content/sources.yaml",
        "gazette:\n  name: The Gazette\n  kind: publication\n  url: https://gazette.example/\n\
         council:\n  name: City Council\n  kind: organisation\n\
         anon:\n  name: Unnamed officials\n  kind: anonymous\n",
    )
    .file(
        "content/articles/cafe-report.md",
        "---\ntitle: Café owners meet the council\ndate: 2021-05-04T10:30:00+02:00\nsource: gazette\ntags: [local]\n---\n\
         Opening words of the report set the scene for a long evening.\n\n\
         The mayor called it “a turning point” for the old market, and the café owners agreed.\n\n\
         Residents of Zürich and Kraków sent letters, some in Ελληνικά, some with an emoji 🎉, \
         to the *city council* of Smith & Sons Street.\n\n\
         The meeting closed at nine with a promise to meet again.\n",
    )
    .file(
        "content/articles/cafe-report.annotations.yaml",
        "- quote: \"Opening words\"\n  id: opening\n  author: Rita Reviewer\n  date: 2021-06-01T08:00:00-05:00\n  \
           tags: [framing, opening]\n  sources: [gazette, council]\n  kind: framing\n  \
           note: The report opens on mood, not facts.\n\
         - quote: \"“a turning point”\"\n  id: turning-point\n  sources: [council]\n  note: |\n    \
           A **bold** claim with nothing behind it.\n\n    A second paragraph, for good measure.\n\
         - quote: \"The mayor called it\"\n  id: mayor\n  note: Who is quoted, and how.\n\
         - quote: \"café owners agreed.\"\n  id: agreed\n  note: All of them?\n\
         - quote: \"Zürich and Kraków sent letters, some in Ελληνικά, some with an emoji 🎉\"\n  id: unicode\n  \
           author: Zoë Ångström\n  date: 2022-01-15\n  note: Letters in three scripts — and one emoji.\n\
         - quote: \"city council of Smith & Sons\"\n  id: inline\n  note: The street & the council.\n\
         - quote: \"to meet again.\"\n  note: The last words of the article.\n",
    )
    .file(
        "content/articles/undated.md",
        "---\ntitle: An undated clipping\n---\nNobody recorded when this clipping was made, or by whom.\n",
    )
    .file(
        "content/articles/undated.annotations.yaml",
        "- quote: \"Nobody recorded when\"\n  tags: [undated]\n  sources: [anon]\n  note: No date, no author.\n",
    )
    .file(
        "content/papers/leap-study.md",
        "---\ntitle: A leap-day study\ndate: 2020-02-29\nsource: council\n---\n\
         The study followed 120 volunteers for a year.\n\nSleep improved in most of them.\n",
    )
    .file(
        "content/papers/leap-study.annotations.yaml",
        "- quote: \"120 volunteers\"\n  author: Rita Reviewer\n  sources: [council, gazette, anon]\n  \
           note: A small sample.\n",
    );
    s
}

/// What the text around a passage is.
enum Context {
    /// Nothing before (after) it in the whole article: no prefix (suffix).
    ArticleEdge,
    /// Nothing before (after) it in its block: no prefix (suffix) either,
    /// since the context stays within the passage's block.
    BlockEdge,
    /// The text just before (after) it, which the prefix ends (suffix
    /// starts) with.
    Text(&'static str),
}

/// What issue 3 expects of one note's annotation.
struct Expected {
    article: &'static str,
    note_id: &'static str,
    exact: &'static str,
    before: Context,
    after: Context,
    created: Option<&'static str>,
    creator: Option<&'static str>,
    tags: &'static [&'static str],
    sources: &'static [&'static str],
}

fn expected_notes() -> Vec<Expected> {
    use Context::*;
    let note = |article, note_id, exact, before, after| Expected {
        article,
        note_id,
        exact,
        before,
        after,
        created: Some("2021-05-04T08:30:00Z"),
        creator: None,
        tags: &[],
        sources: &[],
    };
    vec![
        Expected {
            created: Some("2021-06-01T13:00:00Z"),
            creator: Some("Rita Reviewer"),
            tags: &["framing", "opening"],
            sources: &["gazette", "council"],
            ..note(
                CAFE,
                "opening",
                "Opening words",
                ArticleEdge,
                Text(" of the report"),
            )
        },
        Expected {
            sources: &["council"],
            ..note(
                CAFE,
                "turning-point",
                "“a turning point”",
                Text("The mayor called it "),
                Text(" for the old market"),
            )
        },
        note(
            CAFE,
            "mayor",
            "The mayor called it",
            BlockEdge,
            Text(" “a turning point”"),
        ),
        note(
            CAFE,
            "agreed",
            "café owners agreed.",
            Text("old market, and the "),
            BlockEdge,
        ),
        Expected {
            created: Some("2022-01-15T00:00:00Z"),
            creator: Some("Zoë Ångström"),
            ..note(
                CAFE,
                "unicode",
                "Zürich and Kraków sent letters, some in Ελληνικά, some with an emoji 🎉",
                Text("Residents of "),
                Text(", to the "),
            )
        },
        note(
            CAFE,
            "inline",
            "city council of Smith & Sons",
            Text("emoji 🎉, to the "),
            Text(" Street."),
        ),
        note(
            CAFE,
            "n7",
            "to meet again.",
            Text("with a promise "),
            ArticleEdge,
        ),
        Expected {
            created: None,
            tags: &["undated"],
            sources: &["anon"],
            ..note(
                UNDATED,
                "n1",
                "Nobody recorded when",
                ArticleEdge,
                Text(" this clipping"),
            )
        },
        Expected {
            created: Some("2020-02-29T00:00:00Z"),
            creator: Some("Rita Reviewer"),
            sources: &["council", "gazette", "anon"],
            ..note(
                LEAP,
                "n1",
                "120 volunteers",
                Text("The study followed "),
                Text(" for a year"),
            )
        },
    ]
}

/// The collection, with the items of every page it chains (`first`, then
/// each page's `next`) gathered into its first page, embedded: one
/// document the checks below read as a whole.
fn read_annotations(site: &TestSite) -> Value {
    let parse = |path: &str| -> Value {
        let text = site.read(path);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} is not JSON: {e}\n{text}"))
    };
    let mut doc = parse("annotations.jsonld");
    let base = doc["id"]
        .as_str()
        .and_then(|id| id.strip_suffix("annotations.jsonld"))
        .unwrap_or_default()
        .to_string();
    let mut next = doc["first"].as_str().map(String::from);
    let mut first: Option<Value> = None;
    let mut seen = 0;
    while let Some(url) = next {
        seen += 1;
        assert!(seen < 10_000, "the pages' `next` links go round in a loop");
        let path = url
            .strip_prefix(&base)
            .unwrap_or_else(|| panic!("page {url} is not under {base}"));
        let mut page = parse(path);
        next = page["next"].as_str().map(String::from);
        match &mut first {
            None => first = Some(page),
            Some(f) => {
                let more = page["items"].as_array_mut().map(std::mem::take);
                if let (Some(all), Some(more)) = (f["items"].as_array_mut(), more) {
                    all.extend(more);
                }
            }
        }
    }
    if let Some(mut f) = first {
        if let Some(o) = f.as_object_mut() {
            o.remove("next");
        }
        doc["first"] = f;
    }
    doc
}

fn items(doc: &Value) -> &[Value] {
    doc.pointer("/first/items")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// The pages a note's linking bodies point at: the source of a linking
/// Specific Resource (or, were it written so, a linking web resource's id).
fn linked(item: &Value) -> Vec<String> {
    item["body"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|b| b["purpose"] == "linking")
        .filter_map(|b| {
            let s = b.get("source").unwrap_or(b);
            s.as_str().or_else(|| s["id"].as_str()).map(String::from)
        })
        .collect()
}

/// Prefix and suffix as issue 3 asks: at most 32 characters, within the
/// passage's block.
fn check_context(what: &str, selector: &Value, key: &str, expected: &Context) -> Vec<String> {
    let mut out = Vec::new();
    let got = selector
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty());
    match (expected, got) {
        (Context::ArticleEdge, Some(g)) => {
            out.push(format!("{what}: {key} {g:?}, but nothing is there"))
        }
        (Context::BlockEdge, Some(g)) => {
            out.push(format!("{what}: {key} {g:?} crosses into another block"))
        }
        (Context::Text(t), None) => out.push(format!("{what}: no {key}, expected one with {t:?}")),
        (Context::Text(t), Some(g)) => {
            let ok = if key == "prefix" {
                g.ends_with(t)
            } else {
                g.starts_with(t)
            };
            if !ok {
                out.push(format!(
                    "{what}: {key} {g:?} does not border the passage with {t:?}"
                ));
            }
        }
        _ => {}
    }
    if let Some(g) = got
        && g.chars().count() > 32
    {
        out.push(format!("{what}: {key} {g:?} is longer than 32 characters"));
    }
    out
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[test]
fn annotations_meet_the_w3c_test_suite_musts() {
    let site = archive();
    site.build().assert_ok();
    let doc = read_annotations(&site);
    let problems = suite().check_document(&doc);
    assert!(
        problems.is_empty(),
        "{} MUST failure(s):\n{}\n\nannotations.jsonld:\n{}",
        problems.len(),
        problems.join("\n"),
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    );
    assert_eq!(
        items(&doc).len(),
        expected_notes().len(),
        "one annotation per note"
    );
    assert_eq!(doc["total"], json!(expected_notes().len()));
}

#[test]
fn the_optional_features_marginalia_implements_pass_the_suite() {
    let site = archive();
    site.build().assert_ok();
    let doc = read_annotations(&site);
    let items: Vec<Value> = items(&doc).iter().map(|i| with_context(i, &doc)).collect();
    for feature in &suite().features {
        assert!(
            items.iter().any(|i| feature.run(i).is_ok()),
            "no annotation implements {}: {:?}",
            feature.name,
            feature.run(&items[0])
        );
    }
}

#[test]
fn annotations_carry_what_issue_3_asks_for() {
    let site = archive();
    site.build().assert_ok();
    let doc = read_annotations(&site);
    let items = items(&doc);
    let mut problems = Vec::new();

    let ids: std::collections::HashSet<&str> =
        items.iter().filter_map(|i| i["id"].as_str()).collect();
    assert_eq!(ids.len(), items.len(), "annotation ids are unique");

    for e in expected_notes() {
        let id = format!("{}#note-{}", e.article, e.note_id);
        let what = id.clone();
        let Some(item) = items.iter().find(|i| i["id"] == id.as_str()) else {
            problems.push(format!("{what}: no annotation with this id"));
            continue;
        };
        // The id points at the note's margin aside on the article page.
        let page = e.article.strip_prefix(SITE_BASE).unwrap_or_default();
        let html = site.read(&format!("{page}index.html"));
        if !html.contains(&format!("id=\"note-{}\"", e.note_id)) {
            problems.push(format!(
                "{what}: the article page has no element with this id"
            ));
        }
        if item["type"] != "Annotation" {
            problems.push(format!("{what}: type {}", item["type"]));
        }

        // A TextualBody holding the note, as HTML.
        let bodies = item["body"].as_array().cloned().unwrap_or_default();
        let comment = bodies
            .iter()
            .find(|b| b["type"] == "TextualBody" && b["purpose"] == "commenting");
        match comment {
            Some(c) if c["value"].as_str().is_some_and(|v| v.contains("<p>")) => {}
            _ => problems.push(format!(
                "{what}: no commenting TextualBody with the note's HTML"
            )),
        }
        let tags: Vec<&str> = bodies
            .iter()
            .filter(|b| b["type"] == "TextualBody" && b["purpose"] == "tagging")
            .filter_map(|b| b["value"].as_str())
            .collect();
        if tags != e.tags {
            problems.push(format!("{what}: tags {tags:?}, expected {:?}", e.tags));
        }
        let want: Vec<String> = e
            .sources
            .iter()
            .map(|k| format!("{SITE_BASE}sources/{k}/"))
            .collect();
        if linked(item) != want {
            problems.push(format!(
                "{what}: linked sources {:?}, expected {want:?}",
                linked(item)
            ));
        }

        // The target: the article, and the passage by a TextQuoteSelector.
        let target = &item["target"];
        if target["source"] != e.article {
            problems.push(format!("{what}: target source {}", target["source"]));
        }
        let selector = &target["selector"];
        if selector["type"] != "TextQuoteSelector" || selector["exact"] != e.exact {
            problems.push(format!(
                "{what}: selector {selector}, expected exact {:?}",
                e.exact
            ));
        }
        problems.extend(check_context(&what, selector, "prefix", &e.before));
        problems.extend(check_context(&what, selector, "suffix", &e.after));

        // Lifecycle: the note's date, else the article's; its author.
        if item.get("created").and_then(Value::as_str) != e.created {
            problems.push(format!(
                "{what}: created {}, expected {:?}",
                item["created"], e.created
            ));
        }
        let creator = item.get("creator").map(|c| c["name"].as_str());
        match (e.creator, creator) {
            (None, None) => {}
            (Some(name), Some(Some(got))) if got == name => {
                if item["creator"]["type"] != "Person" {
                    problems.push(format!("{what}: creator is not a Person"));
                }
            }
            _ => problems.push(format!(
                "{what}: creator {}, expected {:?}",
                item["creator"], e.creator
            )),
        }
    }
    let turning = items
        .iter()
        .find(|i| i["id"] == format!("{CAFE}#note-turning-point").as_str())
        .map(|i| {
            i["body"][0]["value"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .unwrap_or_default();
    if !(turning.contains("<strong>bold</strong>") && turning.matches("<p>").count() == 2) {
        problems.push(format!(
            "a multi-paragraph Markdown note keeps its markup: {turning:?}"
        ));
    }
    assert!(
        problems.is_empty(),
        "{}\n\nannotations.jsonld:\n{}",
        problems.join("\n"),
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    );
}

#[test]
fn the_site_author_is_the_creator_of_notes_without_one() {
    let s = TestSite::new();
    s.file(
        "site.yaml",
        "title: T\nbase_url: https://example.org/\nauthor: Keeper of the archive\n",
    )
    .file(
        "content/articles/a.md",
        "---\ntitle: A\ndate: 2021-05-04\n---\nSome text here.\n",
    )
    .file(
        "content/articles/a.annotations.yaml",
        "- quote: text\n  note: A note.\n",
    );
    s.build().assert_ok();
    let doc = read_annotations(&s);
    let problems = suite().check_document(&doc);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(items(&doc)[0]["creator"]["name"], "Keeper of the archive");
}

#[test]
fn a_site_without_notes_has_a_valid_empty_collection() {
    let s = TestSite::new();
    s.file("site.yaml", "title: T\nbase_url: https://example.org/\n")
        .file(
            "content/a.md",
            "---\ntitle: A\ndate: 2021-05-04\n---\nNo notes here.\n",
        );
    s.build().assert_ok();
    let doc = read_annotations(&s);
    let problems = suite().check_document(&doc);
    assert!(
        problems.is_empty(),
        "{}\n{}",
        problems.join("\n"),
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    );
    assert_eq!(doc["total"], 0);
}

/// An annotation in the shape the build writes, which passes every check.
fn good_annotation() -> Value {
    json!({
        "@context": ANNO_CONTEXT,
        "id": "https://example.org/sub/articles/a/#note-n1",
        "type": "Annotation",
        "motivation": "commenting",
        "created": "2021-05-04T08:30:00Z",
        "creator": {"type": "Person", "name": "Rita"},
        "body": [
            {"type": "TextualBody", "value": "<p>A note.</p>", "format": "text/html",
             "language": "en", "purpose": "commenting"},
            {"type": "TextualBody", "value": "framing", "purpose": "tagging"},
            {"type": "SpecificResource", "purpose": "linking",
             "source": {"id": "https://example.org/sub/sources/nyt/", "type": "Text",
                        "format": "text/html"}}
        ],
        "target": {
            "type": "SpecificResource",
            "source": "https://example.org/sub/articles/a/",
            "selector": {"type": "TextQuoteSelector", "exact": "passage",
                         "prefix": "the ", "suffix": " here"}
        }
    })
}

fn good_collection() -> Value {
    let mut item = good_annotation();
    if let Some(o) = item.as_object_mut() {
        o.remove("@context");
    }
    json!({
        "@context": ANNO_CONTEXT,
        "id": "https://example.org/sub/annotations.jsonld",
        "type": "AnnotationCollection",
        "label": "Notes",
        "total": 1,
        "first": {
            "id": "https://example.org/sub/annotations.jsonld#page-1",
            "type": "AnnotationPage",
            "startIndex": 0,
            "items": [item]
        }
    })
}

/// Sets the value at a JSON pointer (`/target/selector/exact`); `None`
/// removes it.
fn set(v: &mut Value, pointer: &str, new: Option<Value>) {
    let (parent, key) = pointer.rsplit_once('/').unwrap_or_default();
    let p = v
        .pointer_mut(parent)
        .unwrap_or_else(|| panic!("no {parent} to set {key} in"));
    match (p, new) {
        (Value::Object(o), Some(n)) => {
            o.insert(key.to_string(), n);
        }
        (Value::Object(o), None) => {
            o.remove(key);
        }
        (Value::Array(a), Some(n)) => a[key.parse::<usize>().unwrap_or_default()] = n,
        (other, _) => panic!("cannot set {key} in {other}"),
    }
}

// ---------------------------------------------------------------------------
// The checks can fail
// ---------------------------------------------------------------------------

/// For each way of breaking a good object, the check that must catch it.
fn assert_each_caught(
    checks: &dyn Fn(&Value) -> Vec<String>,
    good: &Value,
    cases: Vec<(&str, &str, Option<Value>, &str)>,
) {
    let ok = checks(good);
    assert!(ok.is_empty(), "the good one fails: {ok:?}");
    for (what, pointer, new, check) in cases {
        let mut broken = good.clone();
        set(&mut broken, pointer, new);
        let failed = checks(&broken);
        assert!(
            failed.iter().any(|f| f.contains(&format!("{check}: "))),
            "{what}: expected {check} to fail, failures were {failed:#?}\n{broken}"
        );
    }
}

#[test]
fn the_checks_catch_broken_annotations() {
    let annotation_failures = |v: &Value| {
        failures(&suite().annotation, v)
            .into_iter()
            .map(|(n, why)| format!("{n}: {why}"))
            .collect::<Vec<_>>()
    };
    let cases: Vec<(&str, &str, Option<Value>, &str)> = vec![
        (
            "no @context",
            "/@context",
            None,
            "annotations/3.1-annotationContextValidated.json",
        ),
        (
            "another @context",
            "/@context",
            Some(json!("http://www.w3.org/ns/anno.json")),
            "annotations/3.1-annotationContextValidated.json",
        ),
        (
            "a relative id",
            "/id",
            Some(json!("articles/a/#note-n1")),
            "annotations/3.1-annotationIdValidated.json",
        ),
        (
            "a fragment-only id",
            "/id",
            Some(json!("#note-n1")),
            "annotations/3.1-annotationIdValidated.json",
        ),
        (
            "two ids",
            "/id",
            Some(json!(["https://example.org/1", "https://example.org/2"])),
            "annotations/3.1-annotationIdValidated.json",
        ),
        (
            "an id with a space",
            "/id",
            Some(json!("https://example.org/a b")),
            "annotations/3.1-annotationIdValidated.json",
        ),
        (
            "another type",
            "/type",
            Some(json!("Note")),
            "annotations/3.1-annotationTypeValidated.json",
        ),
        (
            "no target",
            "/target",
            None,
            "annotations/3.1-targetKeyFound.json",
        ),
        (
            "an empty target list",
            "/target",
            Some(json!([])),
            "model 3.1: at least one target",
        ),
        (
            "a target without source or id",
            "/target/source",
            None,
            "annotations/3.2-targetObjectsRecognized.json",
        ),
        (
            "a relative target",
            "/target",
            Some(json!("articles/a/")),
            "annotations/3.2-targetObjectsRecognized.json",
        ),
        (
            "both body and bodyValue",
            "/bodyValue",
            Some(json!("A note.")),
            "annotations/3.2.5-notBodyBodyValue.json",
        ),
        (
            "a textual body whose value is not a string",
            "/body/0/value",
            Some(json!(42)),
            "annotations/3.2-bodyObjectsRecognized.json",
        ),
        (
            "a body that is a relative URL",
            "/body/1",
            Some(json!("sources/nyt/")),
            "annotations/3.2-bodyObjectsRecognized.json",
        ),
        (
            "created without a time zone",
            "/created",
            Some(json!("2021-05-04T08:30:00")),
            "annotations/3.3.1-annotationCreatedValidated.json",
        ),
        (
            "created as a bare date",
            "/created",
            Some(json!("2021-05-04")),
            "annotations/3.3.1-annotationCreatedValidated.json",
        ),
        (
            "created on 30 February",
            "/created",
            Some(json!("2021-02-30T08:30:00Z")),
            "annotations/3.3.1-annotationCreatedValidated.json",
        ),
        (
            "two created values",
            "/created",
            Some(json!(["2021-05-04T08:30:00Z", "2021-05-05T08:30:00Z"])),
            "annotations/3.3.1-annotationCreatedValidated.json",
        ),
        (
            "created with an offset instead of Z",
            "/created",
            Some(json!("2021-05-04T10:30:00+02:00")),
            "model 3.3.1: lifecycle times in UTC (Z)",
        ),
        (
            "modified at hour 24",
            "/modified",
            Some(json!("2021-05-04T24:00:00Z")),
            "annotations/3.3.1-annotationModifiedValidated.json",
        ),
        (
            "generated in words",
            "/generated",
            Some(json!("yesterday")),
            "annotations/3.3.1-annotationGeneratedValidated.json",
        ),
        (
            "relative rights",
            "/rights",
            Some(json!("license.html")),
            "annotations/3.3.6-annotationRightsValidated.json",
        ),
        (
            "two canonical ids",
            "/canonical",
            Some(json!(["urn:uuid:1", "urn:uuid:2"])),
            "annotations/3.3.7-annotationCanonicalValidated.json",
        ),
        (
            "a via with a space",
            "/via",
            Some(json!("https://example.org/a b")),
            "annotations/3.3.7-annotationViaValidated.json",
        ),
        (
            "a selector without exact",
            "/target/selector/exact",
            None,
            "annotations/specificResource/4.2.4-textQuoteSelectorValid.json",
        ),
        (
            "a selector without exact (any selector)",
            "/target/selector/exact",
            None,
            "annotations/specificResource/4.2-selectorValidIfPresent.json",
        ),
        (
            "a numeric exact",
            "/target/selector/exact",
            Some(json!(3)),
            "annotations/specificResource/4.2.4-textQuoteSelectorValid.json",
        ),
        (
            "a numeric prefix",
            "/target/selector/prefix",
            Some(json!(3)),
            "annotations/specificResource/4.2.4-textQuoteSelectorValid.json",
        ),
        (
            "an unknown selector type",
            "/target/selector/type",
            Some(json!("QuoteSelector")),
            "annotations/specificResource/4.2-selectorValidIfPresent.json",
        ),
        (
            "two selector types",
            "/target/selector/type",
            Some(json!(["TextQuoteSelector", "Other"])),
            "model 4.2.4: a Text Quote Selector has one type and one exact",
        ),
        (
            "a web resource body with a purpose",
            "/body/2",
            Some(
                json!({"id": "https://example.org/sub/sources/nyt/", "type": "Text",
                        "purpose": "linking"}),
            ),
            "annotations/bodiesTargets/3.3.5-bodyEWRNoPurpose.json",
        ),
        (
            "a textual body with items",
            "/body/0/items",
            Some(json!(["https://example.org/x"])),
            "annotations/bodiesTargets/3.2.7-bodyEmbeddedTextualNoItems.json",
        ),
        (
            "a body created without a time zone",
            "/body/0/created",
            Some(json!("2021-05-04T08:30:00")),
            "annotations/bodiesTargets/3.3.1-bodyCreatedValidated.json",
        ),
        (
            "a target typed TextualBody",
            "/target",
            Some(json!({"type": "TextualBody", "value": "x"})),
            "annotations/bodiesTargets/3.2.4-targNoTypeTextualBody.json",
        ),
        (
            "a time state without a source date",
            "/target/state",
            Some(json!({"type": "TimeState", "cached": "https://example.org/x"})),
            "annotations/specificResource/4.3.1-timeStateValid.json",
        ),
        (
            "a fragment selector without a value",
            "/target/selector",
            Some(json!({"type": "FragmentSelector"})),
            "annotations/specificResource/4.2-fragmentCssXPathSelectorValid.json",
        ),
    ];
    assert_each_caught(&annotation_failures, &good_annotation(), cases);

    // An offset is a time zone to the suite; only the model wants Z.
    let mut offset = good_annotation();
    set(
        &mut offset,
        "/created",
        Some(json!("2021-05-04T10:30:00+02:00")),
    );
    let failed = annotation_failures(&offset);
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(failed[0].starts_with("model 3.3.1"), "{failed:?}");
}

#[test]
fn the_checks_catch_broken_collections() {
    let check = |v: &Value| suite().check_document(v);
    let cases: Vec<(&str, &str, Option<Value>, &str)> = vec![
        ("no @context", "/@context", None, "5.1 collection @context"),
        (
            "a relative id",
            "/id",
            Some(json!("annotations.jsonld")),
            "5.1 collection id",
        ),
        (
            "another type",
            "/type",
            Some(json!("Collection")),
            "5.1 collection type",
        ),
        (
            "a numeric label",
            "/label",
            Some(json!(3)),
            "5.1 collection label",
        ),
        (
            "a negative total",
            "/total",
            Some(json!(-1)),
            "5.1 collection total",
        ),
        (
            "annotations but no page",
            "/first",
            None,
            "5.1 collection first when total > 0",
        ),
        (
            "a relative last",
            "/last",
            Some(json!("page-9")),
            "5.1 collection last",
        ),
        (
            "a collection created without a time zone",
            "/created",
            Some(json!("2021-05-04T08:30:00")),
            "3.3.1 collection created",
        ),
        (
            "a page of another type",
            "/first/type",
            Some(json!("Page")),
            "5.2 page type",
        ),
        (
            "a relative page id",
            "/first/id",
            Some(json!("#page-1")),
            "5.2 page id",
        ),
        (
            "a string startIndex",
            "/first/startIndex",
            Some(json!("0")),
            "5.2 page startIndex",
        ),
        (
            "an item that is not an annotation",
            "/first/items/0",
            Some(json!({"type": "Note"})),
            "5.2 page items",
        ),
        (
            "a next page with a space",
            "/first/next",
            Some(json!("https://example.org/page 2")),
            "5.2 page next",
        ),
        (
            "an empty page",
            "/first/items",
            Some(json!([])),
            "model 5.2: a page has one or more annotations",
        ),
        (
            "an item created without a time zone",
            "/first/items/0/created",
            Some(json!("2021-05-04 08:30")),
            "annotations/3.3.1-annotationCreatedValidated.json",
        ),
    ];
    assert_each_caught(&check, &good_collection(), cases);

    // The collection's @context applies to its items.
    let problems = check(&good_collection());
    assert!(problems.is_empty(), "{problems:?}");

    // Two annotations with one id.
    let mut twice = good_collection();
    let item = twice["first"]["items"][0].clone();
    twice["first"]["items"].as_array_mut().unwrap().push(item);
    twice["total"] = json!(2);
    let problems = check(&twice);
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("model 3.1: two annotations have the id")),
        "{problems:?}"
    );
}

#[test]
fn the_suite_resolves_every_reference_offline() {
    // A reference outside the vendored files is refused, not fetched.
    let err = jsonschema::options()
        .with_draft(Draft::Draft4)
        .with_base_uri(format!("{NAMESPACE}x.json"))
        .with_retriever(SuiteFiles)
        .build(&json!({"$ref": "https://www.w3.org/ns/anno.jsonld"}));
    assert!(err.is_err());
    // Every assertion of the MUSTs compiled, so each of its $refs resolved.
    assert_eq!(
        suite()
            .annotation
            .iter()
            .filter(|c| c.validator.is_some())
            .count(),
        54
    );
}
