//! Turns `validator` reports into the flat `{field, message}` list of a 422.

use std::borrow::Cow;

use validator::{ValidationError, ValidationErrors, ValidationErrorsKind};

use crate::error::FieldError;

/// The `validator` errors of a value, flattened; empty when it is valid.
pub fn errors_of<T: validator::Validate>(value: &T) -> Vec<FieldError> {
    match value.validate() {
        Ok(()) => Vec::new(),
        Err(errors) => field_errors(&errors),
    }
}

pub fn field_errors(errors: &ValidationErrors) -> Vec<FieldError> {
    let mut out = Vec::new();
    collect(errors, "", &mut out);
    out.sort_by(|a, b| a.field.cmp(&b.field));
    out
}

fn collect(errors: &ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                out.extend(list.iter().map(|e| FieldError::new(&path, message(e))));
            }
            ValidationErrorsKind::Struct(inner) => collect(inner, &path, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    collect(inner, &format!("{path}[{index}]"), out);
                }
            }
        }
    }
}

fn message(e: &ValidationError) -> String {
    if let Some(m) = &e.message {
        return m.to_string();
    }
    let param = |name: &str| e.params.get(name).map(|v| v.to_string());
    match e.code.as_ref() {
        "length" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be {min} to {max} characters"),
            (Some(min), None) => format!("must be at least {min} characters"),
            (None, Some(max)) => format!("must be at most {max} characters"),
            _ => "has the wrong length".into(),
        },
        "range" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be between {min} and {max}"),
            (Some(min), None) => format!("must be at least {min}"),
            (None, Some(max)) => format!("must be at most {max}"),
            _ => "is out of range".into(),
        },
        "email" => "must be a valid email address".into(),
        "required" => "is required".into(),
        other => Cow::from(other).replace('_', " "),
    }
}

impl From<ValidationErrors> for crate::error::ApiError {
    fn from(e: ValidationErrors) -> Self {
        Self::Validation(field_errors(&e))
    }
}

/// Fields of free text that may run over several lines (Markdown, statements,
/// reasons): they keep `\n`, `\r` and `\t`. Every other text field of a request is a
/// single line. Matched on the field's own name, wherever it sits in a body.
pub const MULTI_LINE_FIELDS: [&str; 7] = [
    "description",
    "summary",
    "body",
    "statement",
    "reason",
    "accessibility_needs",
    "password",
];

/// Whether a text field may hold line breaks and tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    /// Names, titles, emails, slugs, query parameters: no control character at all.
    SingleLine,
    /// Free text: line breaks and tabs, but no NUL, other C0 control or DEL.
    MultiLine,
}

impl TextKind {
    /// The kind of the field at `path` (`sections[0].body` is a `body`).
    pub fn of_field(path: &str) -> Self {
        let name = path.rsplit('.').next().unwrap_or(path);
        let name = name.split('[').next().unwrap_or(name);
        if MULTI_LINE_FIELDS.contains(&name) {
            Self::MultiLine
        } else {
            Self::SingleLine
        }
    }
}

/// The one rule for control characters in text input: what is wrong with `value`, if
/// anything. PostgreSQL text cannot hold NUL at all, and no field here needs C0
/// controls or DEL; single-line fields refuse CR, LF and TAB too.
pub fn control_character_problem(value: &str, kind: TextKind) -> Option<&'static str> {
    let allowed = |c: char| kind == TextKind::MultiLine && matches!(c, '\n' | '\r' | '\t');
    let bad = value
        .chars()
        .any(|c| (c.is_ascii_control() || is_c1_control(c)) && !allowed(c));
    match (bad, kind) {
        (false, _) => None,
        (true, TextKind::SingleLine) => {
            Some("must not contain control characters (including line breaks and tabs)")
        }
        (true, TextKind::MultiLine) => {
            Some("must not contain NUL or control characters other than line breaks and tabs")
        }
    }
}

/// U+0080 to U+009F: the C1 controls, as invisible and unwanted as C0.
fn is_c1_control(c: char) -> bool {
    ('\u{80}'..='\u{9f}').contains(&c)
}

/// Every string of a JSON request body checked for control characters, its path named
/// as the 422 names fields (`venue.name`, `speakers[1]`). Object keys are the field
/// names themselves: a key with a control character is an unknown field anyway.
pub fn json_text_errors(value: &serde_json::Value) -> Vec<FieldError> {
    let mut out = Vec::new();
    walk_text(value, String::new(), &mut out);
    out
}

fn walk_text(value: &serde_json::Value, path: String, out: &mut Vec<FieldError>) {
    use serde_json::Value;
    match value {
        Value::String(text) => {
            if let Some(message) = control_character_problem(text, TextKind::of_field(&path)) {
                out.push(FieldError::new(path, message));
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                walk_text(item, format!("{path}[{index}]"), out);
            }
        }
        Value::Object(members) => {
            for (key, member) in members {
                let key = if control_character_problem(key, TextKind::SingleLine).is_some() {
                    key.escape_default().to_string()
                } else {
                    key.clone()
                };
                let child = if path.is_empty() {
                    key
                } else {
                    format!("{path}.{key}")
                };
                walk_text(member, child, out);
            }
        }
        _ => {}
    }
}

/// A query string's parameters, each checked for control characters: every parameter
/// is a single line, known to the endpoint or not.
pub fn query_text_errors(query: &str) -> Vec<FieldError> {
    let Ok(pairs) = serde_urlencoded::from_str::<Vec<(String, String)>>(query) else {
        return Vec::new();
    };
    let mut out: Vec<FieldError> = Vec::new();
    for (name, value) in pairs {
        let bad_name = control_character_problem(&name, TextKind::SingleLine).is_some();
        let field = if bad_name {
            name.escape_default().to_string()
        } else {
            name
        };
        let problem = control_character_problem(&value, TextKind::SingleLine)
            .or(bad_name.then_some("must not contain control characters"));
        if let Some(message) = problem
            && !out.iter().any(|e| e.field == field)
        {
            out.push(FieldError::new(field, message));
        }
    }
    out
}

#[cfg(test)]
mod text_tests {
    use super::*;

    #[test]
    fn single_line_fields_refuse_every_control_character() {
        for bad in [
            "a\0b",
            "a\nb",
            "a\r\nb",
            "a\tb",
            "a\u{7f}",
            "a\u{1b}[0m",
            "a\u{85}",
        ] {
            assert!(
                control_character_problem(bad, TextKind::SingleLine).is_some(),
                "{bad:?}"
            );
        }
        assert!(control_character_problem("Ada Lovelace — Camden", TextKind::SingleLine).is_none());
    }

    #[test]
    fn multi_line_fields_keep_line_breaks_and_tabs_only() {
        assert!(control_character_problem("a\nb\r\n\tc", TextKind::MultiLine).is_none());
        for bad in ["a\0b", "a\u{7}", "a\u{7f}", "a\u{1b}"] {
            assert!(
                control_character_problem(bad, TextKind::MultiLine).is_some(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn json_text_errors_name_the_path() {
        let body = serde_json::json!({
            "title": "a\u{0}b",
            "description": "line\nline",
            "venue": {"name": "x\ny"},
            "speakers": ["ok", "b\u{0}"],
            "sections": [{"heading": "h", "body": "a\n\u{0}"}]
        });
        let fields: Vec<String> = json_text_errors(&body)
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            ["title", "venue.name", "speakers[1]", "sections[0].body"]
        );
    }

    #[test]
    fn query_text_errors_name_the_parameter() {
        let errors = query_text_errors("q=a%00b&kind=workshop&from=x%0Ay");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["q", "from"]);
    }
}

/// A `from`/`to` query parameter: 400 when malformed, 422 naming it when its year is
/// outside the accepted range.
pub fn filter_time(
    raw: Option<&str>,
    name: &str,
    bound: crate::domain::time::DateBound,
) -> Result<Option<chrono::NaiveDateTime>, crate::error::ApiError> {
    use crate::domain::time::{FilterTimeError, parse_filter_time};
    use crate::error::ApiError;
    let Some(raw) = raw else { return Ok(None) };
    match parse_filter_time(raw, bound) {
        Ok(time) => Ok(Some(time)),
        Err(FilterTimeError::Malformed(m)) => Err(ApiError::BadRequest(format!(
            "Query parameter `{name}` {m}."
        ))),
        Err(FilterTimeError::OutOfRange(m)) => Err(ApiError::invalid(name, m)),
    }
}

/// A route's captured path segments, each checked for control characters once
/// percent-decoded (the router leaves some escapes in place).
pub fn path_text_errors<'a>(segments: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<FieldError> {
    segments
        .filter_map(|(name, raw)| {
            let decoded = percent_decoded(raw);
            control_character_problem(&decoded, TextKind::SingleLine)
                .map(|message| FieldError::new(name, message))
        })
        .collect()
}

/// `%XX` escapes decoded (invalid UTF-8 shown as U+FFFD); anything else kept.
fn percent_decoded(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod path_tests {
    #[test]
    fn path_segments_are_checked_decoded() {
        let errors = super::path_text_errors(
            [("id_or_slug", "a%00b"), ("other", "fine%20name")].into_iter(),
        );
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "id_or_slug");
        assert!(super::path_text_errors([("id_or_slug", "a\0b")].into_iter()).len() == 1);
    }
}
