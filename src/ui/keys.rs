//! The one key table: what each key does, where it works, and how the footer and the help
//! overlay name it. Key handling, the footer and `?` all read [`BINDINGS`], so they cannot drift.
//! Only key presses count (not releases or repeats on terminals that report them).

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
    /// Faster (the next run; a replay's playback).
    SpeedUp,
    /// Slower.
    SpeedDown,
    /// Open the whole lesson in an overlay.
    Lesson,
    /// Mark the critical path's calls, or stop marking them.
    ToggleCritical,
    /// Open the help overlay.
    Help,
    /// Scroll the calls (or an overlay) by this many rows (negative: up).
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
    /// Save the run on screen as a record and an SVG.
    Export,
    /// Close whatever overlay is open.
    Close,
    /// Select the next lane (the last wraps to none).
    SelectNext,
    /// Select the previous lane.
    SelectPrev,
    /// Give the selected pool lane this many more workers (negative: fewer).
    Workers(i32),
    /// Add a lane (a picker of strategies).
    AddLane,
    /// Remove the selected lane.
    RemoveLane,
    /// Move the call cursor in the selected lane.
    Cursor(i32),
    /// Multiply the latency of the call under the cursor (by 2, or by ½ when false).
    Latency(bool),
    /// Toggle the dependencies of the call under the cursor (a picker of the other calls).
    Deps,
    /// Undo the last what-if change.
    Undo,
    /// Write the edited scenario to a file.
    WriteScenario,
    /// The worker sweep chart of the batch on screen.
    SweepChart,
    /// Tour: the next step.
    TourNext,
    /// Tour: back.
    TourBack,
    /// Watch: open the picker of traces.
    TracePicker,
    /// Watch: pin the trace on screen, or follow the newest again.
    Pin,
    /// Watch: show an older (negative) or newer trace, and pin it.
    TraceStep(i32),
}

/// What is on screen when a key arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Context {
    /// The help or the lesson overlay is open.
    pub overlay: bool,
    /// The picker is open.
    pub picker: bool,
    /// A replay, not a live run.
    pub replay: bool,
    /// A lane is selected (what-if keys apply to it).
    pub selected: bool,
    /// The tour is on (its own keys step through it).
    pub tour: bool,
    /// `fanout watch`'s live view (its own keys pick the trace).
    pub watch: bool,
}

/// Where a binding works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// Live runs, replays and `fanout watch`.
    Everywhere,
    /// Live runs and replays.
    Always,
    /// Live runs only.
    Live,
    /// Replays only.
    Replay,
    /// A live run with a lane selected.
    Selected,
    /// No lane selected.
    Unselected,
    /// A live run outside the tour (switching scenarios).
    Browse,
    /// The tour.
    Tour,
    /// `fanout watch`.
    Watch,
}

impl When {
    fn holds(self, ctx: Context) -> bool {
        match self {
            When::Everywhere => true,
            When::Watch => ctx.watch,
            // Watch has no run to change or replay: only the keys above.
            _ if ctx.watch => false,
            When::Always => true,
            When::Live => !ctx.replay,
            When::Replay => ctx.replay,
            When::Selected => !ctx.replay && ctx.selected,
            When::Unselected => !ctx.selected,
            When::Browse => !ctx.replay && !ctx.tour,
            When::Tour => ctx.tour,
        }
    }
}

/// One row of the key table.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    /// The keys.
    pub codes: &'static [KeyCode],
    /// How the keys are written in the help overlay.
    pub keys: &'static str,
    /// What the help overlay says it does.
    pub help: &'static str,
    /// Its short form in the footer, if it has one there.
    pub footer: Option<&'static str>,
    /// What it does.
    pub action: Action,
    /// Where it works.
    pub when: When,
}

const fn bind(
    codes: &'static [KeyCode],
    keys: &'static str,
    help: &'static str,
    footer: Option<&'static str>,
    action: Action,
    when: When,
) -> Binding {
    Binding {
        codes,
        keys,
        help,
        footer,
        action,
        when,
    }
}

use KeyCode::{BackTab, Char, Down, End, Esc, Home, Left, PageDown, PageUp, Right, Tab, Up};

/// Every key of the run and replay screens, in the order the footer and help list them.
#[rustfmt::skip]
pub const BINDINGS: &[Binding] = &[
    bind(&[Char('q'), Esc], "q  Esc  Ctrl-C", "quit (prints the table)", Some("q quit"), Action::Quit, When::Always),
    bind(&[Char('q'), Esc], "q  Esc  Ctrl-C", "quit (prints the summary; --record writes the records)", Some("q quit"), Action::Quit, When::Watch),
    bind(&[Char('t')], "t", "pick the trace (agent run) to show, newest first", Some("t traces"), Action::TracePicker, When::Watch),
    bind(&[Char('p')], "p", "pin the trace on screen, or follow the newest again", Some("p pin"), Action::Pin, When::Watch),
    bind(&[Left], "←", "show an older trace (pins it)", Some("←/→ trace"), Action::TraceStep(-1), When::Watch),
    bind(&[Right], "→", "show a newer trace (pins it)", None, Action::TraceStep(1), When::Watch),
    bind(&[Char(' '), Right], "space  →", "tour: the next step (card, race, headline)", Some("space next"), Action::TourNext, When::Tour),
    bind(&[Left], "←", "tour: back to this step's card, or the one before", Some("← back"), Action::TourBack, When::Tour),
    bind(&[Char('r')], "r", "run the scenario again", Some("r re-run"), Action::Rerun, When::Live),
    bind(&[Char('r')], "r", "restart the replay", Some("r restart"), Action::Rerun, When::Replay),
    bind(&[Char(' ')], "space", "pause / resume", Some("space pause"), Action::Pause, When::Replay),
    bind(&[Left], "←", "step back a twentieth of the run", Some("←/→ step"), Action::StepBack, When::Replay),
    bind(&[Right], "→", "step forward a twentieth of the run", None, Action::StepForward, When::Replay),
    bind(&[Home], "Home", "jump to the start", None, Action::Home, When::Replay),
    bind(&[End], "End", "jump to the end", None, Action::End, When::Replay),
    bind(&[Char('n'), Right], "n  →", "next scenario", Some("n/p scenario"), Action::NextScenario, When::Browse),
    bind(&[Char('p'), Left], "p  ←", "previous scenario", None, Action::PrevScenario, When::Browse),
    bind(&[Char('s')], "s", "pick a scenario", Some("s pick"), Action::OpenPicker, When::Browse),
    bind(&[Char('+'), Char('=')], "+", "faster: the next run (r applies it now)", Some("+/- speed"), Action::SpeedUp, When::Live),
    bind(&[Char('-'), Char('_')], "-", "slower: the next run", None, Action::SpeedDown, When::Live),
    bind(&[Char('+'), Char('=')], "+", "play back faster", Some("+/- playback"), Action::SpeedUp, When::Replay),
    bind(&[Char('-'), Char('_')], "-", "play back slower", None, Action::SpeedDown, When::Replay),
    bind(&[Char('l')], "l", "the whole lesson (↑/↓ scroll, any other key closes)", Some("l lesson"), Action::Lesson, When::Always),
    bind(&[Char('l')], "l", "every turn of the trace on screen (↑/↓ scroll, any other key closes)", None, Action::Lesson, When::Watch),
    bind(&[Char('c')], "c", "mark the critical path's calls (*), or stop", Some("c critical"), Action::ToggleCritical, When::Everywhere),
    bind(&[Char('e')], "e", "export the run on screen: record + SVG in this folder", Some("e export"), Action::Export, When::Always),
    bind(&[Up, Char('k')], "↑  k", "scroll the calls up", None, Action::Scroll(-1), When::Unselected),
    bind(&[Down, Char('j')], "↓  j", "scroll the calls down", None, Action::Scroll(1), When::Unselected),
    bind(&[PageUp], "PgUp", "scroll a page up", None, Action::Scroll(-10), When::Unselected),
    bind(&[PageDown], "PgDn", "scroll a page down", None, Action::Scroll(10), When::Unselected),
    bind(&[Up, Char('k')], "↑  k", "scroll the calls up", None, Action::Scroll(-1), When::Watch),
    bind(&[Down, Char('j')], "↓  j", "scroll the calls down", None, Action::Scroll(1), When::Watch),
    bind(&[Tab], "Tab", "select the next lane (what if: change it)", Some("Tab what-if"), Action::SelectNext, When::Live),
    bind(&[BackTab], "Shift-Tab", "select the previous lane", None, Action::SelectPrev, When::Live),
    bind(&[Char('['), Char(']')], "[  ]", "fewer / more workers on the selected pool lane", Some("[ ] workers"), Action::Workers(0), When::Selected),
    bind(&[Up, Char('k')], "↑  k", "move the call cursor up", None, Action::Cursor(-1), When::Selected),
    bind(&[Down, Char('j')], "↓  j", "move the call cursor down", None, Action::Cursor(1), When::Selected),
    bind(&[Char('<'), Char('>')], "<  >", "halve / double the latency of the call under the cursor", Some("< > latency"), Action::Latency(true), When::Selected),
    bind(&[Char('d')], "d", "toggle the dependencies of the call under the cursor", Some("d deps"), Action::Deps, When::Selected),
    bind(&[Char('x')], "x", "remove the selected lane (never the last)", None, Action::RemoveLane, When::Selected),
    bind(&[Char('a')], "a", "add a lane (a picker of strategies)", None, Action::AddLane, When::Live),
    bind(&[Char('u')], "u", "undo the last what-if change", Some("u undo"), Action::Undo, When::Live),
    bind(&[Char('w')], "w", "write the edited scenario to a file and say where", None, Action::WriteScenario, When::Live),
    bind(&[Char('g')], "g", "the worker sweep chart of this batch (N = 1 … 12)", None, Action::SweepChart, When::Always),
    bind(&[Char('?')], "?", "this help", Some("? help"), Action::Help, When::Everywhere),
];

/// The bindings that work in this context.
pub fn bindings(ctx: Context) -> impl Iterator<Item = &'static Binding> {
    BINDINGS.iter().filter(move |b| b.when.holds(ctx))
}

/// What the help overlay lists: every binding of a live run (with a lane selected or not) or of
/// a replay.
pub fn help_bindings(ctx: Context) -> impl Iterator<Item = &'static Binding> {
    let (off, on) = (
        Context {
            selected: false,
            ..ctx
        },
        Context {
            selected: true,
            ..ctx
        },
    );
    BINDINGS
        .iter()
        .filter(move |b| b.when.holds(off) || b.when.holds(on))
}

/// The footer's keys, in order.
pub fn footer(ctx: Context) -> Vec<&'static str> {
    bindings(ctx).filter_map(|b| b.footer).collect()
}

/// The action a key press maps to, if any.
pub fn action(key: KeyEvent, ctx: Context) -> Option<Action> {
    if key.kind != KeyEventKind::Press {
        return None;
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == Char('c') {
        return Some(Action::Quit);
    }
    if ctx.overlay {
        // Overlays scroll; any other key closes them.
        return Some(match key.code {
            Up | Char('k') => Action::Scroll(-1),
            Down | Char('j') => Action::Scroll(1),
            PageUp => Action::Scroll(-10),
            PageDown => Action::Scroll(10),
            _ => Action::Close,
        });
    }
    if ctx.picker {
        return match key.code {
            Up | Char('k') => Some(Action::PickerMove(-1)),
            Down | Char('j') => Some(Action::PickerMove(1)),
            PageUp => Some(Action::PickerMove(-10)),
            PageDown => Some(Action::PickerMove(10)),
            KeyCode::Enter => Some(Action::PickerChoose),
            Esc | Char('q') | Char('s') => Some(Action::Close),
            _ => None,
        };
    }
    let action = bindings(ctx)
        .find(|b| b.codes.contains(&key.code))
        .map(|b| b.action)?;
    // Keys that share a row say which way by the key itself.
    Some(match (action, key.code) {
        (Action::Workers(_), Char('[')) => Action::Workers(-1),
        (Action::Workers(_), _) => Action::Workers(1),
        (Action::Latency(_), Char('<')) => Action::Latency(false),
        (Action::Latency(_), _) => Action::Latency(true),
        (a, _) => a,
    })
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
        assert_eq!(action(press(Right), live), Some(Action::NextScenario));
        assert_eq!(action(press(Right), replay), Some(Action::StepForward));
        assert_eq!(action(press(Char(' ')), live), None);
        assert_eq!(action(press(Char('+')), replay), Some(Action::SpeedUp));
        assert_eq!(action(press(Char('n')), replay), None);
    }

    #[test]
    fn only_presses_count_and_ctrl_c_always_quits() {
        let mut release = press(Char('q'));
        release.kind = KeyEventKind::Release;
        assert_eq!(action(release, Context::default()), None);
        let ctrl_c = KeyEvent::new(Char('c'), KeyModifiers::CONTROL);
        let help = Context {
            overlay: true,
            ..Context::default()
        };
        assert_eq!(action(ctrl_c, help), Some(Action::Quit));
        assert_eq!(action(press(Char('x')), help), Some(Action::Close));
        assert_eq!(action(press(Down), help), Some(Action::Scroll(1)));
    }

    #[test]
    fn no_key_means_two_things_in_one_context() {
        for (replay, selected, tour) in [
            (false, false, false),
            (false, true, false),
            (true, false, false),
            (false, false, true),
            (false, true, true),
        ] {
            let ctx = Context {
                replay,
                selected,
                tour,
                ..Context::default()
            };
            check(ctx);
        }
        check(Context {
            watch: true,
            ..Context::default()
        });
        fn check(ctx: Context) {
            let mut seen: Vec<KeyCode> = Vec::new();
            for b in bindings(ctx) {
                for c in b.codes {
                    assert!(!seen.contains(c), "{c:?} bound twice in {ctx:?}");
                    seen.push(*c);
                }
            }
        }
    }

    #[test]
    fn watch_has_its_own_keys_and_no_run_keys() {
        let watch = Context {
            watch: true,
            ..Context::default()
        };
        assert_eq!(
            footer(watch),
            [
                "q quit",
                "t traces",
                "p pin",
                "←/→ trace",
                "c critical",
                "? help"
            ]
        );
        assert_eq!(action(press(Left), watch), Some(Action::TraceStep(-1)));
        assert_eq!(action(press(Char('p')), watch), Some(Action::Pin));
        assert_eq!(action(press(Char('r')), watch), None);
        assert_eq!(action(press(Down), watch), Some(Action::Scroll(1)));
        assert!(!footer(Context::default()).contains(&"t traces"));
        assert_eq!(
            action(press(Char('p')), Context::default()),
            Some(Action::PrevScenario)
        );
    }

    #[test]
    fn every_footer_key_is_in_the_help() {
        let live = Context::default();
        let replay = Context {
            replay: true,
            ..live
        };
        let selected = Context {
            selected: true,
            ..live
        };
        let tour = Context { tour: true, ..live };
        for ctx in [live, replay] {
            let footer = footer(ctx);
            assert!(footer.contains(&"q quit") && footer.contains(&"? help"));
            assert!(bindings(ctx).all(|b| !b.help.is_empty()));
        }
        assert!(!footer(replay).contains(&"n/p scenario"));
        assert!(!footer(live).contains(&"space pause"));
        assert!(footer(selected).contains(&"[ ] workers"));
        assert!(!footer(live).contains(&"[ ] workers"));
        assert!(footer(tour).contains(&"space next") && !footer(tour).contains(&"n/p scenario"));
        assert_eq!(action(press(Right), tour), Some(Action::TourNext));
        assert_eq!(
            action(press(Char('[')), selected),
            Some(Action::Workers(-1))
        );
        assert_eq!(action(press(Char(']')), selected), Some(Action::Workers(1)));
        assert_eq!(action(press(Down), selected), Some(Action::Cursor(1)));
        assert_eq!(
            action(press(Down), Context::default()),
            Some(Action::Scroll(1))
        );
        assert_eq!(
            action(press(Char('<')), selected),
            Some(Action::Latency(false))
        );
    }
}
