//! `sundial list-dependencies [--reverse] [--all] [UNIT]`: the tree of what a
//! unit pulls in (or, reversed, what pulls it in), drawn as systemctl draws it.

use crate::ipc::ListDependenciesRequest;
use std::process::ExitCode;

use super::{
    mangle_unit_name, print_json, print_text, report_error, state_glyph, unexpected, Connection,
    Output,
};
use crate::ipc::types::DependencyNode;
use crate::ipc::{Request, Response};

const EXAMPLES: &str = "Examples:\n  \
    $ sundial list-dependencies timers.target\n  \
    timers.target\n  \
    ● ├─backup.timer\n  \
    ○ └─cleanup.timer\n  \
    $ sundial list-dependencies --reverse backup.service\n  \
    $ sundial list-dependencies --all -o json default.target";

/// Arguments of `sundial list-dependencies`.
#[derive(Debug, clap::Args)]
#[command(
    about = "Show the dependency tree of a unit",
    long_about = "Show the units a unit requires or wants, recursively, as a tree with the \
                  state of each (● active, ○ inactive, × failed); with --reverse, the units that \
                  require or want it. Only targets are expanded unless --all is given, as \
                  systemctl does.",
    after_long_help = EXAMPLES
)]
pub struct Args {
    /// Show the units that depend on the unit instead.
    #[arg(long)]
    pub reverse: bool,
    /// Expand every unit, not only targets.
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = Output::Short)]
    pub output: Output,
    /// The unit (default: default.target).
    #[arg(value_name = "UNIT", default_value = "default.target")]
    pub unit: String,
    #[command(flatten)]
    pub connection: Connection,
}

/// Runs `sundial list-dependencies`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let request = Request::ListDependencies(ListDependenciesRequest {
        unit: mangle_unit_name(&args.unit),
        reverse: args.reverse,
    });
    let tree = match args.connection.call(&request)? {
        Response::Dependencies { tree } => tree,
        Response::Error { code, message } => return Ok(report_error(code, &message)),
        other => return Err(unexpected("list-dependencies", &other)),
    };
    let tree = prune(tree, args.all, true);
    if args.output.is_json() {
        print_json(args.output, &tree)?;
    } else {
        print_text(&format_tree(&tree))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// systemctl's shape of the tree: children sorted by name with targets
/// last, and below the root only targets expanded unless `all`.
pub fn prune(mut node: DependencyNode, all: bool, root: bool) -> DependencyNode {
    let expand = root || all || node.unit.ends_with(".target");
    if !expand {
        node.children.clear();
        return node;
    }
    node.children.sort_by(|a, b| {
        let key = |n: &DependencyNode| (n.unit.ends_with(".target"), n.unit.to_ascii_lowercase());
        key(a).cmp(&key(b))
    });
    node.children = node
        .children
        .into_iter()
        .map(|child| prune(child, all, false))
        .collect();
    node
}

/// The root's name, then one line per dependency: its state glyph, the
/// branches of its ancestors (`│ ` or two spaces), `├─` or `└─`, its name.
pub fn format_tree(root: &DependencyNode) -> String {
    let mut out = format!("{}\n", root.unit);
    let mut branches = String::new();
    draw(&root.children, &mut branches, &mut out);
    out
}

fn draw(children: &[DependencyNode], branches: &mut String, out: &mut String) {
    for (i, child) in children.iter().enumerate() {
        let last = i + 1 == children.len();
        out.push_str(&format!(
            "{} {branches}{}{}\n",
            state_glyph(&child.active_state),
            if last { "└─" } else { "├─" },
            child.unit
        ));
        let len = branches.len();
        branches.push_str(if last { "  " } else { "│ " });
        draw(&child.children, branches, out);
        branches.truncate(len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(unit: &str, state: &str, children: Vec<DependencyNode>) -> DependencyNode {
        DependencyNode {
            unit: unit.into(),
            active_state: state.into(),
            children,
        }
    }

    fn tree() -> DependencyNode {
        node(
            "default.target",
            "active",
            vec![
                node(
                    "timers.target",
                    "active",
                    vec![
                        node("cleanup.timer", "inactive", vec![]),
                        node(
                            "backup.timer",
                            "active",
                            vec![node("backup.service", "failed", vec![])],
                        ),
                    ],
                ),
                node(
                    "web.service",
                    "active",
                    vec![node("db.service", "active", vec![])],
                ),
            ],
        )
    }

    #[test]
    fn tree_like_systemctl() {
        assert_eq!(
            format_tree(&prune(tree(), false, true)),
            "default.target\n\
             ● ├─web.service\n\
             ● └─timers.target\n\
             ●   ├─backup.timer\n\
             ○   └─cleanup.timer\n"
        );
        assert_eq!(
            format_tree(&prune(tree(), true, true)),
            "default.target\n\
             ● ├─web.service\n\
             ● │ └─db.service\n\
             ● └─timers.target\n\
             ●   ├─backup.timer\n\
             ×   │ └─backup.service\n\
             ○   └─cleanup.timer\n"
        );
    }

    #[test]
    fn a_non_target_root_is_expanded() {
        let t = node(
            "web.service",
            "active",
            vec![node("db.service", "inactive", vec![])],
        );
        assert_eq!(
            format_tree(&prune(t, false, true)),
            "web.service\n○ └─db.service\n"
        );
    }
}
