//! Where a new task branch starts: the base branch's tip, a named revision, or the result of
//! the task's Completed dependencies (one branch's tip, or an in-memory merge of several).

use git2::{Oid, Repository, Signature};
use orch_core::{Plan, Task, TaskId};

use crate::config::Config;
use crate::error::{Error, Problem, Result, list};
use crate::target::{branch_of, unfinished_dependencies};

/// The commit a new branch starts at, and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Start {
    /// The commit.
    pub commit: Oid,
    /// Where it came from, for people: `main`, `T2`, or `merge of T2, T3`.
    pub from: String,
}

/// The commit a revision such as `main` or a commit id names.
pub fn revision(repo: &Repository, rev: &str) -> Result<Result<Start, Problem>> {
    let rev = rev.trim();
    let refuse = |detail: &str| {
        Ok(Err(Problem::BadBase {
            rev: rev.to_owned(),
            detail: detail.to_owned(),
        }))
    };
    if rev.is_empty() || rev.starts_with('-') || rev.chars().any(char::is_control) {
        return refuse("it is empty, starts with '-' or has a control character");
    }
    // A branch of that name comes first: bases are branches, and a tag of the same name must
    // not silently win.
    let object = match repo.revparse_single(&format!("refs/heads/{rev}")) {
        Ok(object) => object,
        Err(_) => match repo.revparse_single(rev) {
            Ok(object) => object,
            Err(e) if is_not_found(&e) => return refuse(e.message()),
            Err(source) => {
                return Err(Error::Git {
                    what: format!("cannot read the revision {rev}"),
                    source,
                });
            }
        },
    };
    match object.peel_to_commit() {
        Ok(commit) => Ok(Ok(Start {
            commit: commit.id(),
            from: rev.to_owned(),
        })),
        Err(e) => refuse(e.message()),
    }
}

fn is_not_found(e: &git2::Error) -> bool {
    matches!(
        e.code(),
        git2::ErrorCode::NotFound | git2::ErrorCode::InvalidSpec | git2::ErrorCode::Ambiguous
    )
}

/// The start of `task` from its dependencies: all must be Completed and have their branch.
/// One dependency (or several on one line of history) gives its tip; several give a merge
/// commit of their tips, made in memory, with no ref, index or working tree touched. A task
/// without dependencies starts at `base`.
pub fn from_dependencies(
    repo: &Repository,
    plan: &Plan,
    config: &Config,
    task: &Task,
    base: &Result<Start, Problem>,
) -> Result<Result<Start, Problem>> {
    let unfinished = unfinished_dependencies(plan, task);
    if !unfinished.is_empty() {
        return Ok(Err(Problem::UnfinishedDependencies {
            task: task.id.clone(),
            deps: unfinished,
        }));
    }
    if task.depends_on.is_empty() {
        return Ok(base.clone());
    }
    let mut tips: Vec<(TaskId, Oid)> = Vec::with_capacity(task.depends_on.len());
    for dep in &task.depends_on {
        let Some(dep_task) = plan.get(dep) else {
            continue;
        };
        let branch = branch_of(config, dep_task);
        match repo.refname_to_id(&format!("refs/heads/{branch}")) {
            Ok(tip) => tips.push((dep_task.id.clone(), tip)),
            Err(e) if e.code() == git2::ErrorCode::NotFound => {
                return Ok(Err(Problem::MissingDependencyBranch {
                    task: task.id.clone(),
                    dep: dep_task.id.clone(),
                    branch,
                }));
            }
            Err(source) => {
                return Err(Error::Git {
                    what: format!("cannot read branch {branch}"),
                    source,
                });
            }
        }
    }
    let deps: Vec<TaskId> = tips.iter().map(|(id, _)| id.clone()).collect();
    let heads = independent_heads(repo, &tips)?;
    match heads.split_first() {
        None => Ok(base.clone()),
        Some(((id, tip), [])) => Ok(Ok(Start {
            commit: *tip,
            from: id.to_string(),
        })),
        Some((first, rest)) => merge(repo, task, &deps, first, rest),
    }
}

/// The tips that are not ancestors of another tip: merging an ancestor adds nothing.
fn independent_heads(repo: &Repository, tips: &[(TaskId, Oid)]) -> Result<Vec<(TaskId, Oid)>> {
    let mut out: Vec<(TaskId, Oid)> = Vec::with_capacity(tips.len());
    for (i, (id, tip)) in tips.iter().enumerate() {
        let mut redundant = false;
        for (j, (_, other)) in tips.iter().enumerate() {
            let covered = if tip == other {
                // The same commit twice: keep the first.
                j < i
            } else {
                repo.graph_descendant_of(*other, *tip)
                    .map_err(Error::git("cannot compare the dependencies' branches"))?
            };
            if covered {
                redundant = true;
                break;
            }
        }
        if !redundant {
            out.push((id.clone(), *tip));
        }
    }
    Ok(out)
}

/// Merges the tips in memory, one after another as git's octopus merge does, and writes a
/// merge commit (an object only: no ref points to it until the task's branch does).
fn merge(
    repo: &Repository,
    task: &Task,
    deps: &[TaskId],
    first: &(TaskId, Oid),
    rest: &[(TaskId, Oid)],
) -> Result<Result<Start, Problem>> {
    let failed = |what: &str| {
        Error::git(format!(
            "cannot merge the dependencies of {}: {what}",
            task.id
        ))
    };
    let tree_of = |oid: Oid| -> Result<git2::Tree<'_>> {
        repo.find_commit(oid)
            .and_then(|c| c.tree())
            .map_err(failed("cannot read a commit"))
    };
    let mut merged = vec![first.1];
    let mut tree = tree_of(first.1)?;
    for (_, next) in rest {
        let mut inputs = vec![*next];
        inputs.extend(merged.iter().copied());
        let ancestor = match repo.merge_base_many(&inputs) {
            Ok(base) => tree_of(base)?,
            Err(e) if e.code() == git2::ErrorCode::NotFound => {
                // Unrelated histories merge against the empty tree.
                let empty = repo
                    .treebuilder(None)
                    .and_then(|b| b.write())
                    .map_err(failed("cannot write the empty tree"))?;
                repo.find_tree(empty)
                    .map_err(failed("cannot read the empty tree"))?
            }
            Err(source) => return Err(failed("cannot find the merge base")(source)),
        };
        let mut index = repo
            .merge_trees(&ancestor, &tree, &tree_of(*next)?, None)
            .map_err(failed("the merge failed"))?;
        if index.has_conflicts() {
            let mut paths: Vec<String> = index
                .conflicts()
                .map_err(failed("cannot read the conflicts"))?
                .filter_map(|c| c.ok())
                .filter_map(|c| c.our.or(c.their).or(c.ancestor))
                .map(|entry| String::from_utf8_lossy(&entry.path).into_owned())
                .collect();
            paths.sort();
            paths.dedup();
            return Ok(Err(Problem::MergeConflict {
                task: task.id.clone(),
                deps: deps.to_vec(),
                paths,
            }));
        }
        let oid = index
            .write_tree_to(repo)
            .map_err(failed("cannot write the merged tree"))?;
        tree = repo
            .find_tree(oid)
            .map_err(failed("cannot read the merged tree"))?;
        merged.push(*next);
    }
    let parents: Vec<git2::Commit<'_>> = merged
        .iter()
        .map(|oid| repo.find_commit(*oid))
        .collect::<std::result::Result<_, _>>()
        .map_err(failed("cannot read a commit"))?;
    let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
    let signature = signature(repo).map_err(failed("cannot make a signature"))?;
    let names: Vec<TaskId> = std::iter::once(first)
        .chain(rest)
        .map(|(id, _)| id.clone())
        .collect();
    let message = format!("Merge dependencies of {}: {}\n", task.id, list(&names));
    let commit = repo
        .commit(None, &signature, &signature, &message, &tree, &parents)
        .map_err(failed("cannot write the merge commit"))?;
    Ok(Ok(Start {
        commit,
        from: format!("merge of {}", list(&names)),
    }))
}

/// The repository's configured identity, or `orch <orch@localhost>`.
fn signature(repo: &Repository) -> std::result::Result<Signature<'static>, git2::Error> {
    repo.signature()
        .or_else(|_| Signature::now("orch", "orch@localhost"))
}
