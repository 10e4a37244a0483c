//! One list of call indices per call, all in one array (compressed rows): a plan's dependencies
//! and successors. A million calls' lists are then two allocations of 4 bytes an entry, not a
//! million vectors of 24 bytes plus a heap block each (issue 10).

/// A list of call indices for each call, in one array.
#[derive(Debug, Clone, PartialEq)]
pub struct CallLists {
    /// Where each call's list starts in `items`, and where the last one ends.
    starts: Vec<u32>,
    /// Every list, one after the other.
    items: Vec<u32>,
}

impl Default for CallLists {
    fn default() -> Self {
        CallLists::new()
    }
}

impl CallLists {
    /// No lists yet: add them in call order with [`CallLists::push`] and [`CallLists::end_list`].
    pub fn new() -> Self {
        CallLists {
            starts: vec![0],
            items: Vec::new(),
        }
    }

    /// Adds `i` to the list being built.
    pub fn push(&mut self, i: usize) {
        self.items.push(index(i));
    }

    /// Ends the list being built: the next call's list starts.
    pub fn end_list(&mut self) {
        self.starts.push(index(self.items.len()));
    }

    /// The reverse of these lists over `n` calls: for each call, the calls whose list holds
    /// it, in order (a counting sort, O(n + entries)).
    pub fn reversed(&self, n: usize) -> CallLists {
        let mut starts = vec![0u32; n + 1];
        for &d in &self.items {
            starts[d as usize + 1] += 1;
        }
        for k in 0..n {
            starts[k + 1] += starts[k];
        }
        let mut next: Vec<u32> = starts[..n].to_vec();
        let mut items = vec![0u32; self.items.len()];
        for i in 0..self.len() {
            for &d in &self[i] {
                let at = &mut next[d as usize];
                items[*at as usize] = index(i);
                *at += 1;
            }
        }
        CallLists { starts, items }
    }

    /// How many lists there are.
    pub fn len(&self) -> usize {
        self.starts.len() - 1
    }

    /// Whether there are no lists.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many entries all lists hold together (a plan's edges).
    pub fn entries(&self) -> usize {
        self.items.len()
    }

    /// Gives back the spare capacity of a list built by pushing.
    pub fn shrink_to_fit(&mut self) {
        self.starts.shrink_to_fit();
        self.items.shrink_to_fit();
    }
}

impl std::ops::Index<usize> for CallLists {
    type Output = [u32];

    /// Call `i`'s list.
    fn index(&self, i: usize) -> &[u32] {
        &self.items[self.starts[i] as usize..self.starts[i + 1] as usize]
    }
}

/// A call index or count as stored: [`super::Plan::new`] refuses a scenario with more calls or
/// dependencies than fit in 32 bits, so this cannot fail on a plan's lists.
fn index(i: usize) -> u32 {
    u32::try_from(i).expect("a plan has fewer than 2^32 calls and dependencies")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_reverse_into_successors_in_order() {
        // 0 ← 1, 0 ← 2, 1 ← 2, 3 alone.
        let mut deps = CallLists::new();
        for list in [&[][..], &[0], &[0, 1], &[]] {
            for &d in list {
                deps.push(d);
            }
            deps.end_list();
        }
        assert_eq!(deps.len(), 4);
        assert_eq!(deps.entries(), 3);
        assert_eq!(&deps[2], &[0, 1]);
        let succ = deps.reversed(4);
        assert_eq!(succ.len(), 4);
        assert_eq!(&succ[0], &[1, 2]);
        assert_eq!(&succ[1], &[2]);
        assert!(succ[2].is_empty() && succ[3].is_empty());
    }
}
