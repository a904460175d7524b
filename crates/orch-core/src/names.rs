//! Checks for the branch names and worktree paths that plans carry.
//!
//! Both come from hand-edited markdown, so they are untrusted: they are checked before they
//! reach git or the file system.

/// Why a branch name or worktree path from the plan is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// The branch name breaks git's rules or the conservative allowlist.
    #[error(
        "branch name {name:?} is not allowed: {why}; use letters, digits, '.', '_', '-' and '/' such as feature/auth-oauth"
    )]
    Branch {
        /// The refused name.
        name: String,
        /// Which rule it breaks.
        why: &'static str,
    },
    /// The worktree path cannot be used safely.
    #[error(
        "worktree path {path:?} is not allowed: {why}; write a plain relative path such as ../oauth"
    )]
    Worktree {
        /// The refused path.
        path: String,
        /// Which rule it breaks.
        why: &'static str,
    },
}

/// Checks a branch name against git's `check-ref-format` rules and a conservative allowlist:
/// only `[A-Za-z0-9._/-]`, no leading `-` or `/`, no `//`, no `..`, no component that starts
/// with `.` or ends with `.lock`, no trailing `/` or `.`, and at most 200 bytes.
pub fn check_branch(name: &str) -> Result<(), NameError> {
    let refuse = |why| {
        Err(NameError::Branch {
            name: name.to_owned(),
            why,
        })
    };
    if name.is_empty() {
        return refuse("it is empty");
    }
    if name.len() > 200 {
        return refuse("it is longer than 200 bytes");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'))
    {
        return refuse("it contains a character outside the allowlist");
    }
    if name.starts_with('-') {
        return refuse("it starts with '-'");
    }
    if name.starts_with('/') || name.ends_with('/') || name.contains("//") {
        return refuse("it has an empty path component");
    }
    if name.contains("..") {
        return refuse("it contains '..'");
    }
    if name.ends_with('.') {
        return refuse("it ends with '.'");
    }
    if name == "HEAD" {
        return refuse("HEAD is reserved");
    }
    for component in name.split('/') {
        if component.starts_with('.') {
            return refuse("a component starts with '.'");
        }
        if component.ends_with(".lock") {
            return refuse("a component ends with '.lock'");
        }
    }
    Ok(())
}

/// Checks a worktree path from the plan: not empty, no control characters, no leading `-`,
/// and no `.git` component. Where the path may lead is decided by the worktree layer.
pub fn check_worktree_path(path: &str) -> Result<(), NameError> {
    let refuse = |why| {
        Err(NameError::Worktree {
            path: path.to_owned(),
            why,
        })
    };
    if path.trim().is_empty() {
        return refuse("it is empty");
    }
    if path.chars().any(char::is_control) {
        return refuse("it contains a control character");
    }
    if path.starts_with('-') {
        return refuse("it starts with '-'");
    }
    if path.len() > 1024 {
        return refuse("it is longer than 1024 bytes");
    }
    if path
        .split(['/', '\\'])
        .any(|c| c.eq_ignore_ascii_case(".git"))
    {
        return refuse("it has a .git component");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branches() {
        for ok in ["feature/auth-oauth", "main", "T1", "a.b_c/d-e"] {
            assert_eq!(check_branch(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "-rf",
            "/x",
            "x/",
            "a//b",
            "a..b",
            "x.",
            "HEAD",
            "a/.b",
            "a.lock/b",
            "x.lock",
            "a b",
            "a~b",
            "a^b",
            "a:b",
            "a?b",
            "a*b",
            "a[b",
            "a\\b",
            "a@{b",
            "caf\u{e9}",
        ] {
            assert!(check_branch(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn worktree_paths() {
        for ok in [
            "../oauth",
            "worktrees/T1",
            "/abs/path",
            "../{repo}-worktrees/T1",
        ] {
            assert_eq!(check_worktree_path(ok), Ok(()), "{ok}");
        }
        for bad in ["", " ", "-x", "a\nb", "../x/.git", ".git/x", "a\u{7}"] {
            assert!(check_worktree_path(bad).is_err(), "{bad:?}");
        }
    }
}
