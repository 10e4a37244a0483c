//! The one text-table aligner: `report`'s comparison table, `check`'s tables and the sweep's.

use crate::text::width;

/// `rows` (the header first) as aligned lines, each ending in `\n` with no trailing spaces:
/// every line starts with `indent`, cells are `gap` spaces apart, and column `i` is flush left
/// where `left[i]` (names, counts) and flush right otherwise (numbers line up on the right);
/// columns past the end of `left` are flush left when `rest_left`. Widths are display columns
/// (a wide character takes two).
pub fn columns<R: AsRef<[String]>>(
    rows: &[R],
    left: &[bool],
    indent: &str,
    gap: usize,
    rest_left: bool,
) -> String {
    let mut widths: Vec<usize> = Vec::new();
    for row in rows {
        for (i, cell) in row.as_ref().iter().enumerate() {
            let n = width(cell);
            match widths.get_mut(i) {
                Some(w) => *w = (*w).max(n),
                None => widths.push(n),
            }
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::from(indent);
        for (i, (cell, w)) in row.as_ref().iter().zip(&widths).enumerate() {
            if i > 0 {
                line.extend(std::iter::repeat_n(' ', gap));
            }
            let pad = std::iter::repeat_n(' ', w - width(cell));
            if left.get(i).copied().unwrap_or(rest_left) {
                line.push_str(cell);
                line.extend(pad);
            } else {
                line.extend(pad);
                line.push_str(cell);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::columns;

    fn row(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn left_and_right_columns_line_up_without_trailing_spaces() {
        let rows = [
            row(&["name", "ms"]),
            row(&["é", "10"]),
            row(&["parallel", "5"]),
        ];
        assert_eq!(
            columns(&rows, &[true, false], "  ", 3, true),
            "  name       ms\n  é          10\n  parallel    5\n"
        );
        assert_eq!(
            columns(&rows, &[true, true], "", 2, true),
            "name      ms\né         10\nparallel  5\n"
        );
    }

    #[test]
    fn wide_characters_take_two_columns() {
        let rows = [row(&["漢字", "1"]), row(&["ab", "22"])];
        assert_eq!(columns(&rows, &[], "", 1, false), "漢字  1\n  ab 22\n");
    }
}
