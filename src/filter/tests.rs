use std::fs;
use std::path::{Path, PathBuf};

use super::*;

/// A temp tree plus a config rooted in it.
struct Tree {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Tree {
    fn new(files: &[(&str, &str)]) -> Tree {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().canonicalize().expect("canonical temp dir");
        for (path, text) in files {
            let p = root.join(path);
            if path.ends_with('/') {
                fs::create_dir_all(&p).expect("mkdir");
            } else {
                fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
                fs::write(&p, text).expect("write");
            }
        }
        Tree { _dir: dir, root }
    }

    fn cfg(&self) -> WatchConfig {
        WatchConfig::under(&self.root)
    }

    fn filter(&self, cfg: &WatchConfig) -> Filter {
        Filter::new(cfg, &self.root).expect("filter")
    }

    fn p(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn plain_files_count_and_vcs_dirs_never_do() {
    let t = Tree::new(&[("main.go", ""), (".git/HEAD", ""), (".jj/x", "")]);
    let f = t.filter(&t.cfg());
    assert!(f.accepts(&t.p("main.go"), false));
    assert!(!f.accepts(&t.p(".git/HEAD"), false));
    assert!(!f.accepts(&t.p(".git"), true));
    assert!(!f.enters(&t.p(".git")));
    assert!(!f.enters(&t.p(".hg")));
    assert!(!f.accepts(&t.p("sub/.svn/entries"), false));
    assert!(f.enters(&t.root));
}

#[test]
fn editor_temporary_files_never_count() {
    let t = Tree::new(&[]);
    let f = t.filter(&t.cfg());
    for name in [
        ".main.go.swp",
        ".main.go.swx",
        ".main.go.swo",
        "4913",
        "5036",
        "main.go~",
        ".#main.go",
        "#main.go#",
        "main.go___jb_tmp___",
        "main.go___jb_old___",
        ".goutputstream-AB12CD",
        ".main.go.tmp",
        "main.go.TMP",
    ] {
        assert!(!f.accepts(&t.p(name), false), "{name} should not count");
    }
    assert!(f.accepts(&t.p("4914"), false));
    assert!(f.accepts(&t.p("#notes"), false));
}

#[test]
fn gitignore_patterns_apply_with_directory_patterns_covering_everything_below() {
    let t = Tree::new(&[
        (".gitignore", "*.log\nnode_modules/\n/build\n"),
        ("node_modules/a/b/index.js", ""),
        ("build/", ""),
        ("src/build/x.go", ""),
    ]);
    let f = t.filter(&t.cfg());
    assert!(!f.accepts(&t.p("app.log"), false));
    assert!(!f.accepts(&t.p("src/deep/app.log"), false));
    assert!(!f.accepts(&t.p("node_modules/a/b/index.js"), false));
    assert!(!f.enters(&t.p("node_modules")));
    assert!(!f.enters(&t.p("node_modules/a")));
    assert!(!f.enters(&t.p("build")));
    // Anchored `/build` does not reach src/build.
    assert!(f.enters(&t.p("src/build")));
    assert!(f.accepts(&t.p("src/build/x.go"), false));
}

#[test]
fn deeper_ignore_files_override_shallower_and_whitelists_work() {
    let t = Tree::new(&[
        (".gitignore", "*.gen.go\n"),
        ("api/.gitignore", "!keep.gen.go\nlocal.go\n"),
        ("api/keep.gen.go", ""),
    ]);
    let f = t.filter(&t.cfg());
    assert!(!f.accepts(&t.p("x.gen.go"), false));
    assert!(!f.accepts(&t.p("api/other.gen.go"), false));
    assert!(f.accepts(&t.p("api/keep.gen.go"), false));
    assert!(!f.accepts(&t.p("api/local.go"), false));
    assert!(f.accepts(&t.p("local.go"), false));
}

#[test]
fn whitelist_cannot_reinclude_below_an_ignored_directory() {
    let t = Tree::new(&[
        (".gitignore", "vendor/\n!vendor/keep.go\n"),
        ("vendor/", ""),
    ]);
    let f = t.filter(&t.cfg());
    assert!(!f.accepts(&t.p("vendor/keep.go"), false));
}

#[test]
fn dot_ignore_and_hotdevignore_are_read() {
    let t = Tree::new(&[(".ignore", "a.go\n"), ("sub/.hotdevignore", "b.go\n")]);
    let f = t.filter(&t.cfg());
    assert!(!f.accepts(&t.p("a.go"), false));
    assert!(!f.accepts(&t.p("sub/b.go"), false));
    assert!(f.accepts(&t.p("b.go"), false));
}

#[test]
fn gitignore_false_still_reads_hotdevignore_only() {
    let t = Tree::new(&[
        (".gitignore", "a.go\n"),
        (".ignore", "b.go\n"),
        (".hotdevignore", "c.go\n"),
    ]);
    let mut cfg = t.cfg();
    cfg.gitignore = false;
    let f = t.filter(&cfg);
    assert!(f.accepts(&t.p("a.go"), false));
    assert!(f.accepts(&t.p("b.go"), false));
    assert!(!f.accepts(&t.p("c.go"), false));
}

#[test]
fn hotdevignore_whitelist_beats_gitignore() {
    let t = Tree::new(&[(".gitignore", "gen.go\n"), (".hotdevignore", "!gen.go\n")]);
    let f = t.filter(&t.cfg());
    assert!(f.accepts(&t.p("gen.go"), false));
}

#[test]
fn git_info_exclude_is_read_and_parent_gitignore_up_to_the_work_tree() {
    let t = Tree::new(&[
        (".git/info/exclude", "secret.go\n"),
        (".gitignore", "app/generated/\n"),
        ("app/generated/", ""),
    ]);
    let mut cfg = t.cfg();
    cfg.paths = vec![t.p("app")];
    let f = t.filter(&cfg);
    assert!(!f.accepts(&t.p("app/secret.go"), false));
    assert!(!f.enters(&t.p("app/generated")));
    assert!(f.accepts(&t.p("app/main.go"), false));
}

#[test]
fn ignored_directories_are_not_read_for_ignore_files() {
    // A whitelist inside an ignored directory must not resurrect anything.
    let t = Tree::new(&[(".gitignore", "dist/\n"), ("dist/.gitignore", "!*\n")]);
    let f = t.filter(&t.cfg());
    assert!(!f.layers.contains_key(&t.p("dist")));
    assert!(!f.accepts(&t.p("dist/a.go"), false));
}

#[test]
fn ignore_globs_exclude_files_and_directories() {
    let t = Tree::new(&[("tmp/", ""), ("gen/", "")]);
    let mut cfg = t.cfg();
    cfg.ignore = strings(&["tmp/**", "gen", "*_test.go"]);
    let f = t.filter(&cfg);
    assert!(!f.accepts(&t.p("tmp/app"), false));
    assert!(!f.enters(&t.p("tmp")));
    assert!(!f.enters(&t.p("gen")));
    assert!(!f.accepts(&t.p("gen/a.go"), false));
    assert!(!f.accepts(&t.p("pkg/x_test.go"), false));
    assert!(f.accepts(&t.p("pkg/x.go"), false));
}

#[test]
fn include_beats_ignore_files_and_globs_but_not_never() {
    let t = Tree::new(&[
        (".gitignore", "node_modules/\n*.pb.go\n"),
        ("node_modules/mylib/", ""),
    ]);
    let mut cfg = t.cfg();
    cfg.include = strings(&["node_modules/mylib/**", "api/*.pb.go"]);
    cfg.ignore = strings(&["api/**"]);
    cfg.never = vec![t.p("node_modules/mylib/out")];
    let f = t.filter(&cfg);
    assert!(f.enters(&t.p("node_modules")));
    assert!(f.enters(&t.p("node_modules/mylib")));
    assert!(!f.enters(&t.p("node_modules/other")));
    assert!(f.accepts(&t.p("node_modules/mylib/index.js"), false));
    assert!(!f.accepts(&t.p("node_modules/other/index.js"), false));
    assert!(f.accepts(&t.p("api/a.pb.go"), false));
    assert!(!f.accepts(&t.p("api/a.go"), false));
    assert!(!f.accepts(&t.p("node_modules/mylib/out/x.js"), false));
    assert!(!f.enters(&t.p("node_modules/mylib/out")));
}

#[test]
fn never_paths_and_everything_below_never_count() {
    let t = Tree::new(&[("tmp/app", "")]);
    let mut cfg = t.cfg();
    cfg.never = vec![t.p("tmp"), t.p(".hotdev.log")];
    let f = t.filter(&cfg);
    assert!(!f.accepts(&t.p("tmp/app"), false));
    assert!(!f.accepts(&t.p("tmp"), true));
    assert!(!f.enters(&t.p("tmp")));
    assert!(!f.accepts(&t.p(".hotdev.log"), false));
    assert!(f.accepts(&t.p("tmpfile.go"), false));
}

#[test]
fn extensions_filter_files_but_not_directories() {
    let t = Tree::new(&[]);
    let mut cfg = t.cfg();
    cfg.extensions = strings(&["go", "mod"]);
    let f = t.filter(&cfg);
    assert!(f.accepts(&t.p("main.go"), false));
    assert!(f.accepts(&t.p("MAIN.GO"), false));
    assert!(f.accepts(&t.p("go.mod"), false));
    assert!(!f.accepts(&t.p("README.md"), false));
    assert!(!f.accepts(&t.p("Makefile"), false));
    assert!(f.accepts(&t.p("pkg"), true));
    assert!(f.enters(&t.p("pkg")));
}

#[test]
fn invalid_glob_is_one_line_naming_it() {
    let t = Tree::new(&[]);
    let mut cfg = t.cfg();
    cfg.ignore = strings(&["src/[oops"]);
    let err = Filter::new(&cfg, &t.root).expect_err("bad glob");
    let msg = err.to_string();
    assert!(
        msg.contains("src/[oops") && msg.contains("watch.ignore"),
        "{msg}"
    );
    assert!(!msg.contains('\n'));
}

#[test]
fn invalid_ignore_file_line_names_the_file() {
    let t = Tree::new(&[(".hotdevignore", "a/{b\n")]);
    let err = Filter::new(&t.cfg(), &t.root).expect_err("bad ignore file");
    let msg = err.to_string();
    assert!(msg.contains(".hotdevignore"), "{msg}");
    assert!(!msg.contains('\n'));
}

#[test]
fn rebuild_sees_a_changed_ignore_file() {
    let t = Tree::new(&[(".gitignore", "")]);
    let f = t.filter(&t.cfg());
    assert!(f.accepts(&t.p("a.go"), false));
    assert!(f.is_ignore_file(&t.p(".gitignore")));
    fs::write(t.p(".gitignore"), "a.go\n").expect("write");
    let f = f.rebuild().expect("rebuild");
    assert!(!f.accepts(&t.p("a.go"), false));
}

#[test]
fn paths_outside_the_tree_do_not_panic() {
    let t = Tree::new(&[(".gitignore", "*.log\n")]);
    let f = t.filter(&t.cfg());
    assert!(f.accepts(Path::new("/elsewhere/x.go"), false));
    assert!(f.accepts(Path::new("relative.go"), false));
}
