//! What `orch.toml` says about worktrees, with the defaults for a repository without one.

use std::path::Path;

use orch_plan::spec::{
    DEFAULT_BASE, DEFAULT_BRANCH_PREFIX, DEFAULT_WORKTREE_ROOT, REPO_PLACEHOLDER, SPEC_FILE, Spec,
};

use crate::error::{Error, Result};

/// The settings of `orch.toml` that orch-worktree uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The base branch (`[project] base`, default `main`).
    pub base: String,
    /// Where worktrees go, `{repo}` included (`[project] worktree_root`).
    pub worktree_root: String,
    /// The prefix of derived branch names (`[project] branch_prefix`).
    pub branch_prefix: String,
    /// Whether new branches start from the Completed dependencies (`[worktree] base_from =
    /// "dependencies"`).
    pub from_dependencies: bool,
    /// Ignored files copied from the main worktree into each new worktree.
    pub copy: Vec<String>,
    /// Commands (argv lists) run in each new worktree.
    pub setup: Vec<Vec<String>>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            base: DEFAULT_BASE.to_owned(),
            worktree_root: DEFAULT_WORKTREE_ROOT.to_owned(),
            branch_prefix: DEFAULT_BRANCH_PREFIX.to_owned(),
            from_dependencies: false,
            copy: Vec::new(),
            setup: Vec::new(),
        }
    }
}

impl Config {
    /// The settings of a checked spec.
    pub fn from_spec(spec: &Spec) -> Config {
        Config {
            base: spec.project.base().to_owned(),
            worktree_root: spec.project.worktree_root().to_owned(),
            branch_prefix: spec.project.branch_prefix().to_owned(),
            from_dependencies: spec.worktree.base_from_dependencies(),
            copy: spec
                .worktree
                .copy
                .iter()
                .map(|c| c.get_ref().trim().to_owned())
                .collect(),
            setup: spec
                .worktree
                .setup
                .iter()
                .map(|argv| argv.get_ref().clone())
                .collect(),
        }
    }

    /// Reads `orch.toml` at the root of the main worktree; without one, the defaults.
    pub fn load(main_root: &Path) -> Result<Config> {
        let file = main_root.join(SPEC_FILE);
        match std::fs::read_to_string(&file) {
            Ok(text) => Spec::parse(&file, &text)
                .map(|spec| Config::from_spec(&spec))
                .map_err(Error::Spec),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(source) => Err(Error::Io {
                what: "cannot read the spec".to_owned(),
                path: file,
                source,
            }),
        }
    }

    /// The worktree root with `{repo}` replaced by the main worktree's directory name.
    pub fn worktree_root_for(&self, repo_name: &str) -> String {
        self.worktree_root.replace(REPO_PLACEHOLDER, repo_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_without_a_spec() {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = Config::load(dir.path()).expect("no spec is fine");
        assert_eq!(config, Config::default());
        assert_eq!(config.worktree_root_for("auth"), "../auth-worktrees");
        assert_eq!(config.branch_prefix, "feature/");
        assert_eq!(config.base, "main");
    }

    #[test]
    fn reads_the_spec() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join("orch.toml"),
            "[project]\nname = \"x\"\nbase = \"trunk\"\nworktree_root = \"../wt\"\nbranch_prefix = \"t/\"\n\n[[task]]\nid = \"T1\"\ndescription = \"d\"\nagent = \"A\"\n\n[worktree]\ncopy = [\".env\"]\nsetup = [[\"true\"]]\nbase_from = \"dependencies\"\n",
        )
        .expect("write");
        let config = Config::load(dir.path()).expect("valid");
        assert_eq!(config.base, "trunk");
        assert_eq!(config.worktree_root_for("r"), "../wt");
        assert_eq!(config.branch_prefix, "t/");
        assert!(config.from_dependencies);
        assert_eq!(config.copy, [".env"]);
        assert_eq!(config.setup, [vec!["true".to_owned()]]);
    }

    #[test]
    fn an_invalid_spec_is_an_error_with_its_place() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("orch.toml"), "[project]\nname = 1\n").expect("write");
        match Config::load(dir.path()) {
            Err(Error::Spec(diagnostics)) => assert_eq!(diagnostics.0[0].line, Some(2)),
            other => panic!("expected a spec error, got {other:?}"),
        }
    }
}
