//! A build over an existing output (issue 13, item 2): the old site stays
//! beside the output as the next build's spare, its own files are written
//! over in place, files whose bytes the live file holds are taken from the
//! live site, and none of it ever writes through a live file. Whatever the
//! sequence, the output is what `build --clean` writes into a fresh folder.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::common::{self, TestSite};
use crate::perf_cache::build;

const BASE: &str = include_str!("../themes/default/templates/base.html");

/// perf_cache's site (articles with code, notes, a source) with a site
/// template to edit.
fn site() -> TestSite {
    let s = crate::perf_cache::site();
    s.file("templates/base.html", BASE);
    s
}

fn out(s: &TestSite) -> std::path::PathBuf {
    s.root().join("output")
}

fn spare(s: &TestSite) -> std::path::PathBuf {
    s.root().join(".output.marginalia-spare")
}

/// Path → (inode, bytes) of every file under `dir`.
fn files(dir: &Path) -> BTreeMap<String, (u64, Vec<u8>)> {
    common::walk(dir)
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            let ino = std::fs::symlink_metadata(&p).unwrap().ino();
            (rel, (ino, std::fs::read(&p).unwrap()))
        })
        .collect()
}

/// Inode → bytes of every file of the live site.
fn held(s: &TestSite) -> HashMap<u64, Vec<u8>> {
    files(&out(s)).into_values().collect()
}

/// No file the live site held before the build was written through: each
/// of its inodes still named anywhere (the new site, or the spare, which
/// is the whole old site after the swap) still holds the same bytes.
#[track_caller]
fn assert_not_written_through(s: &TestSite, before: &HashMap<u64, Vec<u8>>, step: &str) {
    let mut seen = 0;
    for dir in [out(s), spare(s)] {
        for (path, (ino, bytes)) in files(&dir) {
            if let Some(was) = before.get(&ino) {
                seen += 1;
                assert!(
                    *was == bytes,
                    "{step}: {} was a live file and was written through",
                    dir.join(path).display()
                );
            }
        }
    }
    assert!(
        seen >= before.len(),
        "{step}: the old site is not all there"
    );
}

/// Asserts that output/ is byte for byte what `build --clean` writes into
/// a fresh folder, from a copy of the site's own files (no cache, no
/// output, no spare).
#[track_caller]
fn assert_like_fresh_clean(s: &TestSite, step: &str) {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("site");
    for top in ["content", "templates", "site.yaml"] {
        for f in common::walk(&s.root().join(top))
            .into_iter()
            .chain(Some(s.root().join(top)).filter(|p| p.is_file()))
        {
            let rel = f.strip_prefix(s.root()).unwrap();
            std::fs::create_dir_all(copy.join(rel).parent().unwrap()).unwrap();
            std::fs::copy(&f, copy.join(rel)).unwrap();
        }
    }
    let r = common::bin()
        .args(["build", "--clean"])
        .current_dir(&copy)
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let bytes = |d: &Path| -> BTreeMap<String, Vec<u8>> {
        files(d).into_iter().map(|(p, (_, b))| (p, b)).collect()
    };
    let (got, want) = (bytes(&out(s)), bytes(&copy.join("output")));
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "{step}: the same files"
    );
    for (k, v) in &want {
        assert!(got[k] == *v, "{step}: {k} differs from a clean build");
    }
}

fn edit_template(s: &TestSite, n: usize) {
    s.file(
        "templates/base.html",
        &format!("{BASE}\n<!-- edit {n} -->\n"),
    );
}

/// Runs `build` with `extra` after `change`, and checks the guarantees.
fn step(s: &TestSite, what: &str, extra: &[&str], change: impl FnOnce(&TestSite)) {
    change(s);
    let before = held(s);
    build(s, extra);
    assert_not_written_through(s, &before, what);
    assert_like_fresh_clean(s, what);
}

#[test]
fn a_full_build_over_an_output_writes_into_the_spare_and_makes_no_file() {
    let s = site();
    build(&s, &[]);
    // A second full build: the first site becomes the spare, sharing no
    // file with the live one.
    build(&s, &["--clean"]);
    let spare_inodes: HashSet<u64> = files(&spare(&s)).values().map(|(i, _)| *i).collect();
    let live = held(&s);
    assert!(spare_inodes.iter().all(|i| !live.contains_key(i)));

    // A template edit: every page is rendered again.
    edit_template(&s, 1);
    build(&s, &[]);
    let new = files(&out(&s));
    // Pages changed (written over the spare's files); search fragments,
    // each article's annotations and data files did not, and the spare's
    // own files already hold their bytes (the spare's record says so):
    // kept as they are, neither unlinked nor linked. Every file of the
    // new site is the spare's.
    for path in new.keys() {
        assert!(
            spare_inodes.contains(&new[path].0),
            "{path} is not the spare's file: the spare had one to keep or write over"
        );
    }
    assert!(String::from_utf8_lossy(&new["articles/a0/index.html"].1).contains("<!-- edit 1 -->"));
    assert_not_written_through(&s, &live, "template edit");
    assert_like_fresh_clean(&s, "template edit");

    // Again: the files both sites now share need nothing; the pages are
    // written over the spare's (the previous live site's) own files.
    let spare_inodes: HashSet<u64> = files(&spare(&s)).values().map(|(i, _)| *i).collect();
    let live = held(&s);
    edit_template(&s, 2);
    build(&s, &[]);
    for (path, (ino, _)) in files(&out(&s)) {
        assert!(
            spare_inodes.contains(&ino) || live.contains_key(&ino),
            "{path} is a new file"
        );
    }
    assert_not_written_through(&s, &live, "second template edit");
}

#[test]
fn any_sequence_of_builds_writes_what_a_clean_build_into_a_fresh_folder_writes() {
    let s = site();
    build(&s, &[]);
    step(&s, "template edit", &[], |s| edit_template(s, 1));
    step(&s, "--clean over the output", &["--clean"], |_| {});
    step(&s, "article edit after a full build", &[], |s| {
        s.file(
            "content/articles/a1.md",
            "---\ntitle: Article 1\ndate: 2021-02-02\nsource: gazette\ntags: [t1]\n---\nThe council voted on item 1 today, and again.\n",
        );
    });
    step(&s, "template edit after an article edit", &[], |s| {
        edit_template(s, 2)
    });
    step(&s, "spare deleted by hand", &[], |s| {
        std::fs::remove_dir_all(spare(s)).unwrap();
        edit_template(s, 3);
    });
    step(&s, "sums deleted by hand", &[], |s| {
        std::fs::remove_file(s.root().join(".output.marginalia-sums")).unwrap();
        edit_template(s, 4);
    });
    // The spare holds a file where the new site needs a folder, and a
    // folder where it needs a file.
    step(&s, "a spare of the wrong shape", &[], |s| {
        let sp = spare(s);
        std::fs::remove_dir_all(sp.join("articles/a2")).unwrap();
        std::fs::write(sp.join("articles/a2"), "a file").unwrap();
        std::fs::remove_file(sp.join("index.html")).unwrap();
        std::fs::create_dir_all(sp.join("index.html/inner")).unwrap();
        std::fs::write(sp.join("index.html/inner/x"), "x").unwrap();
        edit_template(s, 5);
    });
    step(&s, "a sidecar edit", &[], |s| {
        s.file(
            "content/articles/a3.annotations.yaml",
            "- quote: \"voted on item 3\"\n  note: Checked twice.\n",
        );
    });
    step(&s, "--clean after an edit build", &["--clean"], |_| {});
}

#[test]
fn an_edit_build_after_a_full_build_frees_no_file_of_the_spare() {
    let s = site();
    build(&s, &[]);
    build(&s, &["--clean"]);
    let before = files(&spare(&s));
    step(&s, "article edit after --clean", &[], |s| {
        s.file(
            "content/articles/a1.md",
            "---\ntitle: Article 1\ndate: 2021-02-02\nsource: gazette\ntags: [t1]\n---\nThe council voted on item 1 today, and again.\n",
        );
    });
    // The files the edit did not change are the spare's own, kept: none
    // of the spare's files was unlinked for a link to the live one.
    let mut kept = 0;
    for (path, (ino, bytes)) in files(&out(&s)) {
        if let Some((was, old)) = before.get(&path)
            && *old == bytes
        {
            assert_eq!(ino, *was, "{path}: the spare's file held these bytes");
            kept += 1;
        }
    }
    assert!(kept > 10, "{kept}");
    // The build cache's record stamps them as they are: nothing changed
    // is nothing to do, and the next edit still reuses documents.
    let again = build(&s, &[]);
    assert!(again.contains("nothing changed"), "{again}");
    step(&s, "another article edit", &[], |s| {
        s.file(
            "content/articles/a2.md",
            "---\ntitle: Article 2\ndate: 2021-02-03\nsource: gazette\ntags: [t2]\n---\nThe council voted on item 2 today, and again.\n",
        );
    });
    let last = build(&s, &[]);
    assert!(last.contains("nothing changed"), "{last}");
}

#[test]
fn a_live_file_edited_by_hand_is_written_again() {
    let s = site();
    build(&s, &[]);
    build(&s, &["--clean"]);
    // A file the next build would take from the live site unchanged.
    let data = out(&s).join("sitemap.xml");
    assert!(data.is_file());
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(&data, "edited by hand").unwrap();
    step(&s, "template edit over a hand edit", &[], |s| {
        edit_template(s, 1)
    });
}
