//! The library's pick and publish alone, for `cargo xtask bench`: picks `BRANCH` onto `BASE`
//! in the repository at `REPO` and moves `BASE` with compare-and-swap, without gates and
//! without recording anything in a plan or journal.
//!
//! Usage: `pick_publish REPO BASE BRANCH STATE_DIR`

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use orch_integrate::{PickOptions, PublishRequest, Published, open_repository, pick, plan_pick};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [repo, base, branch, state_dir] = args.as_slice() else {
        eprintln!("usage: pick_publish REPO BASE BRANCH STATE_DIR");
        return ExitCode::from(2);
    };
    orch_integrate::read_objects_like_git();
    match run(Path::new(repo), base, branch, Path::new(state_dir)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(path: &Path, base: &str, branch: &str, state_dir: &Path) -> Result<(), String> {
    let repo = open_repository(path).map_err(|e| e.to_string())?;
    let tip = |name: &str| {
        repo.refname_to_id(&format!("refs/heads/{name}"))
            .map_err(|e| e.message().to_owned())
    };
    let (base_tip, branch_tip) = (tip(base)?, tip(branch)?);
    let planned =
        plan_pick(&repo, base, branch, base_tip, branch_tip, None).map_err(|e| e.to_string())?;
    let committer = repo
        .signature()
        .or_else(|_| git2::Signature::now("orch", "orch@localhost"))
        .map_err(|e| e.message().to_owned())?;
    let options = PickOptions {
        task: None,
        committer: &committer,
    };
    let picked = pick(&repo, base_tip, &planned.commits, &options).map_err(|e| e.to_string())?;
    if !picked.is_clean() {
        return Err("the pick conflicts".to_owned());
    }
    let request = PublishRequest {
        base,
        old: base_tip,
        new: picked.tip,
        state_dir,
        plan: &state_dir.join("no-plan"),
        lock_timeout: Duration::from_secs(10),
        command: "pick_publish",
        message: "pick_publish",
        check_only: false,
    };
    match publish_once(&repo, &request)? {
        Published::Moved(_) => Ok(()),
        _ => Err(format!("{base} moved meanwhile")),
    }
}

fn publish_once(
    repo: &git2::Repository,
    request: &PublishRequest<'_>,
) -> Result<Published, String> {
    orch_integrate::publish(repo, request).map_err(|e| e.to_string())
}
