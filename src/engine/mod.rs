//! The engine: scenario model, validation, strategies, tools, lanes and records. No terminal
//! code and no printing lives here.

pub mod clock;
pub mod dispatch;
pub mod dist;
pub mod error;
pub mod event;
pub mod input;
pub mod lane;
pub mod limits;
pub mod plan;
pub mod record;
pub mod run;
pub mod scenario;
pub mod strategy;
pub mod tools;

pub use error::InputError;
pub use event::{Event, EventKind};
pub use lane::{EngineError, LaneResult, run_lane};
pub use plan::{Bounds, Plan};
pub use record::{CallRecord, CallStatus, LaneRecord, Mode, Record};
pub use run::{RunOptions, run};
pub use scenario::Scenario;
pub use strategy::Strategy;
