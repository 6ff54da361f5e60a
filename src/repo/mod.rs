//! Diesel queries, one module per resource, over the shared connection type.

pub mod accounts;
pub mod audit;
pub mod bulletins;
pub mod events;
pub mod membership;
pub mod notifications;
pub mod personal_data;
pub mod refresh_tokens;
pub mod registrations;

/// Escapes `%`, `_` and `\` for a LIKE pattern used with `ESCAPE '\'`.
pub fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(super::like_escape(r"50%_off\"), r"50\%\_off\\");
    }
}
