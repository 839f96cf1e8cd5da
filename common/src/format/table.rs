//! Borderless, left-aligned text tables in the spirit of the classic tools' output.

use std::io::{self, Write};

use comfy_table::presets::NOTHING;
use comfy_table::{Cell, CellAlignment, ContentArrangement, Table};

use crate::record::{Align, Tabular};

/// Builds the table for `rows` (headers from `T`), without writing it.
#[must_use]
pub fn build_table<T: Tabular>(rows: &[T]) -> Table {
    let mut table = Table::new();
    table
        .load_style(NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(T::columns().iter().map(|c| Cell::new(c.name)));
    for row in rows {
        table.add_row(row.cells());
    }
    for (index, column) in T::columns().iter().enumerate() {
        if let Some(col) = table.column_mut(index) {
            col.set_cell_alignment(match column.align {
                Align::Left => CellAlignment::Left,
                Align::Right => CellAlignment::Right,
            });
            // One space between columns, none at the edges.
            col.set_padding((0, 1));
        }
    }
    table
}

/// Writes `rows` as a borderless table with one header line; trailing spaces are trimmed.
///
/// # Errors
/// Writing to `out` fails.
pub fn render_table<T: Tabular>(rows: &[T], out: &mut impl Write) -> io::Result<()> {
    for line in build_table(rows).lines() {
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Column;

    struct Row(&'static str, u32);

    impl Tabular for Row {
        fn columns() -> &'static [Column] {
            const COLUMNS: &[Column] = &[Column::left("host"), Column::right("stratum")];
            COLUMNS
        }

        fn cells(&self) -> Vec<String> {
            vec![self.0.to_owned(), self.1.to_string()]
        }
    }

    #[test]
    fn renders_aligned_columns_without_borders() {
        let mut out = Vec::new();
        render_table(&[Row("ntp1", 1), Row("ntp3.lab", 13)], &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "host     stratum\nntp1           1\nntp3.lab      13\n"
        );
    }
}
