//! The report of `cargo xtask bench`: a markdown document headed by the date, the machine and
//! the commit it measured, written to `docs/bench.md` by a full run and shown in README.md's
//! Performance section between two markers (a tidy test checks that the two agree).

use std::path::Path;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};

/// Where a full run writes its report, relative to the workspace root.
pub const COMMITTED: &str = "docs/bench.md";
/// The markers around the report's copy in README.md.
pub const README_BEGIN: &str =
    "<!-- bench:begin: written by `cargo xtask bench` from docs/bench.md; do not edit by hand -->";
/// The end marker of the report's copy in README.md.
pub const README_END: &str = "<!-- bench:end -->";

/// The commit a run measures, read when it starts (files edited during a long run do not
/// change what was built and measured).
pub struct Provenance {
    commit: String,
    dirty: bool,
}

impl Provenance {
    /// Reads the workspace's HEAD and whether tracked files have uncommitted changes.
    pub fn capture() -> Provenance {
        let root = crate::workspace_root();
        let commit = command_line(
            Command::new("git")
                .args(["rev-parse", "--short", "HEAD"])
                .current_dir(&root),
        )
        .unwrap_or_else(|| "an unknown commit".to_owned());
        let dirty = command_line(
            Command::new("git")
                .args(["status", "--porcelain", "--untracked-files=no"])
                .current_dir(&root),
        )
        .is_some_and(|s| !s.is_empty());
        Provenance { commit, dirty }
    }
}

/// The whole document: title, when and where it was measured, and the sections in `body`.
pub fn document(body: &str, quick: bool, provenance: &Provenance) -> String {
    let Provenance { commit, dirty } = provenance;
    let mut out = String::from("# orch benchmarks\n\n");
    out.push_str(&format!(
        "Measured on {} by `cargo xtask bench{}` at commit {commit}{}.\n\n",
        utc_now(),
        if quick { " --quick" } else { "" },
        if *dirty {
            " with uncommitted changes"
        } else {
            ""
        },
    ));
    out.push_str(&format!("Machine: {}.\n\n", machine()));
    out.push_str(
        "Every time is the median wall time of whole processes; every baseline ran in the same \
         run on the same input, so the ratios carry from machine to machine better than the \
         times do. A ratio below 1 means orch took less time.\n\n",
    );
    out.push_str(body.trim_start_matches('\n'));
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// README.md's copy of `report`: without the title, its sections one level down.
pub fn readme_block(report: &str) -> String {
    let mut out = String::new();
    for line in report
        .lines()
        .skip_while(|l| l.starts_with("# ") || l.is_empty())
    {
        if line.starts_with('#') {
            out.push('#');
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Replaces the text between README.md's markers with `report`'s copy.
pub fn show_in_readme(report: &str) -> anyhow::Result<()> {
    let path = crate::workspace_root().join("README.md");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let (Some(begin), Some(end)) = (text.find(README_BEGIN), text.find(README_END)) else {
        bail!(
            "{} lacks the lines {README_BEGIN} and {README_END}",
            path.display()
        );
    };
    if end < begin {
        bail!(
            "{}: {README_END} comes before {README_BEGIN}",
            path.display()
        );
    }
    let start = begin + README_BEGIN.len();
    let updated = format!(
        "{}\n\n{}\n{}",
        &text[..start],
        readme_block(report),
        &text[end..]
    );
    write_replacing(&path, &updated)
}

fn write_replacing(path: &Path, text: &str) -> anyhow::Result<()> {
    let temp = path.with_extension("md.bench-tmp");
    std::fs::write(&temp, text).with_context(|| format!("cannot write {}", temp.display()))?;
    std::fs::rename(&temp, path).with_context(|| format!("cannot replace {}", path.display()))
}

/// The CPU, its count, the memory, the kernel, git and rustc, as far as they can be read.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").and_then(|r| r.split_once(':')))
        .map(|(_, v)| v.trim().to_owned());
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map(|kib| format!(", {:.0} GiB of memory", kib as f64 / (1024.0 * 1024.0)));
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|r| format!("{} {}", std::env::consts::OS, r.trim()))
        .unwrap_or_else(|_| std::env::consts::OS.to_owned());
    let git = command_line(Command::new("git").arg("--version"))
        .unwrap_or_else(|| "git (unknown version)".to_owned());
    let rustc = command_line(Command::new("rustc").arg("--version"))
        .unwrap_or_else(|| "rustc (unknown version)".to_owned());
    let scratch = std::env::var_os("ORCH_BENCH_DIR").map_or_else(
        || format!("temp files in {}", std::env::temp_dir().display()),
        |dir| {
            format!(
                "worktree and conductor repositories in {}",
                Path::new(&dir).display()
            )
        },
    );
    format!(
        "{} CPUs{}{}, {kernel} {}; {git}; {rustc}; {scratch}",
        cpus,
        model.map(|m| format!(" ({m})")).unwrap_or_default(),
        memory.unwrap_or_default(),
        std::env::consts::ARCH,
    )
}

/// The first line a command prints, if it runs and succeeds.
fn command_line(command: &mut Command) -> Option<String> {
    let output = command.output().ok()?;
    if !output.status.success() {
        return None;
    }
    Some(
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .next()
            .unwrap_or("")
            .trim()
            .to_owned(),
    )
}

/// The current time in UTC, to the minute (`2026-11-21 14:05 UTC`).
fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let (year, month, day) = civil_from_days(days);
    let rest = secs % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rest / 3_600,
        rest % 3_600 / 60
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        year,
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_778), (2026, 11, 21));
    }

    #[test]
    fn readme_block_drops_the_title_and_demotes_sections() {
        let report = "# orch benchmarks\n\nMeasured.\n\n## Plans\n\n| a |\n";
        assert_eq!(readme_block(report), "Measured.\n\n### Plans\n\n| a |\n");
    }
}
