//! Text from outside (status pages, feeds, probe answers, error messages that quote them)
//! made safe to show: no terminal control sequences, and escaped for the notification
//! daemon's markup.
//!
//! A status page is written by someone else. Its incident titles, component names and
//! links reach the user's terminal and desktop, where an escape sequence can set the
//! clipboard (OSC 52), retitle the window, clear the screen, or, with a bare `\r`, make a
//! line read "Operational" over what it really says. Everything that is not printable
//! text is therefore removed before it is shown, including the whole of an escape
//! sequence (so no stray `]52;c;…` is left behind).

use std::borrow::Cow;

use crate::model::{ComponentState, Observation, StateReport};

const ESC: char = '\u{1b}';
const BEL: char = '\u{07}';
/// C1 Control Sequence Introducer (the 8-bit form of `ESC [`).
const CSI: char = '\u{9b}';
/// C1 Operating System Command (the 8-bit form of `ESC ]`).
const OSC: char = '\u{9d}';
/// C1 String Terminator (the 8-bit form of `ESC \`).
const ST: char = '\u{9c}';

/// Would this character, on its own, be shown as text? Bidirectional overrides and
/// isolates are removed too: they reorder what follows, so a line can read other than
/// the bytes it holds.
fn is_unsafe(c: char) -> bool {
    c.is_control() // C0, DEL and C1
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// One line of text, safe for a terminal: control characters and whole escape sequences
/// removed; tabs, line breaks and carriage returns become one space, so words stay apart
/// and nothing can go back over what is already printed.
pub fn clean(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ESC => match chars.next() {
                Some('[') => skip_csi(&mut chars),
                // OSC, DCS, SOS, PM, APC: strings up to BEL or ST.
                Some(']' | 'P' | 'X' | '^' | '_') => skip_string(&mut chars),
                // Two-character sequences (ESC c resets the terminal, ESC 7/8...).
                _ => {}
            },
            CSI => skip_csi(&mut chars),
            OSC | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\t' | '\n' | '\r' => {
                if !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            c if is_unsafe(c) => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A CSI sequence: parameter and intermediate bytes, then one final byte.
fn skip_csi(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    for c in chars.by_ref() {
        if ('\u{40}'..='\u{7e}').contains(&c) {
            break;
        }
        // Anything outside the CSI byte ranges ends it too, and is dropped with it
        // unless it is text (ECMA-48 leaves such sequences undefined).
        if !('\u{20}'..='\u{3f}').contains(&c) {
            break;
        }
    }
}

/// A control string: up to BEL, `ESC \` or ST. An unterminated one runs to the end, as a
/// terminal would swallow it.
fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = chars.next() {
        match c {
            BEL | ST => break,
            ESC => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                break;
            }
            _ => {}
        }
    }
}

/// [`clean`] into an owned string, for fields that are stored.
pub fn clean_owned(s: &str) -> String {
    clean(s).into_owned()
}

/// Clean text escaped for the desktop notification body, which the freedesktop
/// notification daemons read as markup: `&`, `<` and `>` are shown, never interpreted
/// (an `<a href>` or `<img>` from a status page must stay text).
pub fn notification_markup(s: &str) -> String {
    let cleaned = clean(s);
    let mut out = String::with_capacity(cleaned.len());
    for c in cleaned.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// The plain text of a body escaped by [`notification_markup`], for a terminal.
pub fn from_notification_markup(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Clean a field in place, copying only when something had to go.
fn scrub(s: &mut String) {
    if let Cow::Owned(c) = clean(s) {
        *s = c;
    }
}

fn scrub_opt(s: &mut Option<String>) {
    if let Some(s) = s {
        scrub(s);
    }
}

fn scrub_components(components: &mut [ComponentState]) {
    for c in components {
        scrub(&mut c.id);
        scrub(&mut c.name);
    }
}

/// Every text of an observation that came from the page or from an error about it.
pub fn clean_observation(o: &mut Observation) {
    scrub_opt(&mut o.reason);
    o.missing_watched.iter_mut().for_each(scrub);
    scrub_components(&mut o.components);
    for i in &mut o.incidents {
        scrub(&mut i.id);
        scrub(&mut i.title);
        scrub_opt(&mut i.url);
        i.components.iter_mut().for_each(scrub);
        for u in &mut i.updates {
            scrub(&mut u.body);
        }
    }
}

/// Every text of a report, for what was stored before observations were cleaned on the
/// way in (an older version's database).
pub fn clean_report(r: &mut StateReport) {
    for p in &mut r.providers {
        scrub(&mut p.name);
        scrub_opt(&mut p.reason);
        scrub_opt(&mut p.url);
        p.missing_watched.iter_mut().for_each(scrub);
        scrub_components(&mut p.components);
        for i in &mut p.incidents {
            scrub(&mut i.id);
            scrub(&mut i.title);
            scrub_opt(&mut i.url);
            scrub_opt(&mut i.latest_update);
        }
        if let Some(m) = &mut p.measured {
            scrub(&mut m.summary);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_are_removed_whole() {
        for (hostile, shown) in [
            // OSC 52: write the clipboard, BEL- and ST-terminated.
            (
                "Elevated errors\u{1b}]52;c;Y3VybCBldmlsLnNoIHwgc2g=\u{07} on API",
                "Elevated errors on API",
            ),
            ("A\u{1b}]52;c;cm0gLXJmIH4=\u{1b}\\B", "AB"),
            // Window title change.
            ("\u{1b}]0;pwned\u{07}Claude API", "Claude API"),
            ("\u{9d}2;pwned\u{9c}Claude API", "Claude API"),
            // Clear screen, cursor home, colours, 8-bit CSI.
            ("\u{1b}[2J\u{1b}[HMajor outage", "Major outage"),
            ("\u{1b}[1;31mred\u{1b}[0m", "red"),
            ("\u{9b}2JMajor", "Major"),
            // Terminal reset, DEL, NUL, bell, bidi override.
            ("\u{1b}cx\u{7f}y\u{0}z\u{07}", "xyz"),
            ("abc\u{202e}fed", "abcfed"),
            // An unterminated OSC swallows the rest, as the terminal would.
            ("ok\u{1b}]52;c;AAAA", "ok"),
        ] {
            assert_eq!(clean(hostile), shown, "{hostile:?}");
        }
    }

    #[test]
    fn a_carriage_return_cannot_overwrite_the_line() {
        let title = "Major outage on all models\r\u{1b}[2KOperational";
        let shown = clean(title);
        assert_eq!(shown, "Major outage on all models Operational");
        assert!(!shown.contains('\r'));
        assert_eq!(clean("two\nlines\t"), "two lines ");
    }

    #[test]
    fn plain_text_is_untouched_and_not_copied() {
        let s = "Claude API · Elevated errors — 東京 ✓";
        assert!(matches!(clean(s), Cow::Borrowed(_)));
        assert_eq!(clean(s), s);
    }

    #[test]
    fn notification_bodies_are_escaped_for_markup() {
        assert_eq!(
            notification_markup("<a href=\"https://evil\">fix</a> & <b>\u{1b}[2J"),
            "&lt;a href=\"https://evil\"&gt;fix&lt;/a&gt; &amp; &lt;b&gt;"
        );
        let body = notification_markup("R&D <API>");
        assert_eq!(from_notification_markup(&body), "R&D <API>");
    }
}
