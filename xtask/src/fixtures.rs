//! Generated inputs for the benchmarks.

use std::fmt::Write as _;

/// A plan in the template's layout with `tasks` tasks. Each task depends on up to two earlier
/// ones, statuses cycle through all five, so check, show and the graph algorithms all work.
pub fn plan(tasks: usize) -> String {
    const STATUSES: [&str; 5] = [
        "Completed",
        "In Progress",
        "Not Started",
        "Blocked",
        "Failed",
    ];
    let mut out = String::with_capacity(tasks * 160 + 1024);
    out.push_str("# Multi-Agent Orchestration Plan\n\n**Project:** Generated benchmark plan\n\n---\n\n## 3. Task Assignment Matrix\n\n");
    out.push_str("| Task ID | Description | Agent/Skills | Worktree | Branch | Parallel Group | Status | Dependencies | Estimate |\n");
    out.push_str("|---------|-------------|--------------|----------|--------|----------------|--------|--------------|----------|\n");
    for i in 0..tasks {
        let deps = match i {
            0 => "-".to_owned(),
            1 => "T0".to_owned(),
            _ => format!("T{}, T{}", i - 1, i / 2),
        };
        let _ = writeln!(
            out,
            "| T{i} | Implement part {i} of the system \\| with `code` | Builder-{} / `builder-skill`, `validator-skill` | `../wt/T{i}` | `feature/t{i}` | G{} | {} | {deps} | {}h |",
            i % 8,
            i % 13,
            STATUSES[i % 5],
            1 + i % 4
        );
    }
    out.push_str("\n---\n\n## 8. Notes and Blockers\n\n<!-- none -->\n");
    out
}
