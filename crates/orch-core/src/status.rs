use std::fmt;

/// The state of a task in the matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// The task has not begun.
    NotStarted,
    /// An agent is working on the task.
    InProgress,
    /// The task waits on a dependency or a decision.
    Blocked,
    /// The task's deliverable is ready for handoff.
    Completed,
    /// The task hit an unrecoverable error and needs the orchestrator.
    Failed,
}

/// A status cell that names no known status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown status {0:?}; use one of Not Started, In Progress, Blocked, Completed, Failed (any case, '-' or '_' for spaces)"
)]
pub struct StatusError(pub String);

impl Status {
    /// Every status, in life-cycle order.
    pub const ALL: [Status; 5] = [
        Status::NotStarted,
        Status::InProgress,
        Status::Blocked,
        Status::Completed,
        Status::Failed,
    ];

    /// The canonical spelling, as written in the matrix.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::NotStarted => "Not Started",
            Status::InProgress => "In Progress",
            Status::Blocked => "Blocked",
            Status::Completed => "Completed",
            Status::Failed => "Failed",
        }
    }

    /// Reads a status in any case, with `-`, `_` or runs of white space between words.
    pub fn parse(text: &str) -> Result<Status, StatusError> {
        let normal: Vec<String> = text
            .split(|c: char| c.is_whitespace() || c == '-' || c == '_')
            .filter(|word| !word.is_empty())
            .map(str::to_lowercase)
            .collect();
        let words: Vec<&str> = normal.iter().map(String::as_str).collect();
        match words.as_slice() {
            ["not", "started"] => Ok(Status::NotStarted),
            ["in", "progress"] => Ok(Status::InProgress),
            ["blocked"] => Ok(Status::Blocked),
            ["completed"] => Ok(Status::Completed),
            ["failed"] => Ok(Status::Failed),
            _ => Err(StatusError(text.to_owned())),
        }
    }

    /// The statuses a task may move to from this one without `--force`.
    pub fn next(self) -> &'static [Status] {
        match self {
            Status::NotStarted => &[Status::InProgress, Status::Blocked],
            Status::InProgress => &[Status::Completed, Status::Blocked, Status::Failed],
            Status::Blocked => &[Status::InProgress, Status::NotStarted],
            Status::Failed => &[Status::InProgress, Status::NotStarted],
            Status::Completed => &[Status::InProgress],
        }
    }

    /// Whether the transition table allows moving from this status to `to`.
    pub fn can_become(self, to: Status) -> bool {
        self.next().contains(&to)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Status {
    type Err = StatusError;

    fn from_str(s: &str) -> Result<Status, StatusError> {
        Status::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_any_case_and_separator() {
        for (text, status) in [
            ("Not Started", Status::NotStarted),
            ("not_started", Status::NotStarted),
            ("NOT-STARTED", Status::NotStarted),
            ("  in   progress ", Status::InProgress),
            ("In_Progress", Status::InProgress),
            ("blocked", Status::Blocked),
            ("COMPLETED", Status::Completed),
            ("Failed", Status::Failed),
        ] {
            assert_eq!(Status::parse(text), Ok(status), "{text:?}");
        }
        for bad in ["", "done", "Not", "in progress now", "NotStarted"] {
            assert!(Status::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn canonical_spelling_round_trips() {
        for status in Status::ALL {
            assert_eq!(Status::parse(status.as_str()), Ok(status));
        }
    }

    #[test]
    fn transition_table_matches_the_design() {
        use Status::*;
        let allowed = [
            (NotStarted, InProgress),
            (NotStarted, Blocked),
            (InProgress, Completed),
            (InProgress, Blocked),
            (InProgress, Failed),
            (Blocked, InProgress),
            (Blocked, NotStarted),
            (Failed, InProgress),
            (Failed, NotStarted),
            (Completed, InProgress),
        ];
        for from in Status::ALL {
            for to in Status::ALL {
                assert_eq!(
                    from.can_become(to),
                    allowed.contains(&(from, to)),
                    "{from} -> {to}"
                );
            }
        }
    }
}
