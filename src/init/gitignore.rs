//! Whether git ignores a directory of the project, as git decides it: the `.gitignore` files
//! from the directory up to the repository root (the nearer one wins), then
//! `.git/info/exclude`, then git's global excludes. Reads only; never edits a `.gitignore`.

use std::path::Path;

use ignore::Match;
use ignore::gitignore::GitignoreBuilder;

/// Whether `output` (a directory relative to `dir`, e.g. `tmp`) is ignored by git.
pub fn ignored(dir: &Path, output: &Path) -> bool {
    for ancestor in dir.ancestors() {
        // Relative to the ignore file's directory: the matcher never sees a path outside it.
        let Ok(below) = dir.strip_prefix(ancestor) else {
            continue;
        };
        let path = below.join(output);
        if let Some(verdict) = verdict(&ancestor.join(".gitignore"), ancestor, &path) {
            return verdict;
        }
        if ancestor.join(".git").exists() {
            if let Some(verdict) = verdict(&ancestor.join(".git/info/exclude"), ancestor, &path) {
                return verdict;
            }
            let (global, _) = GitignoreBuilder::new(ancestor).build_global();
            return matches!(
                global.matched_path_or_any_parents(&path, true),
                Match::Ignore(_)
            );
        }
    }
    false
}

/// What one ignore file says about `path`: ignored, re-included (`!`), or nothing.
fn verdict(file: &Path, root: &Path, path: &Path) -> Option<bool> {
    if !file.is_file() {
        return None;
    }
    let mut builder = GitignoreBuilder::new(root);
    // A line that does not parse is skipped, as git skips it.
    let _ = builder.add(file);
    let matcher = builder.build().ok()?;
    // `tmp/**` ignores what is in the directory, not the directory: for git, the same.
    let inside = path.join("a-build-output-file");
    let said = match matcher.matched_path_or_any_parents(path, true) {
        Match::None => matcher.matched_path_or_any_parents(&inside, false),
        said => said,
    };
    match said {
        Match::Ignore(_) => Some(true),
        Match::Whitelist(_) => Some(false),
        Match::None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join(".git")).expect(".git");
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("dirs");
            std::fs::write(path, text).expect("write");
        }
        dir
    }

    #[test]
    fn a_gitignore_line_for_the_directory_or_its_contents_ignores_it() {
        for line in ["tmp/", "/tmp", "tmp", "tmp/**", "tmp/*", "*"] {
            let dir = project(&[(".gitignore", &format!("{line}\n"))]);
            assert!(ignored(dir.path(), Path::new("tmp")), "{line}");
        }
    }

    #[test]
    fn no_line_or_another_directory_leaves_it_unignored() {
        let dir = project(&[(".gitignore", "node_modules/\n*.log\ntmp/*.log\n")]);
        assert!(!ignored(dir.path(), Path::new("tmp")));
        let dir = project(&[]);
        assert!(!ignored(dir.path(), Path::new("tmp")));
    }

    #[test]
    fn a_parent_gitignore_and_info_exclude_count_and_a_nearer_file_wins() {
        let dir = project(&[(".gitignore", "tmp/\n"), ("svc/go.mod", "")]);
        assert!(ignored(&dir.path().join("svc"), Path::new("tmp")));
        let dir = project(&[(".gitignore", "tmp/\n"), ("svc/.gitignore", "!tmp/\n")]);
        assert!(!ignored(&dir.path().join("svc"), Path::new("tmp")));
        let dir = project(&[(".git/info/exclude", "/tmp/\n")]);
        assert!(ignored(dir.path(), Path::new("tmp")));
    }
}
