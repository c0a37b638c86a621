//! Format-preserving edits of assistants' config files: set or remove values by key path in JSON, JSONC, TOML and `.env`, keeping every other byte.
//!
//! JSON and JSONC go through dprint's concrete syntax tree (jsonc-parser's
//! `cst`), TOML through `toml_edit`: both keep comments, key order and
//! whitespace; `.env` files go through our own line editor ([`dotenv`]).
//! Strict JSON is first validated with serde_json, because the
//! lenient CST parser would accept a file the assistant itself cannot read.

pub mod dotenv;

use jsonc_parser::ParseOptions;
use jsonc_parser::cst::{CstInputValue, CstObject, CstRootNode};
use serde_json::Value;

/// A key path into a document: `["env", "ANTHROPIC_BASE_URL"]`.
pub type KeyPath = Vec<String>;

/// One change: set the value at `path` (creating missing parent objects or
/// tables), or remove it when `value` is `None`.
#[derive(Debug, Clone, PartialEq)]
pub struct Edit {
    pub path: KeyPath,
    pub value: Option<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Strict JSON (Claude Code's settings.json).
    Json,
    /// JSON with comments and trailing commas (Gemini CLI, opencode).
    Jsonc,
    Toml,
    /// `KEY=VALUE` lines (Gemini CLI's `.env`); key paths have one segment.
    Dotenv,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Json => "JSON",
            Format::Jsonc => "JSON with comments",
            Format::Toml => "TOML",
            Format::Dotenv => ".env",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EditError {
    /// The file does not parse: it is refused, never "repaired".
    #[error("not valid {}{}: {message}", format.name(), at(*line, *column))]
    Parse {
        format: Format,
        line: Option<usize>,
        column: Option<usize>,
        message: String,
    },
    /// A parent on the path holds something other than an object/table.
    #[error("{path} is not an object, so a key cannot be set inside it")]
    NotAnObject { path: String },
    /// A key on the path is written twice in the same object: which one the assistant
    /// reads is up to its parser, so no edit can be sure to change the one in effect.
    #[error(
        "{path} is written more than once in the same object; remove the extra one so it is clear which applies (nothing was written)"
    )]
    DuplicateKey { path: String },
    /// The value has no spelling in this format (null in TOML).
    #[error("{path}: {message}")]
    Unrepresentable { path: String, message: String },
    /// The edited text did not read back as exactly the intended change (a bug in
    /// an editing library): refused, so it can never reach the user's file.
    #[error(
        "the edited file would not read back as the intended change ({0}); nothing was written"
    )]
    Verify(String),
}

fn at(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(" at line {l}, column {c}"),
        (Some(l), None) => format!(" at line {l}"),
        _ => String::new(),
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Read the value at `path` (None when absent).
pub fn get(text: &str, format: Format, path: &[String]) -> Result<Option<Value>, EditError> {
    let mut v = match format {
        Format::Json | Format::Jsonc => parse_json_value(text, format)?,
        Format::Toml => toml_value(text)?,
        Format::Dotenv => dotenv::get_all(text)?,
    };
    for key in path {
        match v {
            Value::Object(mut m) => match m.remove(key) {
                Some(next) => v = next,
                None => return Ok(None),
            },
            _ => return Ok(None),
        }
    }
    Ok(Some(v))
}

/// Apply `edits` in order and return the new text. An empty document counts as
/// an empty object/table. Edits that change nothing leave the text byte-identical.
/// Removing a key never removes its parent, even when that leaves it empty.
pub fn apply(text: &str, format: Format, edits: &[Edit]) -> Result<String, EditError> {
    // A file that does not parse is refused even when nothing would change.
    get(text, format, &[])?;
    // Byte-identical no-ops, whatever the editor would do with whitespace. An
    // edit is a no-op when the document as the edits before it left it already
    // holds its value (not the original document: `set a.b` then `remove a`
    // must remove what the first one set).
    let original = get(text, format, &[])?.unwrap_or(Value::Object(Default::default()));
    let mut planned = original.clone();
    let mut effective = Vec::new();
    // A set through a non-object: the editors refuse it, so it must reach them.
    let mut refused = false;
    for e in edits {
        if value_at(&planned, &e.path) != e.value.as_ref() {
            refused |= e.value.is_some() && !settable(&planned, &e.path);
            apply_to_value(&mut planned, &e.path, e.value.as_ref());
            effective.push(e);
        }
    }
    if effective.is_empty() || (!refused && planned == original) {
        return Ok(text.to_string());
    }
    let out = match format {
        Format::Json | Format::Jsonc => apply_json(text, format, &effective)?,
        Format::Toml => apply_toml(text, &effective)?,
        Format::Dotenv => dotenv::apply(text, &effective)?,
    };
    verify(text, &out, format, &effective)?;
    Ok(out)
}

/// Read the edited text back and check it is the original value with the edits
/// applied, and nothing else changed. Cheap next to a user losing their hooks.
fn verify(old: &str, new: &str, format: Format, edits: &[&Edit]) -> Result<(), EditError> {
    let mut expected = get(old, format, &[])?.unwrap_or(Value::Object(Default::default()));
    for e in edits {
        apply_to_value(&mut expected, &e.path, e.value.as_ref());
    }
    let actual = get(new, format, &[])
        .map_err(|e| EditError::Verify(format!("it does not parse: {e}")))?
        .unwrap_or(Value::Object(Default::default()));
    if actual != expected {
        return Err(EditError::Verify(
            "its content differs from the plan".into(),
        ));
    }
    // Values alone miss a lost comment or blank line (issue 18, item 1): every
    // line outside the edited keys must also survive byte for byte.
    outside_unchanged(old, new, format, edits).map_err(EditError::Verify)
}

/// Compare the two texts line by line, ignoring only lines that belong to the
/// edited keys (the key's own line and, in JSON, the lines of a value that
/// spans several; the line of a parent on the path, which an edit may create
/// or open up) and, in JSON, braces, commas and indentation, which an added or
/// removed neighbour moves. Everything else (comments, blank lines, spacing
/// inside a line, unknown keys) must be identical, in the same order.
///
/// Lines are attributed to keys by name, not by position, so a same-named key
/// in another table also counts as owned here: its value is still covered by
/// the value comparison, only a comment on that very line would go unchecked.
fn outside_unchanged(old: &str, new: &str, format: Format, edits: &[&Edit]) -> Result<(), String> {
    let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
    let new_lines: Vec<&str> = new.split_inclusive('\n').collect();
    let old_owned = owned_lines(&old_lines, format, edits);
    let new_owned = owned_lines(&new_lines, format, edits);
    let ops = similar::capture_diff_slices(similar::Algorithm::Myers, &old_lines, &new_lines);
    // What one run of changes leaves once owned lines are set aside; a blank line
    // may go with a TOML table header the edit added.
    let json = matches!(format, Format::Json | Format::Jsonc);
    let parents = parent_names(edits);
    let leaves: Vec<&str> = edits
        .iter()
        .filter_map(|e| e.path.last().map(String::as_str))
        .collect();
    let has_parent = |owned: &[Owned], at: std::ops::Range<usize>| {
        at.into_iter().any(|i| owned[i] == Owned::Parent)
    };
    let rest = |lines: &[&str],
                owned: &[Owned],
                at: std::ops::Range<usize>,
                header: bool,
                relaid: bool| {
        let kept = at
            .filter(|&i| {
                let l = lines[i];
                let skip = match owned[i] {
                    Owned::Leaf => true,
                    Owned::Parent => !relaid,
                    Owned::No => false,
                };
                !(skip || punctuation_line(l, format) || (header && l.trim().is_empty()))
            })
            .map(|i| match owned[i] {
                Owned::Parent => normalized(&parent_rest(lines[i], &parents, &leaves), format),
                _ => normalized(lines[i], format),
            });
        if relaid {
            // A re-laid JSON object: the same text in any layout.
            let joined: String = kept.collect::<String>().split_whitespace().collect();
            vec![joined]
        } else {
            kept.collect::<Vec<_>>()
        }
    };
    let is_header = |l: &&str| format == Format::Toml && l.trim_start().starts_with('[');
    // Consecutive changes form one hunk, so a comma or a comment may move between its lines.
    let mut hunk: Option<(std::ops::Range<usize>, std::ops::Range<usize>)> = None;
    let check = |h: Option<(std::ops::Range<usize>, std::ops::Range<usize>)>| {
        let Some((o, n)) = h else { return Ok(()) };
        let header = old_lines[o.clone()].iter().any(is_header)
            || new_lines[n.clone()].iter().any(is_header);
        // A JSON parent's line in the hunk: the edit re-laid that object.
        let relaid =
            json && (has_parent(&old_owned, o.clone()) || has_parent(&new_owned, n.clone()));
        if rest(&old_lines, &old_owned, o.clone(), header, relaid)
            != rest(&new_lines, &new_owned, n, header, relaid)
        {
            // The line number only: the text may hold something private.
            return Err(format!(
                "the text near line {} outside the switched keys would change",
                o.start + 1
            ));
        }
        Ok(())
    };
    for op in ops {
        let (tag, o, n) = op.as_tag_tuple();
        if tag == similar::DiffTag::Equal {
            check(hunk.take())?;
            continue;
        }
        hunk = Some(match hunk.take() {
            Some((ho, hn)) => (ho.start..o.end, hn.start..n.end),
            None => (o, n),
        });
    }
    check(hunk)
}

/// How a line belongs to the edited keys.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Owned {
    No,
    /// A leaf's line, or a line of a leaf's value that spans several.
    Leaf,
    /// The line of a parent on an edit's path (which the edit may create or open up).
    Parent,
}

/// Which lines belong to the edited keys: the line of a key on an edit's path,
/// and in JSON every line of a leaf's value that opens onto several lines.
fn owned_lines(lines: &[&str], format: Format, edits: &[&Edit]) -> Vec<Owned> {
    let leaves: Vec<&str> = edits
        .iter()
        .filter_map(|e| e.path.last().map(String::as_str))
        .collect();
    let parents = parent_names(edits);
    let mut owned = vec![Owned::No; lines.len()];
    let mut depth = 0i64;
    for (i, line) in lines.iter().enumerate() {
        if depth > 0 {
            owned[i] = Owned::Leaf;
            depth += json_depth(line);
            continue;
        }
        if owned_line(line, format, &leaves) {
            owned[i] = Owned::Leaf;
            if matches!(format, Format::Json | Format::Jsonc) {
                depth = json_depth(line).max(0);
            }
        } else if owned_line(line, format, &parents) {
            owned[i] = Owned::Parent;
        }
    }
    owned
}

fn parent_names<'a>(edits: &[&'a Edit]) -> Vec<&'a str> {
    edits
        .iter()
        .flat_map(|e| e.path.iter().rev().skip(1).map(String::as_str))
        .collect()
}

/// A JSON parent's line as compared when the edit re-laid it: the line without the parent's
/// own `"key":` and without the edited leaves' `"key": value` pairs written inline. What is
/// left (neighbours inline in the same object, comments) must survive, wherever the editor
/// moved it: `"env": { "A": "1" }` opens onto several lines when a key goes in.
fn parent_rest(line: &str, parents: &[&str], leaves: &[&str]) -> String {
    let mut l = line.to_string();
    for name in parents {
        l = l.replace(&format!("\"{name}\":"), "");
    }
    for name in leaves {
        let key = format!("\"{name}\"");
        while let Some(i) = l.find(&key) {
            let after = &l[i + key.len()..];
            let Some(colon) = after.trim_start().strip_prefix(':') else {
                break;
            };
            let value = colon.trim_start();
            let len = if let Some(body) = value.strip_prefix('"') {
                let mut end = None;
                let mut escaped = false;
                for (j, c) in body.char_indices() {
                    match (escaped, c) {
                        (true, _) => escaped = false,
                        (false, '\\') => escaped = true,
                        (false, '"') => {
                            end = Some(j + 2);
                            break;
                        }
                        _ => {}
                    }
                }
                match end {
                    Some(e) => e,
                    None => break,
                }
            } else {
                value.find([',', '}', ']']).unwrap_or(value.len())
            };
            let value_start = l.len() - value.len();
            l.replace_range(i..value_start + len, "");
        }
    }
    l
}

/// Braces and brackets a JSON line opens minus those it closes, outside strings and comments.
fn json_depth(line: &str) -> i64 {
    let mut depth = 0;
    let mut chars = line.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        match (in_string, c) {
            (true, '\\') => {
                chars.next();
            }
            (true, '"') => in_string = false,
            (true, _) => {}
            (false, '"') => in_string = true,
            (false, '/') if chars.peek() == Some(&'/') => break,
            (false, '{' | '[') => depth += 1,
            (false, '}' | ']') => depth -= 1,
            _ => {}
        }
    }
    depth
}

/// Does `line` hold one of the keys `names`?
fn owned_line(line: &str, format: Format, names: &[&str]) -> bool {
    let t = line.trim_start();
    match format {
        Format::Json | Format::Jsonc => names.iter().any(|name| {
            let quoted = format!("\"{name}\"");
            line.match_indices(&quoted).any(|(i, _)| {
                let before = line[..i].trim_end();
                let after = line[i + quoted.len()..].trim_start();
                after.starts_with(':')
                    && (before.is_empty() || before.ends_with(['{', ',']) || before.ends_with("*/"))
            })
        }),
        Format::Toml => {
            if t.starts_with('[') {
                let header = t.split('#').next().unwrap_or(t);
                return names.iter().any(|n| header.contains(n));
            }
            names.iter().any(|name| {
                [name.to_string(), format!("\"{name}\"")].iter().any(|k| {
                    t.strip_prefix(k.as_str())
                        .is_some_and(|r| r.trim_start().starts_with(['=', '.']))
                })
            })
        }
        Format::Dotenv => {
            let t = t
                .strip_prefix("export")
                .filter(|r| r.starts_with([' ', '\t']))
                .map_or(t, str::trim_start);
            names.iter().any(|name| {
                t.strip_prefix(name).is_some_and(|r| {
                    r.trim_start_matches([' ', '\t']).starts_with('=') || r.starts_with(':')
                })
            })
        }
    }
}

/// A JSON line of braces, brackets and commas only: where it goes follows from the keys
/// around it, and the value comparison already checks the structure.
fn punctuation_line(line: &str, format: Format) -> bool {
    matches!(format, Format::Json | Format::Jsonc)
        && !line.trim().is_empty()
        && line.trim().chars().all(|c| "{}[],".contains(c))
}

/// A line as compared: without its line ending (a new last line gives the old
/// last line one), and in JSON without braces, brackets, commas and indentation
/// (an added or removed neighbour moves them: `{ /* c */ }` opens onto two
/// re-indented lines when a first key goes in).
fn normalized(line: &str, format: Format) -> String {
    let l = line.strip_suffix('\n').unwrap_or(line);
    let l = l.strip_suffix('\r').unwrap_or(l);
    match format {
        Format::Json | Format::Jsonc => l.replace(['{', '}', '[', ']', ','], "").trim().to_string(),
        _ => l.to_string(),
    }
}

/// The value at `path` of a plain document (None when absent), as `get` reads it.
fn value_at<'a>(doc: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(doc, |v, k| v.as_object()?.get(k))
}

/// Can `path` be set: is every parent on it that exists an object?
fn settable(doc: &Value, path: &[String]) -> bool {
    let mut v = doc;
    for key in &path[..path.len().saturating_sub(1)] {
        let Value::Object(m) = v else {
            return false;
        };
        match m.get(key) {
            Some(next) => v = next,
            None => return true,
        }
    }
    v.is_object()
}

/// What an edit means on a plain value (missing parents created on set, never on remove).
fn apply_to_value(doc: &mut Value, path: &[String], value: Option<&Value>) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut current = doc;
    for key in parents {
        let Value::Object(map) = current else {
            return;
        };
        if value.is_none() && !map.contains_key(key) {
            return;
        }
        current = map
            .entry(key.clone())
            .or_insert_with(|| Value::Object(Default::default()));
    }
    if let Value::Object(map) = current {
        match value {
            Some(v) => {
                map.insert(last.clone(), v.clone());
            }
            None => {
                map.remove(last);
            }
        }
    }
}

fn json_options(format: Format) -> ParseOptions {
    let strict = format == Format::Json;
    ParseOptions {
        allow_comments: !strict,
        allow_trailing_commas: !strict,
        allow_loose_object_property_names: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        ..ParseOptions::default()
    }
}

fn parse_json_value(text: &str, format: Format) -> Result<Value, EditError> {
    if text.trim().is_empty() {
        return Ok(Value::Object(Default::default()));
    }
    if format == Format::Json {
        return serde_json::from_str(text).map_err(|e| EditError::Parse {
            format,
            line: Some(e.line()),
            column: Some(e.column()),
            message: e.to_string(),
        });
    }
    let root = parse_cst(text, format)?;
    Ok(root.to_serde_value().unwrap_or(Value::Null))
}

fn parse_cst(text: &str, format: Format) -> Result<CstRootNode, EditError> {
    CstRootNode::parse(text, &json_options(format)).map_err(|e| EditError::Parse {
        format,
        line: Some(e.line_display()),
        column: Some(e.column_display()),
        message: e.kind().to_string(),
    })
}

fn to_input(v: &Value) -> CstInputValue {
    match v {
        Value::Null => CstInputValue::Null,
        Value::Bool(b) => CstInputValue::Bool(*b),
        Value::Number(n) => CstInputValue::Number(n.to_string()),
        Value::String(s) => CstInputValue::String(s.clone()),
        Value::Array(a) => CstInputValue::Array(a.iter().map(to_input).collect()),
        Value::Object(o) => {
            CstInputValue::Object(o.iter().map(|(k, v)| (k.clone(), to_input(v))).collect())
        }
    }
}

fn apply_json(text: &str, format: Format, edits: &[&Edit]) -> Result<String, EditError> {
    // Validate strictly first (and learn the value tree for type checks).
    let tree = parse_json_value(text, format)?;
    if !tree.is_object() {
        return Err(EditError::NotAnObject {
            path: "(the document)".into(),
        });
    }
    let source = if text.trim().is_empty() { "{}\n" } else { text };
    let root = parse_cst(source, format)?;
    let Some(top) = root.object_value() else {
        return Err(EditError::NotAnObject {
            path: "(the document)".into(),
        });
    };
    for e in edits {
        let Some((last, parents)) = e.path.split_last() else {
            continue;
        };
        let mut obj: CstObject = top.clone();
        let mut walked = Vec::new();
        let mut missing_parent = false;
        for key in parents {
            walked.push(key.as_str());
            once(&obj, key, &walked)?;
            match obj.get(key) {
                Some(prop) => match prop.object_value() {
                    Some(o) => obj = o,
                    None => {
                        return Err(EditError::NotAnObject {
                            path: walked.join("."),
                        });
                    }
                },
                None if e.value.is_none() => {
                    missing_parent = true;
                    break;
                }
                None => obj = obj.object_value_or_set(key),
            }
        }
        if missing_parent {
            continue;
        }
        walked.push(last.as_str());
        once(&obj, last, &walked)?;
        match (&e.value, obj.get(last)) {
            (Some(v), Some(prop)) => prop.set_value(to_input(v)),
            (Some(v), None) => {
                obj.append(last, to_input(v));
            }
            (None, Some(prop)) => prop.remove(),
            (None, None) => {}
        }
    }
    let mut out = root.to_string();
    if text.trim().is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

/// Refuses a key that `obj` holds more than once (strict JSON allows it; serde_json and
/// the CST editor would disagree on which one to change).
fn once(obj: &CstObject, key: &str, walked: &[&str]) -> Result<(), EditError> {
    let n = obj
        .properties()
        .iter()
        .filter(|p| p.decoded_name().as_deref() == Some(key))
        .count();
    if n > 1 {
        return Err(EditError::DuplicateKey {
            path: walked.join("."),
        });
    }
    Ok(())
}

fn toml_doc(text: &str) -> Result<toml_edit::DocumentMut, EditError> {
    text.parse::<toml_edit::DocumentMut>().map_err(|e| {
        let (line, column) = e
            .span()
            .map(|s| line_col(text, s.start))
            .map_or((None, None), |(l, c)| (Some(l), Some(c)));
        EditError::Parse {
            format: Format::Toml,
            line,
            column,
            message: e.message().to_string(),
        }
    })
}

fn toml_value(text: &str) -> Result<Value, EditError> {
    toml_doc(text)?;
    let table: toml::Table = toml::from_str(text).map_err(|e| EditError::Parse {
        format: Format::Toml,
        line: None,
        column: None,
        message: e.message().to_string(),
    })?;
    serde_json::to_value(table).map_err(|e| EditError::Parse {
        format: Format::Toml,
        line: None,
        column: None,
        message: e.to_string(),
    })
}

fn to_toml(path: &str, v: &Value) -> Result<toml_edit::Value, EditError> {
    let bad = |m: &str| EditError::Unrepresentable {
        path: path.to_string(),
        message: m.to_string(),
    };
    Ok(match v {
        Value::Null => return Err(bad("TOML has no null")),
        Value::Bool(b) => (*b).into(),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.into(),
            (None, Some(f)) => f.into(),
            _ => return Err(bad("number out of TOML's range")),
        },
        Value::String(s) => s.as_str().into(),
        Value::Array(a) => {
            let mut arr = toml_edit::Array::new();
            for x in a {
                arr.push(to_toml(path, x)?);
            }
            toml_edit::Value::Array(arr)
        }
        Value::Object(o) => {
            let mut t = toml_edit::InlineTable::new();
            for (k, x) in o {
                t.insert(k, to_toml(path, x)?);
            }
            toml_edit::Value::InlineTable(t)
        }
    })
}

fn apply_toml(text: &str, edits: &[&Edit]) -> Result<String, EditError> {
    let mut doc = toml_doc(text)?;
    for e in edits {
        let Some((last, parents)) = e.path.split_last() else {
            continue;
        };
        let dotted = e.path.join(".");
        let mut table: &mut dyn toml_edit::TableLike = doc.as_table_mut();
        let mut walked = Vec::new();
        let mut missing_parent = false;
        for key in parents {
            walked.push(key.as_str());
            if table.get(key).is_none() {
                if e.value.is_none() {
                    missing_parent = true;
                    break;
                }
                let mut t = toml_edit::Table::new();
                // Explicit [a.b] headers, never a dotted mess of implicit tables.
                t.set_implicit(false);
                table.insert(key, toml_edit::Item::Table(t));
            }
            let Some(next) = table.get_mut(key).and_then(|i| i.as_table_like_mut()) else {
                return Err(EditError::NotAnObject {
                    path: walked.join("."),
                });
            };
            table = next;
        }
        if missing_parent {
            continue;
        }
        match &e.value {
            Some(v) => {
                let value = to_toml(&dotted, v)?;
                match table.get_mut(last) {
                    // Keep the key's own decoration (a trailing comment, spacing).
                    Some(toml_edit::Item::Value(old)) => {
                        let decor = old.decor().clone();
                        *old = value;
                        *old.decor_mut() = decor;
                    }
                    _ => {
                        table.insert(last, toml_edit::Item::Value(value));
                    }
                }
            }
            None => {
                let prefix = table
                    .key(last)
                    .filter(|_| table.get(last).is_some_and(toml_edit::Item::is_value))
                    .and_then(|k| k.leaf_decor().prefix())
                    .and_then(|p| p.as_str())
                    .filter(|p| !p.is_empty())
                    .map(str::to_string);
                let next = next_value_key(&*table, last);
                table.remove(last);
                if let Some(prefix) = prefix {
                    // toml_edit keeps the comments and blank lines above a key in
                    // the key's own decor, so removing the key would drop them
                    // (issue 18, item 1): they go to whatever now follows.
                    match next.and_then(|n| table.key_mut(&n)) {
                        Some(mut key) => prepend(key.leaf_decor_mut(), &prefix),
                        None => rehome_after_table(&mut doc, parents, &prefix),
                    }
                }
            }
        }
    }
    Ok(doc.to_string())
}

/// The value key written right after `key` in the same table body, if any.
fn next_value_key(table: &dyn toml_edit::TableLike, key: &str) -> Option<String> {
    table
        .iter()
        .skip_while(|(k, _)| *k != key)
        .skip(1)
        .find(|(_, item)| item.is_value())
        .map(|(k, _)| k.to_string())
}

fn prepend(decor: &mut toml_edit::Decor, prefix: &str) {
    let old = decor
        .prefix()
        .and_then(|p| p.as_str())
        .unwrap_or_default()
        .to_string();
    decor.set_prefix(format!("{prefix}{old}"));
}

/// One step to a table with a header: a key, or an index into an array of tables.
#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

/// Every table written with a header, with its position in the document.
fn headed_tables(
    table: &toml_edit::Table,
    path: &mut Vec<Step>,
    out: &mut Vec<(isize, Vec<Step>)>,
) {
    for (k, item) in table.iter() {
        path.push(Step::Key(k.to_string()));
        match item {
            toml_edit::Item::Table(t) => {
                if !t.is_implicit()
                    && !t.is_dotted()
                    && let Some(pos) = t.position()
                {
                    out.push((pos, path.clone()));
                }
                headed_tables(t, path, out);
            }
            toml_edit::Item::ArrayOfTables(a) => {
                for (i, t) in a.iter().enumerate() {
                    path.push(Step::Index(i));
                    if let Some(pos) = t.position() {
                        out.push((pos, path.clone()));
                    }
                    headed_tables(t, path, out);
                    path.pop();
                }
            }
            _ => {}
        }
        path.pop();
    }
}

fn table_at_mut<'a>(
    mut t: &'a mut toml_edit::Table,
    path: &[Step],
) -> Option<&'a mut toml_edit::Table> {
    let mut steps = path.iter().peekable();
    while let Some(step) = steps.next() {
        let Step::Key(k) = step else { return None };
        t = match (t.get_mut(k)?, steps.peek()) {
            (toml_edit::Item::ArrayOfTables(a), Some(Step::Index(i))) => {
                let i = *i;
                steps.next();
                a.get_mut(i)?
            }
            (toml_edit::Item::Table(next), _) => next,
            _ => return None,
        };
    }
    Some(t)
}

/// The key removed was the last of its table's body: what follows it in the text is the
/// next table header, or the end of the document.
fn rehome_after_table(doc: &mut toml_edit::DocumentMut, parents: &[String], prefix: &str) {
    let mut all = Vec::new();
    headed_tables(doc.as_table(), &mut Vec::new(), &mut all);
    // The nearest table on the path that has a header holds the key's text;
    // dotted and implicit tables have none. The root's body comes first.
    let mut here: isize = -1;
    let mut t = Some(doc.as_table());
    for key in parents {
        t = t
            .and_then(|t| t.get(key))
            .and_then(toml_edit::Item::as_table);
        if let Some(pos) = t
            .filter(|t| !t.is_implicit() && !t.is_dotted())
            .and_then(toml_edit::Table::position)
        {
            here = pos;
        }
    }
    let next = all
        .into_iter()
        .filter(|(pos, _)| *pos > here)
        .min_by_key(|(pos, _)| *pos);
    match next.and_then(|(_, path)| table_at_mut(doc.as_table_mut(), &path)) {
        Some(table) => prepend(table.decor_mut(), prefix),
        None => {
            let trailing = doc.trailing().as_str().unwrap_or_default().to_string();
            doc.set_trailing(format!("{prefix}{trailing}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn e(path: &str, v: Option<Value>) -> Edit {
        Edit {
            path: path.split('.').map(str::to_string).collect(),
            value: v,
        }
    }

    const GEMINI: &str = r#"{
  // Gemini CLI settings
  "general": { "vimMode": true },
  /* auth */
  "security": {
    "auth": { "selectedType": "oauth-personal" }, // set by /auth
  },
  "model": { "name": "gemini-2.5-pro" },
}
"#;

    const CODEX: &str = r#"# top comment
model = "gpt-5-codex" # mine
approval_policy = "on-request"

[mcp_servers.github]
command = "npx"
args = ["-y", "server-github"]
"#;

    #[test]
    fn json_set_new_and_existing_keys_keeps_the_rest() {
        let text =
            "{\n  \"model\": \"opus\",\n  \"env\": {\n    \"A\": \"1\"\n  },\n  \"hooks\": {}\n}\n";
        let out = apply(
            text,
            Format::Json,
            &[
                e("env.B", Some(json!("2"))),
                e("model", Some(json!("sonnet"))),
                e("apiKeyHelper", Some(json!("x"))),
            ],
        )
        .unwrap();
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["env"], json!({"A": "1", "B": "2"}));
        assert_eq!(v["model"], "sonnet");
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            ["model", "env", "hooks", "apiKeyHelper"],
            "order kept, new key last"
        );
        assert!(out.contains("    \"A\": \"1\""), "indentation kept:\n{out}");
    }

    /// Found by fuzzing (fuzz/switch_json): no-ops were judged against the original
    /// file, so a remove after a set of the same key was dropped and the set won.
    #[test]
    fn edits_apply_in_order_when_they_touch_the_same_path() {
        for (text, format) in [
            ("{}", Format::Json),
            ("{ /* c */ }", Format::Jsonc),
            ("", Format::Toml),
        ] {
            let out = apply(
                text,
                format,
                &[
                    e("a.b", Some(json!("x"))),
                    e("a.b", None),
                    e("c", Some(json!(1))),
                ],
            )
            .unwrap();
            assert_eq!(
                get(&out, format, &[]).unwrap(),
                Some(json!({"a": {}, "c": 1})),
                "{format:?}: {out}"
            );
            let out = apply(text, format, &[e("a", Some(json!(1))), e("a", None)]).unwrap();
            assert_eq!(
                out, text,
                "{format:?}: a set undone by a remove changes nothing"
            );
        }
        let back = [
            e("model", Some(json!("x"))),
            e("model", Some(json!("gpt-5-codex"))),
        ];
        assert_eq!(apply(CODEX, Format::Toml, &back).unwrap(), CODEX);
    }

    #[test]
    fn json_remove_then_noops_are_byte_identical() {
        let text = "{\n  \"env\": {\n    \"A\": \"1\"\n  }\n}\n";
        assert_eq!(
            apply(
                text,
                Format::Json,
                &[e("env.Z", None), e("env.A", Some(json!("1")))]
            )
            .unwrap(),
            text
        );
        let out = apply(text, Format::Json, &[e("env.A", None)]).unwrap();
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v, json!({"env": {}}));
        assert_eq!(
            apply(text, Format::Json, &[e("nothere.X", None)]).unwrap(),
            text
        );
    }

    #[test]
    fn json_missing_parent_is_created_and_empty_file_works() {
        let out = apply("", Format::Json, &[e("env.A", Some(json!("1")))]).unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&out).unwrap(),
            json!({"env": {"A": "1"}})
        );
        let out = apply("{}", Format::Json, &[e("env.A", Some(json!("1")))]).unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&out).unwrap(),
            json!({"env": {"A": "1"}})
        );
    }

    #[test]
    fn jsonc_comments_and_trailing_commas_survive() {
        let out = apply(
            GEMINI,
            Format::Jsonc,
            &[
                e("security.auth.selectedType", Some(json!("gemini-api-key"))),
                e("model.name", Some(json!("gemini-2.5-flash"))),
            ],
        )
        .unwrap();
        for keep in [
            "// Gemini CLI settings",
            "/* auth */",
            "// set by /auth",
            "\"vimMode\": true",
        ] {
            assert!(out.contains(keep), "lost {keep:?}:\n{out}");
        }
        assert_eq!(
            get(&out, Format::Jsonc, &["model".into(), "name".into()]).unwrap(),
            Some(json!("gemini-2.5-flash"))
        );
    }

    #[test]
    fn broken_files_are_refused_with_a_position() {
        for bad in [
            "{ \"env\": ",
            "{'a': 1}",
            "{\"a\": 1,}",
            "{\"a\": 1 \"b\": 2}",
            "// c\n{}",
        ] {
            let err = apply(bad, Format::Json, &[e("env.A", Some(json!("1")))]).unwrap_err();
            match err {
                EditError::Parse { line, .. } => assert!(line.is_some(), "{bad}"),
                other => panic!("{bad}: {other}"),
            }
        }
        let err = apply("[x\n", Format::Jsonc, &[]).unwrap_err();
        assert!(err.to_string().contains("line 1"), "{err}");
        let err = apply("a = 1\na = 2\n", Format::Toml, &[e("b", Some(json!(1)))]).unwrap_err();
        assert!(
            matches!(err, EditError::Parse { line: Some(_), .. }),
            "{err}"
        );
        let err = apply("[unclosed\n", Format::Toml, &[]).unwrap_err();
        assert!(matches!(err, EditError::Parse { .. }), "{err}");
    }

    #[test]
    fn a_key_written_twice_on_the_path_is_refused_and_elsewhere_left_alone() {
        let text = "{\n  \"env\": {\"A\": \"1\"},\n  \"env\": {\"A\": \"2\"}\n}\n";
        for format in [Format::Json, Format::Jsonc] {
            let err = apply(text, format, &[e("env.A", Some(json!("3")))]).unwrap_err();
            assert!(
                matches!(&err, EditError::DuplicateKey { path } if path == "env"),
                "{err}"
            );
            assert!(
                err.to_string().contains("env is written more than once"),
                "{err}"
            );
        }
        let leaf = "{\"env\": {\"A\": \"1\", \"A\": \"2\"}}";
        let err = apply(leaf, Format::Json, &[e("env.A", None)]).unwrap_err();
        assert!(
            matches!(&err, EditError::DuplicateKey { path } if path == "env.A"),
            "{err}"
        );
        // A duplicate elsewhere in the file does not block an edit it cannot affect.
        let other = "{\"x\": 1, \"x\": 2, \"env\": {}}";
        let out = apply(other, Format::Json, &[e("env.A", Some(json!("3")))]).unwrap();
        assert!(out.contains("\"x\": 1, \"x\": 2"), "{out}");
        assert!(out.contains("\"A\": \"3\""), "{out}");
    }

    #[test]
    fn a_parent_that_is_not_an_object_is_refused() {
        let err = apply(
            "{\"env\": \"oops\"}",
            Format::Json,
            &[e("env.A", Some(json!("1")))],
        )
        .unwrap_err();
        assert!(
            matches!(err, EditError::NotAnObject { ref path } if path == "env"),
            "{err}"
        );
        let err = apply("env = 3\n", Format::Toml, &[e("env.A", Some(json!("1")))]).unwrap_err();
        assert!(matches!(err, EditError::NotAnObject { .. }), "{err}");
        let err = apply("[1, 2]", Format::Json, &[e("a", Some(json!(1)))]).unwrap_err();
        assert!(matches!(err, EditError::NotAnObject { .. }), "{err}");
    }

    #[test]
    fn toml_keeps_comments_and_writes_explicit_tables() {
        let out = apply(
            CODEX,
            Format::Toml,
            &[
                e("model", Some(json!("openai/gpt-5"))),
                e("model_provider", Some(json!("openrouter"))),
                e(
                    "model_providers.openrouter.base_url",
                    Some(json!("https://openrouter.ai/api/v1")),
                ),
                e(
                    "model_providers.openrouter.wire_api",
                    Some(json!("responses")),
                ),
            ],
        )
        .unwrap();
        assert!(out.contains("# top comment"), "{out}");
        assert!(
            out.contains("model = \"openai/gpt-5\" # mine"),
            "the key's comment stays:\n{out}"
        );
        assert!(out.contains("[mcp_servers.github]"), "{out}");
        assert!(out.contains("[model_providers.openrouter]"), "{out}");
        let back = apply(
            &out,
            Format::Toml,
            &[
                e("model", Some(json!("gpt-5-codex"))),
                e("model_provider", None),
                e("model_providers.openrouter.base_url", None),
                e("model_providers.openrouter.wire_api", None),
            ],
        )
        .unwrap();
        for line in CODEX.lines() {
            assert!(back.contains(line), "lost {line:?}:\n{back}");
        }
        assert_eq!(
            get(&back, Format::Toml, &["model_provider".into()]).unwrap(),
            None
        );
    }

    #[test]
    fn toml_null_is_unrepresentable_and_noops_are_identical() {
        let err = apply(CODEX, Format::Toml, &[e("x", Some(Value::Null))]).unwrap_err();
        assert!(matches!(err, EditError::Unrepresentable { .. }), "{err}");
        assert_eq!(
            apply(
                CODEX,
                Format::Toml,
                &[e("model", Some(json!("gpt-5-codex"))), e("zzz", None)]
            )
            .unwrap(),
            CODEX
        );
    }

    #[test]
    fn the_read_back_check_catches_an_edit_that_went_wrong() {
        let old = "{\"a\": 1, \"b\": {\"c\": 2}}";
        let set_c = e("b.c", Some(json!(3)));
        assert!(
            verify(
                old,
                "{\"a\": 1, \"b\": {\"c\": 3}}",
                Format::Json,
                &[&set_c]
            )
            .is_ok()
        );
        // A library that also dropped "a" would be caught.
        let err = verify(old, "{\"b\": {\"c\": 3}}", Format::Json, &[&set_c]).unwrap_err();
        assert!(matches!(err, EditError::Verify(_)), "{err}");
        let err = verify(old, "{\"b\": ", Format::Json, &[&set_c]).unwrap_err();
        assert!(err.to_string().contains("does not parse"), "{err}");
    }

    /// Issue 18, item 1: removing `model` dropped the comment and blank line above it.
    #[test]
    fn toml_removal_keeps_the_comment_and_blank_lines_above() {
        let text = "# my codex settings\n\nmodel = \"gpt-5-codex\"   # the default model\napproval_policy = \"on-request\"\n";
        let out = apply(text, Format::Toml, &[e("model", None)]).unwrap();
        assert_eq!(
            out,
            "# my codex settings\n\napproval_policy = \"on-request\"\n"
        );
        // The last key of a body: its comment goes to the next table header.
        let text = "a = 1\n\n# about b\nb = 2\n\n# servers\n[mcp]\nx = 1\n";
        let out = apply(text, Format::Toml, &[e("b", None)]).unwrap();
        assert_eq!(out, "a = 1\n\n# about b\n\n# servers\n[mcp]\nx = 1\n");
        // Nothing follows: it stays at the end of the document.
        let text = "[t]\nk = 1\n# closing words\nz = 2\n";
        let out = apply(text, Format::Toml, &[e("t.z", None)]).unwrap();
        assert_eq!(out, "[t]\nk = 1\n# closing words\n");
    }

    /// A parent object written on one line (`"env": { "A": "1" }`) is re-laid when a key goes
    /// in: the read-back check refused every such switch (found by running the switch
    /// benchmark), although only the layout of the switched object changed. Its neighbours and
    /// comments must still survive, and a switch back must work too.
    #[test]
    fn a_one_line_parent_object_can_be_switched_and_back() {
        for (format, old) in [
            (
                Format::Json,
                "{\n  \"model\": \"opus\",\n  \"env\": { \"DISABLE_TELEMETRY\": \"1\" },\n  \"x\": 1\n}\n",
            ),
            (
                Format::Jsonc,
                "{\n  \"env\": { \"A\": \"1\", /* keep */ \"B\": \"x, y}\" } // mine\n}\n",
            ),
            (Format::Json, "{ \"env\": { \"A\": \"1\" } }\n"),
        ] {
            let to = [
                e("env.CLAUDE_CODE_USE_BEDROCK", Some(json!("1"))),
                e("env.AWS_REGION", Some(json!("us-east-1"))),
            ];
            let switched =
                apply(old, format, &to).unwrap_or_else(|err| panic!("{format:?} {old}: {err}"));
            let back = [
                e("env.CLAUDE_CODE_USE_BEDROCK", None),
                e("env.AWS_REGION", None),
            ];
            let restored = apply(&switched, format, &back)
                .unwrap_or_else(|err| panic!("{format:?} {switched}: {err}"));
            assert_eq!(
                get(&restored, format, &[]).unwrap(),
                get(old, format, &[]).unwrap()
            );
            if format == Format::Jsonc {
                assert!(
                    switched.contains("/* keep */") && switched.contains("// mine"),
                    "{switched}"
                );
            }
        }
        // Still refused: a neighbour's comment lost while the object is re-laid.
        let set = e("env.X", Some(json!("1")));
        let old = "{\n  \"env\": { \"A\": \"1\" /* keep */ }\n}\n";
        let new = "{\n  \"env\": {\n    \"A\": \"1\",\n    \"X\": \"1\"\n  }\n}\n";
        let err = verify(old, new, Format::Jsonc, &[&set]).unwrap_err();
        assert!(
            err.to_string().contains("outside the switched keys"),
            "{err}"
        );
        // And the same text re-laid passes.
        let new = "{\n  \"env\": {\n    \"A\": \"1\" /* keep */,\n    \"X\": \"1\"\n  }\n}\n";
        verify(old, new, Format::Jsonc, &[&set]).unwrap();
    }

    /// Issue 18, item 1: the read-back check compared values only, so a lost comment
    /// or blank line went through. Each `new` here has the right values.
    #[test]
    fn the_read_back_check_catches_lost_comments_and_spacing_in_every_format() {
        let set = e("model", Some(json!("y")));
        let cases = [
            (
                Format::Toml,
                "# mine\n\nmodel = \"x\"\nother = 1\n",
                "model = \"y\"\nother = 1\n",
            ),
            (
                Format::Toml,
                "model = \"x\"\n\nother = 1 # why\n",
                "model = \"y\"\nother = 1\n",
            ),
            (
                Format::Jsonc,
                "{\n  // mine\n  \"model\": \"x\",\n  \"other\": 1\n}\n",
                "{\n  \"model\": \"y\",\n  \"other\": 1\n}\n",
            ),
            (
                Format::Json,
                "{\n  \"model\": \"x\",\n\n  \"other\": 1\n}\n",
                "{\n  \"model\": \"y\",\n  \"other\":   1\n}\n",
            ),
            (
                Format::Dotenv,
                "# mine\nmodel=x\nother=1\n",
                "model=y\nother=1\n",
            ),
        ];
        for (format, old, new) in cases {
            let err = verify(old, new, format, &[&set]).unwrap_err();
            assert!(
                err.to_string().contains("outside the switched keys"),
                "{format:?}: {err}"
            );
            // While the editor's own result passes.
            let out = apply(old, format, std::slice::from_ref(&set)).unwrap();
            assert_ne!(out, new, "{format:?}");
        }
    }

    #[test]
    fn garbage_never_panics() {
        for g in [
            "",
            "\u{0}",
            "{{{{",
            "}}",
            "[[[[",
            "\"",
            "{\"a\":{\"b\":[{\"c\":",
            "= = =",
            "[a]\n[a]\n",
        ] {
            for f in [Format::Json, Format::Jsonc, Format::Toml, Format::Dotenv] {
                let _ = apply(g, f, &[e("a.b", Some(json!(1))), e("c", None)]);
                let _ = get(g, f, &["a".into()]);
            }
        }
    }
}
