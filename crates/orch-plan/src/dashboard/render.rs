//! Drawing the dashboard with ratatui: a header, a progress gauge, the task matrix, panels for
//! running, blocked and ready tasks and the critical path, the latest messages and a key help
//! line; or, in the details view, everything about the selected task.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, Cell, HighlightSpacing, LineGauge, Paragraph, Row, StatefulWidget, Table, TableState,
    Widget, Wrap,
};

use orch_core::Status;

use super::{DashboardState, TaskLine, View};

/// How many messages the overview lists.
const LATEST_MESSAGES: usize = 4;

impl Widget for &DashboardState {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let [header, gauge, body, help] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Min(0),
            Constraint::Length(1),
        ])
        .areas(area);
        self.header(header, buf);
        self.gauge(gauge, buf);
        match self.view {
            View::Overview => self.overview(body, buf),
            View::Details => self.details(body, buf),
        }
        let keys = match self.view {
            View::Overview => {
                " q quit  s status filter  g group filter  ↑↓/jk select  Enter details"
            }
            View::Details => " Esc back  q quit",
        };
        Paragraph::new(Line::from(keys).style(Style::new().add_modifier(Modifier::DIM)))
            .render(help, buf);
    }
}

impl DashboardState {
    /// The style of a status: a colour when colours are on, always readable without.
    fn status_style(&self, status: Status) -> Style {
        let style = Style::new();
        if !self.colour {
            return match status {
                Status::Failed | Status::Blocked => style.add_modifier(Modifier::BOLD),
                _ => style,
            };
        }
        match status {
            Status::NotStarted => style.fg(Color::Gray),
            Status::InProgress => style.fg(Color::Yellow),
            Status::Blocked => style.fg(Color::Red).add_modifier(Modifier::BOLD),
            Status::Completed => style.fg(Color::Green),
            Status::Failed => style.fg(Color::Magenta).add_modifier(Modifier::BOLD),
        }
    }

    fn accent(&self) -> Style {
        if self.colour {
            Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::BOLD)
        }
    }

    fn header(&self, area: Rect, buf: &mut Buffer) {
        let mut spans = vec![
            Span::styled(" orch-plan watch ", self.accent()),
            Span::raw(self.title.clone()),
        ];
        let filter = self.filter_text();
        if !filter.is_empty() {
            spans.push(Span::raw(format!("  [{filter}]")));
        }
        if let Some(error) = &self.error {
            let style = if self.colour {
                Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
            } else {
                Style::new().add_modifier(Modifier::BOLD)
            };
            spans.push(Span::styled(format!("  error: {error}"), style));
        }
        // A space before the clock keeps a long error (cut at the edge) apart from it.
        let time = format!("  {} ", self.now.rfc3339());
        let [left, right] = Layout::horizontal([
            Constraint::Min(0),
            Constraint::Length(u16::try_from(time.len()).unwrap_or(0)),
        ])
        .areas(area);
        Paragraph::new(Line::from(spans)).render(left, buf);
        Paragraph::new(time).render(right, buf);
    }

    /// `status: In Progress, group: B`, or empty without filters.
    pub(super) fn filter_text(&self) -> String {
        let mut parts = Vec::new();
        if let Some(status) = self.status_filter {
            parts.push(format!("status: {status}"));
        }
        if let Some(group) = &self.group_filter {
            parts.push(format!("group: {group}"));
        }
        parts.join(", ")
    }

    fn gauge(&self, area: Rect, buf: &mut Buffer) {
        let total = self.tasks.len();
        let done = self
            .tasks
            .iter()
            .filter(|t| t.status == Status::Completed)
            .count();
        let ratio = if total == 0 {
            0.0
        } else {
            done as f64 / total as f64
        };
        let filled = if self.colour {
            Style::new().fg(Color::Green)
        } else {
            Style::new().add_modifier(Modifier::BOLD)
        };
        LineGauge::default()
            .ratio(ratio)
            // Whole percent rounded down, as `show`, the plain dashboard and the page say it.
            .label(format!(
                " Progress {done}/{total} ({}%)",
                (done * 100).checked_div(total).unwrap_or(100)
            ))
            .filled_style(filled)
            .render(area, buf);
    }

    fn overview(&self, area: Rect, buf: &mut Buffer) {
        let [matrix, panels, messages] = Layout::vertical([
            Constraint::Min(4),
            Constraint::Length(7),
            Constraint::Length(LATEST_MESSAGES as u16 + 2),
        ])
        .areas(area);
        self.matrix(matrix, buf);
        let [running, blocked, ready] = Layout::horizontal([
            Constraint::Ratio(1, 3),
            Constraint::Ratio(1, 3),
            Constraint::Ratio(1, 3),
        ])
        .areas(panels);
        self.running(running, buf);
        self.blocked(blocked, buf);
        self.ready_and_critical(ready, buf);
        self.latest_messages(messages, buf);
    }

    fn matrix(&self, area: Rect, buf: &mut Buffer) {
        let visible = self.visible();
        let rows: Vec<Row> = visible
            .iter()
            .map(|t| {
                Row::new(vec![
                    Cell::from(t.id.clone()),
                    Cell::from(Span::styled(t.status.as_str(), self.status_style(t.status))),
                    Cell::from(dash(&t.group)),
                    Cell::from(crate::cli::table::list(&t.depends_on)),
                    Cell::from(t.estimate.clone()),
                    Cell::from(dash(&t.agent)),
                    Cell::from(t.description.clone()),
                ])
            })
            .collect();
        let title = if self.filter_text().is_empty() {
            format!(" Tasks ({}) ", self.tasks.len())
        } else {
            format!(
                " Tasks ({} of {}; {}) ",
                visible.len(),
                self.tasks.len(),
                self.filter_text()
            )
        };
        let header = Row::new([
            "ID",
            "Status",
            "Grp",
            "Depends on",
            "Est",
            "Agent",
            "Description",
        ])
        .style(Style::new().add_modifier(Modifier::BOLD));
        let table = Table::new(
            rows,
            [
                Constraint::Length(8),
                Constraint::Length(11),
                Constraint::Length(4),
                Constraint::Length(12),
                Constraint::Length(5),
                Constraint::Length(12),
                Constraint::Min(10),
            ],
        )
        .header(header)
        .block(Block::bordered().title(title))
        .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED))
        .highlight_symbol("> ")
        .highlight_spacing(HighlightSpacing::Always);
        let mut state =
            TableState::default().with_selected((!visible.is_empty()).then_some(self.selected));
        StatefulWidget::render(table, area, buf, &mut state);
    }

    fn running(&self, area: Rect, buf: &mut Buffer) {
        let running: Vec<&TaskLine> = self
            .tasks
            .iter()
            .filter(|t| t.status == Status::InProgress)
            .collect();
        let lines: Vec<Line> = if running.is_empty() {
            vec![Line::from("-")]
        } else {
            running
                .iter()
                .map(|t| {
                    Line::from(vec![
                        Span::styled(format!("{:<6}", t.id), self.status_style(t.status)),
                        Span::raw(format!(
                            " {:>8}  {}",
                            self.elapsed(t).unwrap_or_else(|| "?".to_owned()),
                            dash(&t.agent)
                        )),
                    ])
                })
                .collect()
        };
        Paragraph::new(lines)
            .block(Block::bordered().title(format!(" Running ({}) ", running.len())))
            .render(area, buf);
    }

    fn blocked(&self, area: Rect, buf: &mut Buffer) {
        let mut lines = Vec::new();
        for t in self.tasks.iter().filter(|t| t.status == Status::Blocked) {
            lines.push(Line::from(vec![
                Span::styled(format!("{:<6}", t.id), self.status_style(t.status)),
                Span::raw(format!(" {}", t.blocker.as_deref().unwrap_or("blocked"))),
            ]));
        }
        for t in self
            .tasks
            .iter()
            .filter(|t| t.status == Status::NotStarted && !t.waiting_on.is_empty())
        {
            lines.push(Line::from(format!(
                "{:<6} waits for {}",
                t.id,
                t.waiting_on.join(", ")
            )));
        }
        if lines.is_empty() {
            lines.push(Line::from("-"));
        }
        Paragraph::new(lines)
            .block(Block::bordered().title(" Blocked & waiting "))
            .render(area, buf);
    }

    fn ready_and_critical(&self, area: Rect, buf: &mut Buffer) {
        let (path, length) = &self.critical_path;
        let lines = vec![
            Line::from(vec![
                Span::styled("Ready: ", Style::new().add_modifier(Modifier::BOLD)),
                Span::raw(crate::cli::table::list(&self.ready)),
            ]),
            Line::from(Span::styled(
                "Critical path:",
                Style::new().add_modifier(Modifier::BOLD),
            )),
            Line::from(format!(
                "{} ({length})",
                if path.is_empty() {
                    "-".to_owned()
                } else {
                    path.join(" → ")
                }
            )),
        ];
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .block(Block::bordered().title(" Ready & critical path "))
            .render(area, buf);
    }

    fn latest_messages(&self, area: Rect, buf: &mut Buffer) {
        let lines: Vec<Line> = self
            .messages
            .iter()
            .rev()
            .take(LATEST_MESSAGES)
            .map(|m| self.message_line(m))
            .collect();
        let lines = if lines.is_empty() {
            vec![Line::from("-")]
        } else {
            lines
        };
        Paragraph::new(lines)
            .block(Block::bordered().title(format!(" Latest messages ({}) ", self.messages.len())))
            .render(area, buf);
    }

    fn message_line(&self, m: &super::MessageLine) -> Line<'static> {
        let time = m.time.map_or_else(|| "-".to_owned(), |t| t.minutes());
        let task = m
            .task
            .as_deref()
            .map_or(String::new(), |t| format!(" {t}:"));
        Line::from(vec![
            Span::styled(m.id.clone(), self.accent()),
            Span::raw(format!(
                " {time} {} → {} {} [{}]{task} {}",
                m.from, m.to, m.kind, m.status, m.summary
            )),
        ])
    }

    fn details(&self, area: Rect, buf: &mut Buffer) {
        let Some(task) = self.selected_task() else {
            Paragraph::new("no task selected")
                .block(Block::bordered())
                .render(area, buf);
            return;
        };
        let bold = Style::new().add_modifier(Modifier::BOLD);
        let field = |name: &str, value: String| {
            Line::from(vec![
                Span::styled(format!("{name:<13}"), bold),
                Span::raw(value),
            ])
        };
        let with_status = |ids: &[String]| -> Line<'static> {
            if ids.is_empty() {
                return Line::from("-");
            }
            let mut spans = Vec::new();
            for (i, id) in ids.iter().enumerate() {
                if i > 0 {
                    spans.push(Span::raw(", "));
                }
                spans.push(Span::raw(format!("{id} ")));
                match self.status_of(id) {
                    Some(s) => spans.push(Span::styled(format!("({s})"), self.status_style(s))),
                    None => spans.push(Span::raw("(?)")),
                }
            }
            Line::from(spans)
        };
        let mut lines = vec![
            Line::from(vec![
                Span::styled(format!("{}  ", task.id), self.accent()),
                Span::styled(task.status.as_str(), self.status_style(task.status)),
                Span::raw(format!("  {}", task.description)),
            ]),
            field(
                "Agent",
                format!(
                    "{}{}",
                    dash(&task.agent),
                    if task.skills.is_empty() {
                        String::new()
                    } else {
                        format!(" / {}", task.skills.join(", "))
                    }
                ),
            ),
            field(
                "Group",
                format!("{}    Estimate: {}", dash(&task.group), task.estimate),
            ),
            field(
                "Worktree",
                format!("{}    Branch: {}", dash(&task.worktree), dash(&task.branch)),
            ),
        ];
        if let Some(elapsed) = self.elapsed(task) {
            lines.push(field("Running for", elapsed));
        }
        if let Some(blocker) = &task.blocker {
            lines.push(field("Blocked by", blocker.clone()));
        }
        let mut deps = with_status(&task.depends_on);
        deps.spans
            .insert(0, Span::styled(format!("{:<13}", "Depends on"), bold));
        lines.push(deps);
        let mut dependents = with_status(&task.dependents);
        dependents
            .spans
            .insert(0, Span::styled(format!("{:<13}", "Needed by"), bold));
        lines.push(dependents);
        let messages = self.messages_of(&task.id);
        lines.push(Line::from(Span::styled(
            format!("Messages ({})", messages.len()),
            bold,
        )));
        for m in messages.iter().rev().take(4).rev() {
            lines.push(self.message_line(m));
        }
        let events = self.events_of(&task.id);
        lines.push(Line::from(Span::styled(
            format!("Journal ({})", events.len()),
            bold,
        )));
        let room = usize::from(area.height.saturating_sub(2)).saturating_sub(lines.len());
        for e in events.iter().skip(events.len().saturating_sub(room)) {
            let change = match (&e.old, &e.new) {
                (Some(old), Some(new)) => format!(" {old} → {new}"),
                (None, Some(new)) => format!(" {new}"),
                _ => String::new(),
            };
            let note = e
                .note
                .as_deref()
                .map_or(String::new(), |n| format!(" ({n})"));
            lines.push(Line::from(format!(
                "{} {:<9} {}{change}{note}",
                e.time, e.event, e.actor
            )));
        }
        Paragraph::new(lines)
            .block(Block::bordered().title(format!(" Task {} ", task.id)))
            .render(area, buf);
    }
}

fn dash(text: &str) -> String {
    if text.is_empty() {
        "-".to_owned()
    } else {
        text.to_owned()
    }
}
