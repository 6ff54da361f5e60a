//! Markdown to HTML, only ever through a sanitiser: bulletin text is written by admins
//! but ends up on borough websites and in feed readers.

/// Safe HTML for a Markdown body: raw HTML in the source is escaped or stripped, links
/// get `rel="noopener noreferrer"`.
pub fn to_safe_html(markdown: &str) -> String {
    let options =
        pulldown_cmark::Options::ENABLE_TABLES | pulldown_cmark::Options::ENABLE_STRIKETHROUGH;
    let parser = pulldown_cmark::Parser::new_ext(markdown, options);
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, parser);
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer"))
        .clean(&html)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_renders_and_scripts_do_not() {
        let html = to_safe_html(
            "**Workshops** [CoP](https://example.org) <script>alert(1)</script> <img src=x onerror=alert(1)>",
        );
        assert!(html.contains("<strong>Workshops</strong>"));
        assert!(html.contains("rel=\"noopener noreferrer\""));
        assert!(!html.contains("<script"));
        assert!(!html.contains("onerror"));
    }

    #[test]
    fn tables_render() {
        let html = to_safe_html("| Date | Topic |\n| --- | --- |\n| 15 March | Services |");
        assert!(
            html.contains("<table>") && html.contains("<td>15 March</td>"),
            "{html}"
        );
    }

    #[test]
    fn javascript_links_are_removed() {
        let html = to_safe_html("[click](javascript:alert(1))");
        assert!(!html.contains("javascript:"), "{html}");
    }
}
