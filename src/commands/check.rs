//! `fanout check`: validates a scenario and prints what [`fanout::report::check`] says of it.

use fanout::engine::Plan;

use super::{Failure, lanes, print};
use crate::cli::CheckArgs;

pub fn check(args: CheckArgs) -> Result<(), Failure> {
    let plan = Plan::load(&args.scenario)?;
    let strategies = lanes(args.strategies, &plan);
    plan.check_strategies(&strategies)?;
    print(&fanout::report::check::check(
        &plan,
        &strategies,
        fanout::engine::strategy::cores(),
    ))
}
