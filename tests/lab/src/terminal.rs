//! What a program showed on a terminal: tests type into our interactive tools through a pty
//! (`script -qfec`) and read the screen with the line editor's escape sequences removed.

/// `text` as a person reads it: ANSI control sequences (`ESC [` … up to a letter or `~`) and
/// lone `ESC` characters removed; carriage returns are kept.
#[must_use]
pub fn strip_escapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        if chars.next_if_eq(&'[').is_some() {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() || d == '~' {
                    break;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_sequences_go_text_stays() {
        assert_eq!(strip_escapes("\u{1b}[?2004hntpdc> \u{1b}[K"), "ntpdc> ");
        assert_eq!(strip_escapes("a\u{1b}[1;5Hb\u{1b}[3~c\r\n"), "abc\r\n");
        assert_eq!(strip_escapes("x\u{1b}"), "x");
        assert_eq!(strip_escapes("plain"), "plain");
    }
}
