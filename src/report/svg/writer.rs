//! The SVG writer: escaping, the document's opening tag, and the text, rect and line elements
//! every chart here is drawn with.

use std::fmt::Write as _;

/// Escapes text for XML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // C0 controls are not allowed in XML 1.0, and C0, DEL and C1 act on a terminal that
            // shows the file: written as `\u{1b}`, as every writer does (crate::text).
            c if crate::text::is_control(c) && c != '\n' => {
                out.push_str(&crate::text::escape_control(c.encode_utf8(&mut [0; 4])))
            }
            c => out.push(c),
        }
    }
    out
}

/// A standalone SVG's opening `<svg>` tag, `extra` attributes appended: the one head of the
/// record's chart and the sweep's.
pub fn open_tag(width: f64, height: f64, extra: &str) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12"{extra}>"#
    )
}

/// Builds SVG text.
pub(super) struct Svg {
    pub(super) out: String,
}

impl Svg {
    pub(super) fn text(&mut self, x: f64, y: f64, attrs: &str, content: &str) {
        let _ = writeln!(
            self.out,
            r#"<text x="{x:.1}" y="{y:.1}" {attrs}>{}</text>"#,
            // Drawn text is one line: XML would silently drop the line breaks.
            escape(&content.replace(['\n', '\r', '\t'], " "))
        );
    }

    pub(super) fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, attrs: &str, tip: Option<&str>) {
        let body = format!(r#"x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" {attrs}"#);
        match tip {
            Some(t) => {
                let _ = writeln!(self.out, "<rect {body}><title>{}</title></rect>", escape(t));
            }
            None => {
                let _ = writeln!(self.out, "<rect {body}/>");
            }
        }
    }

    pub(super) fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, attrs: &str) {
        let _ = writeln!(
            self.out,
            r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" {attrs}/>"#
        );
    }
}
