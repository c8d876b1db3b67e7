//! `sundial analyze dot [PATTERN...]`: the dependency graph of the unit
//! files in Graphviz's language, coloured as `systemd-analyze dot` colours
//! it (Requires= black, Requisite= dark blue, Wants= grey, Conflicts= red,
//! After= green), with OnFailure=/OnSuccess= hooks, which systemd leaves
//! out, in orange. Read from the unit files, no daemon needed.

use std::collections::BTreeSet;
use std::fmt::Write;

use crate::daemon::handlers::glob_match;
use crate::unit::{LoadedUnits, UnitName, UnitSection};

/// Which edges to draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Kinds {
    /// All of them.
    #[default]
    All,
    /// After= only (`--order`).
    Order,
    /// Requires=, Requisite=, Wants=, Conflicts= only (`--require`).
    Require,
}

/// What to draw.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Edges with either end matching one of these (none: every edge).
    pub patterns: Vec<String>,
    /// Edges starting at a unit matching one of these (`--from-pattern`).
    pub from: Vec<String>,
    /// Edges ending at a unit matching one of these (`--to-pattern`).
    pub to: Vec<String>,
    pub kinds: Kinds,
}

/// One kind of edge: its colour and whether it is an ordering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Edge {
    After,
    Requires,
    Requisite,
    Wants,
    Conflicts,
    Hook,
}

impl Edge {
    fn colour(self) -> &'static str {
        match self {
            Edge::After => "green",
            Edge::Requires => "black",
            Edge::Requisite => "darkblue",
            Edge::Wants => "grey66",
            Edge::Conflicts => "red",
            Edge::Hook => "orange",
        }
    }

    fn drawn(self, kinds: Kinds) -> bool {
        match kinds {
            Kinds::All => true,
            Kinds::Order => self == Edge::After,
            Kinds::Require => !matches!(self, Edge::After | Edge::Hook),
        }
    }
}

/// The legend `systemd-analyze dot` prints on stderr, with the hooks.
pub const LEGEND: &str = "   Color legend: black     = Requires\n                 dark blue = Requisite\n                 dark grey = Wants\n                 red       = Conflicts\n                 green     = After\n                 orange    = OnFailure/OnSuccess\n";

fn matches_any(patterns: &[String], name: &str) -> bool {
    patterns.iter().any(|p| glob_match(p, name))
}

/// The graph of the loaded units.
pub fn graph_of(units: &LoadedUnits, selection: &Selection) -> String {
    graph(
        units
            .units
            .iter()
            .map(|(name, unit)| (name.as_str(), unit.unit_section())),
        selection,
    )
}

/// The graph of units given by name and `[Unit]` section.
pub fn graph<'a>(
    units: impl IntoIterator<Item = (&'a str, &'a UnitSection)>,
    selection: &Selection,
) -> String {
    let mut edges: BTreeSet<(String, String, Edge)> = BTreeSet::new();
    let mut add = |from: &str, to: &UnitName, edge: Edge| {
        edges.insert((from.to_owned(), to.as_str().to_owned(), edge));
    };
    for (name, s) in units {
        for to in s.dependencies.after.iter() {
            add(name, to, Edge::After);
        }
        for to in s
            .dependencies
            .requires
            .iter()
            .chain(s.dependencies.binds_to.iter())
        {
            add(name, to, Edge::Requires);
        }
        for to in s.dependencies.requisite.iter() {
            add(name, to, Edge::Requisite);
        }
        for to in s.dependencies.wants.iter() {
            add(name, to, Edge::Wants);
        }
        for to in s.dependencies.conflicts.iter() {
            add(name, to, Edge::Conflicts);
        }
        for to in s
            .dependencies
            .on_failure
            .iter()
            .chain(s.dependencies.on_success.iter())
        {
            add(name, to, Edge::Hook);
        }
        // Before= is the other unit's After=, as the manager shows it.
        for before in s.dependencies.before.iter() {
            let name = UnitName::parse(name).ok();
            if let Some(name) = &name {
                add(before.as_str(), name, Edge::After);
            }
        }
    }
    let mut out = String::from("digraph sundial {\n");
    for (from, to, edge) in &edges {
        if !edge.drawn(selection.kinds) {
            continue;
        }
        if !selection.patterns.is_empty()
            && !matches_any(&selection.patterns, from)
            && !matches_any(&selection.patterns, to)
        {
            continue;
        }
        if !selection.from.is_empty() && !matches_any(&selection.from, from) {
            continue;
        }
        if !selection.to.is_empty() && !matches_any(&selection.to, to) {
            continue;
        }
        let _ = writeln!(
            out,
            "\t{}->{} [color=\"{}\"];",
            quoted(from),
            quoted(to),
            edge.colour()
        );
    }
    out.push_str("}\n");
    out
}

/// A node name in double quotes, with `"` and `\` escaped.
fn quoted(name: &str) -> String {
    let mut q = String::with_capacity(name.len() + 2);
    q.push('"');
    for c in name.chars() {
        if matches!(c, '"' | '\\') {
            q.push('\\');
        }
        q.push(c);
    }
    q.push('"');
    q
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::unit::test_text::service;
    use crate::unit::ServiceUnit;

    fn units() -> Vec<Arc<ServiceUnit>> {
        [
            (
                "web.service",
                "[Unit]\nRequires=db.service\nWants=cache.service\nAfter=db.service\nOnFailure=alert.service\nConflicts=old.service\n[Service]\nExecStart=/bin/true\n",
            ),
            ("db.service", "[Unit]\nBefore=backup.service\n[Service]\nExecStart=/bin/true\n"),
            ("backup.service", "[Service]\nExecStart=/bin/true\n"),
        ]
        .iter()
        .map(|(name, text)| service(name, text).0.expect("loads"))
        .collect()
    }

    fn draw(selection: &Selection) -> String {
        let units = units();
        graph(units.iter().map(|u| (u.name.as_str(), &u.unit)), selection)
    }

    #[test]
    fn every_kind_of_edge_has_its_colour_and_before_is_turned_around() {
        let g = draw(&Selection::default());
        for line in [
            "\t\"web.service\"->\"db.service\" [color=\"black\"];",
            "\t\"web.service\"->\"db.service\" [color=\"green\"];",
            "\t\"web.service\"->\"cache.service\" [color=\"grey66\"];",
            "\t\"web.service\"->\"old.service\" [color=\"red\"];",
            "\t\"web.service\"->\"alert.service\" [color=\"orange\"];",
            "\t\"backup.service\"->\"db.service\" [color=\"green\"];",
        ] {
            assert!(g.lines().any(|l| l == line), "missing {line:?} in\n{g}");
        }
        assert!(g.starts_with("digraph sundial {\n") && g.ends_with("}\n"));
    }

    #[test]
    fn patterns_and_kinds_select_edges() {
        let order = draw(&Selection {
            kinds: Kinds::Order,
            ..Selection::default()
        });
        assert!(
            order
                .lines()
                .skip(1)
                .take_while(|l| *l != "}")
                .all(|l| l.contains("green")),
            "{order}"
        );
        let require = draw(&Selection {
            kinds: Kinds::Require,
            ..Selection::default()
        });
        assert!(
            !require.contains("green") && !require.contains("orange"),
            "{require}"
        );
        let backup = draw(&Selection {
            patterns: vec!["back*".into()],
            ..Selection::default()
        });
        assert_eq!(backup.lines().count(), 3, "{backup}");
        let to_db = draw(&Selection {
            to: vec!["db.service".into()],
            ..Selection::default()
        });
        assert_eq!(to_db.lines().count(), 5, "{to_db}");
    }
}
