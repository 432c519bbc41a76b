//! Small text helpers shared by the emitters: safe comment text, counts in words.

use std::borrow::Cow;

use certblock_list::Blocklist;

/// Makes `s` safe inside a one-line comment of any of our formats: control characters (a newline
/// would end a `//` comment and let the rest of a subject become code) become `?`, and `*/`,
/// `-->` are broken so they cannot close a block comment.
pub(crate) fn comment_safe(s: &str) -> Cow<'_, str> {
    // Almost every name is safe as it is: borrow it (lists hold a million of them).
    if is_comment_safe(s) {
        return Cow::Borrowed(s);
    }
    let cleaned = s
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect::<String>()
        .replace("*/", "* /")
        .replace("-->", "-- >");
    Cow::Owned(cleaned)
}

/// Whether `s` needs no change for [`comment_safe`], in one pass over its bytes: no control
/// character (C0, DEL, or C1, which UTF-8 writes as 0xC2 then 0x80 to 0x9F), no `*/`, no `-->`.
fn is_comment_safe(s: &str) -> bool {
    let b = s.as_bytes();
    b.iter().enumerate().all(|(i, &c)| match c {
        0..0x20 | 0x7f => false,
        0xc2 => !matches!(b.get(i + 1), Some(0x80..=0x9f)),
        b'*' => b.get(i + 1) != Some(&b'/'),
        b'-' => b.get(i + 1..i + 3) != Some(b"->"),
        _ => true,
    })
}

/// "N keys (a block, b known-interception, c blocked-interception)".
pub(crate) fn summary_counts(list: &Blocklist) -> String {
    let c = list.counts();
    format!(
        "{} keys ({} block, {} known-interception, {} blocked-interception) from {} incidents",
        list.entries.len(),
        c.block,
        c.known_interception,
        c.blocked_interception,
        list.incidents.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comment_safe_removes_line_breaks_and_comment_closers() {
        assert_eq!(comment_safe("CN=a\nfn evil() {}"), "CN=a?fn evil() {}");
        assert_eq!(comment_safe("O=x */ y --> z"), "O=x * / y -- > z");
        assert!(matches!(
            comment_safe("CN=plain"),
            Cow::Borrowed("CN=plain")
        ));
        // The one-pass test agrees with the definition on every tricky case.
        for s in [
            "a\u{85}b", "a\u{a0}b", "é", "x*y", "x*", "x-", "x--", "x->", "x-->", "\u{7f}", "\t",
            "a-b->c", "**/", "---->",
        ] {
            let plain = !s.contains(char::is_control) && !s.contains("*/") && !s.contains("-->");
            assert_eq!(is_comment_safe(s), plain, "{s:?}");
        }
    }
}
