//! Documents people read (R-DOC-1…4): order confirmations, proformas, invoices, credit notes,
//! delivery notes, return notes and purchase orders, as HTML and as PDF, in the language of
//! the document. `model` is what a document says, `view` the same in one language with every
//! label and number written out, `html` and `pdf` print a view. Nothing here reads the
//! database: `domain::printing` gathers a `Document` and keeps what was rendered.
pub mod font;
mod html;
pub mod i18n;
pub mod model;
pub mod pdf;
pub mod view;

pub use model::{Document, DocumentFormat, DocumentKind};

/// One rendering: the bytes and the language they are written in.
pub struct Rendered {
    pub bytes: Vec<u8>,
    pub language: &'static str,
}

/// The language a document is rendered in when `asked` (or, without one, the document's own)
/// is one Mercato writes; else the company's (R-DOC-3).
pub fn language_of(doc: &Document, asked: Option<&str>) -> &'static str {
    i18n::resolve(asked.unwrap_or(&doc.language), &doc.company_language)
}

pub fn render(doc: &Document, language: &'static str, format: DocumentFormat) -> Rendered {
    let view = view::build(doc, language);
    let bytes = match format {
        DocumentFormat::Html => html::render(&view, &doc.number).into_bytes(),
        DocumentFormat::Pdf => pdf::render(&view),
    };
    Rendered { bytes, language }
}

/// The name a downloaded file gets: `invoice-F-2026-7.pdf` (the number's characters that are
/// not safe in a file name become `-`).
pub fn file_name(doc: &Document, format: DocumentFormat) -> String {
    let number: String = doc
        .number
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("{}-{number}.{}", doc.kind.slug(), format.extension())
}
