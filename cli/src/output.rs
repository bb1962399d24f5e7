//! A command's result: one JSON document, and the lines a person reads.

use serde_json::Value;

/// `--output`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Lines for people.
    Display,
    /// One JSON document on stdout.
    Json,
    /// One JSON document on one line.
    JsonCompact,
}

/// What a command reports.
pub struct Report {
    /// The machine-readable result.
    pub json: Value,
    /// The human-readable result.
    pub text: String,
}

impl Report {
    /// A report.
    pub fn new(json: Value, text: impl Into<String>) -> Report {
        Report { json, text: text.into() }
    }

    /// Prints in `format`.
    pub fn print(&self, format: Format) {
        match format {
            Format::Display => println!("{}", self.text),
            Format::Json => println!("{}", serde_json::to_string_pretty(&self.json).unwrap_or_default()),
            Format::JsonCompact => println!("{}", self.json),
        }
    }
}

/// Left-aligned columns under a header row, two spaces apart.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let padded: Vec<String> = cells.iter().zip(&widths).map(|(cell, width)| format!("{cell:<width$}")).collect();
        padded.join("  ").trim_end().to_owned()
    };
    let mut out = vec![line(headers.to_vec())];
    out.extend(rows.iter().map(|row| line(row.iter().map(String::as_str).collect())));
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::table;

    #[test]
    fn columns_line_up() {
        let rows = vec![vec!["a".to_owned(), "long value".to_owned()], vec!["longer".to_owned(), "b".to_owned()]];
        assert_eq!(table(&["X", "Y"], &rows), "X       Y\na       long value\nlonger  b");
    }
}
