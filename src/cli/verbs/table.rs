//! systemctl's tables: an upper-case header, columns as wide as their widest
//! cell, one space between columns, left-aligned cells, and no padding after
//! the last column.

/// A table of text cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    show_header: bool,
}

impl Table {
    /// A table with these column names (shown upper-cased, as systemd's
    /// tables print their headers).
    pub(crate) fn new(columns: &[&str]) -> Table {
        Table {
            header: columns.iter().map(|c| c.to_uppercase()).collect(),
            rows: Vec::new(),
            show_header: true,
        }
    }

    /// Leaves the header out (`--no-legend`).
    pub(crate) fn hide_header(&mut self) {
        self.show_header = false;
    }

    /// Adds a row; it must have one cell per column.
    pub(crate) fn push(&mut self, row: Vec<String>) {
        debug_assert_eq!(row.len(), self.header.len(), "one cell per column");
        self.rows.push(row);
    }

    /// The number of rows, the header aside.
    pub(crate) fn len(&self) -> usize {
        self.rows.len()
    }

    /// The table as text, one line per row, each ending in a newline.
    pub(crate) fn render(&self) -> String {
        let lines: Vec<&Vec<String>> = self
            .show_header
            .then_some(&self.header)
            .into_iter()
            .chain(&self.rows)
            .collect();
        let columns = self.header.len();
        let widths: Vec<usize> = (0..columns)
            .map(|i| lines.iter().map(|row| width(&row[i])).max().unwrap_or(0))
            .collect();
        let mut out = String::new();
        for row in lines {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                if i > 0 {
                    line.push(' ');
                }
                line.push_str(cell);
                if i + 1 < columns {
                    line.extend(std::iter::repeat_n(' ', widths[i] - width(cell)));
                }
            }
            // systemd drops the padding of the last column; an empty last
            // cell leaves the separator's space, which goes too.
            out.push_str(line.trim_end_matches(' '));
            out.push('\n');
        }
        out
    }
}

/// Display width in columns: one per character (the glyphs sundial prints,
/// ● ○ × ↻ ├ └ │, are one column wide).
pub(crate) fn width(s: &str) -> usize {
    s.chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| (*c).to_owned()).collect()
    }

    #[test]
    fn columns_are_as_wide_as_their_widest_cell_and_the_last_is_not_padded() {
        let mut t = Table::new(&["unit", "load", "description"]);
        t.push(row(&["a.service", "loaded", "A"]));
        t.push(row(&["bb.timer", "not-found", "Bee timer"]));
        assert_eq!(
            t.render(),
            "UNIT      LOAD      DESCRIPTION\n\
             a.service loaded    A\n\
             bb.timer  not-found Bee timer\n"
        );
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn header_only_and_hidden_header() {
        let t = Table::new(&["next", "left"]);
        assert_eq!(t.render(), "NEXT LEFT\n");
        let mut t = Table::new(&["a", "b"]);
        t.hide_header();
        t.push(row(&["●", ""]));
        t.push(row(&["xyz", "1"]));
        assert_eq!(t.render(), "●\nxyz 1\n");
    }
}
