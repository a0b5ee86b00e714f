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

/// Renders Markdown to HTML that cannot run script.
pub fn to_safe_html(markdown: &str) -> String {
    let mut dropping_link = false;
    let events = Parser::new_ext(
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
    });
    let mut unsafe_html = String::new();
    html::push_html(&mut unsafe_html, events);
    ammonia::Builder::default()
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .url_relative(ammonia::UrlRelative::PassThrough)
        .clean(&unsafe_html)
        .to_string()
}

/// Plain text of a Markdown summary, cut to `max` characters, for listings.
pub fn plain_snippet(markdown: &str, max: usize) -> String {
    let mut text = String::new();
    for event in Parser::new(markdown) {
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak | Event::End(TagEnd::Paragraph) => text.push(' '),
            _ => {}
        }
    }
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() > max {
        let mut cut: String = text.chars().take(max).collect();
        cut.push('…');
        cut
    } else {
        text
    }
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
    fn snippet_is_plain_and_short() {
        assert_eq!(
            plain_snippet("**公交** 站点\n\n第二段", 100),
            "公交 站点 第二段"
        );
        assert_eq!(plain_snippet("一二三四五", 3), "一二三…");
    }
}
