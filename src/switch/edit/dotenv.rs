//! Format-preserving edits of `.env` files (`KEY=VALUE` lines), for Gemini CLI's `~/.gemini/.env`.
//!
//! Only the lines of the keys being set or removed change; every other byte
//! (comments, blank lines, order, `export ` prefixes, quoting, CRLF line
//! endings, a missing final newline) stays as it was. The reading follows the
//! `dotenv` package Gemini CLI uses: `[export ]KEY=VALUE` (or `KEY: VALUE`), the value unquoted
//! (up to a `#` comment, trimmed), or in single, double or back quotes
//! (double quotes expand `\n` and `\r`); a later line for the same key wins.
//! A line this module cannot read with certainty (no `=`, an odd key, a quote
//! that does not close on its line, a multi-line value) makes the whole file
//! refused: nothing is guessed and nothing is written.

use serde_json::{Map, Value};

use super::{Edit, EditError, Format};

/// One `KEY=VALUE` line, split so its value can be replaced in place.
#[derive(Debug, Clone, PartialEq)]
struct Assignment {
    key: String,
    /// Everything before the value: indentation, `export `, the key, `=` and spacing.
    prefix: String,
    /// How the value was written.
    quote: Option<char>,
    value: String,
    /// Everything after the value: spacing and a trailing comment.
    suffix: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Line {
    /// Blank or comment: kept verbatim.
    Other(String),
    Assign(Assignment),
}

/// A parsed file: its lines with their endings kept apart.
struct Doc {
    lines: Vec<(Line, &'static str)>,
    crlf: bool,
}

fn parse_error(line: usize, message: impl Into<String>) -> EditError {
    EditError::Parse {
        format: Format::Dotenv,
        line: Some(line),
        column: None,
        message: message.into(),
    }
}

fn valid_key(k: &str) -> bool {
    let mut chars = k.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
}

/// Where the `:` of a `[export ]KEY: value` line is. dotenv's LINE regex takes
/// `:\s+` right after the name as the separator (`(?:\s*=\s*?|:\s+?)`), so
/// Gemini CLI reads such a line; a colon with no blank after it is not one.
fn colon_separator(raw: &str) -> Option<usize> {
    let t = raw.trim_start();
    let t = t
        .strip_prefix("export")
        .filter(|r| r.starts_with([' ', '\t']))
        .map_or(t, str::trim_start);
    let name_len = t
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
        .unwrap_or(t.len());
    let after = &t[name_len..];
    let colon = after.strip_prefix(':')?;
    (name_len > 0 && colon.starts_with([' ', '\t'])).then(|| raw.len() - after.len())
}

fn parse_line(raw: &str, n: usize) -> Result<Line, EditError> {
    let trimmed = raw.trim_start();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return Ok(Line::Other(raw.to_string()));
    }
    if raw.contains('\r') {
        return Err(parse_error(n, "a stray carriage return inside the line"));
    }
    let Some(eq) = colon_separator(raw).or_else(|| raw.find('=')) else {
        return Err(parse_error(n, "not a KEY=VALUE line"));
    };
    let (lhs, rest) = (&raw[..eq], &raw[eq + 1..]);
    let name = lhs.trim();
    let name = name
        .strip_prefix("export")
        .filter(|r| r.starts_with([' ', '\t']))
        .map_or(name, str::trim_start);
    if !valid_key(name) {
        return Err(parse_error(n, format!("{:?} is not a variable name", name)));
    }
    let lead = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    let body = &rest[lead..];
    // The separator as written (`=` or `: `), so an edit keeps the line's style.
    let prefix = raw[..eq + 1 + lead].to_string();
    let (quote, value, suffix) = match body.chars().next() {
        Some(q @ ('\'' | '"' | '`')) => {
            let inner = &body[1..];
            let close = if q == '"' {
                // The first quote not escaped by a backslash.
                let mut escaped = false;
                inner.char_indices().find_map(|(i, c)| {
                    let hit = c == '"' && !escaped;
                    escaped = c == '\\' && !escaped;
                    hit.then_some(i)
                })
            } else {
                inner.find(q)
            };
            let Some(close) = close else {
                return Err(parse_error(
                    n,
                    "a quoted value that does not close on its line (multi-line values are not supported)",
                ));
            };
            let after = &inner[close + 1..];
            let rest_trim = after.trim_start_matches([' ', '\t']);
            if !(rest_trim.is_empty() || rest_trim.starts_with('#')) {
                return Err(parse_error(n, "text after the closing quote"));
            }
            let raw_value = &inner[..close];
            let value = if q == '"' {
                raw_value.replace("\\n", "\n").replace("\\r", "\r")
            } else {
                raw_value.to_string()
            };
            (Some(q), value, after.to_string())
        }
        _ => {
            let end = body.find('#').unwrap_or(body.len());
            let value = body[..end].trim_end_matches([' ', '\t']);
            (None, value.to_string(), body[value.len()..].to_string())
        }
    };
    Ok(Line::Assign(Assignment {
        key: name.to_string(),
        prefix,
        quote,
        value,
        suffix,
    }))
}

fn parse(text: &str) -> Result<Doc, EditError> {
    let mut lines = Vec::new();
    let mut crlf = false;
    let mut rest = text;
    let mut n = 0;
    while !rest.is_empty() {
        n += 1;
        let (line, ending, next) = match rest.find('\n') {
            Some(i) if i > 0 && rest.as_bytes()[i - 1] == b'\r' => {
                crlf = true;
                (&rest[..i - 1], "\r\n", &rest[i + 1..])
            }
            Some(i) => (&rest[..i], "\n", &rest[i + 1..]),
            None => (rest, "", ""),
        };
        lines.push((parse_line(line, n)?, ending));
        rest = next;
    }
    Ok(Doc { lines, crlf })
}

fn render(doc: &Doc) -> String {
    let mut out = String::new();
    for (line, ending) in &doc.lines {
        match line {
            Line::Other(s) => out.push_str(s),
            Line::Assign(a) => {
                out.push_str(&a.prefix);
                out.push_str(&quoted(a.quote, &a.value));
                out.push_str(&a.suffix);
            }
        }
        out.push_str(ending);
    }
    out
}

fn quoted(q: Option<char>, v: &str) -> String {
    match q {
        None => v.to_string(),
        Some('"') => format!("\"{}\"", v.replace('\n', "\\n").replace('\r', "\\r")),
        Some(q) => format!("{q}{v}{q}"),
    }
}

/// How to write `v` so it reads back as exactly `v`, keeping `was` when it can.
fn choose_quote(was: Option<char>, v: &str) -> Result<Option<char>, String> {
    let plain = !v.is_empty()
        && !v.starts_with(['\'', '"', '`'])
        && v.chars().all(|c| !c.is_whitespace() && c != '#');
    let fits = |q: Option<char>| match q {
        None => plain,
        Some('"') => !v.contains('"') && !v.contains('\\'),
        Some(q) => !v.contains(q) && !v.contains(['\n', '\r']),
    };
    if fits(was) && !(was.is_none() && v.is_empty()) {
        return Ok(was);
    }
    [None, Some('"'), Some('\'')]
        .into_iter()
        .find(|q| fits(*q))
        .ok_or_else(|| "the value cannot be written so it reads back the same".to_string())
}

/// Every variable, a later line for the same key winning (as `dotenv` reads it).
fn values(doc: &Doc) -> Map<String, Value> {
    let mut m = Map::new();
    for (line, _) in &doc.lines {
        if let Line::Assign(a) = line {
            m.insert(a.key.clone(), Value::String(a.value.clone()));
        }
    }
    m
}

/// The variables as a JSON object of strings.
pub fn get_all(text: &str) -> Result<Value, EditError> {
    Ok(Value::Object(values(&parse(text)?)))
}

/// Apply edits (key paths of one segment, string values) to the text.
pub fn apply(text: &str, edits: &[&Edit]) -> Result<String, EditError> {
    let mut doc = parse(text)?;
    let eol = if doc.crlf { "\r\n" } else { "\n" };
    for e in edits {
        let [key] = e.path.as_slice() else {
            return Err(EditError::NotAnObject {
                path: e.path.join("."),
            });
        };
        let value = match &e.value {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Bool(b)) => Some(b.to_string()),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(_) => {
                return Err(EditError::Unrepresentable {
                    path: key.clone(),
                    message: "a .env value is a string".into(),
                });
            }
        };
        if !valid_key(key) {
            return Err(EditError::Unrepresentable {
                path: key.clone(),
                message: "not a variable name".into(),
            });
        }
        let at: Vec<usize> = doc
            .lines
            .iter()
            .enumerate()
            .filter(|(_, (l, _))| matches!(l, Line::Assign(a) if &a.key == key))
            .map(|(i, _)| i)
            .collect();
        if at.len() > 1 {
            return Err(EditError::Unrepresentable {
                path: key.clone(),
                message: "the variable is set on more than one line; tidy the file by hand first"
                    .into(),
            });
        }
        let unrepresentable = |message| EditError::Unrepresentable {
            path: key.clone(),
            message,
        };
        match (value, at.first()) {
            (Some(v), Some(&i)) => {
                if let (Line::Assign(a), _) = &mut doc.lines[i] {
                    a.quote = choose_quote(a.quote, &v).map_err(unrepresentable)?;
                    a.value = v;
                }
            }
            (Some(v), None) => {
                // The last line gets the ending it lacked, so the new line starts on its own.
                if let Some(last) = doc.lines.last_mut()
                    && last.1.is_empty()
                {
                    last.1 = eol;
                }
                let quote = choose_quote(None, &v).map_err(unrepresentable)?;
                doc.lines.push((
                    Line::Assign(Assignment {
                        key: key.clone(),
                        prefix: format!("{key}="),
                        quote,
                        value: v,
                        suffix: String::new(),
                    }),
                    eol,
                ));
            }
            (None, Some(&i)) => {
                doc.lines.remove(i);
            }
            (None, None) => {}
        }
    }
    Ok(render(&doc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::switch::edit::{self, Format};
    use serde_json::json;

    fn e(k: &str, v: Option<&str>) -> Edit {
        Edit {
            path: vec![k.to_string()],
            value: v.map(|s| json!(s)),
        }
    }

    const ENV: &str = "# Gemini CLI environment\n\
export GOOGLE_CLOUD_PROJECT=my-project  # the billing one\n\
\n\
DEBUG=false\n\
QUOTED=\"hello world\"\n\
SINGLE='it is $literal'\n\
   INDENTED = spaced\n\
EMPTY=\n";

    #[test]
    fn values_are_read_as_dotenv_reads_them() {
        let v = get_all(ENV).unwrap();
        assert_eq!(
            v,
            json!({
                "GOOGLE_CLOUD_PROJECT": "my-project",
                "DEBUG": "false",
                "QUOTED": "hello world",
                "SINGLE": "it is $literal",
                "INDENTED": "spaced",
                "EMPTY": "",
            })
        );
        assert_eq!(
            get_all("A=1\nA=2\n").unwrap(),
            json!({"A": "2"}),
            "the last wins"
        );
        assert_eq!(
            get_all("A=\"x\\ny\"").unwrap(),
            json!({"A": "x\ny"}),
            "double quotes expand \\n"
        );
    }

    #[test]
    fn set_and_remove_touch_only_their_lines() {
        let out = apply(
            ENV,
            &[
                &e("GOOGLE_CLOUD_PROJECT", Some("other")),
                &e("QUOTED", Some("bye now")),
                &e("DEBUG", None),
                &e("GEMINI_API_KEY", Some("AIza-123")),
            ],
        )
        .unwrap();
        assert_eq!(
            out,
            "# Gemini CLI environment\n\
export GOOGLE_CLOUD_PROJECT=other  # the billing one\n\
\n\
QUOTED=\"bye now\"\n\
SINGLE='it is $literal'\n\
   INDENTED = spaced\n\
EMPTY=\n\
GEMINI_API_KEY=AIza-123\n"
        );
        // And back: the exact original.
        let back = apply(
            &out,
            &[
                &e("GOOGLE_CLOUD_PROJECT", Some("my-project")),
                &e("QUOTED", Some("hello world")),
                &e("GEMINI_API_KEY", None),
            ],
        )
        .unwrap();
        assert_eq!(back, ENV.replace("DEBUG=false\n", ""));
    }

    /// Issue 18, item 2: dotenv (and so Gemini CLI) reads `KEY: value`; it was refused.
    #[test]
    fn colon_lines_are_read_as_dotenv_reads_them_and_kept_as_written() {
        let text =
            "# c\nGOOGLE_CLOUD_PROJECT: my-project # billing\nexport B:\t'x y'\nC=a:b\nD: \"q\"\n";
        assert_eq!(
            get_all(text).unwrap(),
            json!({"GOOGLE_CLOUD_PROJECT": "my-project", "B": "x y", "C": "a:b", "D": "q"})
        );
        let out = edit::apply(
            text,
            Format::Dotenv,
            &[
                e("GOOGLE_CLOUD_PROJECT", Some("other")),
                e("D", None),
                e("GEMINI_API_KEY", Some("AIza")),
            ],
        )
        .unwrap();
        assert_eq!(
            out,
            "# c\nGOOGLE_CLOUD_PROJECT: other # billing\nexport B:\t'x y'\nC=a:b\nGEMINI_API_KEY=AIza\n"
        );
        // dotenv does not read a colon without a blank after it as a separator.
        assert!(get_all("A:1\n").is_err());
    }

    #[test]
    fn crlf_and_a_missing_final_newline_are_kept() {
        let text = "# c\r\nA=1\r\nB=2";
        let out = apply(text, &[&e("A", Some("9")), &e("C", Some("3"))]).unwrap();
        assert_eq!(out, "# c\r\nA=9\r\nB=2\r\nC=3\r\n");
        let out = apply(text, &[&e("A", Some("9"))]).unwrap();
        assert_eq!(
            out, "# c\r\nA=9\r\nB=2",
            "no newline added when none is needed"
        );
        let out = apply("A=1", &[&e("B", Some("2"))]).unwrap();
        assert_eq!(out, "A=1\nB=2\n");
        let out = apply("A=1\nB=2", &[&e("B", None)]).unwrap();
        assert_eq!(out, "A=1\n");
        assert_eq!(apply("", &[&e("A", Some("1"))]).unwrap(), "A=1\n");
    }

    #[test]
    fn values_that_need_quotes_get_them() {
        let out = apply("", &[&e("A", Some("has space")), &e("B", Some("x#y"))]).unwrap();
        assert_eq!(out, "A=\"has space\"\nB=\"x#y\"\n");
        assert_eq!(
            get_all(&out).unwrap(),
            json!({"A": "has space", "B": "x#y"})
        );
        let out = apply("A='old'\n", &[&e("A", Some("new"))]).unwrap();
        assert_eq!(out, "A='new'\n", "the quoting style is kept");
        let out = apply("A=old\n", &[&e("A", Some(""))]).unwrap();
        assert_eq!(out, "A=\"\"\n");
        assert_eq!(get_all(&out).unwrap(), json!({"A": ""}));
    }

    #[test]
    fn lines_it_cannot_read_are_refused() {
        for bad in [
            "just words\n",
            "A=1\nnot a line\n",
            "1BAD=x\n",
            "A=\"open\nB=2\n",
            "A='x' trailing\n",
            "A=1\rB=2\n",
            "=1\n",
            "export A B=1\n",
        ] {
            let err = apply(bad, &[&e("A", Some("1"))]).unwrap_err();
            assert!(
                matches!(err, EditError::Parse { line: Some(_), .. }),
                "{bad:?}: {err}"
            );
            assert!(get_all(bad).is_err(), "{bad:?}");
        }
        let err = apply("A=1\nA=2\n", &[&e("A", Some("3"))]).unwrap_err();
        assert!(err.to_string().contains("more than one line"), "{err}");
    }

    #[test]
    fn it_goes_through_the_generic_editor_with_its_read_back_check() {
        let out = edit::apply(
            ENV,
            Format::Dotenv,
            &[Edit {
                path: vec!["GOOGLE_GENAI_USE_VERTEXAI".into()],
                value: Some(json!("true")),
            }],
        )
        .unwrap();
        assert_eq!(
            edit::get(&out, Format::Dotenv, &["GOOGLE_GENAI_USE_VERTEXAI".into()]).unwrap(),
            Some(json!("true"))
        );
        assert_eq!(
            edit::apply(ENV, Format::Dotenv, &[e("DEBUG", Some("false"))]).unwrap(),
            ENV,
            "a no-op is byte-identical"
        );
    }
}
