//! Planning and making the pick: which commits to bring, and the in-memory cherry-pick of each
//! onto the base, path by path.

use std::collections::HashSet;

use git2::{Commit, Oid, Repository, Signature, Sort, Tree};
use orch_core::TaskId;

use crate::diff::changes;
use crate::error::IntegrateError;
use crate::merge::merge_paths;
use crate::repo::{short, subject, who};
use crate::report::{CommitReport, Outcome};

/// One commit to pick, and the parent its change is taken against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedCommit {
    /// The commit on the branch.
    pub id: Oid,
    /// The parent whose tree the change is taken against (the mainline parent for a merge).
    pub parent: Oid,
    /// Whether the commit is a merge.
    pub merge: bool,
}

/// The commits that `base..branch` brings, oldest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PickPlan {
    /// The base branch's tip the plan was made against.
    pub base_tip: Oid,
    /// The branch's tip.
    pub branch_tip: Oid,
    /// Their merge base.
    pub merge_base: Oid,
    /// The commits to pick, oldest first.
    pub commits: Vec<PlannedCommit>,
}

/// Plans the pick of `branch_tip` onto `base_tip`: the commits reachable from the branch but
/// not from the base (`git cherry-pick base..branch`), oldest first.
///
/// A merge commit is refused unless `mainline` names the parent to take its change against;
/// with `mainline`, the branch's line is followed through that parent of each merge and the
/// commits the merges bring in are picked as part of the merges.
pub fn plan_pick(
    repo: &Repository,
    base: &str,
    branch: &str,
    base_tip: Oid,
    branch_tip: Oid,
    mainline: Option<u32>,
) -> Result<PickPlan, IntegrateError> {
    let merge_base = match repo.merge_base(base_tip, branch_tip) {
        Ok(id) => id,
        Err(e) if e.code() == git2::ErrorCode::NotFound => {
            return Err(IntegrateError::Unrelated {
                branch: branch.to_owned(),
                base: base.to_owned(),
            });
        }
        Err(e) => {
            return Err(IntegrateError::git(format!(
                "find the merge base of {base} and {branch}"
            ))(e));
        }
    };
    let git = |what: &str| IntegrateError::git(format!("{what} {base}..{branch}"));
    let mut walk = repo.revwalk().map_err(git("list the commits of"))?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)
        .map_err(git("list the commits of"))?;
    walk.push(branch_tip).map_err(git("list the commits of"))?;
    walk.hide(base_tip).map_err(git("list the commits of"))?;
    // Hiding the merge base too keeps it (and all before it) out of the range even when
    // committer dates are skewed, which can stop the walk from seeing that it is reachable
    // from the base in time.
    walk.hide(merge_base).map_err(git("list the commits of"))?;
    let range: Vec<Oid> = walk
        .collect::<Result<_, _>>()
        .map_err(git("list the commits of"))?;
    let find = |id: Oid| {
        repo.find_commit(id)
            .map_err(IntegrateError::git(format!("read commit {id}")))
    };
    let mut commits = Vec::with_capacity(range.len());
    match mainline {
        None => {
            for &id in &range {
                let commit = find(id)?;
                if commit.parent_count() > 1 {
                    return Err(IntegrateError::MergeCommit {
                        branch: branch.to_owned(),
                        commit: short(id),
                        subject: subject(&commit),
                        parents: commit.parent_count(),
                    });
                }
                let parent = commit.parent_id(0).map_err(IntegrateError::git(format!(
                    "read the parent of commit {id}"
                )))?;
                commits.push(PlannedCommit {
                    id,
                    parent,
                    merge: false,
                });
            }
        }
        Some(mainline) => {
            // Follow the branch's own line from its tip through the mainline parent of each
            // merge, as long as the commits are in the range.
            let in_range: HashSet<Oid> = range.iter().copied().collect();
            let mut at = branch_tip;
            while in_range.contains(&at) {
                let commit = find(at)?;
                let merge = commit.parent_count() > 1;
                let index = if merge { mainline as usize } else { 1 };
                if index == 0 || index > commit.parent_count() {
                    return Err(IntegrateError::BadMainline {
                        commit: short(at),
                        subject: subject(&commit),
                        mainline,
                        parents: commit.parent_count(),
                    });
                }
                let parent = commit
                    .parent_id(index - 1)
                    .map_err(IntegrateError::git(format!(
                        "read the parents of commit {at}"
                    )))?;
                commits.push(PlannedCommit {
                    id: at,
                    parent,
                    merge,
                });
                at = parent;
            }
            commits.reverse();
        }
    }
    Ok(PickPlan {
        base_tip,
        branch_tip,
        merge_base,
        commits,
    })
}

/// What [`pick`] made.
#[derive(Clone, Debug)]
pub struct Pick {
    /// The commit the pick started from (the base's tip).
    pub onto: Oid,
    /// The last new commit (`onto` when nothing was picked). Meaningless when there are
    /// conflicts.
    pub tip: Oid,
    /// Every planned commit and what became of it.
    pub commits: Vec<CommitReport>,
}

impl Pick {
    /// Whether every commit applied cleanly.
    pub fn is_clean(&self) -> bool {
        self.commits.iter().all(|c| c.outcome != Outcome::Conflict)
    }

    /// The commits that conflict.
    pub fn conflicts(&self) -> Vec<CommitReport> {
        self.commits
            .iter()
            .filter(|c| c.outcome == Outcome::Conflict)
            .cloned()
            .collect()
    }

    /// Whether the pick makes no new commit.
    pub fn is_empty(&self) -> bool {
        self.tip == self.onto
    }
}

/// What each picked commit carries besides its original author and message.
pub struct PickOptions<'a> {
    /// The task, for the `Orch-Task` trailer.
    pub task: Option<&'a TaskId>,
    /// The committer of the new commits.
    pub committer: &'a Signature<'a>,
}

/// Picks `commits` onto `onto` without touching any working tree or index: for each commit,
/// only the paths it changes are merged, and the new tree is `onto`'s with those paths
/// updated. Authors, dates and messages are kept; the trailers `Orch-Task: <id>` and
/// `(cherry picked from commit <sha>)` are added. Empty commits, and commits whose changes
/// are already on the base, are skipped and reported.
///
/// The new objects go to `repo`'s object database; [`crate::Integrator`] keeps them in memory
/// until the pick is known to be clean, and writes them only then.
///
/// After a conflict, later commits are still checked (as if the conflicting paths had been
/// resolved in the branch's favour), so that every conflicting commit is reported, but no
/// commit is made for them.
pub fn pick(
    repo: &Repository,
    onto: Oid,
    commits: &[PlannedCommit],
    options: &PickOptions<'_>,
) -> Result<Pick, IntegrateError> {
    let find = |id: Oid| {
        repo.find_commit(id)
            .map_err(IntegrateError::git(format!("read commit {id}")))
    };
    let tree_of = |commit: &Commit<'_>| {
        repo.find_tree(commit.tree_id())
            .map_err(IntegrateError::git(format!(
                "read the tree of commit {}",
                commit.id()
            )))
    };
    let mut tip = find(onto)?;
    let mut tree = tree_of(&tip)?;
    let mut conflicted = false;
    let mut reports = Vec::with_capacity(commits.len());
    // The previous commit's tree: on a linear branch, the next commit's parent tree.
    let mut previous: Option<(Oid, Tree<'_>)> = None;
    for planned in commits {
        let commit = find(planned.id)?;
        let parent_tree = match previous.take() {
            Some((id, tree)) if id == planned.parent => tree,
            _ => tree_of(&find(planned.parent)?)?,
        };
        let commit_tree = tree_of(&commit)?;
        let git = IntegrateError::git(format!("pick commit {}", planned.id));
        let changed = changes(repo, &parent_tree, &commit_tree, true).map_err(git)?;
        let mut report = CommitReport {
            original: planned.id.to_string(),
            new: None,
            subject: subject(&commit),
            author: who(&commit.author()),
            changes: changed.report,
            outcome: Outcome::Picked,
            conflicts: Vec::new(),
        };
        if parent_tree.id() == commit_tree.id() {
            report.outcome = Outcome::Empty;
            reports.push(report);
            previous = Some((planned.id, commit_tree));
            continue;
        }
        let merged = merge_paths(repo, &parent_tree, &tree, &commit_tree, &changed.paths)
            .map_err(IntegrateError::git(format!("pick commit {}", planned.id)))?;
        let new_tree = if merged.tree == tree.id() {
            tree.clone()
        } else {
            repo.find_tree(merged.tree)
                .map_err(IntegrateError::git("read a merged tree"))?
        };
        if !merged.conflicts.is_empty() {
            conflicted = true;
            report.outcome = Outcome::Conflict;
            report.conflicts = merged.conflicts;
        } else if merged.tree == tree.id() {
            report.outcome = Outcome::AlreadyApplied;
        } else if conflicted {
            report.outcome = Outcome::NotReached;
        } else {
            let message = with_trailers(&message_of(&commit), options.task, planned.id);
            let id = repo
                .commit(
                    None,
                    &commit.author(),
                    options.committer,
                    &message,
                    &new_tree,
                    &[&tip],
                )
                .map_err(IntegrateError::git(format!(
                    "create the pick of commit {}",
                    planned.id
                )))?;
            tip = find(id)?;
            report.new = Some(id.to_string());
        }
        tree = new_tree;
        reports.push(report);
        previous = Some((planned.id, commit_tree));
    }
    Ok(Pick {
        onto,
        tip: tip.id(),
        commits: reports,
    })
}

fn message_of(commit: &Commit<'_>) -> String {
    match commit.message_raw() {
        Some(message) => message.to_owned(),
        None => String::from_utf8_lossy(commit.message_raw_bytes()).into_owned(),
    }
}

/// The message with `Orch-Task: <id>` (when there is a task and the message does not have it
/// yet) and `(cherry picked from commit <sha>)` added as trailers, as `git cherry-pick -x`
/// adds its line: in the message's trailer block if it ends with one, else after a blank line.
pub fn with_trailers(message: &str, task: Option<&TaskId>, original: Oid) -> String {
    let body = message.trim_end();
    let mut lines = Vec::new();
    if let Some(task) = task {
        let line = format!("Orch-Task: {task}");
        if !body.lines().any(|l| l.trim().eq_ignore_ascii_case(&line)) {
            lines.push(line);
        }
    }
    lines.push(format!("(cherry picked from commit {original})"));
    let last_paragraph = body.rsplit("\n\n").next().unwrap_or("");
    let has_block = body.contains("\n\n")
        && !last_paragraph.trim().is_empty()
        && last_paragraph.lines().all(is_trailer_line);
    let separator = if body.is_empty() {
        ""
    } else if has_block {
        "\n"
    } else {
        "\n\n"
    };
    format!("{body}{separator}{}\n", lines.join("\n"))
}

fn is_trailer_line(line: &str) -> bool {
    let line = line.trim_end();
    if line.starts_with("(cherry picked from commit ") {
        return true;
    }
    match line.split_once(':') {
        Some((token, _)) => {
            !token.is_empty() && token.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailers_follow_git_cherry_pick_x() {
        let id = Oid::from_str("0123456789abcdef0123456789abcdef01234567").expect("oid");
        let task = TaskId::parse("T3").expect("id");
        assert_eq!(
            with_trailers("Add a\n", Some(&task), id),
            format!("Add a\n\nOrch-Task: T3\n(cherry picked from commit {id})\n")
        );
        assert_eq!(
            with_trailers("Add a\n\nBody.\n\nSigned-off-by: X <x@y>\n", None, id),
            format!("Add a\n\nBody.\n\nSigned-off-by: X <x@y>\n(cherry picked from commit {id})\n")
        );
        assert_eq!(
            with_trailers("Add a\n\nOrch-Task: T3\n", Some(&task), id),
            format!("Add a\n\nOrch-Task: T3\n(cherry picked from commit {id})\n")
        );
        // A one-paragraph message that looks like a trailer is a subject, not a block.
        assert_eq!(
            with_trailers("fix: a bug", None, id),
            format!("fix: a bug\n\n(cherry picked from commit {id})\n")
        );
    }
}
