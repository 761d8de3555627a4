//! Reading a fault rule in the command line's syntax, `GLOB=ACTION[,ACTION...]`, into a
//! [`Fault`]: the one parser for `--fault`, the library's `Fault::parse` and process
//! mode's children. Pure; what a rule means is checked once, by `Fault::check`.

use super::{Answer, Fault};
use crate::units::{parse_rate, parse_secs, parse_whole};

/// What every rule must look like, for error messages.
const SHAPE: &str = "expected GLOB=ACTION[,ACTION...], like '/data.json=status:503,times:2'";
/// The actions there are, for error messages.
const ACTIONS: &str = "expected status:CODE, times:N, delay:SECS, throttle:RATE, cut:BYTES, \
                       drop or stall";

/// Reads one rule; the error says what is wrong (the caller names the rule).
pub(super) fn rule(text: &str) -> Result<Fault, String> {
    // The last `=`: actions never hold one, a path may.
    let (glob, actions) = text.rsplit_once('=').ok_or_else(|| SHAPE.to_owned())?;
    let mut fault = Fault::on(glob);
    if actions.is_empty() {
        return Err(format!("no action after '=': {ACTIONS}"));
    }
    for action in actions.split(',') {
        apply(&mut fault, action)?;
    }
    fault.check()?;
    Ok(fault)
}

/// Adds one action (`status:503`, `drop`) to `fault`, refusing repeats and a second answer.
fn apply(fault: &mut Fault, action: &str) -> Result<(), String> {
    let (word, value) = match action.split_once(':') {
        Some((word, value)) => (word, Some(value)),
        None => (action, None),
    };
    let bad = |what: &str| format!("{action}: expected {what}");
    let answer = match (word, value) {
        // Digits only, as every other number here (`u16::from_str` takes `+503`).
        ("status", Some(v)) => Some(Answer::Status(
            parse_whole(v)
                .and_then(|n| u16::try_from(n).ok())
                .ok_or_else(|| bad("a status from 400 to 599"))?,
        )),
        ("drop", None) => Some(Answer::Drop),
        ("stall", None) => Some(Answer::Stall),
        ("times", Some(v)) => {
            return set(
                &mut fault.times,
                word,
                parse_whole(v).ok_or_else(|| bad("a whole number of at least 1"))?,
            )
        }
        ("delay", Some(v)) => {
            let secs = parse_secs(v)
                .ok_or_else(|| bad("seconds greater than 0 and at most 86400, like 2 or 0.5"))?;
            return set(&mut fault.delay, word, secs);
        }
        ("throttle", Some(v)) => {
            return set(
                &mut fault.throttle,
                word,
                parse_rate(v).ok_or_else(|| bad("bytes per second, like 65536, 64k or 1.5M"))?,
            )
        }
        ("cut", Some(v)) => {
            return set(
                &mut fault.cut,
                word,
                parse_whole(v).ok_or_else(|| bad("a number of body bytes"))?,
            )
        }
        _ => None,
    };
    let Some(answer) = answer else {
        return Err(format!("unknown action '{action}': {ACTIONS}"));
    };
    if fault.answer != Answer::Serve {
        return Err(format!(
            "{} and {action} cannot be combined: a request gets one answer",
            fault.answer_word()
        ));
    }
    fault.answer = answer;
    Ok(())
}

/// Sets an action's value once; a second time is an error naming the action.
fn set<T>(slot: &mut Option<T>, word: &str, value: T) -> Result<(), String> {
    if slot.is_some() {
        return Err(format!("{word} given twice"));
    }
    *slot = Some(value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn good_rules_read_back_as_written() {
        let secs = Duration::from_secs;
        let table: &[(&str, Fault, &str)] = &[
            (
                "/data.json=status:503,times:2",
                Fault::on("/data.json").status(503).times(2),
                "/data.json=status:503,times:2",
            ),
            (
                "**=delay:0.5,throttle:64k",
                Fault::on("**")
                    .delay(Duration::from_millis(500))
                    .throttle(65_536),
                "**=delay:0.5,throttle:65536",
            ),
            (
                "/big.bin=cut:1000",
                Fault::on("/big.bin").cut(1000),
                "/big.bin=cut:1000",
            ),
            (
                "/api/*.json=drop",
                Fault::on("/api/*.json").drop_connection(),
                "/api/*.json=drop",
            ),
            (
                "/a=b=stall,times:1",
                Fault::on("/a=b").stall().times(1),
                "/a=b=stall,times:1",
            ),
            (
                "/x=times:3,status:429,delay:2",
                Fault::on("/x").status(429).times(3).delay(secs(2)),
                "/x=status:429,delay:2,times:3",
            ),
            ("*=cut:0", Fault::on("*").cut(0), "*=cut:0"),
        ];
        for (text, want, canonical) in table {
            let got = rule(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(&got, want, "{text}");
            assert_eq!(got.to_string(), *canonical);
            assert_eq!(rule(canonical).as_ref(), Ok(want), "{canonical}");
        }
    }

    /// Issue 16: a bad rule is refused with what is wrong, never at request time.
    #[test]
    fn bad_rules_say_what_is_wrong() {
        let table: &[(&str, &str)] = &[
            ("", "expected GLOB=ACTION"),
            ("/x", "expected GLOB=ACTION"),
            ("/x=", "no action after '='"),
            ("=status:503", "empty glob"),
            ("x=status:503", "a glob starts with '/' or '*'"),
            ("/a\tb=drop", "holds control characters"),
            (
                "/x=status:200",
                "status:200: expected a status from 400 to 599",
            ),
            (
                "/x=status:600",
                "status:600: expected a status from 400 to 599",
            ),
            ("/x=status:5xx", "status:5xx: expected a status"),
            ("/x=status:+503", "status:+503: expected a status"),
            ("/x=status", "unknown action 'status'"),
            ("/x=explode", "unknown action 'explode'"),
            ("/x=drop:1", "unknown action 'drop:1'"),
            ("/x=status:503,", "unknown action ''"),
            ("/x=status:503,,drop", "unknown action ''"),
            ("/x=times:2", "expected an action"),
            (
                "/x=times:0,drop",
                "times:0: expected a whole number of at least 1",
            ),
            ("/x=times:-1,drop", "times:-1: expected a whole number"),
            ("/x=delay:0", "delay:0: expected seconds greater than 0"),
            (
                "/x=delay:86401",
                "delay:86401: expected seconds greater than 0",
            ),
            ("/x=delay:.5", "delay:.5: expected seconds"),
            ("/x=delay:1s", "delay:1s: expected seconds"),
            ("/x=throttle:0", "throttle:0: expected bytes per second"),
            (
                "/x=throttle:fast",
                "throttle:fast: expected bytes per second",
            ),
            ("/x=cut:-5", "cut:-5: expected a number of body bytes"),
            ("/x=delay:1,delay:2", "delay given twice"),
            (
                "/x=status:503,status:500",
                "status:503 and status:500 cannot be combined",
            ),
            ("/x=drop,stall", "drop and stall cannot be combined"),
            (
                "/x=stall,delay:1",
                "stall sends nothing, so it cannot be combined",
            ),
            ("/x=drop,cut:5", "drop sends nothing"),
            ("/x=Status:503", "unknown action 'Status:503'"),
        ];
        for (text, want) in table {
            match rule(text) {
                Err(why) => assert!(why.contains(want), "{text:?}: {why:?} lacks {want:?}"),
                Ok(f) => panic!("{text:?} was accepted as {f:?}"),
            }
        }
    }
}
