//! The `--help` text: every option laid out from the table with its default, then the
//! notes, modes and examples, wrapped to 80 columns. Knows nothing of parsing.

use crate::config::{Config, DEFAULT_PORT};

use super::options::{Opt, Section, Takes, OPTIONS};
use super::values::MAX_SECS;

/// Help lines are wrapped to this many columns.
const WIDTH: usize = 80;
/// Joins words that must stay on one line in help text (shown as a space).
const GLUE: char = '\u{1}';
/// The column option and argument descriptions start at.
const DESC_COL: usize = 28;

/// The two modes, as `MODES:` describes them.
const MODES: [(&str, &str); 2] = [
    (
        "  thread",
        "One thread per connection; the default. The fastest and lightest: what you \
         want normally.",
    ),
    (
        "  process",
        "One child process per connection, re-executing servedir. Isolation: a crash \
         affects only that connection, at the cost of starting a process per \
         connection. Useful for comparison and for isolation. Unix only (Linux, \
         macOS).",
    ),
];

/// The `--help` text: every option with its default, the modes, and examples;
/// no line is wider than 80 columns.
pub(crate) fn usage() -> String {
    let defaults = Config::default();
    let root = defaults.root.display().to_string();
    let mut out = format!(
        "servedir {}\n\
         A static-file HTTP/1.1 server: serves the files under one directory.\n\
         \n\
         USAGE:\n  servedir [OPTIONS] [ROOT]\n\
         \n\
         ARGS:\n",
        env!("CARGO_PKG_VERSION")
    );
    let root_desc = with_default("The directory to serve", &root);
    push_row(&mut out, DESC_COL, "  ROOT", &root_desc);
    for (heading, section) in [
        ("OPTIONS:", Section::Main),
        ("ADVANCED:", Section::Advanced),
    ] {
        out.push_str(&format!("\n{heading}\n"));
        for opt in OPTIONS.iter().filter(|o| o.section == section) {
            push_row(&mut out, DESC_COL, &term(opt), &description(opt, &defaults));
        }
    }
    for note in notes() {
        out.push_str("\n  ");
        push_wrapped(&mut out, 2, 2, &note);
    }
    out.push_str("\nMODES:\n");
    for (term, desc) in MODES {
        push_row(&mut out, 12, term, desc);
    }
    out.push_str("\nEXAMPLES:\n");
    for (term, desc) in examples(&root) {
        push_row(&mut out, 30, term, &desc);
    }
    out
}

/// The paragraphs after the options.
fn notes() -> [String; 2] {
    [
        format!(
            "SECS is a number of seconds greater than 0 and at most {MAX_SECS}, with up \
             to 9 digits after the dot: 2, 0.5 or 1.25 (not .5 or 2.)."
        ),
        "Options may come before or after ROOT, and are written --port 8080, \
         --port=8080, -p 8080 or -p8080. An option given twice keeps its last value, \
         except --bind, which adds an address each time (the first replacing the \
         default). '--' ends the options: what follows is ROOT."
            .to_owned(),
    ]
}

/// The examples, each a command and what it does.
fn examples(root: &str) -> [(&'static str, String); 6] {
    [
        (
            "  servedir",
            format!("Serve ./{root} at http://localhost:{DEFAULT_PORT}/"),
        ),
        (
            "  servedir ./public -p 8080",
            "Serve ./public on port 8080".to_owned(),
        ),
        (
            "  servedir . --bind 0.0.0.0",
            "Serve this directory to other machines (IPv4)".to_owned(),
        ),
        (
            "  servedir --mode process",
            format!("Serve ./{root}, a process per connection (Unix)"),
        ),
        (
            "  servedir --live --clean-urls site",
            "Work on ./site: reload on save, /about for about.html".to_owned(),
        ),
        (
            "  servedir --fault '/api/**=status:503,times:2' fixtures",
            "Fail twice, then serve (test a client's retries)".to_owned(),
        ),
    ]
}

/// `  -p, --port PORT`, or `      --mode MODE` without a short name.
fn term(opt: &Opt) -> String {
    let short = match opt.short {
        Some(letter) => format!("  -{letter}, "),
        None => " ".repeat(6),
    };
    match opt.takes {
        Takes::Value(placeholder, _) => format!("{short}{} {placeholder}", opt.long),
        Takes::Nothing(_) => format!("{short}{}", opt.long),
    }
}

/// The option's help text, with its default from `defaults` if it shows one.
fn description(opt: &Opt, defaults: &Config) -> String {
    match opt.default {
        Some(default) => with_default(opt.help, &default(defaults)),
        None => opt.help.to_owned(),
    }
}

/// `text [default: value]`, the brackets never split across lines.
fn with_default(text: &str, value: &str) -> String {
    format!(
        "{text} [default:{GLUE}{}]",
        value.replace(' ', &GLUE.to_string())
    )
}

/// Appends `words` wrapped to [`WIDTH`], every line indented by `indent` columns;
/// the first line continues `out`'s current line, which is `start` columns long.
/// Words joined by [`GLUE`] are never split.
fn push_wrapped(out: &mut String, start: usize, indent: usize, words: &str) {
    let mut col = start;
    let mut first = true;
    for word in words.split_whitespace() {
        let len = word.chars().count();
        if !first && col + 1 + len > WIDTH {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            col = indent;
            first = true;
        }
        if !first {
            out.push(' ');
            col += 1;
        }
        out.push_str(&word.replace(GLUE, " "));
        col += len;
        first = false;
    }
    out.push('\n');
}

/// Appends `term` and its `desc` in two columns, the second starting at column
/// `desc_col`; a `term` too long for the first column gets a line of its own.
fn push_row(out: &mut String, desc_col: usize, term: &str, desc: &str) {
    out.push_str(term);
    let mut col = term.chars().count();
    if col + 2 > desc_col {
        out.push('\n');
        col = 0;
    }
    out.push_str(&" ".repeat(desc_col - col));
    push_wrapped(out, desc_col, desc_col, desc);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::options::CHILD_FLAG;

    /// The whole `--help` text, byte for byte: pinned before the restructure of issue 13
    /// so that deriving it from the option table provably changed nothing.
    #[test]
    fn usage_is_exactly_the_pinned_text() {
        let pinned = include_str!("help.golden.txt");
        let expected = pinned.replacen("VERSION", env!("CARGO_PKG_VERSION"), 1);
        assert_eq!(usage(), expected);
    }

    #[test]
    fn usage_is_complete_and_fits_80_columns() {
        let text = usage();
        for line in text.lines() {
            assert!(line.chars().count() <= WIDTH, "too wide: {line:?}");
            assert_eq!(line, line.trim_end(), "trailing space: {line:?}");
        }
        for spec in OPTIONS.iter().filter(|o| o.section != Section::Hidden) {
            assert!(text.contains(spec.long), "{} missing", spec.long);
            if let Some(c) = spec.short {
                assert!(
                    text.contains(&format!("-{c}, {}", spec.long)),
                    "-{c} missing"
                );
            }
        }
        assert!(!text.contains(CHILD_FLAG));
        assert!(!text.contains(GLUE));
        for needle in [
            "USAGE:",
            "ROOT",
            "OPTIONS:",
            "ADVANCED:",
            "MODES:",
            "EXAMPLES:",
            "[default: 7890]",
            "[default: html]",
            "[default: 10000 threads, 256 processes]",
            "[default: 10]",
            "[default: 5]",
            "[default: 30]",
            "[default: 8192]",
            "[default: 100]",
            "[default: 65536]",
            "ulimit -n",
            "0.0.0.0 or ::",
            "servedir ./public -p 8080",
            "servedir . --bind 0.0.0.0",
            "servedir --mode process",
            env!("CARGO_PKG_VERSION"),
        ] {
            assert!(text.contains(needle), "usage lacks {needle:?}");
        }
        // The advanced options come after their heading.
        let advanced = text.find("ADVANCED:").unwrap_or(usize::MAX);
        assert!(text.find("--max-head-bytes").is_some_and(|i| i > advanced));
    }
}
