//! The PDF of a document: the same `View` the HTML prints, laid out on A4 pages with the
//! bundled font (`font`), written with `pdf-writer`. Nothing in the file depends on the time
//! or the machine (no dates, no ids), so the same view always gives the same bytes (R-DOC-2).
use super::font::{self, Font};
use super::view::View;
use flate2::Compression;
use flate2::write::ZlibEncoder;
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

const WIDTH: f32 = 595.28;
const HEIGHT: f32 = 841.89;
const MARGIN: f32 = 42.0;
const BOTTOM: f32 = MARGIN + 20.0;
const INNER: f32 = WIDTH - 2.0 * MARGIN;

enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        gray: f32,
        text: String,
    },
    Rule {
        x1: f32,
        x2: f32,
        y: f32,
        width: f32,
        gray: f32,
    },
}

struct Layout<'v> {
    view: &'v View,
    pages: Vec<Vec<Op>>,
    y: f32,
}

fn face(bold: bool) -> &'static Font {
    if bold { font::bold() } else { font::regular() }
}

/// `text` broken into lines no wider than `width` at `size` (a word longer than a line is
/// broken between characters).
fn wrap(text: &str, size: f32, width: f32, bold: bool) -> Vec<String> {
    let f = face(bold);
    let mut lines = vec![];
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_owned()
        } else {
            format!("{line} {word}")
        };
        if f.width(&candidate, size) <= width {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        for c in word.chars() {
            line.push(c);
            if f.width(&line, size) > width && line.chars().count() > 1 {
                let last = line.pop().expect("a character");
                lines.push(std::mem::take(&mut line));
                line.push(last);
            }
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

impl Layout<'_> {
    fn page(&mut self) -> &mut Vec<Op> {
        self.pages.last_mut().expect("a page")
    }

    fn text(&mut self, x: f32, size: f32, bold: bool, text: &str) {
        let y = self.y;
        self.page().push(Op::Text {
            x,
            y,
            size,
            bold,
            gray: 0.1,
            text: text.to_owned(),
        });
    }

    fn text_at(&mut self, x: f32, y: f32, size: f32, bold: bool, gray: f32, text: &str) {
        self.page().push(Op::Text {
            x,
            y,
            size,
            bold,
            gray,
            text: text.to_owned(),
        });
    }

    fn right(&mut self, right: f32, y: f32, size: f32, bold: bool, text: &str) {
        let x = right - face(bold).width(text, size);
        self.text_at(x, y, size, bold, 0.1, text);
    }

    fn rule(&mut self, y: f32, width: f32, gray: f32) {
        self.page().push(Op::Rule {
            x1: MARGIN,
            x2: WIDTH - MARGIN,
            y,
            width,
            gray,
        });
    }

    /// A new page when `height` more points do not fit; true when one was started.
    fn room(&mut self, height: f32) -> bool {
        if self.y - height >= BOTTOM {
            return false;
        }
        self.pages.push(vec![]);
        self.y = HEIGHT - MARGIN;
        true
    }

    fn header(&mut self) {
        let v = self.view;
        self.y = HEIGHT - MARGIN - 18.0;
        self.text(MARGIN, 18.0, true, &v.title);
        let mut y = HEIGHT - MARGIN - 8.0;
        for (label, value) in &v.heading {
            self.text_at(WIDTH - MARGIN - 190.0, y, 9.0, true, 0.1, label);
            self.right(WIDTH - MARGIN, y, 9.0, false, value);
            y -= 12.0;
        }
        self.y = self.y.min(y) - 6.0;
        self.rule(self.y, 1.5, 0.2);
        self.y -= 18.0;
    }

    fn parties(&mut self) {
        let v = self.view;
        let n = v.parties.len().max(1) as f32;
        let gap = 16.0;
        let col = (INNER - gap * (n - 1.0)) / n;
        let top = self.y;
        let mut lowest = top;
        for (i, p) in v.parties.iter().enumerate() {
            let x = MARGIN + i as f32 * (col + gap);
            let mut y = top;
            self.text_at(x, y, 7.5, true, 0.45, &p.label.to_uppercase());
            y -= 12.0;
            for line in wrap(&p.name, 10.0, col, true) {
                self.text_at(x, y, 10.0, true, 0.1, &line);
                y -= 12.0;
            }
            for text in &p.lines {
                for line in wrap(text, 9.0, col, false) {
                    self.text_at(x, y, 9.0, false, 0.1, &line);
                    y -= 11.0;
                }
            }
            lowest = lowest.min(y);
        }
        self.y = lowest - 8.0;
        for (label, value) in &v.references {
            self.text(MARGIN, 9.0, true, &format!("{label}:"));
            let x = MARGIN + font::bold().width(&format!("{label}: "), 9.0);
            self.text(x, 9.0, false, value);
            self.y -= 12.0;
        }
        self.y -= 8.0;
    }

    fn columns(&self) -> Vec<(f32, f32)> {
        let mut x = MARGIN;
        self.view
            .columns
            .iter()
            .map(|c| {
                let w = c.width * INNER;
                let start = x;
                x += w;
                (start, w)
            })
            .collect()
    }

    fn table_head(&mut self) {
        let v = self.view;
        let cols = self.columns();
        for (c, (x, w)) in v.columns.iter().zip(&cols) {
            if c.numeric {
                self.right(x + w - 3.0, self.y, 8.0, true, &c.label);
            } else {
                self.text(x + 3.0, 8.0, true, &c.label);
            }
        }
        self.y -= 5.0;
        self.rule(self.y, 0.8, 0.2);
        self.y -= 11.0;
    }

    fn lines(&mut self) {
        let v = self.view;
        let cols = self.columns();
        self.table_head();
        for row in &v.rows {
            // The description column wraps; the others are short by nature.
            let wrapped: Vec<Vec<String>> = row
                .cells
                .iter()
                .zip(&cols)
                .map(|(cell, (_, w))| wrap(cell, 8.5, w - 6.0, false))
                .collect();
            let detail = row
                .detail
                .as_ref()
                .map(|d| wrap(d, 7.5, cols[1].1 - 6.0, false))
                .unwrap_or_default();
            let height = wrapped.iter().map(Vec::len).max().unwrap_or(1) as f32 * 10.5
                + detail.len() as f32 * 9.5;
            if self.room(height + 6.0) {
                self.table_head();
            }
            let top = self.y;
            for ((cell, (x, w)), column) in wrapped.iter().zip(&cols).zip(&v.columns) {
                let mut y = top;
                for line in cell {
                    if column.numeric {
                        self.right(x + w - 3.0, y, 8.5, false, line);
                    } else {
                        self.text_at(x + 3.0, y, 8.5, false, 0.1, line);
                    }
                    y -= 10.5;
                }
            }
            let mut y = top - wrapped[1.min(wrapped.len() - 1)].len() as f32 * 10.5;
            for line in &detail {
                self.text_at(cols[1].0 + 3.0, y, 7.5, false, 0.35, line);
                y -= 9.5;
            }
            self.y = top - height + 5.0;
            self.rule(self.y, 0.3, 0.75);
            self.y -= 11.0;
        }
        self.y -= 6.0;
    }

    fn summary(&mut self) {
        let v = self.view;
        let tax_rows = v.taxes.as_ref().map_or(0, |t| t.rows.len() + 2);
        let height = (tax_rows.max(v.totals.len()) as f32) * 13.0 + 10.0;
        self.room(height);
        let top = self.y;
        if let Some(t) = &v.taxes {
            let mut y = top;
            self.text_at(MARGIN, y, 7.5, true, 0.45, &t.title.to_uppercase());
            y -= 13.0;
            let xs = [MARGIN, MARGIN + 150.0, MARGIN + 250.0];
            self.text_at(xs[0], y, 8.0, true, 0.1, &t.header[0]);
            self.right(xs[1], y, 8.0, true, &t.header[1]);
            self.right(xs[2], y, 8.0, true, &t.header[2]);
            y -= 13.0;
            for r in &t.rows {
                self.text_at(xs[0], y, 8.5, false, 0.1, &r[0]);
                self.right(xs[1], y, 8.5, false, &r[1]);
                self.right(xs[2], y, 8.5, false, &r[2]);
                y -= 13.0;
            }
            self.y = y;
        }
        let mut y = top;
        for t in &v.totals {
            let size = if t.strong { 10.0 } else { 9.0 };
            self.text_at(WIDTH - MARGIN - 210.0, y, size, t.strong, 0.1, &t.label);
            self.right(WIDTH - MARGIN, y, size, t.strong, &t.value);
            y -= 14.0;
        }
        self.y = self.y.min(y) - 10.0;
    }

    fn closing(&mut self) {
        let v = self.view;
        if let Some((label, dues)) = &v.schedule {
            self.room(14.0 + 12.0 * dues.len() as f32);
            self.text(MARGIN, 7.5, true, &label.to_uppercase());
            self.y -= 13.0;
            for (date, amount) in dues {
                self.text(MARGIN, 9.0, false, date);
                self.right(MARGIN + 200.0, self.y, 9.0, false, amount);
                self.y -= 12.0;
            }
            self.y -= 6.0;
        }
        if let Some((label, account)) = &v.bank {
            self.room(14.0);
            let text = format!("{label}: {account}");
            self.text(MARGIN, 9.0, false, &text);
            self.y -= 14.0;
        }
        for note in &v.notes {
            for line in wrap(note, 9.0, INNER, false) {
                self.room(12.0);
                self.text(MARGIN, 9.0, false, &line);
                self.y -= 12.0;
            }
        }
    }

    fn footers(&mut self) {
        let pages = self.pages.len();
        let footer = self.view.footer.clone();
        for i in 0..pages {
            let label = self.view.page_label(i + 1, pages);
            let page = &mut self.pages[i];
            page.push(Op::Rule {
                x1: MARGIN,
                x2: WIDTH - MARGIN,
                y: MARGIN + 8.0,
                width: 0.5,
                gray: 0.6,
            });
            page.push(Op::Text {
                x: MARGIN,
                y: MARGIN - 4.0,
                size: 7.5,
                bold: false,
                gray: 0.4,
                text: footer.clone(),
            });
            page.push(Op::Text {
                x: WIDTH - MARGIN - font::regular().width(&label, 7.5),
                y: MARGIN - 4.0,
                size: 7.5,
                bold: false,
                gray: 0.4,
                text: label,
            });
        }
    }
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut e = ZlibEncoder::new(Vec::new(), Compression::new(6));
    e.write_all(data).expect("writing to memory");
    e.finish().expect("writing to memory")
}

/// Renders the view as a PDF.
pub fn render(view: &View) -> Vec<u8> {
    let mut layout = Layout {
        view,
        pages: vec![vec![]],
        y: HEIGHT - MARGIN,
    };
    layout.header();
    layout.parties();
    layout.lines();
    layout.summary();
    layout.closing();
    layout.footers();
    write(&layout.pages)
}

/// The glyphs of each font and the characters they stand for (for the ToUnicode map that
/// lets a reader copy and search the text).
#[derive(Default)]
struct Used {
    glyphs: BTreeMap<u16, char>,
}

fn write(pages: &[Vec<Op>]) -> Vec<u8> {
    let mut used = [Used::default(), Used::default()];
    let mut contents = vec![];
    for ops in pages {
        let mut c = Content::new();
        for op in ops {
            match op {
                Op::Text {
                    x,
                    y,
                    size,
                    bold,
                    gray,
                    text,
                } => {
                    let f = face(*bold);
                    let mut bytes = Vec::with_capacity(text.len() * 2);
                    for ch in text.chars() {
                        let g = f.glyph(ch);
                        used[usize::from(*bold)].glyphs.entry(g).or_insert(ch);
                        bytes.extend_from_slice(&g.to_be_bytes());
                    }
                    let name = if *bold { Name(b"F2") } else { Name(b"F1") };
                    c.begin_text()
                        .set_fill_gray(*gray)
                        .set_font(name, *size)
                        .set_text_matrix([1.0, 0.0, 0.0, 1.0, *x, *y])
                        .show(Str(&bytes))
                        .end_text();
                }
                Op::Rule {
                    x1,
                    x2,
                    y,
                    width,
                    gray,
                } => {
                    c.set_stroke_gray(*gray)
                        .set_line_width(*width)
                        .move_to(*x1, *y)
                        .line_to(*x2, *y)
                        .stroke();
                }
            }
        }
        contents.push(c.finish().into_vec());
    }

    let mut next = 1;
    let mut alloc = || {
        let r = Ref::new(next);
        next += 1;
        r
    };
    let catalog = alloc();
    let tree = alloc();
    let fonts: Vec<[Ref; 5]> = (0..2)
        .map(|_| [alloc(), alloc(), alloc(), alloc(), alloc()])
        .collect();
    let page_refs: Vec<(Ref, Ref)> = pages.iter().map(|_| (alloc(), alloc())).collect();

    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_refs.iter().map(|(p, _)| *p))
        .count(page_refs.len() as i32);
    for ((page, content), data) in page_refs.iter().zip(&contents) {
        let mut p = pdf.page(*page);
        p.media_box(Rect::new(0.0, 0.0, WIDTH, HEIGHT))
            .parent(tree)
            .contents(*content);
        p.resources()
            .fonts()
            .pair(Name(b"F1"), fonts[0][0])
            .pair(Name(b"F2"), fonts[1][0]);
        p.finish();
        pdf.stream(*content, &deflate(data))
            .filter(Filter::FlateDecode);
    }
    let system = SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"Identity"),
        supplement: 0,
    };
    for (i, refs) in fonts.iter().enumerate() {
        let [type0, cid, descriptor, cmap, file] = *refs;
        let f = face(i == 1);
        let glyphs = &used[i].glyphs;
        // A subset's name starts with six capitals that tell subsets apart (ISO 32000 9.6.4).
        let digest = Sha256::digest(
            glyphs
                .keys()
                .flat_map(|g| g.to_be_bytes())
                .collect::<Vec<u8>>(),
        );
        let tag: String = digest[..6]
            .iter()
            .map(|b| (b'A' + b % 26) as char)
            .collect();
        let base = format!("{tag}+{}", f.name);
        pdf.type0_font(type0)
            .base_font(Name(base.as_bytes()))
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(cid)
            .to_unicode(cmap);
        let mut c = pdf.cid_font(cid);
        c.subtype(CidFontType::Type2)
            .base_font(Name(base.as_bytes()))
            .system_info(system)
            .font_descriptor(descriptor)
            .default_width(0.0)
            .cid_to_gid_map_predefined(Name(b"Identity"));
        {
            let mut w = c.widths();
            for g in glyphs.keys() {
                w.consecutive(*g, [f.advance(*g)]);
            }
        }
        c.finish();
        let m = f.metrics();
        pdf.font_descriptor(descriptor)
            .name(Name(base.as_bytes()))
            .flags(FontFlags::NON_SYMBOLIC)
            .bbox(Rect::new(m.bbox[0], m.bbox[1], m.bbox[2], m.bbox[3]))
            .italic_angle(0.0)
            .ascent(m.ascent)
            .descent(m.descent)
            .cap_height(m.cap_height)
            .stem_v(if i == 1 { 120.0 } else { 80.0 })
            .font_file2(file);
        let mut map = UnicodeCmap::new(Name(b"Mercato-UCS"), system);
        for (g, ch) in glyphs {
            map.pair(*g, *ch);
        }
        pdf.cmap(cmap, &map.finish());
        let program = f.subset(&glyphs.keys().copied().collect::<BTreeSet<u16>>());
        pdf.stream(file, &deflate(&program))
            .filter(Filter::FlateDecode)
            .pair(Name(b"Length1"), program.len() as i32);
    }
    pdf.finish()
}
