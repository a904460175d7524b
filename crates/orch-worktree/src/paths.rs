//! Worktree paths: lexical normalisation and the fence that keeps worktrees beside the
//! repository, out of the git directory and out of each other.
//!
//! Everything here is checked before any git call or file creation. Normalisation is lexical
//! (it never reads the disk); [`resolve_links`] then follows the symbolic links of the part of
//! a path that already exists, so that a link cannot carry a worktree over the fence.

use std::path::{Component, Path, PathBuf};

/// Removes `.` components and resolves `..` against the component before it, without touching
/// the disk. `..` at the root stays at the root, as the operating system does.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Prefix(_) | Component::RootDir => out.push(component.as_os_str()),
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(".."),
            },
            Component::Normal(name) => out.push(name),
        }
    }
    out
}

/// The absolute, normalised path that `written` (as in the plan) names: an absolute path as
/// is, a relative one against the main worktree `root`.
pub fn resolve(root: &Path, written: &str) -> PathBuf {
    normalize(&root.join(written.trim()))
}

/// Follows the symbolic links of the longest part of `path` that exists, and appends the rest:
/// where `path` would really be created.
pub fn resolve_links(path: &Path) -> PathBuf {
    let mut existing = path.to_owned();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = existing.canonicalize() {
            let mut out = real;
            out.extend(rest.iter().rev());
            return out;
        }
        match (existing.file_name(), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name.to_owned());
                existing = parent.to_owned();
            }
            _ => return path.to_owned(),
        }
    }
}

/// Where worktrees may go: strictly inside the directory that holds the main worktree (the
/// workspace, where sibling worktrees live), but not in the main worktree, not in the git
/// directory and not in another worktree.
#[derive(Clone, Debug)]
pub struct Fence {
    /// The directory that holds the main worktree.
    pub workspace: PathBuf,
    /// The main worktree.
    pub main_root: PathBuf,
    /// The git common directory.
    pub common_dir: PathBuf,
}

impl Fence {
    /// The fence around the main worktree `main_root` with git common dir `common_dir`; both
    /// should be canonical. `None` when the main worktree is the file system's root.
    pub fn new(main_root: &Path, common_dir: &Path) -> Option<Fence> {
        Some(Fence {
            workspace: main_root.parent()?.to_owned(),
            main_root: main_root.to_owned(),
            common_dir: common_dir.to_owned(),
        })
    }

    /// Checks a normalised absolute `path` against the fence and the registered worktrees
    /// `others` (a path equal to one of them is left to the caller, which knows whether it is
    /// the task's own). Returns why the path is refused.
    pub fn check<'a>(
        &self,
        path: &Path,
        others: impl IntoIterator<Item = &'a Path>,
    ) -> Result<(), String> {
        if path == self.main_root {
            return Err("is the main worktree".to_owned());
        }
        if path.starts_with(&self.common_dir) {
            return Err(format!(
                "is inside the git directory {}",
                self.common_dir.display()
            ));
        }
        if path.starts_with(&self.main_root) {
            return Err(format!(
                "is inside the main worktree {}",
                self.main_root.display()
            ));
        }
        if path == self.workspace || !path.starts_with(&self.workspace) {
            return Err(format!(
                "is not inside {}, the directory that holds the repository",
                self.workspace.display()
            ));
        }
        for other in others {
            if path != other && path.starts_with(other) {
                return Err(format!("is inside the worktree {}", other.display()));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fence() -> Fence {
        Fence::new(Path::new("/w/repo"), Path::new("/w/repo/.git")).expect("has a parent")
    }

    #[test]
    fn normalizes_lexically() {
        for (input, expected) in [
            ("/a/b/../c", "/a/c"),
            ("/a/./b/./", "/a/b"),
            ("/a/b/../../..", "/"),
            ("/../x", "/x"),
            ("a/../../b", "../b"),
            ("../../x/..", "../.."),
            ("/w/repo/../repo-worktrees/T1", "/w/repo-worktrees/T1"),
        ] {
            assert_eq!(
                normalize(Path::new(input)),
                PathBuf::from(expected),
                "{input}"
            );
        }
    }

    #[test]
    fn resolves_relative_to_the_main_worktree() {
        let root = Path::new("/w/repo");
        assert_eq!(resolve(root, "../oauth"), PathBuf::from("/w/oauth"));
        assert_eq!(resolve(root, " ../oauth "), PathBuf::from("/w/oauth"));
        assert_eq!(resolve(root, "/elsewhere/x"), PathBuf::from("/elsewhere/x"));
        assert_eq!(
            resolve(root, "../repo-worktrees/./T1"),
            PathBuf::from("/w/repo-worktrees/T1")
        );
    }

    #[test]
    fn the_fence_keeps_worktrees_beside_the_repository() {
        let fence = fence();
        let none: [&Path; 0] = [];
        for ok in ["/w/oauth", "/w/repo-worktrees/T1", "/w/a/b/c"] {
            assert_eq!(fence.check(Path::new(ok), none), Ok(()), "{ok}");
        }
        for (bad, why) in [
            ("/w/repo", "is the main worktree"),
            ("/w/repo/sub", "inside the main worktree"),
            ("/w/repo/.git/x", "inside the git directory"),
            ("/w", "not inside /w"),
            ("/x", "not inside /w"),
            ("/", "not inside /w"),
            ("/wx/y", "not inside /w"),
        ] {
            let error = fence.check(Path::new(bad), none).expect_err(bad);
            assert!(error.contains(why), "{bad}: {error}");
        }
    }

    #[test]
    fn escapes_written_in_the_plan_are_refused() {
        let fence = fence();
        let root = Path::new("/w/repo");
        let none: [&Path; 0] = [];
        for written in [
            "../../x",
            "..",
            ".",
            "sub/../..",
            "/etc",
            "../../w/x/../../y",
        ] {
            let path = resolve(root, written);
            assert!(
                fence.check(&path, none).is_err(),
                "{written} -> {}",
                path.display()
            );
        }
    }

    #[test]
    fn a_separate_git_dir_beside_the_repository_is_fenced_too() {
        let fence =
            Fence::new(Path::new("/w/repo"), Path::new("/w/repo.git")).expect("has a parent");
        let none: [&Path; 0] = [];
        let error = fence
            .check(Path::new("/w/repo.git/worktrees/x"), none)
            .expect_err("inside the git dir");
        assert!(error.contains("git directory"), "{error}");
    }

    #[test]
    fn other_worktrees_are_fenced_but_their_own_path_is_left_to_the_caller() {
        let fence = fence();
        let others = [Path::new("/w/oauth")];
        assert_eq!(fence.check(Path::new("/w/oauth"), others), Ok(()));
        let error = fence
            .check(Path::new("/w/oauth/nested"), others)
            .expect_err("nested");
        assert!(error.contains("inside the worktree /w/oauth"), "{error}");
        assert_eq!(fence.check(Path::new("/w/oauth2"), others), Ok(()));
    }

    #[test]
    fn links_are_followed_where_the_path_exists() {
        let dir = tempfile::tempdir().expect("temp dir");
        let real = dir.path().canonicalize().expect("canonical");
        std::fs::create_dir(real.join("target")).expect("dir");
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(real.join("target"), real.join("link")).expect("link");
            assert_eq!(
                resolve_links(&real.join("link/new/T1")),
                real.join("target/new/T1")
            );
        }
        assert_eq!(
            resolve_links(&real.join("missing/x")),
            real.join("missing/x")
        );
    }
}
