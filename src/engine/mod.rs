//! The engine: scenario model, validation, strategies, effects, both clocks and records. No
//! terminal code and no printing lives here.
//!
//! Layers, each using only those above it (no module imports one below it):
//! - leaves: [`limits`], [`error`], [`input`], [`units`], [`json`], [`strategy`] (with the
//!   plan's [`Bounds`]), [`options`], [`event`];
//! - the file format: [`dist`], [`scenario`], [`effects`];
//! - [`plan`] (the validated graph), then [`dispatch`] (which call starts when);
//! - [`record`] (what happened) and its [`queries`];
//! - the clocks: [`lane`] (real) and [`virtual_clock`]; then [`run`], which races the lanes.

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
pub use record::{CallRecord, CallStatus, LaneRecord, LaneResult, Record};
pub use run::run;
pub use scenario::Scenario;
pub use strategy::{Bounds, Strategy};
