//! The live view of a watched capture: the record so far, drawn by the UI's own view (the
//! `recorded` lane beside sequential and parallel on the virtual clock), redrawn as spans
//! arrive; the footer names the parallelism left on the table. Only the UI's public API is used
//! (`ViewModel::from_record`, `view::render`, the terminal set-up and input thread).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::turns::{Turn, left_on_table, line};
use crate::engine::{Plan, Record};
use crate::ui::chrome::Chrome;
use crate::ui::model::ViewModel;
use crate::ui::theme::Theme;
use crate::ui::view;

/// The footer: the latest turn that left parallelism on the table (or the latest turn), and
/// the total so far.
pub fn notice(turns: &[Turn]) -> String {
    let flagged: Vec<&Turn> = turns
        .iter()
        .filter(|t| left_on_table(&t.tools).is_some())
        .collect();
    let saved: f64 = flagged
        .iter()
        .filter_map(|t| left_on_table(&t.tools))
        .map(|l| l.saved_ms)
        .sum();
    let latest = flagged
        .last()
        .or(turns.last().as_ref())
        .map(|t| line(t))
        .unwrap_or_default();
    format!(
        "watch · {} left on the table so far · {latest} · q quit",
        super::turns::secs(saved)
    )
}

/// One frame of the live view into `buf`: the capture's record, or a waiting screen before any
/// model or tool span has arrived.
pub fn render(
    shown: Option<(&Record, &Plan, &[Turn])>,
    listening: &str,
    theme: Theme,
    area: Rect,
    buf: &mut Buffer,
) {
    match shown {
        Some((record, plan, turns)) => {
            let model = ViewModel::from_record(record, plan);
            let chrome = Chrome {
                notice: Some(notice(turns)),
                ..Chrome::default()
            };
            view::render(&model, &chrome, theme, area, buf);
        }
        None => Paragraph::new(format!(
            " fanout watch · listening on {listening}\n\n Waiting for spans: point the agent at it with\n   OTEL_EXPORTER_OTLP_ENDPOINT={listening}\n   OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf\n\n q quit"
        ))
        .wrap(Wrap { trim: false })
        .render(area, buf),
    }
}

/// The terminal while the live view is up: raw mode and the alternate screen, restored when
/// dropped (the input thread stops first).
pub struct Screen {
    _input: crate::ui::InputThread,
    /// Keys and resizes.
    pub events: tokio::sync::mpsc::UnboundedReceiver<ratatui::crossterm::event::Event>,
    terminal: crate::ui::terminal::Tui,
    _guard: crate::ui::terminal::Guard,
    theme: Theme,
}

impl Screen {
    pub fn start() -> std::io::Result<Screen> {
        let (terminal, guard) = crate::ui::terminal::init()?;
        let (input, events) = crate::ui::InputThread::start();
        Ok(Screen {
            _input: input,
            events,
            terminal,
            _guard: guard,
            theme: Theme::from_env(),
        })
    }

    pub fn draw(
        &mut self,
        shown: Option<(&Record, &Plan, &[Turn])>,
        listening: &str,
    ) -> std::io::Result<()> {
        let theme = self.theme;
        self.terminal
            .draw(|f| {
                let area = f.area();
                render(shown, listening, theme, area, f.buffer_mut());
            })
            .map(|_| ())
    }
}

/// `q`, `Esc` or Ctrl-C: leave the live view.
pub fn is_quit(event: &ratatui::crossterm::event::Event) -> bool {
    use ratatui::crossterm::event::{Event, KeyCode, KeyEventKind, KeyModifiers};
    match event {
        Event::Key(k) if k.kind != KeyEventKind::Release => {
            matches!(k.code, KeyCode::Char('q') | KeyCode::Esc)
                || (k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('c'))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watch::turns::ToolRun;

    #[test]
    fn the_footer_names_the_latest_turn_left_on_the_table() {
        let tool = |id: &str, s: f64, e: f64| ToolRun {
            id: id.into(),
            start_ms: s,
            end_ms: e,
        };
        let turn = |n: usize, tools: Vec<ToolRun>| Turn {
            trace: "t".into(),
            number: n,
            model: Some("chat".into()),
            key: format!("{n}"),
            tools,
            closed: true,
        };
        let turns = [
            turn(1, vec![tool("a", 0.0, 300.0), tool("b", 300.0, 500.0)]),
            turn(2, vec![tool("c", 600.0, 700.0), tool("d", 600.0, 700.0)]),
        ];
        assert_eq!(
            notice(&turns),
            "watch · 200 ms left on the table so far · turn 1: 2 tools ran one after another, 500 ms; together 300 ms — 200 ms left on the table (a, b) · q quit"
        );
        assert_eq!(
            notice(&turns[1..]),
            "watch · 0 ms left on the table so far · turn 2: 2 tools ran together, 100 ms (c, d) · q quit"
        );
    }
}

#[cfg(test)]
mod frame_tests {
    use super::*;
    use crate::watch::{Capture, analyse, record};

    /// A chat span, two tools one after another, the next chat: OTLP JSON, times in ms.
    fn batch() -> serde_json::Value {
        let span = |id: u32, name: &str, op: &str, s: u64, e: u64| {
            serde_json::json!({
                "traceId": format!("{:032x}", 7), "spanId": format!("{id:016x}"),
                "parentSpanId": format!("{:016x}", 99), "name": name,
                "startTimeUnixNano": (1_767_225_600_000_000_000u64 + s * 1_000_000).to_string(),
                "endTimeUnixNano": (1_767_225_600_000_000_000u64 + e * 1_000_000).to_string(),
                "attributes": [{"key": "gen_ai.operation.name", "value": {"stringValue": op}}],
            })
        };
        serde_json::json!({"resourceSpans": [{"scopeSpans": [{"spans": [
            span(1, "chat gpt-4o", "chat", 0, 100),
            span(2, "execute_tool a", "execute_tool", 100, 400),
            span(3, "execute_tool b", "execute_tool", 400, 600),
            span(4, "chat gpt-4o", "chat", 600, 700),
        ]}]}]})
    }

    fn text(buf: &Buffer) -> String {
        view::buffer_text(buf)
    }

    #[test]
    fn the_live_frame_draws_the_capture_beside_its_what_ifs() {
        let area = Rect::new(0, 0, 100, 30);
        let theme = Theme { color: false };
        let mut waiting = Buffer::empty(area);
        render(None, "http://127.0.0.1:4318", theme, area, &mut waiting);
        assert!(text(&waiting).contains("OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318"));

        let mut capture = Capture::default();
        capture.add(batch());
        let a = analyse(&capture).unwrap();
        let (r, plan) = record::of(&a.imported).unwrap();
        let mut buf = Buffer::empty(area);
        render(Some((&r, &plan, &a.turns)), "", theme, area, &mut buf);
        let screen = text(&buf);
        for lane in ["recorded", "sequential", "parallel"] {
            assert!(
                screen.contains(&format!("┌ {lane} ")) || screen.contains(&format!("├ {lane} ")),
                "{screen}"
            );
        }
        assert!(
            screen.contains(
                "watch · 200 ms left on the table so far · turn 1: 2 tools ran one after another"
            ),
            "{screen}"
        );
    }
}
