//! The engine: scenario model, validation, strategies, effects, both clocks and records. No
//! terminal code and no printing lives here.
//!
//! Layers, each using only those above it (no import cycle; checked by reading every
//! `use super::` and `crate::engine::` path):
//! - leaves, importing only each other: [`limits`], [`error`], [`input`], [`units`], [`json`],
//!   [`strategy`] (with the plan's [`Bounds`]), [`options`], [`event`];
//! - the file format: [`dist`], [`scenario`], [`effects`];
//! - [`plan`] (the validated graph);
//! - [`record`] (what happened) and its [`queries`];
//! - [`dispatch`] (which call starts when, and the records it keeps);
//! - the clocks: [`lane`] (real) and [`virtual_clock`]; then [`mod@run`], which races the lanes.

pub mod dispatch;
pub mod dist;
pub mod effects;
pub mod error;
pub mod event;
pub mod input;
pub mod json;
pub mod lane;
pub mod limits;
pub mod options;
pub mod plan;
pub mod queries;
pub mod record;
pub mod run;
pub mod scenario;
pub mod strategy;
pub mod units;
pub mod virtual_clock;

pub use error::InputError;
pub use event::{Event, EventKind};
pub use lane::{EngineError, run_lane};
pub use options::{Clock, Mode, RunOptions};
pub use plan::Plan;
pub use record::{CallRecord, CallStatus, LaneRecord, LaneResult, Record, Turn};
pub use run::run;
pub use scenario::Scenario;
pub use strategy::{Bounds, Strategy};
