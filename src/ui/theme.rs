//! Styles. Colours follow the terminal's palette (named ANSI colours only); with `NO_COLOR` set
//! every colour is dropped and status stays readable by glyph (✓ ✗ ⊘ ·) and weight.

use ratatui::style::{Color, Modifier, Style};

/// The styles the view draws with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    /// Whether colours are used at all.
    pub color: bool,
}

impl Theme {
    /// Colours unless the `NO_COLOR` environment variable is set and not empty.
    pub fn from_env() -> Theme {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Theme { color: !no_color }
    }

    fn fg(self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    /// A completed call.
    pub fn done(self) -> Style {
        self.fg(Color::Green)
    }

    /// A running call.
    pub fn running(self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    /// A failed call.
    pub fn failed(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    /// A skipped call.
    pub fn skipped(self) -> Style {
        self.fg(Color::DarkGray).add_modifier(Modifier::DIM)
    }

    /// A call still waiting, and other quiet text.
    pub fn dim(self) -> Style {
        Style::new().add_modifier(Modifier::DIM)
    }

    /// Titles and emphasis.
    pub fn bold(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    /// The "in flight" strip.
    pub fn strip(self) -> Style {
        self.fg(Color::Cyan)
    }

    /// Headline numbers (speedups).
    pub fn accent(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    /// A model turn (drawn with its own mark, `▒`, so it reads without colour too).
    pub fn model_turn(self) -> Style {
        self.fg(Color::Blue)
    }

    /// Replay marker and notices.
    pub fn notice(self) -> Style {
        self.fg(Color::Magenta).add_modifier(Modifier::BOLD)
    }
}
