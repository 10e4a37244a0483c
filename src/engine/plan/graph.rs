//! The dependency graph's order: Kahn's algorithm, and a cycle described in one line.

/// Kahn's algorithm. On a cycle, returns one cycle as call indices, first repeated at the end.
use super::CallLists;

pub(super) fn topological_order(
    deps: &CallLists,
    successors: &CallLists,
) -> Result<Vec<usize>, Vec<usize>> {
    let n = deps.len();
    let mut indegree: Vec<usize> = (0..n).map(|i| deps[i].len()).collect();
    let mut order: Vec<usize> = (0..n).filter(|&i| indegree[i] == 0).collect();
    let mut head = 0;
    while head < order.len() {
        let i = order[head];
        head += 1;
        for &s in &successors[i] {
            let s = s as usize;
            indegree[s] -= 1;
            if indegree[s] == 0 {
                order.push(s);
            }
        }
    }
    if order.len() == n {
        return Ok(order);
    }
    // Every call left has a dependency that is also left: walk those until one repeats.
    let start = (0..n).find(|&i| indegree[i] > 0).expect("a call is left");
    let mut seen = vec![usize::MAX; n];
    let mut path = Vec::new();
    let mut at = start;
    while seen[at] == usize::MAX {
        seen[at] = path.len();
        path.push(at);
        at = deps[at]
            .iter()
            .map(|&d| d as usize)
            .find(|&d| indegree[d] > 0)
            .expect("a call in a cycle has a dependency in it");
    }
    let mut cycle = path.split_off(seen[at]);
    cycle.push(at);
    Err(cycle)
}

/// `dependency cycle: a -> b -> a` for a cycle given with its first call repeated at the end.
/// A cycle of more than 12 calls prints its first 5 and last 5, with its length, so that a
/// 100 000-call cycle is one readable line instead of 700 KB.
pub(super) fn describe_cycle(ids: &[&str]) -> String {
    const LONG: usize = 12;
    const SHOWN: usize = 5;
    let n = ids.len().saturating_sub(1);
    if n <= LONG {
        return format!("dependency cycle: {}", ids.join(" -> "));
    }
    format!(
        "dependency cycle of {n} calls: {} -> … ({} more) … -> {}",
        ids[..SHOWN].join(" -> "),
        n - 2 * SHOWN,
        ids[n - SHOWN..].join(" -> ")
    )
}
