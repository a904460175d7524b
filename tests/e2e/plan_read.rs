//! `orch-plan check`, `show`, `ready` and `graph` on the seed-style example.

use orch_e2e::{AUTH_PLAN, Repo};
use serde_json::json;

fn repo_with_plan(plan: &str) -> Repo {
    let repo = Repo::new();
    repo.write("MULTI_AGENT_PLAN.md", plan);
    repo
}

/// The seed plan with T1 and T3 Completed, T2 In Progress and T4 Blocked.
fn plan_in_motion() -> String {
    AUTH_PLAN
        .replace("| A | Not Started | - | 1h |", "| A | Completed | - | 1h |")
        .replace(
            "| B | Not Started | T1 | 3h |\n| T3",
            "| B | In Progress | T1 | 3h |\n| T3",
        )
        .replacen(
            "`feature/auth-jwt` | B | Not Started",
            "`feature/auth-jwt` | B | completed",
            1,
        )
        .replacen(
            "`feature/auth-session` | B | Not Started",
            "`feature/auth-session` | B | BLOCKED",
            1,
        )
}

#[test]
fn check_accepts_the_seed_template_as_it_is() {
    let repo = repo_with_plan(AUTH_PLAN);
    let run = repo.orch("orch-plan", &["check"]).expect_code(0);
    assert!(run.stdout.contains("7 tasks"), "{}", run.stdout);
    let run = repo.orch("orch-plan", &["check", "--json"]).expect_code(0);
    assert_eq!(run.json()["ok"], json!(true));
    assert_eq!(run.json()["tasks"], json!(7));
}

#[test]
fn show_reports_progress_ready_blocked_and_critical_path() {
    let repo = repo_with_plan(&plan_in_motion());
    let run = repo.orch("orch-plan", &["show"]).expect_code(0);
    assert!(run.stdout.contains("2/7 completed"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("Critical path: T1 -> T2 -> T5 -> T7 (7.5h)"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("Blocked:       T4"), "{}", run.stdout);

    let shown = repo
        .orch("orch-plan", &["show", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(shown["progress"], json!({"completed": 2, "total": 7}));
    assert_eq!(shown["ready"], json!([]));
    assert_eq!(shown["blocked"], json!(["T4"]));
    assert_eq!(shown["critical_path"], json!(["T1", "T2", "T5", "T7"]));
    let t3 = &shown["tasks"][2];
    assert_eq!(t3["id"], json!("T3"));
    assert_eq!(
        t3["status"],
        json!("Completed"),
        "statuses come out canonically spelled"
    );
    assert_eq!(t3["agent"], json!("Builder-2"));
    assert_eq!(t3["worktree"], json!("../jwt"));
    assert_eq!(t3["branch"], json!("feature/auth-jwt"));
    assert_eq!(t3["group"], json!("B"));
    assert_eq!(t3["depends_on"], json!(["T1"]));
    assert_eq!(t3["estimate"], json!("3h"));
    assert_eq!(t3["description"], json!("Implement JWT approach"));
    assert_eq!(shown["tasks"][4]["depends_on"], json!(["T2", "T3", "T4"]));
}

#[test]
fn ready_lists_tasks_whose_dependencies_are_completed() {
    let repo = repo_with_plan(AUTH_PLAN);
    let ready = repo
        .orch("orch-plan", &["ready", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(ready.as_array().map(Vec::len), Some(1));
    assert_eq!(ready[0]["id"], json!("T1"));

    let all_but_t7_done = AUTH_PLAN
        .replace("| Not Started | - |", "| Completed | - |")
        .replace("| Not Started | T", "| Completed | T");
    let all_but_t7_done =
        all_but_t7_done.replace("| Completed | T5, T6 |", "| Not Started | T5, T6 |");
    repo.write("MULTI_AGENT_PLAN.md", &all_but_t7_done);
    let ready = repo
        .orch("orch-plan", &["ready", "--json"])
        .expect_code(0)
        .json();
    let ids: Vec<&str> = ready
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["id"].as_str())
        .collect();
    assert_eq!(ids, ["T7"]);
    let human = repo.orch("orch-plan", &["ready"]).expect_code(0);
    assert!(
        human.stdout.contains("T7") && human.stdout.contains("Documentation"),
        "{}",
        human.stdout
    );
}

#[test]
fn graph_in_three_formats() {
    let repo = repo_with_plan(AUTH_PLAN);
    let ascii = repo.orch("orch-plan", &["graph"]).expect_code(0).stdout;
    assert!(
        ascii.starts_with("T1 (Design auth architecture & API contracts)\n├─→ T2"),
        "{ascii}"
    );
    assert!(ascii.contains("[needs T2, T3, T4]"), "{ascii}");
    let mermaid = repo
        .orch("orch-plan", &["graph", "--format", "mermaid"])
        .expect_code(0)
        .stdout;
    assert!(mermaid.starts_with("graph TD\n"), "{mermaid}");
    assert_eq!(mermaid.matches("-->").count(), 11, "{mermaid}");
    let dot = repo
        .orch("orch-plan", &["graph", "--format", "dot"])
        .expect_code(0)
        .stdout;
    assert!(dot.contains("\"T5\" -> \"T7\";"), "{dot}");
    assert!(dot.trim_end().ends_with('}'), "{dot}");
    let as_json = repo
        .orch("orch-plan", &["graph", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(as_json["edges"].as_array().map(Vec::len), Some(11));
    repo.orch("orch-plan", &["graph", "--format", "svg"])
        .expect_code(2);
}

#[test]
fn crlf_and_bom_plans_read_like_any_other() {
    let crlf = format!("\u{feff}{}", AUTH_PLAN.replace('\n', "\r\n"));
    let repo = repo_with_plan(&crlf);
    let shown = repo
        .orch("orch-plan", &["show", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(shown["tasks"][6]["estimate"], json!("1.5h"));
    assert_eq!(shown["tasks"][6]["depends_on"], json!(["T5", "T6"]));
}
