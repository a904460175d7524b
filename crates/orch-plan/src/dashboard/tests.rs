//! The dashboard drawn on a 100×30 test backend for a known plan, and its keys.

use std::path::Path;

use orch_core::{Plan, Timestamp};
use orch_status::PlanDoc;
use orch_status::journal::Entry;
use orch_status::messages::MessageLog;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

use super::*;

/// The seed plan with T1 Completed, T2 and T3 In Progress and T4 Blocked.
fn plan_text() -> String {
    orch_e2e::AUTH_PLAN
        .lines()
        .map(|line| {
            let status = match line.get(..5) {
                Some("| T1 ") => "Completed",
                Some("| T2 " | "| T3 ") => "In Progress",
                Some("| T4 ") => "Blocked",
                _ => return format!("{line}\n"),
            };
            format!("{}\n", line.replacen("Not Started", status, 1))
        })
        .collect()
}

const MESSAGES: &str = "# Inter-Agent Messages\n\n---\n\
ID: M-0001\nFROM: architect-001\nTO: All\nTYPE: Handoff\nTIMESTAMP: 2026-11-21T10:05:00Z\nSTATUS: Acknowledged\nTASK: T1\n\nAPI contracts are in docs/api.md\n\n---\n\
ID: M-0002\nFROM: builder-3\nTO: Orchestrator\nTYPE: Blocker\nTIMESTAMP: 2026-11-21T11:40:00Z\nSTATUS: Sent\nTASK: T4\nPRIORITY: High\n\nWhich session store: Redis or Postgres?\n\n---\n";

fn at(time: &str) -> String {
    format!("2026-11-21T{time}:00Z")
}

fn entry(time: &str, event: &str, task: &str, old: &str, new: &str, note: Option<&str>) -> Entry {
    Entry {
        time: at(time),
        event: event.into(),
        actor: format!("agent-{}", task.to_lowercase()),
        task: Some(task.into()),
        old: Some(old.into()),
        new: Some(new.into()),
        note: note.map(Into::into),
        ..Entry::default()
    }
}

fn journal() -> Vec<Entry> {
    vec![
        entry("09:00", "claim", "T1", "Not Started", "In Progress", None),
        entry(
            "10:00",
            "status",
            "T1",
            "In Progress",
            "Completed",
            Some("contracts done"),
        ),
        entry("10:10", "claim", "T2", "Not Started", "In Progress", None),
        entry("10:15", "claim", "T3", "Not Started", "In Progress", None),
        entry("10:20", "claim", "T4", "Not Started", "In Progress", None),
        entry(
            "11:40",
            "block",
            "T4",
            "In Progress",
            "Blocked",
            Some("Which session store?"),
        ),
    ]
}

struct Fixture {
    plan: Plan,
    doc: PlanDoc,
    messages: MessageLog,
    journal: Vec<Entry>,
}

fn fixture() -> Fixture {
    let doc = orch_status::read_plan(Path::new("MULTI_AGENT_PLAN.md"), plan_text().into_bytes())
        .expect("the plan reads");
    let (plan, doc) = doc.into_plan().expect("the plan is valid");
    Fixture {
        plan,
        doc,
        messages: MessageLog::parse(Path::new("INTER_AGENT_MESSAGES.md"), MESSAGES.to_owned()),
        journal: journal(),
    }
}

fn state(f: &Fixture, colour: bool) -> DashboardState {
    DashboardState::new(
        &Inputs {
            plan: &f.plan,
            doc: &f.doc,
            messages: Some(&f.messages),
            journal: &f.journal,
            now: Timestamp::parse(&at("12:00")).expect("time"),
        },
        colour,
    )
}

/// Draws the dashboard on a 100×30 test backend and returns the screen as text, one line per
/// row with trailing spaces removed.
fn screen(state: &DashboardState) -> (String, ratatui::buffer::Buffer) {
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).expect("test terminal");
    terminal
        .draw(|frame| frame.render_widget(state, frame.area()))
        .expect("draw");
    let buffer = terminal.backend().buffer().clone();
    let mut text = String::new();
    for y in 0..buffer.area.height {
        let mut line = String::new();
        for x in 0..buffer.area.width {
            line.push_str(buffer[(x, y)].symbol());
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    (text, buffer)
}

#[test]
fn overview() {
    let f = fixture();
    let (text, _) = screen(&state(&f, false));
    insta::assert_snapshot!(text);
}

#[test]
fn filtered_by_status_then_group() {
    let f = fixture();
    let mut s = state(&f, false);
    // Not Started, then In Progress.
    assert_eq!(s.handle(Key::Char('s')), Action::Continue);
    s.handle(Key::Char('s'));
    assert_eq!(s.status_filter, Some(Status::InProgress));
    let ids: Vec<&str> = s.visible().iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["T2", "T3"]);
    s.handle(Key::Down);
    let (text, _) = screen(&s);
    insta::assert_snapshot!(text);
    // Groups cycle A, B, …; In Progress tasks of group A: none.
    s.handle(Key::Char('g'));
    assert_eq!(s.group_filter.as_deref(), Some("A"));
    assert!(s.visible().is_empty());
    assert_eq!(s.handle(Key::Enter), Action::Continue);
    assert_eq!(s.view, View::Overview);
}

#[test]
fn details_of_the_blocked_task() {
    let f = fixture();
    let mut s = state(&f, false);
    for _ in 0..3 {
        s.handle(Key::Char('j'));
    }
    s.handle(Key::Enter);
    assert_eq!(s.view, View::Details);
    assert_eq!(s.selected_task().map(|t| t.id.as_str()), Some("T4"));
    let (text, _) = screen(&s);
    insta::assert_snapshot!(text);
    assert_eq!(s.handle(Key::Esc), Action::Continue);
    assert_eq!(s.view, View::Overview);
    assert_eq!(s.handle(Key::Esc), Action::Quit);
    assert_eq!(s.handle(Key::Char('q')), Action::Quit);
    assert_eq!(s.handle(Key::Interrupt), Action::Quit);
}

#[test]
fn colours_only_when_asked() {
    let f = fixture();
    let (_, plain) = screen(&state(&f, false));
    assert!(plain.content().iter().all(|c| c.fg == Color::Reset));
    let (_, coloured) = screen(&state(&f, true));
    assert!(coloured.content().iter().any(|c| c.fg == Color::Yellow));
}

#[test]
fn refresh_keeps_the_selected_task_and_the_clock_moves_elapsed_times() {
    let f = fixture();
    let mut s = state(&f, false);
    s.handle(Key::Down);
    s.handle(Key::Down);
    assert_eq!(s.selected_task().map(|t| t.id.as_str()), Some("T3"));
    let t2 = s.tasks[1].clone();
    assert_eq!(s.elapsed(&t2).as_deref(), Some("1:50:00"));
    s.set_now(Timestamp::parse("2026-11-21T12:00:07Z").expect("time"));
    assert_eq!(s.elapsed(&t2).as_deref(), Some("1:50:07"));
    // T2 completes and the s filter hides it: T3 stays selected.
    let text: String = plan_text()
        .lines()
        .map(|l| {
            if l.starts_with("| T2 ") {
                format!("{}\n", l.replacen("In Progress", "Completed", 1))
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    let doc =
        orch_status::read_plan(Path::new("MULTI_AGENT_PLAN.md"), text.into_bytes()).expect("reads");
    let (plan, doc) = doc.into_plan().expect("valid");
    s.refresh(&Inputs {
        plan: &plan,
        doc: &doc,
        messages: None,
        journal: &[],
        now: s.now,
    });
    assert_eq!(s.selected_task().map(|t| t.id.as_str()), Some("T3"));
    assert!(s.messages.is_empty());
    s.handle(Key::Char('s'));
    s.handle(Key::Char('s'));
    assert_eq!(s.selected_task().map(|t| t.id.as_str()), Some("T3"));
    assert_eq!(s.selected, 0);
}

#[test]
fn plain_text_for_pipes() {
    let f = fixture();
    insta::assert_snapshot!(state(&f, false).plain());
}
