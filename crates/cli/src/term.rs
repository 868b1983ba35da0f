//! What reaches the terminal. Servers choose their names, tool descriptions, results and error
//! messages, and a terminal obeys control sequences in them: ESC/OSC sequences can retitle it,
//! clear it, or write the clipboard (OSC 52); BiDi overrides can make text read differently than
//! it is. Every human line the CLI prints goes through [`clean`] (the crate root's `println!` and
//! friends shadow std's), which shows C0 controls as their visible control pictures (ESC as
//! `␛`), DEL as `␡`, and C1 controls and BiDi formatting characters as `�`; newlines and tabs
//! stay. `--json` output is printed as serde writes it (control characters escaped).

use std::borrow::Cow;

/// Writes `text` to stdout. A reader that went away (`patchbay tools x | head`) ends the
/// process quietly with success, as `cat` does, instead of the panic `print!` gives.
pub fn out(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let written = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
    if let Err(error) = written {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        ::std::eprintln!("error: cannot write the output: {error}");
        std::process::exit(1);
    }
}

/// Whether `c` must not reach the terminal as is.
fn unsafe_char(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || patchbay_core::is_bidi_control(c)
}

/// `text` with every control and BiDi character made visible and harmless.
pub fn clean(text: &str) -> Cow<'_, str> {
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    text.chars()
        .map(|c| match c {
            c if !unsafe_char(c) => c,
            c if (c as u32) < 0x20 => char::from_u32(0x2400 + c as u32).unwrap_or('\u{FFFD}'),
            '\u{7f}' => '\u{2421}',
            _ => '\u{FFFD}',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_are_shown_not_obeyed() {
        let hostile = "name\u{1b}]0;pwned\u{7}\u{1b}[2J\r\u{9b}31m \u{202e}txt.exe";
        let shown = clean(hostile);
        assert!(!shown.chars().any(unsafe_char), "{shown:?}");
        assert_eq!(shown, "name␛]0;pwned␇␛[2J␍�31m �txt.exe");
        assert!(matches!(
            clean("plain\ttext\n"),
            Cow::Borrowed("plain\ttext\n")
        ));
    }
}
