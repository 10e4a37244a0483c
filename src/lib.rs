//! fanout: run one batch of tool calls under several execution strategies and measure what
//! parallelism buys.
//!
//! - [`engine`]: scenarios, plans, strategies, lanes, clocks and records (no terminal code);
//! - [`report`]: headless renderings of a record (table, Markdown, JSON, CSV, SVG, Chrome trace);
//! - [`import`]: scenarios from real agents' traces and tool calls;
//! - [`serve`]: the small loopback HTTP server `{local}` URLs use;
//! - [`text`]: control characters from files escaped before they are printed;
//! - [`ui`]: the live terminal UI (view model, drawing, keys, event loop);
//! - [`watch`]: the OTLP/HTTP receiver a live agent streams its spans to.
//!
//! The engine in a few lines: load a scenario, then ask the virtual clock what each strategy
//! takes (a real run is `engine::run` on tokio).
//!
//! ```
//! use fanout::engine::{Plan, Strategy};
//! use fanout::engine::clock::predicted_walls;
//!
//! let plan = Plan::load("fetch-5-urls").unwrap();
//! let walls = predicted_walls(&plan, &[Strategy::Sequential, Strategy::Parallel], 1.0);
//! assert_eq!(walls, [25_000.0, 5_000.0]);
//! ```

pub mod engine;
pub mod import;
pub mod report;
pub mod serve;
pub mod text;
pub mod ui;
pub mod watch;

pub use text::escape_control;
