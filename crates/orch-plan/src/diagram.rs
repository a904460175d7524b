//! The dependency graph drawn as ASCII, Mermaid or Graphviz dot.

use std::collections::HashSet;
use std::fmt::Write as _;

use orch_core::{Plan, Status, Task};

/// Draws the plan as a tree from the tasks without dependencies, like section 3 of the plan
/// template. A task with several dependencies is drawn in full under the first one reached and
/// marked `(see above)` elsewhere, so every task appears once in full.
pub fn ascii(plan: &Plan) -> String {
    let graph = plan.graph();
    let mut out = String::new();
    let mut drawn = HashSet::new();
    let roots = plan.tasks().iter().filter(|t| t.depends_on.is_empty());
    for root in roots {
        // (task, prefix for its children, the prefix and glyph before its own label)
        let mut stack: Vec<(&Task, String, String)> = vec![(root, String::new(), String::new())];
        while let Some((task, prefix, connector)) = stack.pop() {
            if !drawn.insert(task.id.clone()) {
                let _ = writeln!(out, "{connector}{} (see above)", task.id);
                continue;
            }
            let _ = write!(out, "{connector}{}", label(task));
            if task.depends_on.len() > 1 {
                let needs: Vec<&str> = task.depends_on.iter().map(|d| d.as_str()).collect();
                let _ = write!(out, " [needs {}]", needs.join(", "));
            }
            out.push('\n');
            let children: Vec<&Task> = graph
                .dependents(&task.id)
                .into_iter()
                .filter_map(|id| plan.get(id))
                .collect();
            for (i, child) in children.iter().enumerate().rev() {
                let last = i + 1 == children.len();
                let branch = if last { "└─→ " } else { "├─→ " };
                let below = if last { "    " } else { "│   " };
                stack.push((
                    child,
                    format!("{prefix}{below}"),
                    format!("{prefix}{branch}"),
                ));
            }
        }
    }
    if out.is_empty() {
        out.push_str("(no tasks)\n");
    }
    out
}

fn label(task: &Task) -> String {
    if task.description.is_empty() {
        task.id.to_string()
    } else {
        format!("{} ({})", task.id, task.description)
    }
}

fn status_class(status: Status) -> &'static str {
    match status {
        Status::NotStarted => "notstarted",
        Status::InProgress => "inprogress",
        Status::Blocked => "blocked",
        Status::Completed => "completed",
        Status::Failed => "failed",
    }
}

/// Draws the plan as a Mermaid flowchart, an arrow from each dependency to its dependent, with
/// one style class per status.
pub fn mermaid(plan: &Plan) -> String {
    let mut out = String::from("graph TD\n");
    for (i, task) in plan.tasks().iter().enumerate() {
        let text = format!("{}: {} ({})", task.id, task.description, task.status);
        let _ = writeln!(
            out,
            "    n{i}[\"{}\"]:::{}",
            mermaid_escape(&text),
            status_class(task.status)
        );
    }
    let position = |id| plan.tasks().iter().position(|t| &t.id == id);
    for (i, task) in plan.tasks().iter().enumerate() {
        for dep in &task.depends_on {
            if let Some(d) = position(dep) {
                let _ = writeln!(out, "    n{d} --> n{i}");
            }
        }
    }
    out.push_str(concat!(
        "    classDef notstarted fill:#eeeeee,stroke:#888888,color:#000000\n",
        "    classDef inprogress fill:#fff3bf,stroke:#f08c00,color:#000000\n",
        "    classDef blocked fill:#ffe3e3,stroke:#e03131,color:#000000\n",
        "    classDef completed fill:#d3f9d8,stroke:#2f9e44,color:#000000\n",
        "    classDef failed fill:#e03131,stroke:#c92a2a,color:#ffffff\n",
    ));
    out
}

fn mermaid_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '#' => out.push_str("#35;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Draws the plan as a Graphviz digraph, an edge from each dependency to its dependent, filled
/// by status.
pub fn dot(plan: &Plan) -> String {
    let mut out = String::from(
        "digraph plan {\n    rankdir=LR;\n    node [shape=box, style=\"rounded,filled\"];\n",
    );
    for task in plan.tasks() {
        let colour = match task.status {
            Status::NotStarted => "#eeeeee",
            Status::InProgress => "#fff3bf",
            Status::Blocked => "#ffe3e3",
            Status::Completed => "#d3f9d8",
            Status::Failed => "#ff8787",
        };
        let text = format!("{}\n{}\n{}", task.id, task.description, task.status);
        let _ = writeln!(
            out,
            "    \"{}\" [label=\"{}\", fillcolor=\"{colour}\"];",
            dot_escape(task.id.as_str()),
            dot_escape(&text)
        );
    }
    for task in plan.tasks() {
        for dep in &task.depends_on {
            let _ = writeln!(
                out,
                "    \"{}\" -> \"{}\";",
                dot_escape(dep.as_str()),
                dot_escape(task.id.as_str())
            );
        }
    }
    out.push_str("}\n");
    out
}

fn dot_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}
