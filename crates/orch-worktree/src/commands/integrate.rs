//! `orch-worktree integrate TASK|BRANCH`: cherry-pick a task's branch onto the base branch,
//! behind the validation gates (the library is orch-integrate; `cargo xtask integrate` runs
//! this same command). Also the settings the queue and the forecast share.

use orch_plan::out;
use std::path::Path;

use orch_core::TaskId;
use orch_integrate::{Identity, IntegrateError, Integrator, Options, Settings};
use orch_plan::cli::{CliError, Context, ErrorKind};
use orch_plan::spec::{DEFAULT_BASE, DEFAULT_BRANCH_PREFIX, SPEC_FILE, Spec};

/// Arguments of `orch-worktree integrate`.
#[derive(Debug, clap::Args)]
pub struct IntegrateArgs {
    /// The task to integrate (its branch comes from the plan), or a branch name.
    #[arg(value_name = "TASK|BRANCH")]
    target: String,
    /// Show what would happen, per commit, and change nothing (exit 3 if it would conflict).
    #[arg(long)]
    dry_run: bool,
    /// Skip the `[integrate] gates` of orch.toml (the record says so).
    #[arg(long)]
    no_gates: bool,
    /// Alternatives to keep as refs/orch/archive/<task>, their worktrees removed.
    #[arg(long, value_name = "TASK,...", value_delimiter = ',')]
    archive: Vec<String>,
    /// Pick merge commits as their change against this parent (1 is the branch's own line).
    #[arg(long, value_name = "N")]
    mainline: Option<u32>,
    /// Kill a gate that runs longer than this and count it as failed (overrides
    /// `[integrate] gate_timeout`).
    #[arg(long, value_name = "DUR", value_parser = orch_core::parse_duration)]
    gate_timeout: Option<std::time::Duration>,
}

/// Integrates the task or branch and prints the report.
pub fn cmd_integrate(ctx: &Context, args: &IntegrateArgs) -> Result<(), CliError> {
    let archive = args
        .archive
        .iter()
        .filter(|a| !a.trim().is_empty())
        .map(|a| TaskId::parse(a.trim()).map_err(|e| CliError::invalid(format!("--archive: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let options = Options {
        dry_run: args.dry_run,
        no_gates: args.no_gates,
        archive,
        mainline: args.mainline,
    };
    let mut settings = settings(ctx)?;
    if args.gate_timeout.is_some() {
        settings.gate_timeout = args.gate_timeout;
    }
    let done = Integrator::new(settings)
        .integrate(&args.target, &options)
        .map_err(cli_error)?;
    if ctx.json {
        super::print_json(&done)?;
    } else {
        out!("{}", orch_integrate::render::integration(&done));
    }
    // A dry run that would stop exits as the real run would, after showing its report.
    if done.blocked.is_some() {
        return Err(CliError::new(
            ErrorKind::Conflict,
            "the integration would stop (see the report above); nothing was changed",
        ));
    }
    Ok(())
}

/// The integration settings of this workspace: the base, the branch prefix and the gates from
/// orch.toml (defaults without one), and the committer from git's environment variables.
pub(super) fn settings(ctx: &Context) -> Result<Settings, CliError> {
    orch_integrate::read_objects_like_git();
    let workspace = ctx.workspace()?;
    let spec = read_spec(workspace.root.as_deref())?;
    Ok(Settings {
        repo: ctx.cwd.clone(),
        base: spec
            .as_ref()
            .map_or(DEFAULT_BASE, |s| s.project.base())
            .to_owned(),
        branch_prefix: spec
            .as_ref()
            .map_or(DEFAULT_BRANCH_PREFIX, |s| s.project.branch_prefix())
            .to_owned(),
        gates: spec.as_ref().map_or_else(Vec::new, |s| {
            s.integrate
                .gates
                .iter()
                .map(|g| g.get_ref().clone())
                .collect()
        }),
        gate_timeout: spec.as_ref().and_then(|s| s.integrate.gate_timeout()),
        workspace,
        lock_timeout: ctx.lock_timeout,
        command: ctx.command_line.clone(),
        actor: ctx.actor(None),
        committer: committer_from_env(),
    })
}

/// `orch.toml` at the root of the main worktree, if there is one.
fn read_spec(root: Option<&Path>) -> Result<Option<Spec>, CliError> {
    let Some(root) = root else {
        return Ok(None);
    };
    let path = root.join(SPEC_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(CliError::new(
                ErrorKind::Io,
                format!("cannot read {}: {e}", path.display()),
            )
            .with_file(&path));
        }
    };
    Spec::parse(&path, &text)
        .map(Some)
        .map_err(|problems| CliError::from_diagnostics(ErrorKind::Invalid, problems.0))
}

/// Maps a library error to its exit code: 3 for conflicts and lost races, 4 for gates.
pub(super) fn cli_error(error: IntegrateError) -> CliError {
    let kind = if error.is_gate_failure() {
        ErrorKind::Gate
    } else if error.is_conflict() {
        ErrorKind::Conflict
    } else {
        match error {
            IntegrateError::Git { .. } | IntegrateError::Checkout { .. } => ErrorKind::Git,
            IntegrateError::Io { .. } | IntegrateError::Lock(_) => ErrorKind::Io,
            _ => ErrorKind::Invalid,
        }
    };
    CliError::new(kind, error.to_string())
}

/// The committer from `GIT_COMMITTER_NAME`, `GIT_COMMITTER_EMAIL` and `GIT_COMMITTER_DATE`, as
/// git reads them; what is not set comes from the repository's config and the clock.
pub(super) fn committer_from_env() -> Identity {
    let var = |name| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    Identity {
        name: var("GIT_COMMITTER_NAME"),
        email: var("GIT_COMMITTER_EMAIL"),
        time: var("GIT_COMMITTER_DATE").and_then(|d| parse_git_date(&d)),
    }
}

/// Reads git's internal date format (`@1767225600 +0100`, `1767225600 +0100`) or RFC 3339
/// (`2026-01-01T00:00:00Z`, `2026-01-01T01:00:00+01:00`) as seconds and an offset in minutes.
fn parse_git_date(text: &str) -> Option<(i64, i32)> {
    let t = text.trim();
    let raw = t.strip_prefix('@').unwrap_or(t);
    let mut words = raw.split_whitespace();
    if let Some(seconds) = words.next().and_then(|w| w.parse::<i64>().ok()) {
        let offset = words.next().and_then(offset_minutes).unwrap_or(0);
        return Some((seconds, offset));
    }
    let stamp = orch_core::Timestamp::parse(t).ok()?;
    let offset = t
        .get(t.len().saturating_sub(6)..)
        .filter(|o| o.starts_with(['+', '-']))
        .and_then(|o| offset_minutes(&o.replace(':', "")))
        .unwrap_or(0);
    Some((i64::try_from(stamp.0).ok()?, offset))
}

/// `+0130` as 90, `-0500` as -300.
fn offset_minutes(text: &str) -> Option<i32> {
    let (sign, digits) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i32 = digits[..2].parse().ok()?;
    let minutes: i32 = digits[2..].parse().ok()?;
    Some(sign * (hours * 60 + minutes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_dates() {
        assert_eq!(
            parse_git_date("@1767225600 +0100"),
            Some((1_767_225_600, 60))
        );
        assert_eq!(
            parse_git_date("1767225600 -0530"),
            Some((1_767_225_600, -330))
        );
        assert_eq!(
            parse_git_date("2026-01-01T00:00:00Z"),
            Some((1_767_225_600, 0))
        );
        assert_eq!(
            parse_git_date("2026-01-01T01:00:00+01:00"),
            Some((1_767_225_600, 60))
        );
        assert_eq!(parse_git_date("yesterday"), None);
    }
}
