//! Text analysis: Chinese word segmentation with jieba (through tantivy-jieba, in search mode)
//! and a user dictionary built from the catalog itself.
//!
//! A word of the dictionary (交通运输厅, 企业信用) stays one token, and its parts stay findable:
//! search mode adds the two- and three-character words inside it, and full mode adds every
//! other dictionary word that occurs in the text (交通运输 inside 交通运输厅, 企业信用 inside
//! 从业企业信用评价). Tokens without a letter,
//! digit or Han character (punctuation, spaces) are dropped; ASCII is lowercased and full-width
//! ASCII folded to half-width, exactly as the clients fold queries.

use std::sync::Arc;

use tantivy::tokenizer::{PreTokenizedStream, PreTokenizedString, Token, TokenStream, Tokenizer};
use tantivy_jieba::JiebaTokenizer;
use tantivy_jieba::jieba_rs::Jieba;

/// The name the analyzer is registered under in the tantivy index.
pub const ANALYZER: &str = "kaifang";

/// Longest token kept, in characters; longer runs (hashes, URLs) are not useful search terms.
pub const MAX_TOKEN_CHARS: usize = 24;

/// Folds full-width ASCII to half-width, the ideographic space to a space, and ASCII to
/// lowercase. Queries go through the same folding in both clients.
pub fn fold(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Whether a token is worth indexing: it has a letter, digit or Han character.
pub fn is_word(token: &str) -> bool {
    token.chars().any(char::is_alphanumeric)
}

/// Whether a character is a Han ideograph (the scripts the segmenter treats as Chinese).
pub fn is_han(c: char) -> bool {
    matches!(c,
        '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2FA1F}')
}

/// Builds jieba's default dictionary plus the catalog's own words.
pub fn dictionary(words: &[String]) -> Jieba {
    let mut jieba = Jieba::new();
    for word in words.iter().filter(|w| is_segmenter_word(w)) {
        jieba.add_word(word, None, None);
    }
    jieba
}

/// Whether [`dictionary`] takes this catalog word: 2 to `MAX_TOKEN_CHARS` letters or digits.
pub fn is_segmenter_word(word: &str) -> bool {
    (2..=MAX_TOKEN_CHARS).contains(&word.chars().count()) && word.chars().all(char::is_alphanumeric)
}

/// The tantivy tokenizer: tantivy-jieba in search mode, then the longer sub-words, word filter
/// and folding described in the module documentation.
#[derive(Clone)]
pub struct CatalogTokenizer {
    segmenter: JiebaTokenizer,
    dictionary: Arc<Jieba>,
}

impl CatalogTokenizer {
    /// A tokenizer over `dictionary` (see [`dictionary`]). Search mode uses tantivy-jieba's
    /// shared default dictionary, full mode `dictionary` (default words plus the catalog's);
    /// neither is copied when tantivy clones the tokenizer for each indexing thread.
    pub fn new(dictionary: Arc<Jieba>) -> CatalogTokenizer {
        let mut segmenter = JiebaTokenizer::new();
        segmenter.set_search_mode(true);
        CatalogTokenizer {
            segmenter,
            dictionary,
        }
    }

    /// The tokens of `text`: jieba's search-mode words, then every other dictionary word of
    /// two or more characters that occurs in the text (jieba's full mode), so a dictionary
    /// word is found wherever it occurs (企业信用 inside 从业企业信用评价, which search mode
    /// cuts as 从业 / 企业 / 信用 / 评价).
    pub fn tokens(&mut self, text: &str) -> Vec<String> {
        let folded = fold(text);
        let mut stream = self.segmenter.token_stream(&folded);
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        while stream.advance() {
            let token = stream.token();
            let word = token.text.as_str();
            if !is_word(word) || word.chars().count() > MAX_TOKEN_CHARS {
                continue;
            }
            seen.insert((token.offset_from, word.len()));
            out.push(word.to_string());
        }
        for token in self.dictionary.cut_all(&folded) {
            let chars = token.end - token.start;
            if (2..=MAX_TOKEN_CHARS).contains(&chars)
                && is_word(token.word)
                && seen.insert((token.byte_start, token.word.len()))
            {
                out.push(token.word.to_string());
            }
        }
        out
    }
}

impl Tokenizer for CatalogTokenizer {
    type TokenStream<'a> = PreTokenizedStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> PreTokenizedStream {
        let tokens = self
            .tokens(text)
            .into_iter()
            .enumerate()
            .map(|(position, text)| Token {
                offset_from: 0,
                offset_to: 0,
                position,
                text,
                position_length: 1,
            })
            .collect();
        PreTokenizedStream::from(PreTokenizedString {
            text: String::new(),
            tokens,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokenizer(words: &[&str]) -> CatalogTokenizer {
        let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        CatalogTokenizer::new(Arc::new(dictionary(&words)))
    }

    #[test]
    fn dictionary_words_stay_whole_and_their_parts_are_found() {
        let mut t = tokenizer(&["交通运输厅", "企业信用"]);
        let tokens = t.tokens("广西壮族自治区交通运输厅发布企业信用信息");
        for expected in [
            "交通运输厅",
            "交通运输",
            "交通",
            "运输",
            "企业信用",
            "企业",
            "信用",
        ] {
            assert!(
                tokens.iter().any(|t| t == expected),
                "{expected} in {tokens:?}"
            );
        }
    }

    #[test]
    fn dictionary_words_are_found_where_search_mode_cuts_across_them() {
        let mut t = tokenizer(&["企业信用"]);
        let tokens = t.tokens("公路建设、从业企业信用评价信息");
        assert!(tokens.contains(&"企业信用".to_string()), "{tokens:?}");
    }

    #[test]
    fn punctuation_is_dropped_and_ascii_folded() {
        let mut t = tokenizer(&[]);
        let tokens = t.tokens("ＧＤＰ统计，（2023年）API!");
        assert!(tokens.contains(&"gdp".to_string()), "{tokens:?}");
        assert!(tokens.contains(&"api".to_string()), "{tokens:?}");
        assert!(tokens.contains(&"2023".to_string()), "{tokens:?}");
        assert!(tokens.iter().all(|t| is_word(t)), "{tokens:?}");
    }

    #[test]
    fn bus_is_not_two_characters() {
        let mut t = tokenizer(&[]);
        let tokens = t.tokens("南宁市公交站点分布");
        assert!(tokens.contains(&"公交".to_string()), "{tokens:?}");
        assert!(!tokens.contains(&"公".to_string()), "{tokens:?}");
    }
}
