use std::fmt;
use std::hash::{Hash, Hasher};

/// The longest task id accepted, in bytes.
pub const MAX_LEN: usize = 32;

/// A validated task id such as `T1` or `auth-oauth.2`.
///
/// Task ids end up in file names, branch names and git refs, so they are checked before any
/// file or git call: 1–32 characters of `[A-Za-z0-9._-]`, starting with a letter or digit, with
/// no `..`, not ending in `.` or `.lock`, and not `HEAD`. Two ids are equal when they are equal
/// ignoring ASCII case; the spelling given first is kept for display.
#[derive(Clone, Debug)]
pub struct TaskId(String);

/// Why a string is not a valid task id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaskIdError {
    /// The id is empty.
    #[error("task id is empty; use 1-32 characters of A-Z, a-z, 0-9, '.', '_' or '-', such as T1")]
    Empty,
    /// The id is longer than [`MAX_LEN`] bytes.
    #[error("task id {0:?} is {1} characters long; use at most 32")]
    TooLong(String, usize),
    /// The id has a character outside the allowed set.
    #[error("task id {id:?} contains {ch:?}; use only A-Z, a-z, 0-9, '.', '_' or '-', such as T1")]
    BadChar {
        /// The offending id.
        id: String,
        /// The first character that is not allowed.
        ch: char,
    },
    /// The id starts with `.`, `_` or `-`.
    #[error("task id {0:?} must start with a letter or a digit")]
    BadStart(String),
    /// The id is a git name that would be unsafe or ambiguous in refs and paths.
    #[error(
        "task id {0:?} is not allowed: ids may not contain '..' or end in '.' or '.lock', and may not be HEAD"
    )]
    Unsafe(String),
}

impl TaskId {
    /// Validates `text` as a task id.
    pub fn parse(text: &str) -> Result<TaskId, TaskIdError> {
        if text.is_empty() {
            return Err(TaskIdError::Empty);
        }
        if let Some(ch) = text
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
        {
            return Err(TaskIdError::BadChar {
                id: text.to_owned(),
                ch,
            });
        }
        if text.len() > MAX_LEN {
            return Err(TaskIdError::TooLong(text.to_owned(), text.len()));
        }
        if !text.as_bytes()[0].is_ascii_alphanumeric() {
            return Err(TaskIdError::BadStart(text.to_owned()));
        }
        let ends_with_lock =
            text.len() >= 5 && text[text.len() - 5..].eq_ignore_ascii_case(".lock");
        if text.contains("..")
            || text.ends_with('.')
            || ends_with_lock
            || text.eq_ignore_ascii_case("head")
        {
            return Err(TaskIdError::Unsafe(text.to_owned()));
        }
        Ok(TaskId(text.to_owned()))
    }

    /// The id as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl PartialEq for TaskId {
    fn eq(&self, other: &TaskId) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}

impl Eq for TaskId {}

impl Hash for TaskId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for byte in self.0.bytes() {
            state.write_u8(byte.to_ascii_lowercase());
        }
    }
}

impl PartialOrd for TaskId {
    fn partial_cmp(&self, other: &TaskId) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for TaskId {
    fn cmp(&self, other: &TaskId) -> std::cmp::Ordering {
        let a = self.0.bytes().map(|b| b.to_ascii_lowercase());
        let b = other.0.bytes().map(|b| b.to_ascii_lowercase());
        a.cmp(b)
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for TaskId {
    type Err = TaskIdError;

    fn from_str(s: &str) -> Result<TaskId, TaskIdError> {
        TaskId::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_ids() {
        for ok in ["T1", "t1", "auth-oauth", "A.b_c-9", "1", &"x".repeat(32)] {
            assert_eq!(
                TaskId::parse(ok).map(|id| id.to_string()),
                Ok(ok.to_owned())
            );
        }
    }

    #[test]
    fn refuses_unsafe_ids() {
        let cases: [(&str, TaskIdError); 10] = [
            ("", TaskIdError::Empty),
            (
                "../x",
                TaskIdError::BadChar {
                    id: "../x".into(),
                    ch: '/',
                },
            ),
            ("-rf", TaskIdError::BadStart("-rf".into())),
            (".hidden", TaskIdError::BadStart(".hidden".into())),
            ("a..b", TaskIdError::Unsafe("a..b".into())),
            ("HEAD", TaskIdError::Unsafe("HEAD".into())),
            ("head", TaskIdError::Unsafe("head".into())),
            ("x.lock", TaskIdError::Unsafe("x.lock".into())),
            (
                "T 1",
                TaskIdError::BadChar {
                    id: "T 1".into(),
                    ch: ' ',
                },
            ),
            (
                "t\u{e9}",
                TaskIdError::BadChar {
                    id: "t\u{e9}".into(),
                    ch: '\u{e9}',
                },
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(TaskId::parse(text), Err(expected), "{text:?}");
        }
        assert!(matches!(
            TaskId::parse(&"x".repeat(33)),
            Err(TaskIdError::TooLong(_, 33))
        ));
    }

    #[test]
    fn equality_ignores_case_but_display_keeps_it() {
        let a = TaskId::parse("Auth-1").expect("valid");
        let b = TaskId::parse("AUTH-1").expect("valid");
        assert_eq!(a, b);
        let mut set = std::collections::HashSet::new();
        set.insert(a.clone());
        assert!(set.contains(&b));
        assert_eq!(a.to_string(), "Auth-1");
    }
}
