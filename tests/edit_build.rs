//! An edit build (issue 13, item 1) updates the previous build's search
//! index instead of making it again from every document's terms: only the
//! terms whose postings an edited document changed are updated, in the
//! shards of the previous output. The output must still be byte for byte
//! what a clean build writes, including when a term that keeps only its
//! heaviest postings loses one (it then cannot be updated and the index is
//! made again).

use std::collections::{BTreeSet, HashMap};

use marginalia::model::Site;
use marginalia::render::search::{Index, KeptIndex, POSTINGS_MAX, PreviousIndex, shard_path};

use crate::common::TestSite;
use crate::perf_cache::{assert_like_clean, build};

/// More articles than a term keeps postings, all saying "harbour" a
/// different number of times (so its entry holds only the heaviest), each
/// with a note.
const ARTICLES: usize = POSTINGS_MAX + 12;

/// Article `i`: its opening (which its note quotes), then `body`.
fn article(i: usize, body: &str) -> String {
    format!(
        "---\ntitle: Dispatch {i}\ndate: 2020-{:02}-{:02}\n---\nMorning report {i}. {body}\n",
        1 + i / 28,
        1 + i % 28
    )
}

/// "harbour" (and "busy") `times` times.
fn harbour_body(times: usize) -> String {
    format!(
        "{} The tide was low.",
        "The harbour was busy. ".repeat(times)
    )
}

fn harbour_times(i: usize) -> usize {
    1 + i % 9
}

fn site() -> TestSite {
    let s = TestSite::new();
    s.file(
        "site.yaml",
        "title: Edits\nbase_url: https://edits.example.net/\n",
    );
    for i in 0..ARTICLES {
        s.file(
            &format!("content/articles/d{i:03}.md"),
            &article(i, &harbour_body(harbour_times(i))),
        )
        .file(
            &format!("content/articles/d{i:03}.annotations.yaml"),
            &format!("- quote: \"Morning report {i}\"\n  note: Filed by the harbour master.\n"),
        );
    }
    s
}

/// An article whose "harbour" posting is among the heaviest kept (it
/// says it nine times), and one none of whose postings of a term with more
/// than are kept is kept (it says "harbour" once, and is the oldest: last
/// in site order, which breaks ties of weight).
const HEAVY: usize = 8;
const LIGHT: usize = 0;

#[test]
fn edits_that_add_change_and_remove_terms_rebuild_to_what_a_clean_build_writes() {
    let s = site();
    build(&s, &[]);
    let heavy = format!("content/articles/d{HEAVY:03}.md");
    let light = format!("content/articles/d{LIGHT:03}.md");

    // New terms (one in a shard of its own) and heavier existing ones.
    s.file(
        &heavy,
        &article(
            HEAVY,
            &format!(
                "{} Zyzzyva quokkas seen at the harbour.",
                harbour_body(harbour_times(HEAVY))
            ),
        ),
    );
    build(&s, &[]);
    assert!(s.exists(&shard_path("zy")));
    assert_like_clean(&s);

    // A lighter but still kept posting, and the new terms gone again (the
    // shard that held only them goes too).
    s.file(&heavy, &article(HEAVY, &harbour_body(3)));
    build(&s, &[]);
    assert!(!s.exists(&shard_path("zy")));
    assert_like_clean(&s);

    // A posting that was not kept goes away.
    s.file(&light, &article(LIGHT, "Nothing of note today."));
    build(&s, &[]);
    assert_like_clean(&s);

    // A kept posting goes away from a term with more postings than it
    // keeps: the one not kept that takes its place is not known to the
    // previous output, so the index is made again.
    s.file(&heavy, &article(HEAVY, "Nothing of note today."));
    build(&s, &[]);
    assert_like_clean(&s);

    // Notes: one added with words of its own, then removed.
    let sidecar = "content/articles/d010.annotations.yaml";
    s.file(
        sidecar,
        "- quote: \"Morning report 10\"\n  note: Filed by the harbour master.\n- quote: \"The tide was low\"\n  note: Quokkas waded in the shallows.\n  tags: [wildlife]\n",
    );
    build(&s, &[]);
    assert!(s.read(&shard_path("qu")).contains("quokkas"));
    assert_like_clean(&s);
    s.file(
        sidecar,
        "- quote: \"Morning report 10\"\n  note: Filed by the harbour master.\n",
    );
    build(&s, &[]);
    assert_like_clean(&s);

    // A sidecar edit that changes no note (a comment): nothing to update.
    s.file(
        sidecar,
        "# checked\n- quote: \"Morning report 10\"\n  note: Filed by the harbour master.\n",
    );
    build(&s, &[]);
    assert_like_clean(&s);
}

/// The previous build's output of `index`: its shards, and their records.
struct Written {
    dir: tempfile::TempDir,
    records: HashMap<String, u128>,
    kept: KeptIndex,
}

fn write(index: &Index) -> Written {
    let dir = tempfile::tempdir().unwrap();
    let mut records = HashMap::new();
    for key in index.keys() {
        let path = shard_path(key);
        let file = dir.path().join(&path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, index.shard(key).unwrap()).unwrap();
        records.insert(path, index.record(key));
    }
    Written {
        dir,
        records,
        kept: index.kept().clone(),
    }
}

/// Updates `before`'s index after the files of `edited` changed (`after`
/// is the site as it is now): `None` when it could not be updated, else
/// asserts it is the index made from scratch.
#[track_caller]
fn update(before: &Site, after: &Site, edited: &[usize]) -> Option<()> {
    let written = write(&Index::new(before));
    let updated = Index::updated(
        after,
        &PreviousIndex {
            kept: &written.kept,
            output: written.dir.path(),
            records: &written.records,
        },
        |i| edited.contains(&i),
        |i| Some(before.documents[i].clone()),
    )?;
    let made = Index::new(after);
    let keys: BTreeSet<&str> = made.keys().collect();
    assert_eq!(updated.keys().collect::<BTreeSet<_>>(), keys);
    for key in keys {
        assert!(
            updated.shard(key).unwrap() == made.shard(key).unwrap(),
            "shard {key} differs"
        );
        assert_eq!(updated.record(key), made.record(key), "record of {key}");
    }
    assert_eq!(updated.manifest(after), made.manifest(after));
    assert_eq!(
        serde_json::to_string(updated.kept()).unwrap(),
        serde_json::to_string(made.kept()).unwrap()
    );
    Some(())
}

fn index_of(site: &Site, file: &str) -> usize {
    site.documents
        .iter()
        .position(|d| d.file.ends_with(file))
        .unwrap()
}

#[test]
fn the_index_is_updated_in_place_unless_a_kept_posting_would_need_one_not_kept() {
    let s = site();
    let v0 = crate::common::load_site(&s);
    let heavy = index_of(&v0, &format!("d{HEAVY:03}.md"));
    let light = index_of(&v0, &format!("d{LIGHT:03}.md"));
    let heavy_file = format!("content/articles/d{HEAVY:03}.md");

    s.file(
        &heavy_file,
        &article(
            HEAVY,
            &format!(
                "{} Zyzzyva quokkas at the harbour.",
                harbour_body(harbour_times(HEAVY))
            ),
        ),
    );
    let v1 = crate::common::load_site(&s);
    assert!(update(&v0, &v1, &[heavy]).is_some(), "terms added");
    assert!(update(&v1, &v0, &[heavy]).is_some(), "terms removed");

    s.file(&heavy_file, &article(HEAVY, &harbour_body(3)));
    let v2 = crate::common::load_site(&s);
    assert!(
        update(&v0, &v2, &[heavy]).is_some(),
        "a kept posting lighter"
    );

    s.file(&heavy_file, &article(HEAVY, "Nothing of note today."));
    let v3 = crate::common::load_site(&s);
    assert!(
        update(&v0, &v3, &[heavy]).is_none(),
        "a kept posting of a full entry removed"
    );
    // Put back, the posting is heavier than the lightest kept: that is
    // known without the others.
    assert!(update(&v3, &v0, &[heavy]).is_some(), "a kept posting added");

    s.file(
        &heavy_file,
        &article(HEAVY, &harbour_body(harbour_times(HEAVY))),
    );
    s.file(
        &format!("content/articles/d{LIGHT:03}.md"),
        &article(LIGHT, "Nothing of note today."),
    );
    let v4 = crate::common::load_site(&s);
    assert!(
        update(&v0, &v4, &[light]).is_some(),
        "a posting not kept removed"
    );

    // A document rendered again with the same postings changes nothing;
    // one whose previous self is not known cannot be compared.
    assert!(update(&v0, &v0, &[heavy, light]).is_some());
    let written = write(&Index::new(&v0));
    let previous = PreviousIndex {
        kept: &written.kept,
        output: written.dir.path(),
        records: &written.records,
    };
    assert!(Index::updated(&v4, &previous, |i| i == light, |_| None).is_none());
}
