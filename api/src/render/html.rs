//! The HTML of a document: one compiled template (`api/templates/document.html`), styles
//! inline and no script or outside resource, so a page opens the same offline and in a mail.
use super::view::View;
use askama::Template;

#[derive(Template)]
#[template(path = "document.html")]
struct Page<'v> {
    v: &'v View,
    number: &'v str,
}

pub fn render(view: &View, number: &str) -> String {
    Page { v: view, number }
        .render()
        .expect("the document template renders any view")
}
