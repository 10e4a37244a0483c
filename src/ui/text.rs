//! Text on screen: display widths (a wide or combining character is not one column), wrapping,
//! cutting with an ellipsis, and a lesson's times at the run's speed.

use crate::engine::units::fmt_num;

pub use crate::text::{ellipsize, width};

/// Word-wraps `text` to `max` columns; a word longer than a line is cut across lines, and a
/// newline starts a new line (`fanout watch` lists one turn a line).
pub fn wrap(text: &str, max: usize) -> Vec<String> {
    text.split('\n')
        .flat_map(|p| wrap_paragraph(p, max))
        .collect()
}

fn wrap_paragraph(text: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let mut word = word.to_string();
        while width(&word) > max {
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            let head: String = word.chars().take(max).collect();
            word = word.chars().skip(head.chars().count()).collect();
            lines.push(head);
        }
        let needed = width(&line) + usize::from(!line.is_empty()) + width(&word);
        if !line.is_empty() && needed > max {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Milliseconds in few digits: `6 s`, `1.25 s`, `500 ms`, `62.5 ms`.
fn compact(ms: f64) -> String {
    let (v, unit) = if ms >= 1000.0 {
        (ms / 1000.0, "s")
    } else {
        (ms, "ms")
    };
    let rounded = (v * 100.0).round() / 100.0;
    format!("{} {unit}", fmt_num(rounded))
}

/// A lesson's text at `speed`: lessons state speed-1 times, so at any other speed each time gets
/// the figure the screen shows beside it (`24 s (6 s at 4×)`, then `(6 s)`).
pub fn lesson_at(text: &str, speed: f64) -> String {
    if (speed - 1.0).abs() < 1e-9 || !speed.is_finite() || speed <= 0.0 {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 32);
    let mut first = true;
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let starts_number = c.is_ascii_digit() && (i == 0 || !chars[i - 1].is_alphanumeric());
        if !starts_number {
            out.push(c);
            i += 1;
            continue;
        }
        let mut j = i;
        while j < chars.len() && (chars[j].is_ascii_digit() || chars[j] == '.') {
            j += 1;
        }
        let number: String = chars[i..j].iter().collect();
        let number = number.trim_end_matches('.');
        let j = i + number.chars().count();
        // A unit after an optional space: `24 s`, `500 ms`, `2s`.
        let mut k = j;
        if k < chars.len() && chars[k] == ' ' {
            k += 1;
        }
        let unit_end = |len: usize| {
            let end = k + len;
            end <= chars.len() && (end == chars.len() || !chars[end].is_alphanumeric())
        };
        let unit = if chars[k..].starts_with(&['m', 's']) && unit_end(2) {
            Some((2, 1.0))
        } else if chars[k..].starts_with(&['s']) && unit_end(1) {
            Some((1, 1000.0))
        } else {
            None
        };
        match (number.parse::<f64>(), unit) {
            (Ok(v), Some((len, scale))) => {
                let end = k + len;
                out.extend(&chars[i..end]);
                let here = compact(v * scale / speed);
                if first {
                    out.push_str(&format!(" ({here} at {}×)", fmt_num(speed)));
                    first = false;
                } else {
                    out.push_str(&format!(" ({here})"));
                }
                i = end;
            }
            _ => {
                out.extend(&chars[i..j]);
                i = j;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newline_starts_a_line() {
        assert_eq!(
            wrap("turn 2: ok\nturn 1: a b c", 8),
            ["turn 2:", "ok", "turn 1:", "a b c"]
        );
    }

    #[test]
    fn wraps_words_and_cuts_with_an_ellipsis() {
        assert_eq!(wrap("aa bb cc dd", 5), ["aa bb", "cc dd"]);
        assert_eq!(wrap("abcdefgh", 3), ["abc", "def", "gh"]);
        assert_eq!(ellipsize("abcdefgh", 5), "abcd…");
        assert_eq!(ellipsize("漢字漢字", 5), "漢字…");
        assert_eq!(width("漢字"), 4);
    }

    #[test]
    fn a_lesson_speaks_at_the_run_speed() {
        assert_eq!(
            lesson_at("one after another they take 24 s, in parallel 10 s.", 4.0),
            "one after another they take 24 s (6 s at 4×), in parallel 10 s (2.5 s)."
        );
        assert_eq!(
            lesson_at("a 500 ms call", 10.0),
            "a 500 ms (50 ms at 10×) call"
        );
        assert_eq!(lesson_at("5 tools, 24 s", 1.0), "5 tools, 24 s");
        assert_eq!(lesson_at("5 tools, pool:3", 2.0), "5 tools, pool:3");
    }
}
