use super::*;

const ROOT: &str = "/work/auth";

fn starter() -> Spec {
    Spec::parse(Path::new("/work/auth/orch.toml"), STARTER_SPEC).expect("the starter spec parses")
}

fn render_spec(spec: &Spec) -> Rendered {
    render(spec, "auth", Path::new(ROOT), None).expect("renders")
}

fn read_back(text: &str) -> orch_status::PlanDoc {
    orch_status::read_plan(Path::new(PLAN_FILE), text.as_bytes().to_vec())
        .expect("the plan reads back")
}

#[test]
fn the_starter_plan_reads_back_as_the_spec() {
    let spec = starter();
    let rendered = render_spec(&spec);
    let doc = read_back(&rendered.plan);
    let expected = spec.tasks("auth").expect("valid tasks");
    assert_eq!(doc.tasks, expected);
    // Field by field, so that a mismatch says which one.
    for (got, want) in doc.tasks.iter().zip(&expected) {
        assert_eq!(got.id.as_str(), want.id.as_str());
        assert_eq!(got.description, want.description);
        assert_eq!((&got.agent, &got.skills), (&want.agent, &want.skills));
        assert_eq!(
            (&got.worktree, &got.branch, &got.group),
            (&want.worktree, &want.branch, &want.group)
        );
        assert_eq!(
            (got.status, &got.depends_on, &got.estimate),
            (want.status, &want.depends_on, &want.estimate)
        );
    }
    assert_eq!(
        doc.tasks[4]
            .depends_on
            .iter()
            .map(|d| d.as_str())
            .collect::<Vec<_>>(),
        ["T2", "T3", "T4"]
    );
    assert!(rendered.plan.contains(
        "| T1 | Design auth architecture & API contracts | Architect / `architecture-skill`, `api-design-skill` | `../auth-worktrees/T1` | `feature/T1` | A | Not Started | - | 1h |"
    ));
    assert!(rendered.plan.contains("| T5 | Performance benchmarking & comparison | Validator / `validator-skill`, `performance-skill` | `../auth-worktrees/T5` | `feature/T5` | C | Not Started | T2, T3, T4 | 2h |"));
}

#[test]
fn the_plan_has_every_section_of_the_seed() {
    let plan = render_spec(&starter()).plan;
    let headings = [
        "# Multi-Agent Orchestration Plan",
        "## 1. Architecture Decision",
        "### Why Multi-Agent Orchestration?",
        "### Token and Cost Estimates",
        "## 2. Project Goal and Scope",
        "### Feature Objective",
        "### Success Criteria",
        "### Constraints and Assumptions",
        "## 3. Task Assignment Matrix",
        "## 4. Parallel Execution Strategy",
        "### Isolation Method",
        "### Agent Distribution and Model Selection",
        "### Coordination Mechanism",
        "### Merge Strategy",
        "## 5. Skills Composition Plan",
        "### Required Skills Per Task",
        "### Progressive Loading Order",
        "### Skill Version Pinning",
        "## 6. Communication Protocol",
        "### Blocker Reporting Format",
        "### Handoff Documentation",
        "### Inter-Agent Message Structure",
        "## 7. Validation Gates",
        "### Go/No-Go Decision Criteria",
        "## 8. Notes and Blockers",
        "## Execution Timeline",
        "### Planned Schedule",
        "### Actual Execution Log",
        "## Integration Summary",
        "## Retrospective",
        "### Metrics",
        "## Appendix",
        "### Worktree Locations",
    ];
    let lines: Vec<&str> = plan.lines().collect();
    let mut last = 0;
    for heading in headings {
        let at = lines
            .iter()
            .position(|l| *l == heading)
            .unwrap_or_else(|| panic!("{heading:?} missing"));
        assert!(at >= last, "{heading:?} is out of order");
        last = at;
    }
    for line in [
        "**Project:** Auth strategies",
        "**Status:** Planning",
        "| Task ID | Description | Agent/Skills | Worktree | Branch | Parallel Group | Status | Dependencies | Estimate |",
        "| Task ID | Agent ID | Started | Completed | Actual Duration | Status | Notes |",
        "| T2 | builder-oauth-001 | - | - | - | Not Started | - |",
        "- **Group A** (Sequential): T1 Design auth architecture & API contracts - starts first",
        "| Phase 1 | A | T1 | +0h | +1h | 1h |",
        "| Phase 2 | B | T2, T3, T4 | +1h | +4h | 3h (parallel) |",
        "| Phase 4 | D | T7 | +6h | +7.5h | 1.5h |",
        "| **Total** | | | | | **7.5h** |",
        "| Time Savings vs Sequential | 52% | - | - |",
        "| T5, T6 | Validator | - | - |",
        "| T5 | `validator-skill` | `performance-skill` | Requires T2, T3, T4 |",
        "- Orchestrator: `/work/auth` (main)",
        "- T7: `/work/auth-worktrees/T7`",
    ] {
        assert!(lines.contains(&line), "{line:?} missing from\n{plan}");
    }
    assert!(
        plan.contains("T1 (Design auth architecture & API contracts)\n├─→ T2"),
        "{plan}"
    );
    assert!(!plan.contains("Elvis") && !plan.contains("HomeLab"));
}

#[test]
fn the_message_log_has_one_separator_and_no_message() {
    let messages = render_spec(&starter()).messages;
    let separators: Vec<usize> = messages
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim() == "---")
        .map(|(i, _)| i)
        .collect();
    assert_eq!(separators.len(), 1, "{messages}");
    assert_eq!(messages.lines().last(), Some("---"));
    assert!(messages.starts_with("# Inter-Agent Messages\n"));
    assert!(messages.contains("**Project:** Auth strategies"));
    for word in [
        "ID:",
        "FROM:",
        "TO:",
        "TYPE:",
        "TIMESTAMP:",
        "STATUS:",
        "TASK:",
        "PRIORITY:",
        "DEADLINE:",
        "orch-plan msg send",
    ] {
        assert!(messages.contains(word), "{word}");
    }
}

#[test]
fn tricky_values_round_trip() {
    let text = r#"
[project]
name = "Pipes | and `ticks` 🚀"
created = "2025-12-13 09:00"

[[task]]
id = "a_1"
description = "Fix `a|b` and **bold** <b>x</b> & ~strike~ \\ end 🚀 中文"
agent = "Bob_the *builder*"
skills = ["skill`tick", "x|y", "back\\slash", "plain"]
group = "G|1"
estimate = "~45min"
agent_id = "agent_[1]"

[[task]]
id = "b"
description = "-leading dash"
agent = "A"
depends_on = ["A_1"]
worktree = "../wt with spaces/b"
branch = "x/y_z"
status = "blocked"
"#;
    let spec = Spec::parse(Path::new("orch.toml"), text).expect("valid");
    let rendered = render(&spec, "repo", Path::new("/r/repo"), None).expect("renders");
    let doc = read_back(&rendered.plan);
    assert_eq!(doc.tasks, spec.tasks("repo").expect("valid"));
    assert_eq!(
        doc.tasks[0].description,
        "Fix `a|b` and **bold** <b>x</b> & ~strike~ \\ end 🚀 中文"
    );
    assert_eq!(
        doc.tasks[0].skills,
        ["skill`tick", "x|y", "back\\slash", "plain"]
    );
    assert_eq!(doc.tasks[1].worktree, "../wt with spaces/b");
    assert!(rendered.plan.contains("**Status:** In Progress"));
    assert!(
        rendered
            .plan
            .contains("**Project:** Pipes \\| and \\`ticks\\` 🚀"),
        "{}",
        rendered.plan
    );
    assert!(
        rendered
            .plan
            .contains("| a\\_1 | agent\\_\\[1\\] | - | - | - | Not Started | - |"),
        "{}",
        rendered.plan
    );
    assert!(
        rendered
            .plan
            .contains("- **Task b (no group)** (Sequential)"),
        "{}",
        rendered.plan
    );
}

#[test]
fn an_override_template_is_used_and_its_errors_are_placed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let overrides = override_dir(dir.path());
    std::fs::create_dir_all(&overrides).expect("mkdir");
    let plan = "# My plan for {{ project.name | cell }}\n\n| Task ID | Status | Description | Agent/Skills | Worktree | Branch | Parallel Group | Dependencies | Estimate |\n|---|---|---|---|---|---|---|---|---|\n{% for t in tasks %}| {{ t.id | cell }} | {{ t.status | cell }} | {{ t.description | cell }} | {{ t.agent | cell }}{% if t.skills %} / {{ t.skills | join(\", \") | cell }}{% endif %} | {{ t.worktree | cell }} | {{ t.branch | cell }} | {{ t.group | cell }} | {{ t.depends_on | join(\", \") | cell }} | {{ t.estimate | cell }} |\n{% endfor %}";
    std::fs::write(overrides.join(PLAN_FILE), plan).expect("write");
    let spec = starter();
    let rendered = render(&spec, "auth", dir.path(), Some(&overrides)).expect("renders");
    assert!(
        rendered.plan.starts_with("# My plan for Auth strategies\n"),
        "{}",
        rendered.plan
    );
    assert_eq!(
        read_back(&rendered.plan).tasks,
        spec.tasks("auth").expect("valid")
    );
    assert!(
        rendered.messages.starts_with("# Inter-Agent Messages"),
        "the embedded message template stays"
    );

    std::fs::write(overrides.join(MESSAGES_FILE), "# Log\n\n{% for x in %}\n").expect("write");
    let error = render(&spec, "auth", dir.path(), Some(&overrides)).expect_err("a syntax error");
    let diagnostics = error.diagnostics();
    assert_eq!(diagnostics[0].file, overrides.join(MESSAGES_FILE));
    assert_eq!(diagnostics[0].line, Some(3));
    assert!(
        diagnostics[0].message.contains("syntax error"),
        "{}",
        diagnostics[0].message
    );

    std::fs::write(overrides.join(MESSAGES_FILE), "# Log\n{{ nothing.here }}\n").expect("write");
    let error =
        render(&spec, "auth", dir.path(), Some(&overrides)).expect_err("an undefined value");
    assert_eq!(error.diagnostics()[0].line, Some(2));
}

#[test]
fn an_override_that_breaks_the_matrix_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let overrides = override_dir(dir.path());
    std::fs::create_dir_all(&overrides).expect("mkdir");
    std::fs::write(overrides.join(PLAN_FILE), "# Plan\n\nNo table here.\n").expect("write");
    let error = render(&starter(), "auth", dir.path(), Some(&overrides)).expect_err("no matrix");
    assert!(matches!(error, RenderError::RoundTrip(_)), "{error:?}");

    let dropped = "| Task ID | Status |\n|---|---|\n{% for t in tasks[1:] %}| {{ t.id }} | {{ t.status }} |\n{% endfor %}";
    std::fs::write(overrides.join(PLAN_FILE), dropped).expect("write");
    let error =
        render(&starter(), "auth", dir.path(), Some(&overrides)).expect_err("a task is missing");
    assert!(error.to_string().contains("does not read back"), "{error}");
}

#[test]
fn a_value_a_filter_refuses_fails_the_render() {
    let error = cell("a\nb".to_owned()).expect_err("a line break");
    assert!(error.to_string().contains("line break"), "{error}");
    assert_eq!(code("a `b` c".to_owned()).expect("writable"), "``a `b` c``");
    assert_eq!(code("`x`".to_owned()).expect("writable"), "`` `x` ``");
    assert_eq!(code_cell("x|y".to_owned()).expect("writable"), "x\\|y");
    assert_eq!(fence("a ```` b".to_owned()), "`````");
}

#[test]
fn spec_errors_surface_with_their_lines() {
    let text = "[project]\nname = \"x\"\nworktree_root = \"{repo}/w\"\n\n[[task]]\nid = \"T1\"\ndescription = \"d\"\nagent = \"a\"\n";
    let spec = Spec::parse(Path::new("orch.toml"), text).expect("valid with the placeholder");
    let error = render(&spec, "-repo", Path::new("/r/-repo"), None)
        .expect_err("a worktree starting with '-'");
    let diagnostics = error.diagnostics();
    assert_eq!(diagnostics[0].line, Some(3), "{diagnostics:?}");
}
