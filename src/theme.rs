//! The default theme, compiled into the binary so a site with no `themes/`
//! folder builds. These are the very files of `themes/default/` in the
//! repository; a test checks that the lists match the folder.

/// (name under `templates/`, text)
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "base.html",
        include_str!("../themes/default/templates/base.html"),
    ),
    (
        "index.html",
        include_str!("../themes/default/templates/index.html"),
    ),
    (
        "section.html",
        include_str!("../themes/default/templates/section.html"),
    ),
    (
        "article.html",
        include_str!("../themes/default/templates/article.html"),
    ),
    (
        "page.html",
        include_str!("../themes/default/templates/page.html"),
    ),
    (
        "sources.html",
        include_str!("../themes/default/templates/sources.html"),
    ),
    (
        "source.html",
        include_str!("../themes/default/templates/source.html"),
    ),
    (
        "tags.html",
        include_str!("../themes/default/templates/tags.html"),
    ),
    (
        "tag.html",
        include_str!("../themes/default/templates/tag.html"),
    ),
    (
        "404.html",
        include_str!("../themes/default/templates/404.html"),
    ),
    (
        "claims.html",
        include_str!("../themes/default/templates/claims.html"),
    ),
    (
        "partials/article-list.html",
        include_str!("../themes/default/templates/partials/article-list.html"),
    ),
    (
        "stats.html",
        include_str!("../themes/default/templates/stats.html"),
    ),
    (
        "partials/chart.html",
        include_str!("../themes/default/templates/partials/chart.html"),
    ),
    (
        "partials/pagination.html",
        include_str!("../themes/default/templates/partials/pagination.html"),
    ),
    (
        "snapshot.html",
        include_str!("../themes/default/templates/snapshot.html"),
    ),
    (
        "changes.html",
        include_str!("../themes/default/templates/changes.html"),
    ),
    (
        "all_changes.html",
        include_str!("../themes/default/templates/all_changes.html"),
    ),
    (
        "partials/note-card.html",
        include_str!("../themes/default/templates/partials/note-card.html"),
    ),
    (
        "partials/note.html",
        include_str!("../themes/default/templates/partials/note.html"),
    ),
    (
        "kinds.css",
        include_str!("../themes/default/templates/kinds.css"),
    ),
    (
        "partials/kinds-style.html",
        include_str!("../themes/default/templates/partials/kinds-style.html"),
    ),
];

/// (path under `static/`, bytes)
pub const STATIC: &[(&str, &[u8])] = &[
    (
        "style.css",
        include_bytes!("../themes/default/static/style.css"),
    ),
    (
        "marginalia.js",
        include_bytes!("../themes/default/static/marginalia.js"),
    ),
    (
        "search.js",
        include_bytes!("../themes/default/static/search.js"),
    ),
    (
        "favicon.svg",
        include_bytes!("../themes/default/static/favicon.svg"),
    ),
];

/// theme.yaml of the default theme.
pub const THEME_YAML: &str = include_str!("../themes/default/theme.yaml");

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn files_under(dir: &Path) -> Vec<String> {
        let mut out: Vec<String> = walkdir::WalkDir::new(dir)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                e.path()
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/")
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn embedded_theme_matches_the_folder() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default");
        let mut names: Vec<String> = TEMPLATES.iter().map(|(n, _)| n.to_string()).collect();
        names.sort();
        assert_eq!(
            names,
            files_under(&root.join("templates")),
            "update src/theme.rs TEMPLATES"
        );
        let mut names: Vec<String> = STATIC.iter().map(|(n, _)| n.to_string()).collect();
        names.sort();
        assert_eq!(
            names,
            files_under(&root.join("static")),
            "update src/theme.rs STATIC"
        );
    }
}
