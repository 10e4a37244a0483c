//! The scenario's ids, lent to the lanes while a record is read: every lane lists the scenario's
//! calls in file order, so the `k`-th call record of a lane is (in a good record) the `k`-th
//! call's id. Reading one then takes a shared string instead of allocating its own (4 million
//! allocations for 4 lanes of a million calls), and each lane's list is made at its final size.
//! A record that does not match is read as it always was, and [`super::Record::load`]'s checks
//! refuse it as before.
//!
//! While it reads the lanes, the scenario can also be planned on another thread
//! ([`plan_aside`]): the plan needs only the scenario, which comes first in a record.
//!
//! Only while [`Lending`] lives (in [`super::Record::load`]); any other reading of a record is
//! unchanged.

use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;

use serde::de::{Deserialize, Deserializer, SeqAccess, Visitor};

use super::CallRecord;
use crate::engine::error::InputError;
use crate::engine::plan::Plan;
use crate::engine::scenario::{Scenario, ScenarioSource};

type Planning = std::thread::JoinHandle<Result<Plan, InputError>>;

/// The scenario's ids, in file order, shared by the threads that read a record's lanes.
pub(super) type SharedIds = Arc<Vec<Arc<str>>>;

#[derive(Default)]
struct Ids {
    ids: SharedIds,
    /// The place in its lane of the call record being read.
    next: usize,
    /// Plan the scenario with this source as soon as it is read.
    plan_with: Option<ScenarioSource>,
    planning: Option<Planning>,
    /// Cutting: the text's start, and where each lane's `calls` list lies in it (left to be
    /// parsed on other threads; the lane gets an empty list meanwhile).
    cut: Option<(usize, Vec<(usize, usize)>)>,
}

thread_local! {
    static LENT: RefCell<Option<Ids>> = const { RefCell::new(None) };
}

/// Lends the scenario's ids to the lanes of the record read on this thread while it lives.
pub(super) struct Lending(());

impl Lending {
    pub(super) fn start() -> Lending {
        LENT.with(|l| *l.borrow_mut() = Some(Ids::default()));
        Lending(())
    }

    /// Lends `ids` (a lane's calls read on a thread of their own).
    pub(super) fn of(ids: SharedIds) -> Lending {
        LENT.with(|l| {
            *l.borrow_mut() = Some(Ids {
                ids,
                ..Ids::default()
            })
        });
        Lending(())
    }
}

/// Leaves every lane's `calls` list of the record about to be read from `text` unread, noting
/// where it lies (see [`cut_lists`]). Only for a read from a string: the lists are borrowed.
pub(super) fn cut_from(text: &str) {
    LENT.with(|l| {
        if let Some(lent) = l.borrow_mut().as_mut() {
            lent.cut = Some((text.as_ptr() as usize, Vec::new()));
        }
    });
}

/// Where the lists [`cut_from`] left lie in the text (byte ranges, in the order read), and the
/// ids lent with them.
pub(super) fn cut_lists() -> Option<(Vec<(usize, usize)>, SharedIds)> {
    LENT.with(|l| {
        let mut l = l.borrow_mut();
        let lent = l.as_mut()?;
        let (_, ranges) = lent.cut.take()?;
        Some((ranges, lent.ids.clone()))
    })
}

/// Plans the scenario of the record about to be read on another thread as soon as it is read,
/// with `source` (whose text is empty: a failed plan is done again on the text).
pub(super) fn plan_aside(source: ScenarioSource) {
    LENT.with(|l| {
        if let Some(lent) = l.borrow_mut().as_mut() {
            lent.plan_with = Some(source);
        }
    });
}

/// The plan [`plan_aside`] asked for, once done; `None` if none was made.
pub(super) fn planned() -> Option<Result<Plan, InputError>> {
    let planning = LENT.with(|l| l.borrow_mut().as_mut()?.planning.take())?;
    planning.join().ok()
}

impl Drop for Lending {
    fn drop(&mut self) {
        LENT.with(|l| *l.borrow_mut() = None);
    }
}

/// `Record.scenario`: the scenario, whose ids are then lent (when lending).
pub(super) fn scenario<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<Scenario>, D::Error> {
    let mut scenario = Arc::<Scenario>::deserialize(d)?;
    LENT.with(|l| {
        if let Some(lent) = l.borrow_mut().as_mut() {
            lent.ids = Arc::new(scenario.calls.iter().map(|c| c.id.clone()).collect());
            if let Some(source) = lent.plan_with.take() {
                // What `Plan::new` would shrink, had it the only reference.
                if let Some(s) = Arc::get_mut(&mut scenario) {
                    s.shrink_to_fit();
                }
                let shared = scenario.clone();
                lent.planning = std::thread::Builder::new()
                    .spawn(move || Plan::new(shared, &source))
                    .ok();
            }
        }
    });
    Ok(scenario)
}

/// Lends the `place`-th id to the call record read next (one read on its own).
pub(super) fn lend_place(place: usize) {
    LENT.with(|l| {
        if let Some(lent) = l.borrow_mut().as_mut() {
            lent.next = place;
        }
    });
}

/// `LaneRecord.calls`: a list of call records, made at the scenario's size and told each
/// record's place (when lending).
pub(super) fn calls<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<CallRecord>, D::Error> {
    let base = LENT.with(|l| l.borrow().as_ref()?.cut.as_ref().map(|c| c.0));
    if let Some(base) = base {
        let raw = <&serde_json::value::RawValue>::deserialize(d)?;
        let start = raw.get().as_ptr() as usize - base;
        LENT.with(|l| {
            if let Some((_, ranges)) = l.borrow_mut().as_mut().and_then(|lent| lent.cut.as_mut()) {
                ranges.push((start, start + raw.get().len()));
            }
        });
        return Ok(Vec::new());
    }
    struct Calls;
    impl<'de> Visitor<'de> for Calls {
        type Value = Vec<CallRecord>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            // What serde says of a `Vec`, which this field was.
            f.write_str("a sequence")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let size = LENT.with(|l| l.borrow().as_ref().map_or(0, |lent| lent.ids.len()));
            let mut calls = Vec::with_capacity(size);
            loop {
                lend_place(calls.len());
                match seq.next_element()? {
                    Some(c) => calls.push(c),
                    None => return Ok(calls),
                }
            }
        }
    }
    d.deserialize_seq(Calls)
}

/// A call record's `id`: the lent id when it is the one expected at this place, else its own.
pub(super) fn id<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<str>, D::Error> {
    struct Id;
    impl Visitor<'_> for Id {
        type Value = Arc<str>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            // What serde says of an `Arc<str>`, which this field was.
            f.write_str("a string")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Arc<str>, E> {
            let lent = LENT.with(|l| {
                let lent = l.borrow();
                let lent = lent.as_ref()?;
                lent.ids.get(lent.next).filter(|id| &***id == v).cloned()
            });
            Ok(lent.unwrap_or_else(|| Arc::from(v)))
        }
    }
    d.deserialize_str(Id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RunOptions;
    use crate::engine::plan::Plan;
    use crate::engine::record::Record;
    use crate::engine::virtual_clock::run_virtual;

    #[test]
    fn lanes_share_the_scenarios_ids_only_while_lending() {
        let plan = Arc::new(Plan::load("one-failing-call").unwrap());
        let r = run_virtual(&plan, &RunOptions::for_plan(&plan));
        let text = serde_json::to_string(&r).unwrap();
        let shared = |r: &Record| {
            r.lanes.iter().all(|l| {
                l.calls
                    .iter()
                    .zip(&r.lanes[0].calls)
                    .all(|(a, b)| Arc::ptr_eq(&a.id, &b.id))
            })
        };
        let plain: Record = serde_json::from_str(&text).unwrap();
        assert_eq!(plain, r);
        assert!(r.lanes.len() > 1 && !shared(&plain));
        let lending = Lending::start();
        let lent: Record = serde_json::from_str(&text).unwrap();
        drop(lending);
        assert_eq!(lent, r);
        assert!(shared(&lent));
        assert!(
            lent.lanes
                .iter()
                .all(|l| l.calls.capacity() == r.scenario.calls.len())
        );
        // A lane whose id differs reads its own (which the checks then refuse).
        let (head, lanes) = text.split_at(text.find(r#""lanes":"#).unwrap());
        let first = &r.lanes[0].calls[0].id;
        let odd = lanes.replacen(&format!(r#""id":"{first}""#), r#""id":"other""#, 1);
        let _lending = Lending::start();
        let odd: Record = serde_json::from_str(&format!("{head}{odd}")).unwrap();
        assert_eq!(&*odd.lanes[0].calls[0].id, "other");
        assert!(Arc::ptr_eq(
            &odd.lanes[1].calls[0].id,
            &odd.scenario.calls[0].id
        ));
        assert!(!Arc::ptr_eq(
            &odd.lanes[0].calls[1].id,
            &plain.lanes[0].calls[1].id
        ));
        assert!(Arc::ptr_eq(
            &odd.lanes[0].calls[1].id,
            &odd.lanes[1].calls[1].id
        ));
    }
}
