//! DejaVu Sans (Bitstream Vera licence, `api/assets/fonts/LICENSE`), compiled into the binary
//! so that a PDF never depends on the fonts of the machine it is made on, and covering Latin
//! and Cyrillic (R-DOC-3). A PDF embeds only the glyphs it uses: the glyph table of the font
//! keeps its glyph ids, with every glyph it does not use emptied (a 750 KB font becomes a few
//! tens of KB), so no shaping or id remapping is needed.
use std::collections::BTreeSet;
use std::sync::OnceLock;
use ttf_parser::{Face, GlyphId};

static REGULAR_DATA: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static BOLD_DATA: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

pub struct Font {
    pub name: &'static str,
    data: &'static [u8],
    face: Face<'static>,
}

pub fn regular() -> &'static Font {
    static FONT: OnceLock<Font> = OnceLock::new();
    FONT.get_or_init(|| Font::load("DejaVuSans", REGULAR_DATA))
}

pub fn bold() -> &'static Font {
    static FONT: OnceLock<Font> = OnceLock::new();
    FONT.get_or_init(|| Font::load("DejaVuSans-Bold", BOLD_DATA))
}

/// Font metrics in thousandths of an em, as a PDF font descriptor states them.
pub struct Metrics {
    pub ascent: f32,
    pub descent: f32,
    pub cap_height: f32,
    pub bbox: [f32; 4],
}

impl Font {
    fn load(name: &'static str, data: &'static [u8]) -> Font {
        let face = Face::parse(data, 0).expect("the bundled font parses");
        Font { name, data, face }
    }

    fn per_mille(&self, v: f32) -> f32 {
        v * 1000.0 / f32::from(self.face.units_per_em())
    }

    /// The glyph of a character; one the font lacks prints as the empty box (glyph 0).
    pub fn glyph(&self, c: char) -> u16 {
        self.face.glyph_index(c).map(|g| g.0).unwrap_or(0)
    }

    /// A glyph's advance in thousandths of an em.
    pub fn advance(&self, glyph: u16) -> f32 {
        self.per_mille(f32::from(
            self.face.glyph_hor_advance(GlyphId(glyph)).unwrap_or(0),
        ))
    }

    /// The width of `text` at `size` points.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        text.chars()
            .map(|c| self.advance(self.glyph(c)))
            .sum::<f32>()
            * size
            / 1000.0
    }

    pub fn metrics(&self) -> Metrics {
        let b = self.face.global_bounding_box();
        Metrics {
            ascent: self.per_mille(f32::from(self.face.ascender())),
            descent: self.per_mille(f32::from(self.face.descender())),
            cap_height: self.per_mille(f32::from(
                self.face.capital_height().unwrap_or(self.face.ascender()),
            )),
            bbox: [
                self.per_mille(f32::from(b.x_min)),
                self.per_mille(f32::from(b.y_min)),
                self.per_mille(f32::from(b.x_max)),
                self.per_mille(f32::from(b.y_max)),
            ],
        }
    }

    /// The font with only `glyphs` (and the glyphs they are composed of) kept.
    pub fn subset(&self, glyphs: &BTreeSet<u16>) -> Vec<u8> {
        subset(self.data, glyphs).expect("the bundled font is a TrueType font")
    }
}

fn u16_at(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(d.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(d.get(at..at + 4)?.try_into().ok()?))
}

/// The tables a PDF viewer needs of an embedded TrueType font (ISO 32000 9.9): outlines,
/// metrics and hinting; no `cmap`, since text is written in glyph ids.
const KEPT: [&[u8; 4]; 9] = [
    b"cvt ", b"fpgm", b"glyf", b"head", b"hhea", b"hmtx", b"loca", b"maxp", b"prep",
];

fn subset(data: &[u8], keep: &BTreeSet<u16>) -> Option<Vec<u8>> {
    let count = usize::from(u16_at(data, 4)?);
    let mut tables = std::collections::BTreeMap::new();
    for i in 0..count {
        let rec = 12 + 16 * i;
        let tag: [u8; 4] = data.get(rec..rec + 4)?.try_into().ok()?;
        let offset = u32_at(data, rec + 8)? as usize;
        let length = u32_at(data, rec + 12)? as usize;
        tables.insert(tag, data.get(offset..offset + length)?);
    }
    let head = *tables.get(b"head")?;
    let long_loca = u16_at(head, 50)? == 1;
    let glyph_count = usize::from(u16_at(tables.get(b"maxp")?, 4)?);
    let loca = *tables.get(b"loca")?;
    let glyf = *tables.get(b"glyf")?;
    let offset = |g: usize| -> Option<usize> {
        if long_loca {
            u32_at(loca, 4 * g).map(|o| o as usize)
        } else {
            u16_at(loca, 2 * g).map(|o| 2 * usize::from(o))
        }
    };
    let outline = |g: usize| -> Option<&[u8]> { glyf.get(offset(g)?..offset(g + 1)?) };

    // The kept glyphs and, for composite glyphs, their components.
    let mut all: BTreeSet<u16> = keep
        .iter()
        .copied()
        .filter(|g| usize::from(*g) < glyph_count)
        .collect();
    all.insert(0);
    let mut todo: Vec<u16> = all.iter().copied().collect();
    while let Some(g) = todo.pop() {
        let bytes = outline(usize::from(g))?;
        if bytes.len() < 10 || (u16_at(bytes, 0)? as i16) >= 0 {
            continue;
        }
        let mut at = 10;
        loop {
            let flags = u16_at(bytes, at)?;
            let component = u16_at(bytes, at + 2)?;
            if all.insert(component) {
                todo.push(component);
            }
            at += 4 + if flags & 0x0001 != 0 { 4 } else { 2 };
            at += if flags & 0x0008 != 0 {
                2
            } else if flags & 0x0040 != 0 {
                4
            } else if flags & 0x0080 != 0 {
                8
            } else {
                0
            };
            if flags & 0x0020 == 0 {
                break;
            }
        }
    }

    let mut new_glyf = Vec::new();
    let mut new_loca = Vec::with_capacity(4 * (glyph_count + 1));
    for g in 0..glyph_count {
        new_loca.extend_from_slice(&(new_glyf.len() as u32).to_be_bytes());
        if all.contains(&(g as u16)) {
            new_glyf.extend_from_slice(outline(g)?);
            while new_glyf.len() % 4 != 0 {
                new_glyf.push(0);
            }
        }
    }
    new_loca.extend_from_slice(&(new_glyf.len() as u32).to_be_bytes());
    let mut new_head = head.to_vec();
    new_head[8..12].copy_from_slice(&[0; 4]);
    new_head[50..52].copy_from_slice(&1u16.to_be_bytes());

    let mut out_tables: Vec<([u8; 4], Vec<u8>)> = vec![];
    for tag in KEPT {
        let body = match tag {
            b"glyf" => new_glyf.clone(),
            b"loca" => new_loca.clone(),
            b"head" => new_head.clone(),
            _ => match tables.get(tag) {
                Some(t) => t.to_vec(),
                None => continue,
            },
        };
        out_tables.push((*tag, body));
    }
    Some(write_font(&out_tables))
}

fn checksum(data: &[u8]) -> u32 {
    data.chunks(4).fold(0u32, |sum, chunk| {
        let mut word = [0u8; 4];
        word[..chunk.len()].copy_from_slice(chunk);
        sum.wrapping_add(u32::from_be_bytes(word))
    })
}

fn write_font(tables: &[([u8; 4], Vec<u8>)]) -> Vec<u8> {
    let n = tables.len() as u16;
    let entry_selector = 15 - n.leading_zeros() as u16;
    let search_range = 16u16 << entry_selector;
    let mut out = Vec::new();
    out.extend_from_slice(&0x0001_0000u32.to_be_bytes());
    out.extend_from_slice(&n.to_be_bytes());
    out.extend_from_slice(&search_range.to_be_bytes());
    out.extend_from_slice(&entry_selector.to_be_bytes());
    out.extend_from_slice(&(n * 16 - search_range).to_be_bytes());
    let mut offset = 12 + 16 * tables.len();
    let mut bodies = Vec::new();
    for (tag, body) in tables {
        out.extend_from_slice(tag);
        out.extend_from_slice(&checksum(body).to_be_bytes());
        out.extend_from_slice(&(offset as u32).to_be_bytes());
        out.extend_from_slice(&(body.len() as u32).to_be_bytes());
        bodies.extend_from_slice(body);
        while bodies.len() % 4 != 0 {
            bodies.push(0);
        }
        offset = 12 + 16 * tables.len() + bodies.len();
    }
    out.extend_from_slice(&bodies);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subset_keeps_the_used_glyphs_and_is_small() {
        let f = regular();
        let used: BTreeSet<u16> = "Фактура Invoice 1.234,50"
            .chars()
            .map(|c| f.glyph(c))
            .collect();
        assert!(!used.contains(&0), "DejaVu Sans covers Latin and Cyrillic");
        let sub = f.subset(&used);
        assert!(sub.len() < REGULAR_DATA.len() / 5, "{} bytes", sub.len());
        let face = Face::parse(&sub, 0).expect("the subset parses as a font");
        assert_eq!(face.number_of_glyphs(), f.face.number_of_glyphs());
        let ef = GlyphId(f.glyph('Ф'));
        assert!(
            face.glyph_bounding_box(ef).is_some(),
            "a used glyph keeps its outline"
        );
        let unused = GlyphId(f.glyph('Ж'));
        assert!(
            face.glyph_bounding_box(unused).is_none(),
            "an unused glyph is emptied"
        );
    }
}
