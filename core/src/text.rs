//! Substring search for the rules the widget runs in the browser. `str::find` with a `&str` pattern brings
//! core's two-way searcher into the wasm (measured: 0.9 KB gzip on each widget page, DESIGN.md §8); what
//! is searched here is short (a user agent, a URL, an e-mail address, a phone number), so a plain scan does
//! as well.

/// The byte offset of the first `needle` in `haystack`, as `haystack.find(needle)` answers it.
///
/// A match always starts on a character boundary: UTF-8 never has one character's bytes inside another's,
/// so the offset may be used to split `haystack`.
pub fn find(haystack: &str, needle: &str) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|w| w == needle.as_bytes())
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &str, needle: &str) -> bool {
    find(haystack, needle).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn finds_what_str_finds() {
        assert_eq!(find("+44(0)20", "(0)"), Some(3));
        assert_eq!(find("https://a.se", "://"), Some(5));
        assert_eq!(find("åsa..lindé", ".."), Some(4));
        assert_eq!(find("abc", ""), Some(0));
        assert_eq!(find("", "a"), None);
        assert_eq!(find("ab", "abc"), None);
        assert!(contains(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0)",
            "iPhone"
        ));
        assert!(!contains("Mozilla/5.0 (X11; Linux x86_64)", "Mobile"));
    }

    proptest! {
        #[test]
        fn agrees_with_str_find(haystack in "[aå.(0):/é]{0,12}", needle in "[aå.(0):/é]{0,3}") {
            prop_assert_eq!(find(&haystack, &needle), haystack.find(needle.as_str()));
        }
    }
}
