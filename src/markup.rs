//! Text in the SVG and HTML sundial writes (the pictures, the dashboard):
//! one escape for both.

/// `text` with `&`, `<`, `>`, `"` and `'` escaped: safe in element text
/// and in quoted attribute values, in XML and HTML alike.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_characters_are_escaped_and_others_kept() {
        assert_eq!(escape(r#"a<b>&"c'ü"#), "a&lt;b&gt;&amp;&quot;c&#39;ü");
    }
}
