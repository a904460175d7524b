use super::*;

const HEADER: &str = "[project]\nname = \"Demo\"\n";

fn task(id: &str, deps: &str) -> String {
    format!(
        "\n[[task]]\nid = \"{id}\"\ndescription = \"Task {id}\"\nagent = \"Builder\"\ndepends_on = [{deps}]\n"
    )
}

fn parse(text: &str) -> Result<Spec, Diagnostics> {
    Spec::parse(Path::new("orch.toml"), text)
}

/// The (line, column) and message of the only diagnostic.
fn only_error(text: &str) -> (usize, usize, String) {
    let errors = parse(text).expect_err("the spec is invalid").0;
    assert_eq!(errors.len(), 1, "{errors:?}");
    let error = &errors[0];
    assert_eq!(error.file, PathBuf::from("orch.toml"));
    assert!(!error.message.ends_with('.'), "{}", error.message);
    (
        error.line.expect("a line"),
        error.column.expect("a column"),
        error.message.clone(),
    )
}

#[test]
fn the_starter_spec_is_valid() {
    let spec = parse(crate::render::STARTER_SPEC).expect("the starter spec parses");
    assert_eq!(spec.project.name.get_ref(), "Auth strategies");
    assert_eq!(spec.project.base(), "main");
    let tasks = spec.tasks("auth").expect("valid tasks");
    let ids: Vec<&str> = tasks.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["T1", "T2", "T3", "T4", "T5", "T6", "T7"]);
    assert_eq!(tasks[1].worktree, "../auth-worktrees/T2");
    assert_eq!(tasks[1].branch, "feature/T2");
    assert_eq!(tasks[4].depends_on.len(), 3);
    assert_eq!(
        tasks[6].estimate.as_ref().map(Estimate::seconds),
        Some(5400)
    );
    assert_eq!(spec.tasks[0].agent_id(), "architect-001");
}

#[test]
fn defaults_and_overrides() {
    let text = format!(
        "{HEADER}worktree_root = \"wt/{{repo}}/\"\nbranch_prefix = \"\"\ncreated = \"2025-01-02 03:04\"\n{}worktree = \"../own\"\nbranch = \"own/b\"\nstatus = \"in_progress\"\ngroup = \"-\"\n{}",
        task("a", ""),
        task("b", "\"A\"")
    );
    let spec = parse(&text).expect("valid");
    assert_eq!(spec.project.created(), "2025-01-02 03:04");
    let tasks = spec.tasks("repo").expect("valid");
    assert_eq!(
        (tasks[0].worktree.as_str(), tasks[0].branch.as_str()),
        ("../own", "own/b")
    );
    assert_eq!(tasks[0].status, Status::InProgress);
    assert_eq!(tasks[0].group, "");
    assert_eq!(
        (tasks[1].worktree.as_str(), tasks[1].branch.as_str()),
        ("wt/repo/b", "b")
    );
    assert_eq!(spec.tasks[1].agent_id(), "-");
}

#[test]
fn toml_syntax_errors_have_a_place() {
    let (line, column, message) = only_error("[project]\nname = \"Demo\nbase = \"main\"\n");
    assert_eq!(line, 2, "{message}");
    assert!(column >= 8, "{column} {message}");
    assert!(message.ends_with("fix the TOML syntax here"), "{message}");
}

#[test]
fn unknown_keys_are_refused_where_they_are() {
    let text = format!("{HEADER}{}dependson = [\"x\"]\n", task("T1", ""));
    let (line, column, message) = only_error(&text);
    assert_eq!((line, column), (9, 1), "{message}");
    assert!(message.contains("unknown field `dependson`"), "{message}");
    assert!(message.contains("correct its spelling"), "{message}");

    let (line, _, message) = only_error("[project]\nname = \"x\"\n\n[integrate]\ngate = []\n");
    assert_eq!(line, 5, "{message}");
}

#[test]
fn missing_required_keys_are_reported() {
    let (line, _, message) =
        only_error("[project]\nname = \"x\"\n\n[[task]]\nid = \"T1\"\nagent = \"A\"\n");
    assert!(
        message.contains("missing field `description`") && message.ends_with("add the key"),
        "{message}"
    );
    assert!(line >= 4, "{line}");
}

#[test]
fn bad_ids_are_refused_at_the_id() {
    let text = format!("{HEADER}{}", task("../x", ""));
    let (line, column, message) = only_error(&text);
    assert_eq!((line, column), (5, 6), "{message}");
    assert!(
        message.contains("task id \"../x\" contains '/'"),
        "{message}"
    );
}

#[test]
fn duplicate_ids_are_refused_at_the_second() {
    let text = format!("{HEADER}{}{}", task("T1", ""), task("t1", ""));
    let (line, column, message) = only_error(&text);
    assert_eq!((line, column), (11, 6), "{message}");
    assert!(message.contains("duplicate task id t1"), "{message}");
}

#[test]
fn unknown_and_self_dependencies_are_refused_at_the_entry() {
    let text = format!("{HEADER}{}{}", task("T1", ""), task("T2", "\"T1\", \"T9\""));
    let (line, column, message) = only_error(&text);
    assert_eq!((line, column), (14, 21), "{message}");
    assert!(
        message.contains("depends on T9, which is not in the plan"),
        "{message}"
    );

    let text = format!("{HEADER}{}", task("T1", "\"T1\""));
    let (line, _, message) = only_error(&text);
    assert_eq!(line, 8, "{message}");
    assert!(message.contains("depends on itself"), "{message}");
}

#[test]
fn cycles_are_refused_at_a_dependency_of_the_cycle() {
    let text = format!(
        "{HEADER}{}{}{}",
        task("T1", "\"T3\""),
        task("T2", "\"T1\""),
        task("T3", "\"T2\"")
    );
    let (line, _, message) = only_error(&text);
    assert_eq!(line, 8, "{message}");
    assert!(
        message.contains("dependency cycle: T1 -> T3 -> T2 -> T1"),
        "{message}"
    );
}

#[test]
fn values_are_checked_where_they_are() {
    let text = format!(
        "{HEADER}{}estimate = \"soon\"\nstatus = \"done\"\nskills = [\"a,b\"]\n{}branch = \"a..b\"\nworktree = \"x/.git\"\ndescription2 = 1\n",
        task("T1", ""),
        task("T2", "")
    );
    // The unknown key stops parsing before the values are checked.
    let (line, _, _) = only_error(&text);
    assert_eq!(line, 20);

    let text = format!(
        "{HEADER}{}estimate = \"soon\"\nstatus = \"done\"\nskills = [\"a,b\"]\n{}branch = \"a..b\"\nworktree = \"x/.git\"\n",
        task("T1", ""),
        task("T2", "")
    );
    let errors = parse(&text).expect_err("invalid").0;
    let places: Vec<(Option<usize>, &str)> = errors
        .iter()
        .map(|e| (e.line, e.message.split(';').next().unwrap_or("")))
        .collect();
    assert_eq!(places.len(), 5, "{places:#?}");
    assert_eq!(places[0].0, Some(9));
    assert!(
        places[0].1.contains("cannot read estimate \"soon\""),
        "{places:?}"
    );
    assert_eq!(places[1].0, Some(10));
    assert!(places[1].1.contains("unknown status \"done\""));
    assert_eq!(places[2].0, Some(11));
    assert!(places[2].1.contains("contains ','"));
    assert_eq!(places[3].0, Some(18));
    assert!(places[3].1.contains("branch name \"a..b\""));
    assert_eq!(places[4].0, Some(19));
    assert!(places[4].1.contains(".git component"));
}

#[test]
fn text_values_must_fit_a_cell() {
    let text = "[project]\nname = \"a\\nb\"\n\n[[task]]\nid = \"T1\"\ndescription = \"tab\\there\"\nagent = \"A/B\"\n";
    let errors = parse(text).expect_err("invalid").0;
    let lines: Vec<Option<usize>> = errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, [Some(2), Some(6), Some(7)], "{errors:#?}");
    assert!(errors[0].message.starts_with("name: ") && errors[0].message.contains("line break"));
    assert!(errors[1].message.contains("U+0009"));
    assert!(errors[2].message.contains("contains '/'"));
}

#[test]
fn commands_and_paths_are_checked() {
    let text = format!(
        "{HEADER}{}\n[agents.x]\ncommand = []\n\n[integrate]\ngates = [[\"\"]]\n\n[worktree]\ncopy = [\"../secret\"]\nsetup = [[\"npm\", \"ci\"]]\n",
        task("T1", "")
    );
    let errors = parse(&text).expect_err("invalid").0;
    let lines: Vec<Option<usize>> = errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, [Some(11), Some(14), Some(17)], "{errors:#?}");
}

#[test]
fn a_spec_needs_tasks_and_a_name() {
    let (_, _, message) = only_error(HEADER);
    assert!(message.contains("no tasks"), "{message}");
    let (line, _, message) = only_error("[project]\nbase = \"main\"\n");
    assert_eq!(line, 1);
    assert!(message.contains("missing field `name`"), "{message}");
}

#[test]
fn derived_worktrees_are_checked_for_the_repository() {
    let text = format!(
        "{HEADER}worktree_root = \"../{{repo}}\"\n{}",
        task("T1", "")
    );
    let spec = parse(&text).expect("valid with the placeholder");
    let errors = spec.tasks(".git").expect_err("a .git component").0;
    assert_eq!(errors[0].line, Some(3));
    assert!(
        errors[0].message.contains("derived for task T1"),
        "{}",
        errors[0].message
    );
}

#[test]
fn a_bad_root_or_prefix_is_reported_once() {
    let text = format!(
        "{HEADER}worktree_root = \"-w\"\nbranch_prefix = \"a..\"\n{}{}",
        task("T1", ""),
        task("T2", "")
    );
    let errors = parse(&text).expect_err("invalid").0;
    let lines: Vec<Option<usize>> = errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, [Some(3), Some(4)], "{errors:#?}");
    assert!(
        errors[0].message.starts_with("worktree_root: "),
        "{}",
        errors[0].message
    );
    assert!(
        errors[1].message.starts_with("branch_prefix \"a..\""),
        "{}",
        errors[1].message
    );
}

#[test]
fn base_from_is_base_or_dependencies() {
    for (value, from_deps) in [("base", false), ("dependencies", true)] {
        let text = format!(
            "{HEADER}{}\n[worktree]\nbase_from = \"{value}\"\n",
            task("T1", "")
        );
        let spec = parse(&text).expect("valid");
        assert_eq!(spec.worktree.base_from_dependencies(), from_deps, "{value}");
    }
    let spec = parse(&format!("{HEADER}{}", task("T1", ""))).expect("valid");
    assert!(!spec.worktree.base_from_dependencies());
    let (line, column, message) = only_error(&format!(
        "{HEADER}{}\n[worktree]\nbase_from = \"deps\"\n",
        task("T1", "")
    ));
    assert_eq!((line, column), (11, 13));
    assert!(message.contains("\"base\" (start from"), "{message}");
}

#[test]
fn gate_timeout_is_a_positive_duration() {
    let text = format!(
        "{HEADER}{}\n[integrate]\ngate_timeout = \"1.5m\"\n",
        task("T1", "")
    );
    let spec = parse(&text).expect("valid");
    assert_eq!(
        spec.integrate.gate_timeout(),
        Some(std::time::Duration::from_secs(90))
    );
    let spec = parse(&format!("{HEADER}{}", task("T1", ""))).expect("valid");
    assert_eq!(spec.integrate.gate_timeout(), None);
    let (line, column, message) = only_error(&format!(
        "{HEADER}{}\n[integrate]\ngate_timeout = \"soon\"\n",
        task("T1", "")
    ));
    assert_eq!((line, column), (11, 16));
    assert!(
        message.starts_with("integrate.gate_timeout: cannot read duration \"soon\""),
        "{message}"
    );
    let (_, _, message) = only_error(&format!(
        "{HEADER}{}\n[integrate]\ngate_timeout = \"0s\"\n",
        task("T1", "")
    ));
    assert!(message.contains("is zero"), "{message}");
}
