//! Keys to actions. Only key presses count (not releases or repeats on terminals that report
//! them); what a key means depends on what is open.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// Something the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Leave fanout.
    Quit,
    /// Run the scenario again (restart a replay).
    Rerun,
    /// Next scenario.
    NextScenario,
    /// Previous scenario.
    PrevScenario,
    /// Open the scenario picker.
    OpenPicker,
    /// Faster next run.
    SpeedUp,
    /// Slower next run.
    SpeedDown,
    /// Show or hide the lesson.
    ToggleLesson,
    /// Open the help overlay.
    Help,
    /// Scroll the calls by this many rows (negative: up).
    Scroll(i32),
    /// Replay: pause or resume.
    Pause,
    /// Replay: step back.
    StepBack,
    /// Replay: step forward.
    StepForward,
    /// Replay: jump to the start.
    Home,
    /// Replay: jump to the end.
    End,
    /// Picker: move the selection by this many rows.
    PickerMove(i32),
    /// Picker: run the selected scenario.
    PickerChoose,
    /// Save the finished run as a record and an SVG.
    Export,
    /// Close whatever overlay is open.
    Close,
}

/// What is on screen when a key arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Context {
    /// The help overlay is open.
    pub help: bool,
    /// The picker is open.
    pub picker: bool,
    /// A replay, not a live run.
    pub replay: bool,
}

/// The action a key press maps to, if any.
pub fn action(key: KeyEvent, ctx: Context) -> Option<Action> {
    if key.kind != KeyEventKind::Press {
        return None;
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        return Some(Action::Quit);
    }
    if ctx.help {
        return Some(Action::Close);
    }
    if ctx.picker {
        return match key.code {
            KeyCode::Up | KeyCode::Char('k') => Some(Action::PickerMove(-1)),
            KeyCode::Down | KeyCode::Char('j') => Some(Action::PickerMove(1)),
            KeyCode::PageUp => Some(Action::PickerMove(-10)),
            KeyCode::PageDown => Some(Action::PickerMove(10)),
            KeyCode::Enter => Some(Action::PickerChoose),
            KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('s') => Some(Action::Close),
            _ => None,
        };
    }
    let action = match key.code {
        KeyCode::Char('q') | KeyCode::Esc => Action::Quit,
        KeyCode::Char('r') => Action::Rerun,
        KeyCode::Char('l') => Action::ToggleLesson,
        KeyCode::Char('?') => Action::Help,
        KeyCode::Char('e') => Action::Export,
        KeyCode::Up | KeyCode::Char('k') => Action::Scroll(-1),
        KeyCode::Down | KeyCode::Char('j') => Action::Scroll(1),
        KeyCode::PageUp => Action::Scroll(-10),
        KeyCode::PageDown => Action::Scroll(10),
        KeyCode::Char(' ') if ctx.replay => Action::Pause,
        KeyCode::Left if ctx.replay => Action::StepBack,
        KeyCode::Right if ctx.replay => Action::StepForward,
        KeyCode::Home if ctx.replay => Action::Home,
        KeyCode::End if ctx.replay => Action::End,
        KeyCode::Char('n') | KeyCode::Right if !ctx.replay => Action::NextScenario,
        KeyCode::Char('p') | KeyCode::Left if !ctx.replay => Action::PrevScenario,
        KeyCode::Char('s') if !ctx.replay => Action::OpenPicker,
        KeyCode::Char('+') | KeyCode::Char('=') if !ctx.replay => Action::SpeedUp,
        KeyCode::Char('-') | KeyCode::Char('_') if !ctx.replay => Action::SpeedDown,
        _ => return None,
    };
    Some(action)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn arrows_change_scenario_live_and_step_time_in_a_replay() {
        let live = Context::default();
        let replay = Context {
            replay: true,
            ..Context::default()
        };
        assert_eq!(
            action(press(KeyCode::Right), live),
            Some(Action::NextScenario)
        );
        assert_eq!(
            action(press(KeyCode::Right), replay),
            Some(Action::StepForward)
        );
        assert_eq!(action(press(KeyCode::Char(' ')), live), None);
    }

    #[test]
    fn only_presses_count_and_ctrl_c_always_quits() {
        let mut release = press(KeyCode::Char('q'));
        release.kind = KeyEventKind::Release;
        assert_eq!(action(release, Context::default()), None);
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        let help = Context {
            help: true,
            ..Context::default()
        };
        assert_eq!(action(ctrl_c, help), Some(Action::Quit));
        assert_eq!(action(press(KeyCode::Char('x')), help), Some(Action::Close));
    }
}
