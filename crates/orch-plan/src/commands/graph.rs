//! `orch-plan graph`: draw the dependency graph.

use orch_plan::diagram;
use orch_plan::out;

use orch_plan::cli::CliError;
use orch_plan::cli::Context;

/// The drawing formats.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// A tree in plain text.
    Ascii,
    /// A Mermaid flowchart.
    Mermaid,
    /// A Graphviz digraph.
    Dot,
}

/// Arguments of `orch-plan graph`.
#[derive(Debug, clap::Args)]
pub struct GraphArgs {
    /// How to draw the graph.
    #[arg(long, value_enum, default_value = "ascii")]
    format: Format,
}

/// Prints the dependency graph in the chosen format (with `--json`, as a JSON object with the
/// drawing, the nodes and the edges).
pub fn cmd_graph(ctx: &Context, args: &GraphArgs) -> Result<(), CliError> {
    let (plan, _doc) = ctx.load_plan_for_exit()?;
    let drawing = match args.format {
        Format::Ascii => diagram::ascii(plan),
        Format::Mermaid => diagram::mermaid(plan),
        Format::Dot => diagram::dot(plan),
    };
    if ctx.json {
        let edges: Vec<[&str; 2]> = plan
            .tasks()
            .iter()
            .flat_map(|t| {
                t.depends_on
                    .iter()
                    .map(move |d| [d.as_str(), t.id.as_str()])
            })
            .collect();
        let nodes: Vec<&str> = plan.tasks().iter().map(|t| t.id.as_str()).collect();
        return super::print_json(&serde_json::json!({
            "format": format!("{:?}", args.format).to_lowercase(),
            "nodes": nodes,
            "edges": edges,
            "drawing": drawing,
        }));
    }
    out!("{drawing}");
    Ok(())
}
