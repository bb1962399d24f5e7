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
