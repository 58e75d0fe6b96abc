//! Measures the dev server's incremental path on a site: load, render
//! everything, then edit one article (append a sentence to its body) and
//! apply the change, as `serve` does on a file event.
//!
//! cargo run --release --example live_bench -- SITE_ROOT [ARTICLE.md] [ROUNDS]

use std::path::PathBuf;
use std::time::Instant;

use marginalia::BuildOptions;
use marginalia::incremental::LiveSite;

fn main() {
    let mut args = std::env::args().skip(1);
    let root = PathBuf::from(
        args.next()
            .expect("usage: live_bench SITE_ROOT [ARTICLE.md] [ROUNDS]"),
    );
    let root = root.canonicalize().expect("site root");
    let article = args.next().filter(|a| !a.is_empty());
    let rounds: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(5);
    let options = BuildOptions {
        root: root.clone(),
        base_url: Some("http://127.0.0.1:1111/".into()),
        ..Default::default()
    };
    let t = Instant::now();
    let (live, diags) = LiveSite::load(&options);
    let Some(mut live) = live else {
        for d in diags.iter().take(20) {
            eprintln!("{d}");
        }
        std::process::exit(1);
    };
    eprintln!("load: {:.2?}", t.elapsed());
    let t = Instant::now();
    let (files, d) = live.render_everything();
    eprintln!(
        "render everything: {} files in {:.2?} ({} problems)",
        files.len(),
        t.elapsed(),
        d.len()
    );
    drop(files);
    let file = match article {
        Some(a) => root.join(a),
        None => root.join(&live.site().documents[live.site().documents.len() / 2].file),
    };
    let original = std::fs::read_to_string(&file).expect("read article");
    for round in 0..rounds {
        let text = format!("{original}\nEdited in round {round}.\n");
        std::fs::write(&file, text).expect("write article");
        let t = Instant::now();
        let mut first = None;
        let mut early = |files: &[(String, marginalia::incremental::Produced)]| {
            first = Some((t.elapsed(), files.len()));
        };
        match live.apply(std::slice::from_ref(&file), &mut early) {
            Ok(u) => {
                let t1 = t.elapsed();
                if let Some((d, n)) = first {
                    eprintln!("edit {round}: the article's page ({n}) ready after {d:.2?}");
                }
                let t2 = Instant::now();
                for p in &u.later {
                    let _ = live.render_path(p);
                }
                eprintln!(
                    "edit {round}: apply {:.2?} ({} files), later {} in {:.2?}",
                    t1,
                    u.files.len(),
                    u.later.len(),
                    t2.elapsed()
                );
                for (what, d) in &u.timings {
                    eprintln!("    {what}: {d:.2?}");
                }
            }
            Err(d) => {
                for x in d.iter().take(5) {
                    eprintln!("{x}");
                }
            }
        }
    }
    std::fs::write(&file, original).expect("restore article");
}
