//! The plumbing the orch binaries share: the command context, errors and their exit codes (in
//! one place), plain-text tables, the command line for the journal, completions and man pages,
//! and the one stdout writer the binaries print through. The rest of the library never prints.

/// Prints to stdout like `print!`, through [`write_stdout`]: a reader that went away
/// (`orch-plan show | head`) ends the program quietly instead of with a panic.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => { $crate::cli::write_stdout(format_args!($($arg)*), false) };
}

/// Prints a line to stdout like `println!`, through [`write_stdout`].
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => { $crate::cli::write_stdout(format_args!($($arg)*), true) };
}

/// Prints a line to stderr like `eprintln!`, through [`write_stderr`].
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => { $crate::cli::write_stderr(format_args!($($arg)*)) };
}

pub mod context;
pub mod error;
pub mod table;

pub use context::{Context, read_plan_at};
pub use error::{CliError, ErrorKind};

/// Encodes a value as pretty JSON for stdout.
pub fn to_json(value: &impl serde::Serialize) -> Result<String, CliError> {
    serde_json::to_string_pretty(value)
        .map_err(|e| CliError::new(ErrorKind::Io, format!("cannot encode JSON output: {e}")))
}

/// The command line as the journal and lock files record it: the program's file name, then
/// the arguments, quoted where needed, cut at 200 characters.
pub fn command_line(args: &[std::ffi::OsString]) -> String {
    let words: Vec<String> = args
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let word = a.to_string_lossy();
            let word = if i == 0 {
                word.rsplit('/').next().unwrap_or(&word).to_owned()
            } else {
                word.into_owned()
            };
            if word.is_empty() || word.contains([' ', '"', '\'']) {
                format!("{word:?}")
            } else {
                word
            }
        })
        .collect();
    let line = words.join(" ");
    match line.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

/// Writes formatted text to stdout for the binaries' `out!`/`outln!` macros, made safe for a
/// terminal by [`terminal_safe`]. A closed pipe (`orch-plan show | head`) ends the program with
/// exit 0 instead of a panic: the reader has all it wanted, and every command makes its
/// changes before it prints.
pub fn write_stdout(args: std::fmt::Arguments<'_>, newline: bool) {
    use std::io::Write as _;
    let text = args.to_string();
    let mut stdout = std::io::stdout().lock();
    let written = stdout
        .write_all(terminal_safe(&text).as_bytes())
        .and_then(|()| {
            if newline {
                stdout.write_all(b"\n")
            } else {
                Ok(())
            }
        })
        .and_then(|()| stdout.flush());
    if let Err(error) = written {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write to standard output: {error}");
        std::process::exit(1);
    }
}

/// Writes a line to stderr for the `errln!` macro, made safe for a terminal by
/// [`terminal_safe`].
pub fn write_stderr(args: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let text = args.to_string();
    let mut stderr = std::io::stderr().lock();
    let _ = stderr
        .write_all(terminal_safe(&text).as_bytes())
        .and_then(|()| stderr.write_all(b"\n"));
}

/// `text` with every character that could drive a terminal or reorder what it shows written
/// as a `\uXXXX` escape: C0 and C1 controls (escape sequences, bells, a lone carriage return
/// that would overwrite the line) and the bidirectional controls. Newlines, tabs and CRLF line
/// endings stay. Plans and messages are written by agents and people, so what orch prints from
/// them must not be able to retitle, recolour or rewrite the reader's terminal. Inside JSON
/// strings the escape means the same character, so JSON output keeps its values.
pub fn terminal_safe(text: &str) -> std::borrow::Cow<'_, str> {
    let escaped = |c: char| orch_status::is_forbidden(c) && !matches!(c, '\n' | '\t' | '\r');
    let lone_cr = |i: usize| !text[i + 1..].starts_with('\n');
    if !text
        .char_indices()
        .any(|(i, c)| escaped(c) || c == '\r' && lone_cr(i))
    {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let keep = if c == '\r' {
            chars.peek() == Some(&'\n')
        } else {
            !escaped(c)
        };
        if keep {
            out.push(c);
        } else {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::terminal_safe;

    #[test]
    fn terminal_safe_escapes_controls_and_keeps_line_structure() {
        assert!(matches!(
            terminal_safe("plain\ttext\r\nnext\n"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(
            terminal_safe("a\u{1b}[31mb\u{7}c\rd\u{202e}e\u{85}"),
            "a\\u001b[31mb\\u0007c\\u000dd\\u202ee\\u0085"
        );
        // In JSON the escape stands for the same character, so values survive.
        let value = serde_json::json!({ "d": "x\u{202e}\u{85}\u{7f}y" });
        let safe = terminal_safe(&value.to_string()).into_owned();
        assert_ne!(safe, value.to_string());
        let back: serde_json::Value = serde_json::from_str(&safe).expect("still JSON");
        assert_eq!(back, value);
    }
}

/// The shell completion script of a binary's command line.
pub fn completions(command: clap::Command, shell: clap_complete::Shell) -> String {
    let name = command.get_name().to_owned();
    // clap_complete offers hidden subcommands too; the completions get the command line
    // without them (its own arguments and the visible subcommands, which is all they use).
    let mut visible = clap::Command::new(name.clone())
        .args(command.get_arguments().cloned())
        .subcommands(
            command
                .get_subcommands()
                .filter(|s| !s.is_hide_set())
                .cloned(),
        );
    if let Some(version) = command.get_version() {
        visible = visible.version(version.to_owned());
    }
    if let Some(about) = command.get_about() {
        visible = visible.about(about.clone());
    }
    let mut command = visible;
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, name.clone(), &mut script);
    let script = String::from_utf8_lossy(&script).into_owned();
    if shell == clap_complete::Shell::Bash && name.contains('-') {
        // clap_complete's bash script names the states of a hyphenated binary one way in its
        // dispatch loop and another way in its case arms, so nothing past the subcommand ever
        // completes (clap-rs/clap#6421). Spell the arms the way the loop does.
        let arms = name.replace('-', "__subcmd__");
        let state = name.replace('-', "__");
        return script.replace(&format!("{arms}__subcmd__"), &format!("{state}__subcmd__"));
    }
    script
}

/// Writes the man pages of a binary and of each of its subcommands into `dir`.
pub fn manpages(command: clap::Command, dir: &std::path::Path) -> Result<(), CliError> {
    let io = |e: std::io::Error| {
        CliError::new(
            ErrorKind::Io,
            format!("cannot write man pages to {}: {e}", dir.display()),
        )
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    clap_mangen::generate_to(command, dir).map_err(io)
}

/// The options every orch binary takes (flattened into each binary's clap definition).
#[derive(Debug, clap::Args)]
pub struct GlobalArgs {
    /// The plan to use instead of MULTI_AGENT_PLAN.md in the main worktree.
    #[arg(long, global = true, env = "ORCH_PLAN", value_name = "FILE")]
    pub plan: Option<std::path::PathBuf>,

    /// Print machine-readable JSON (errors too, on stderr).
    #[arg(long, global = true)]
    pub json: bool,

    /// How long a writing command waits for a lock before giving up with exit 3.
    #[arg(long, global = true, value_name = "DUR", default_value = "10s", value_parser = orch_core::parse_duration)]
    pub lock_timeout: std::time::Duration,
}

/// The whole life of an orch binary: parses the command line into `C` (help and version exit
/// 0; usage errors exit 2, as JSON with `--json`), builds the [`Context`] from the global
/// options and the environment (`ORCH_AGENT_ID`, else `USER`, names the default actor), runs
/// `dispatch`, and exits with the code it returns, or renders its error on stderr with the exit
/// code of the error's kind.
pub fn main<C: clap::Parser>(
    global: impl Fn(&C) -> &GlobalArgs,
    dispatch: impl FnOnce(&C, &Context) -> Result<std::process::ExitCode, CliError>,
) -> std::process::ExitCode {
    use std::process::ExitCode;
    let report = |error: &CliError, json: bool| {
        let (text, code) = error.render(json);
        write_stderr(format_args!("{text}"));
        code
    };
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let json_requested = args.iter().any(|a| a == "--json");
    let cli = match C::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(error) if error.exit_code() == 0 => {
            // --help and --version are not errors.
            let _ = error.print();
            return ExitCode::SUCCESS;
        }
        Err(error) if json_requested => return report(&CliError::from(error), true),
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(ErrorKind::Usage.exit_code());
        }
    };
    let options = global(&cli);
    let cwd = match std::env::current_dir() {
        Ok(cwd) => cwd,
        Err(error) => {
            let error = CliError::new(
                ErrorKind::Io,
                format!("cannot read the current directory: {error}"),
            );
            return report(&error, options.json);
        }
    };
    let ctx = Context {
        cwd,
        plan_override: options.plan.clone(),
        json: options.json,
        lock_timeout: options.lock_timeout,
        command_line: command_line(&args),
        default_actor: std::env::var("ORCH_AGENT_ID")
            .or_else(|_| std::env::var("USER"))
            .ok(),
    };
    match dispatch(&cli, &ctx) {
        Ok(code) => code,
        Err(error) => report(&error, ctx.json),
    }
}
