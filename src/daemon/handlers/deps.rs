//! `list-dependencies [--reverse]`: the tree of Requires=, Requisite=,
//! Wants= and BindsTo= (with `.wants/`/`.requires/` links), or of the units
//! that have this one in theirs. As systemctl does, only targets are expanded
//! below the first level (`--all` is the client's business).

use std::collections::BTreeSet;

use super::unit_name;
use crate::daemon::state::State;
use crate::ipc::types::DependencyNode;
use crate::ipc::Response;
use crate::unit::UnitSection;

fn forward(section: &UnitSection) -> Vec<String> {
    let mut out: Vec<String> = section
        .dependencies
        .requires
        .iter()
        .chain(&section.dependencies.requisite)
        .chain(&section.dependencies.wants)
        .chain(&section.dependencies.binds_to)
        .map(|n| n.as_str().to_owned())
        .collect();
    out.sort();
    out.dedup();
    out
}

fn children(state: &State, name: &str, reverse: bool) -> Vec<String> {
    if !reverse {
        return state
            .units
            .get(name)
            .map(|u| forward(u.unit_section()))
            .unwrap_or_default();
    }
    state
        .units
        .loaded
        .units
        .values()
        .filter(|u| forward(u.unit_section()).iter().any(|d| d == name))
        .map(|u| u.name().as_str().to_owned())
        .collect()
}

fn node(
    state: &State,
    name: &str,
    reverse: bool,
    depth: usize,
    path: &mut BTreeSet<String>,
) -> DependencyNode {
    let expand = depth == 0 || name.ends_with(".target");
    let mut kids = Vec::new();
    // A unit already on the path from the root would repeat forever.
    if expand && depth < 16 && path.insert(name.to_owned()) {
        for child in children(state, name, reverse) {
            kids.push(node(state, &child, reverse, depth + 1, path));
        }
        path.remove(name);
    }
    DependencyNode {
        unit: name.to_owned(),
        active_state: state.active_state(name).0.to_string(),
        children: kids,
    }
}

/// Answers `list-dependencies`.
pub fn list_dependencies(state: &State, unit: &str, reverse: bool) -> Response {
    // A unit that does not exist depends on nothing: systemctl prints its
    // name alone, as it does for default.target where no file defines it.
    let name = unit_name(unit);
    let name = state.units.canonical(&name).to_owned();
    Response::Dependencies {
        tree: node(state, &name, reverse, 0, &mut BTreeSet::new()),
    }
}
