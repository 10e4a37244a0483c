//! fanout: run one batch of tool calls under several execution strategies and measure what
//! parallelism buys.
//!
//! - [`engine`]: scenarios, plans, strategies, lanes and records (no terminal code);
//! - [`report`]: headless renderings of a record;
//! - [`ui`]: the live terminal UI (view model, drawing, keys, event loop).

pub mod engine;
pub mod import;
pub mod report;
pub mod serve;
pub mod ui;
