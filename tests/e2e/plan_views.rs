//! Views of the plan for people: `watch` (outside a terminal), `export --html` and the shell
//! completions.

use orch_e2e::{AUTH_PLAN, Repo};

#[test]
fn watch_once_outside_a_terminal_prints_the_plain_dashboard() {
    let repo = Repo::new();
    repo.write("MULTI_AGENT_PLAN.md", AUTH_PLAN);
    repo.orch("orch-plan", &["claim", "T1", "--agent", "architect-001"])
        .expect_code(0);
    repo.orch(
        "orch-plan",
        &[
            "msg",
            "send",
            "--from",
            "architect-001",
            "--to",
            "All",
            "--type",
            "Update",
            "--task",
            "T1",
            "--body",
            "Drafting the contracts",
        ],
    )
    .expect_code(0);
    let run = repo.orch("orch-plan", &["watch", "--once"]).expect_code(0);
    let out = &run.stdout;
    assert!(
        !out.contains('\u{1b}'),
        "no escape codes in a pipe: {out:?}"
    );
    assert!(out.contains("T1  In Progress  A"), "{out}");
    assert!(out.contains("Running:       T1 (Architect, 0:00:"), "{out}");
    assert!(out.contains("Waiting:       T2 (on T1)"), "{out}");
    assert!(
        out.contains("Critical path: T1 -> T2 -> T5 -> T7 (7.5h)"),
        "{out}"
    );
    assert!(
        out.contains("M-0001") && out.contains("Drafting the contracts"),
        "{out}"
    );

    let run = repo
        .orch("orch-plan", &["watch", "--once", "--json"])
        .expect_code(2);
    assert!(run.stderr.contains("show --json"), "{}", run.stderr);
}

#[test]
fn watch_once_reports_a_missing_plan() {
    let repo = Repo::new();
    let run = repo.orch("orch-plan", &["watch", "--once"]).expect_code(1);
    assert!(run.stderr.contains("orch-plan init"), "{}", run.stderr);
}

#[test]
fn export_html_is_standalone_escaped_and_complete() {
    let repo = Repo::new();
    let plan = AUTH_PLAN.replacen(
        "Design auth architecture & API contracts",
        "Design <script>alert(\"x\")</script> & contracts",
        1,
    );
    repo.write("MULTI_AGENT_PLAN.md", &plan);
    repo.orch("orch-plan", &["claim", "T1", "--agent", "a"])
        .expect_code(0);
    let run = repo.orch("orch-plan", &["export", "--html"]).expect_code(0);
    let page = &run.stdout;
    assert!(
        page.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"),
        "{page}"
    );
    assert!(page.trim_end().ends_with("</html>"));
    assert!(page.contains("<title>Multi-Agent Orchestration Plan</title>"));
    assert!(page.contains("<style>"));
    // Nothing is fetched from anywhere: no scripts, style sheets, images or frames.
    for needle in ["<script", "<link", "src=", "@import", "url(", "<iframe"] {
        assert!(!page.contains(needle), "{needle} in the page");
    }
    assert!(
        page.contains("Design &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; contracts")
    );
    for id in ["T1", "T2", "T3", "T4", "T5", "T6", "T7"] {
        assert!(page.contains(&format!("<td>{id}</td>")), "{id} is missing");
    }
    for description in [
        "Implement OAuth 2.0 approach",
        "Implement JWT approach",
        "Implement session-based approach",
        "Performance benchmarking &amp; comparison",
        "Security audit all approaches",
        "Documentation &amp; decision report",
    ] {
        assert!(page.contains(description), "{description} is missing");
    }
    assert!(page.contains("<span class=\"status s-inprogress\">In Progress</span>"));
    // The header counts the tasks in each status.
    assert!(page.contains("s-inprogress\">In Progress</span> 1 "));

    let run = repo
        .orch("orch-plan", &["export", "--html", "--output", "plan.html"])
        .expect_code(0);
    assert!(run.stdout.contains("plan.html"), "{}", run.stdout);
    assert!(repo.read("plan.html").starts_with("<!DOCTYPE html>"));
    // A page meant for sharing gets the mode a redirect would give it (the tests' umask is 022).
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(repo.root().join("plan.html"))
            .expect("plan.html")
            .permissions()
            .mode();
        assert_eq!(mode & 0o044, 0o044, "{mode:o}");
    }
    repo.orch("orch-plan", &["export"]).expect_code(2);
}

#[test]
fn export_never_writes_over_orchs_own_files() {
    let repo = Repo::new();
    repo.write("MULTI_AGENT_PLAN.md", AUTH_PLAN);
    repo.orch("orch-plan", &["claim", "T1", "--agent", "a"])
        .expect_code(0);
    let plan = repo.read("MULTI_AGENT_PLAN.md");
    let journal = std::fs::read(repo.root().join(".git/orch/journal.jsonl")).expect("journal");
    for output in [
        "MULTI_AGENT_PLAN.md",
        "./MULTI_AGENT_PLAN.md",
        "INTER_AGENT_MESSAGES.md",
        "orch.toml",
        ".git/orch/journal.jsonl",
    ] {
        let run = repo
            .orch("orch-plan", &["export", "--html", "-o", output])
            .expect_code(1);
        assert!(
            run.stderr.contains("another file"),
            "{output}: {}",
            run.stderr
        );
    }
    assert_eq!(repo.read("MULTI_AGENT_PLAN.md"), plan);
    assert_eq!(
        std::fs::read(repo.root().join(".git/orch/journal.jsonl")).expect("journal"),
        journal
    );
    assert!(!repo.root().join("INTER_AGENT_MESSAGES.md").exists());
    assert!(!repo.root().join("orch.toml").exists());
}

#[test]
fn text_from_the_plan_cannot_drive_the_terminal() {
    let repo = Repo::new();
    // A hand edit puts an escape sequence, a title change, a bell and a bidi override in a cell.
    let hostile = "evil \u{1b}[31mRED\u{1b}[0m \u{1b}]0;pwned\u{7} \u{202e}txt.exe";
    repo.write(
        "MULTI_AGENT_PLAN.md",
        AUTH_PLAN.replacen("Design auth architecture & API contracts", hostile, 1),
    );
    for args in [&["show"][..], &["watch", "--once"], &["ready"], &["graph"]] {
        let run = repo.orch("orch-plan", args).expect_code(0);
        for bad in ['\u{1b}', '\u{7}', '\u{202e}'] {
            assert!(
                !run.stdout.contains(bad) && !run.stderr.contains(bad),
                "{args:?} printed {bad:?}: {}",
                run.stdout
            );
        }
        if args[0] == "show" {
            assert!(run.stdout.contains("evil \\u001b[31mRED"), "{}", run.stdout);
        }
    }
    // JSON keeps the exact value.
    let shown = repo
        .orch("orch-plan", &["show", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(shown["tasks"][0]["description"], hostile);
}

#[test]
fn completions_name_the_binary() {
    let repo = Repo::new();
    let run = repo
        .orch("orch-plan", &["completions", "bash"])
        .expect_code(0);
    assert!(run.stdout.contains("orch-plan"), "{}", run.stdout);
    assert!(run.stdout.contains("watch") && run.stdout.contains("stats"));
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let run = repo
            .orch("orch-plan", &["completions", shell])
            .expect_code(0);
        assert!(run.stdout.contains("orch-plan"), "{shell}");
    }
    repo.orch("orch-plan", &["completions", "tcsh"])
        .expect_code(2);
}

/// A completion case: binary, words after it, the word being completed, the word before it,
/// and words that must be offered.
type CompletionCase<'a> = (&'a str, &'a [&'a str], &'a str, &'a str, &'a [&'a str]);

/// The bash script completes past the subcommand for both binaries (their names have a hyphen,
/// which clap_complete's bash script gets wrong by itself).
#[test]
fn bash_completes_subcommand_options_and_values() {
    let repo = Repo::new();
    let cases: [CompletionCase<'_>; 3] = [
        (
            "orch-plan",
            &["graph", "--format", ""],
            "",
            "--format",
            &["ascii", "mermaid", "dot"],
        ),
        (
            "orch-plan",
            &["stats", "--"],
            "--",
            "stats",
            &["--write", "--json"],
        ),
        (
            "orch-worktree",
            &["integrate", "--"],
            "--",
            "integrate",
            &["--dry-run", "--gate-timeout"],
        ),
    ];
    for (binary, words, current, previous, expected) in cases {
        let script = repo
            .orch(binary, &["completions", "bash"])
            .expect_code(0)
            .stdout;
        // The hidden `manpages` subcommand (for packagers) is not offered.
        assert!(!script.contains("manpages"), "{binary}");
        let path = repo.parent().join(format!("{binary}.bash"));
        std::fs::write(&path, script).expect("write the script");
        let function = format!("_{}", binary.replace('-', "__"));
        let mut all = vec![binary];
        all.extend_from_slice(words);
        let words = all
            .iter()
            .map(|w| format!("'{w}'"))
            .collect::<Vec<_>>()
            .join(" ");
        let program = format!(
            "source '{}'; COMP_WORDS=({words}); COMP_CWORD={}; {function} {binary} '{current}' '{previous}'; echo \"${{COMPREPLY[*]}}\"",
            path.display(),
            all.len() - 1
        );
        let run = orch_e2e::run_in(
            std::path::Path::new("bash"),
            &["--norc", "--noprofile", "-c", &program],
            repo.root(),
            &[],
        );
        assert_eq!(run.code, Some(0), "{}", run.stderr);
        for word in expected {
            assert!(
                run.stdout.split_whitespace().any(|w| w == *word),
                "{binary} {all:?}: {word} not offered in {:?}",
                run.stdout
            );
        }
    }
}
