//! Markdown to safe HTML: raw HTML becomes text, only http(s), mailto and relative links
//! survive, and ammonia cleans the result.

use std::collections::HashSet;

use pulldown_cmark::{Event, LinkType, Options, Parser, Tag, TagEnd, html};

/// Whether a link target may stay: http, https, mailto, or relative.
fn link_allowed(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    match lower.find(':') {
        Some(i) if !lower[..i].contains(['/', '?', '#']) => {
            lower.starts_with("http:")
                || lower.starts_with("https:")
                || lower.starts_with("mailto:")
        }
        _ => true,
    }
}

/// Whether a character is East Asian wide (CJK ideographs, kana, hangul, full-width forms and
/// CJK punctuation): between two of them a line break is not a space.
fn is_wide(c: char) -> bool {
    matches!(c,
        '\u{1100}'..='\u{115F}' | '\u{2E80}'..='\u{303E}' | '\u{3041}'..='\u{33FF}'
        | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{A000}'..='\u{A4CF}'
        | '\u{AC00}'..='\u{D7A3}' | '\u{F900}'..='\u{FAFF}' | '\u{FE30}'..='\u{FE4F}'
        | '\u{FF00}'..='\u{FF60}' | '\u{FFE0}'..='\u{FFE6}' | '\u{20000}'..='\u{3FFFD}')
}

/// Joins the lines of plain text the way CSS joins segment breaks: no space between two wide
/// (CJK) characters, one space otherwise. `公开，\n签署` becomes `公开，签署`.
pub fn join_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let tight = matches!(
            (out.chars().last(), line.chars().next()),
            (Some(a), Some(b)) if is_wide(a) && is_wide(b)
        );
        if !out.is_empty() && !tight {
            out.push(' ');
        }
        out.push_str(line);
    }
    out
}

fn text_edge(event: &Event<'_>, last: bool) -> Option<char> {
    match event {
        Event::Text(t) | Event::Code(t) if last => t.chars().last(),
        Event::Text(t) | Event::Code(t) => t.chars().next(),
        _ => None,
    }
}

/// Renders Markdown to HTML that cannot run script.
pub fn to_safe_html(markdown: &str) -> String {
    let mut dropping_link = false;
    let events: Vec<Event<'_>> = Parser::new_ext(
        markdown,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
    )
    .filter_map(|event| match event {
        Event::Html(text) | Event::InlineHtml(text) => Some(Event::Text(text)),
        Event::Start(Tag::Link { ref dest_url, .. }) if !link_allowed(dest_url) => {
            dropping_link = true;
            None
        }
        Event::End(TagEnd::Link) if dropping_link => {
            dropping_link = false;
            None
        }
        Event::Start(Tag::Image { ref dest_url, .. }) if !link_allowed(dest_url) => {
            Some(Event::Start(Tag::Image {
                link_type: LinkType::Inline,
                dest_url: "".into(),
                title: "".into(),
                id: "".into(),
            }))
        }
        other => Some(other),
    })
    .collect();
    // A soft break between two wide characters is not a space in Chinese text.
    let joined = events.iter().enumerate().filter_map(|(i, event)| {
        let between_wide = matches!(event, Event::SoftBreak)
            && i > 0
            && text_edge(&events[i - 1], true).is_some_and(is_wide)
            && events
                .get(i + 1)
                .and_then(|e| text_edge(e, false))
                .is_some_and(is_wide);
        (!between_wide).then(|| event.clone())
    });
    let mut unsafe_html = String::new();
    html::push_html(&mut unsafe_html, joined);
    ammonia::Builder::default()
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .url_relative(ammonia::UrlRelative::PassThrough)
        .clean(&unsafe_html)
        .to_string()
}

/// Plain text of a Markdown summary, cut to `max` characters, for listings.
pub fn plain_snippet(markdown: &str, max: usize) -> String {
    shorten(&plain_text(markdown), max)
}

/// `text` cut to `max` characters, with `…` when cut: [`plain_snippet`] of text already
/// made plain by [`plain_text`].
pub fn shorten(text: &str, max: usize) -> String {
    // One rule with the search results' snippets.
    search_index::build::shorten(text, max).into_owned()
}

/// Markdown as plain text: the text of each block, blocks separated by a space.
pub fn plain_text(markdown: &str) -> String {
    // Lines within a block join as CSS joins them; blocks are separated by a space.
    let mut blocks = Vec::new();
    let mut block = String::new();
    for event in Parser::new(markdown) {
        match event {
            Event::Text(t) | Event::Code(t) => block.push_str(&t),
            Event::SoftBreak | Event::HardBreak => block.push('\n'),
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item) => {
                blocks.push(join_lines(&block));
                block.clear();
            }
            _ => {}
        }
    }
    blocks.push(join_lines(&block));
    blocks
        .into_iter()
        .filter(|b| !b.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_and_dangerous_links_are_neutralised() {
        let html = to_safe_html(
            "<script>alert(1)</script>\n\n[x](javascript:alert(1)) [y](https://a.b) [z](../about/) \
             <img src=x onerror=alert(1)> [J](JavaScript&#58;alert(1))",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.to_lowercase().contains("javascript:"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(html.contains(r#"href="https://a.b""#), "{html}");
        assert!(html.contains(r#"href="../about/""#), "{html}");
    }

    #[test]
    fn line_breaks_between_chinese_characters_are_not_spaces() {
        assert_eq!(
            join_lines("说明用途，\n  签署协议\nWGS 84\nand more"),
            "说明用途，签署协议 WGS 84 and more"
        );
        assert_eq!(
            to_safe_html("第一行\n第二行 end\nnext"),
            "<p>第一行第二行 end\nnext</p>\n"
        );
        assert_eq!(
            plain_snippet("第一行\n第二行\n\n第二段", 100),
            "第一行第二行 第二段"
        );
    }

    #[test]
    fn snippet_is_plain_and_short() {
        assert_eq!(
            plain_snippet("**公交** 站点\n\n第二段", 100),
            "公交 站点 第二段"
        );
        assert_eq!(plain_snippet("一二三四五", 3), "一二三…");
    }
}
