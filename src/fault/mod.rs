//! Faults on demand: [`Fault`], a rule that makes the server misbehave for matching
//! paths (a forced status, a delay, a throttled or cut body, a dropped or stalled
//! connection), built in code or parsed from the command line's `GLOB=ACTION[,ACTION...]`.
//!
//! One rule type and one check for both ways in (`parse.rs` reads the text, `glob.rs`
//! matches paths); the rules a running server applies and their fire counts are
//! `state.rs`, process mode's channel to them `control.rs`. Nothing here touches a
//! socket but `control.rs`; applying a fault to a connection is `connection/`'s job.

pub(crate) mod control;
mod glob;
mod parse;
pub(crate) mod state;

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::units::format_secs;

/// Longest `delay` a rule may ask for: a day, as for every other number of seconds.
const MAX_DELAY: Duration = Duration::from_secs(86_400);

/// A fault rule: for requests whose decoded path matches a glob, the server misbehaves
/// as told, so a test can check how its client copes.
///
/// The glob's `*` matches within one path segment and `**` across segments
/// (`/api/*.json`, `/downloads/**`, `**`). Of a server's rules, the first one that
/// matches applies; a rule limited by [`times`](Fault::times) that has fired that often no
/// longer matches, so the request goes on to the next rule, or is served normally.
///
/// The text form is the command line's (`--fault`): [`Fault::parse`] reads it and
/// `Display` writes it, so a rule built in code means exactly what its text means.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use servedir::Fault;
///
/// // Fail twice with 503 (and Retry-After: 1), then serve the file.
/// let flaky = Fault::on("/data.json").status(503).times(2);
/// assert_eq!(flaky.to_string(), "/data.json=status:503,times:2");
/// assert_eq!(Fault::parse("/data.json=status:503,times:2")?, flaky);
///
/// // A slow link: half a second before the head, then 64 KiB/s.
/// let slow = Fault::parse("/downloads/**=delay:0.5,throttle:64k")?;
/// assert_eq!(slow, Fault::on("/downloads/**").delay(Duration::from_millis(500)).throttle(65_536));
/// assert!(slow.matches("/downloads/big/file.bin"));
///
/// // Malformed rules are refused with what is wrong.
/// let err = Fault::parse("/x=status:200").unwrap_err();
/// assert_eq!(err.to_string(), "invalid fault rule '/x=status:200': status:200: expected a status from 400 to 599");
/// # Ok::<(), servedir::FaultError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    glob: String,
    pub(crate) answer: Answer,
    pub(crate) times: Option<u64>,
    pub(crate) delay: Option<Duration>,
    pub(crate) throttle: Option<u64>,
    pub(crate) cut: Option<u64>,
}

/// What a matching request gets instead of its normal answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    /// The normal response (shaped by delay, throttle, cut).
    Serve,
    /// This status and a short page instead of the file.
    Status(u16),
    /// Read the request, then close without a word.
    Drop,
    /// Read the request, then send nothing until the client gives up.
    Stall,
}

impl Fault {
    /// A rule for paths matching `glob` that does nothing yet: add actions to it.
    pub fn on(glob: impl Into<String>) -> Fault {
        Fault {
            glob: glob.into(),
            answer: Answer::Serve,
            times: None,
            delay: None,
            throttle: None,
            cut: None,
        }
    }

    /// Answer with this status (4xx or 5xx) and a short page instead of the file; `503`
    /// and `429` carry `Retry-After: 1`. (`status:CODE`)
    pub fn status(mut self, code: u16) -> Fault {
        self.answer = Answer::Status(code);
        self
    }

    /// Apply to the first `n` matching requests only, counted across all connections
    /// (in both modes). (`times:N`)
    pub fn times(mut self, n: u64) -> Fault {
        self.times = Some(n);
        self
    }

    /// Wait this long before sending the response head. (`delay:SECS`)
    pub fn delay(mut self, delay: Duration) -> Fault {
        self.delay = Some(delay);
        self
    }

    /// Send the response at most this many bytes per second on its connection, smoothly.
    /// (`throttle:RATE`)
    pub fn throttle(mut self, bytes_per_second: u64) -> Fault {
        self.throttle = Some(bytes_per_second);
        self
    }

    /// Send the head with the true `Content-Length`, then close after this many body
    /// bytes. (`cut:BYTES`)
    pub fn cut(mut self, body_bytes: u64) -> Fault {
        self.cut = Some(body_bytes);
        self
    }

    /// Read the request, then close the connection without answering. (`drop`)
    pub fn drop_connection(mut self) -> Fault {
        self.answer = Answer::Drop;
        self
    }

    /// Read the request, then send nothing and hold the connection until the client
    /// gives up, or for at most the write timeout (`Limits::write_timeout`), or until
    /// the server shuts down. (`stall`)
    pub fn stall(mut self) -> Fault {
        self.answer = Answer::Stall;
        self
    }

    /// Reads a rule in the command line's syntax, `GLOB=ACTION[,ACTION...]`.
    ///
    /// # Errors
    /// A [`FaultError`] naming the rule and what is wrong with it.
    pub fn parse(rule: &str) -> Result<Fault, FaultError> {
        parse::rule(rule).map_err(|why| FaultError {
            rule: rule.to_owned(),
            why,
        })
    }

    /// Whether this rule's glob matches `path`, a decoded request path (`/a b/c.json`).
    pub fn matches(&self, path: &str) -> bool {
        glob::matches(&self.glob, path)
    }

    /// Checks what the builder cannot: the same rules the parser applies.
    ///
    /// # Errors
    /// What is wrong with the rule, for a [`FaultError`].
    pub(crate) fn check(&self) -> Result<(), String> {
        glob::check(&self.glob)?;
        if let Answer::Status(code) = self.answer {
            if !(400..=599).contains(&code) {
                return Err(format!("status:{code}: expected a status from 400 to 599"));
            }
        }
        if self.times == Some(0) {
            return Err("times:0: expected a whole number of at least 1".into());
        }
        if let Some(d) = self.delay.filter(|d| d.is_zero() || *d > MAX_DELAY) {
            return Err(format!(
                "delay:{}: expected seconds greater than 0 and at most 86400",
                format_secs(d)
            ));
        }
        if self.throttle == Some(0) {
            return Err("throttle:0: expected a rate of at least 1 byte per second".into());
        }
        let shaped = self.delay.is_some() || self.throttle.is_some() || self.cut.is_some();
        match self.answer {
            Answer::Drop | Answer::Stall if shaped => Err(format!(
                "{} sends nothing, so it cannot be combined with delay, throttle or cut",
                self.answer_word()
            )),
            Answer::Serve if !shaped => {
                Err("expected an action: status, delay, throttle, cut, drop or stall".into())
            }
            _ => Ok(()),
        }
    }

    /// The action word of the answer, as written in a rule.
    fn answer_word(&self) -> String {
        match self.answer {
            Answer::Serve => String::new(),
            Answer::Status(code) => format!("status:{code}"),
            Answer::Drop => "drop".into(),
            Answer::Stall => "stall".into(),
        }
    }
}

impl fmt::Display for Fault {
    /// The rule in the command line's syntax, which [`Fault::parse`] reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut actions = Vec::new();
        if self.answer != Answer::Serve {
            actions.push(self.answer_word());
        }
        if let Some(d) = self.delay {
            actions.push(format!("delay:{}", format_secs(d)));
        }
        if let Some(rate) = self.throttle {
            actions.push(format!("throttle:{rate}"));
        }
        if let Some(n) = self.cut {
            actions.push(format!("cut:{n}"));
        }
        if let Some(n) = self.times {
            actions.push(format!("times:{n}"));
        }
        write!(f, "{}={}", self.glob, actions.join(","))
    }
}

impl FromStr for Fault {
    type Err = FaultError;

    fn from_str(rule: &str) -> Result<Fault, FaultError> {
        Fault::parse(rule)
    }
}

/// A fault rule that cannot be used: which rule, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultError {
    rule: String,
    why: String,
}

impl FaultError {
    /// A rule built in code that [`Fault::check`] refuses.
    pub(crate) fn of(fault: &Fault, why: String) -> FaultError {
        FaultError {
            rule: fault.to_string(),
            why,
        }
    }

    /// What is wrong, without the rule (the command line quotes the rule itself).
    pub(crate) fn why(&self) -> &str {
        &self.why
    }
}

impl fmt::Display for FaultError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid fault rule '{}': {}", self.rule, self.why)
    }
}

impl std::error::Error for FaultError {}

impl From<FaultError> for std::io::Error {
    fn from(e: FaultError) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string())
    }
}

/// The command line's `--throttle` and `--delay`: actions for every request.
#[derive(Debug, Default)]
pub(crate) struct Shortcuts {
    /// `--throttle RATE`.
    pub(crate) throttle: Option<u64>,
    /// `--delay SECS`.
    pub(crate) delay: Option<Duration>,
}

impl Shortcuts {
    /// Adds the shortcuts to every rule that sends a response and lacks its own, then a
    /// last rule `**` with them, so they apply to every request, whichever rule fires.
    pub(crate) fn apply(&self, rules: &mut Option<Vec<Fault>>) {
        if self.throttle.is_none() && self.delay.is_none() {
            return;
        }
        let rules = rules.get_or_insert_with(Vec::new);
        for rule in rules
            .iter_mut()
            .filter(|r| !matches!(r.answer, Answer::Drop | Answer::Stall))
        {
            rule.throttle = rule.throttle.or(self.throttle);
            rule.delay = rule.delay.or(self.delay);
        }
        rules.push(Fault {
            throttle: self.throttle,
            delay: self.delay,
            ..Fault::on("**")
        });
    }
}

/// Checks every rule of a list, as `Server::bind` and `ServerHandle::set_faults` do.
///
/// # Errors
/// The first rule that cannot be used.
pub(crate) fn check_all(rules: &[Fault]) -> Result<(), FaultError> {
    for rule in rules {
        rule.check().map_err(|why| FaultError::of(rule, why))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `--throttle` and `--delay` join every rule that answers, unless it has its own,
    /// and a last `**` rule carries them to every other request.
    #[test]
    fn shortcuts_join_every_rule_that_answers() {
        let shortcuts = Shortcuts {
            throttle: Some(1000),
            delay: Some(Duration::from_secs(1)),
        };
        let mut rules = Some(vec![
            Fault::on("/a").status(503),
            Fault::on("/b").throttle(5),
            Fault::on("/c").stall(),
        ]);
        shortcuts.apply(&mut rules);
        let text: Vec<String> = rules.iter().flatten().map(Fault::to_string).collect();
        assert_eq!(
            text,
            [
                "/a=status:503,delay:1,throttle:1000",
                "/b=delay:1,throttle:5",
                "/c=stall",
                "**=delay:1,throttle:1000"
            ]
        );
        let mut none = None;
        Shortcuts::default().apply(&mut none);
        assert_eq!(none, None);
    }
}
