//! Labels from Fluent files (one per language, compiled into the binary) and numbers, amounts
//! and dates written the way each language writes them (R-DOC-3).
use chrono::NaiveDate;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::HashMap;
use std::sync::OnceLock;

/// The languages Mercato writes documents in; the first is the last resort.
pub const LANGUAGES: [&str; 4] = ["en", "es", "bg", "pt"];

const SOURCES: [(&str, &str); 4] = [
    ("en", include_str!("locales/en.ftl")),
    ("es", include_str!("locales/es.ftl")),
    ("bg", include_str!("locales/bg.ftl")),
    ("pt", include_str!("locales/pt.ftl")),
];

type Bundle = FluentBundle<FluentResource>;

fn bundles() -> &'static HashMap<&'static str, Bundle> {
    static BUNDLES: OnceLock<HashMap<&'static str, Bundle>> = OnceLock::new();
    BUNDLES.get_or_init(|| {
        SOURCES
            .iter()
            .map(|(lang, source)| {
                let id = lang.parse().expect("a language tag");
                let mut bundle = FluentBundle::new_concurrent(vec![id]);
                // No Unicode isolation marks around arguments: they would land in the PDF's
                // text and in every copied number.
                bundle.set_use_isolating(false);
                let resource = FluentResource::try_new((*source).to_owned())
                    .unwrap_or_else(|(_, e)| panic!("locales/{lang}.ftl does not parse: {e:?}"));
                bundle
                    .add_resource(resource)
                    .unwrap_or_else(|e| panic!("locales/{lang}.ftl repeats a key: {e:?}"));
                (*lang, bundle)
            })
            .collect()
    })
}

/// The language a document is written in: the one asked for when Mercato writes it (`es-ES`
/// is `es`), else the company's, else English.
pub fn resolve(asked: &str, company: &str) -> &'static str {
    let primary = |tag: &str| {
        let p = tag
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        LANGUAGES.into_iter().find(|l| *l == p)
    };
    primary(asked).or_else(|| primary(company)).unwrap_or("en")
}

/// One language's labels and formats.
#[derive(Copy, Clone)]
pub struct Locale {
    pub lang: &'static str,
}

impl Locale {
    pub fn new(lang: &'static str) -> Locale {
        Locale { lang }
    }

    /// A label; a key missing in this language falls back to English, then to the key (a
    /// unit test checks that every language has every key).
    pub fn text(&self, key: &str) -> String {
        self.text_with(key, None)
    }

    pub fn text_with(&self, key: &str, args: Option<&FluentArgs>) -> String {
        for lang in [self.lang, "en"] {
            let bundle = &bundles()[lang];
            if let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) {
                let mut errors = vec![];
                return bundle
                    .format_pattern(pattern, args, &mut errors)
                    .into_owned();
            }
        }
        key.to_owned()
    }

    fn separators(&self) -> (&'static str, &'static str) {
        match self.lang {
            "en" => (",", "."),
            "bg" => (" ", ","),
            _ => (".", ","),
        }
    }

    /// A number with `decimals` places (half away from zero), grouped by thousands.
    pub fn number(&self, value: Decimal, decimals: u32) -> String {
        let rounded =
            value.round_dp_with_strategy(decimals, RoundingStrategy::MidpointAwayFromZero);
        let text = format!("{:.*}", decimals as usize, rounded.abs());
        let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
        let (group, point) = self.separators();
        let mut grouped = String::new();
        for (i, c) in int.chars().enumerate() {
            if i > 0 && (int.len() - i) % 3 == 0 {
                grouped.push_str(group);
            }
            grouped.push(c);
        }
        let sign = if rounded.is_sign_negative() && !rounded.is_zero() {
            "-"
        } else {
            ""
        };
        if frac.is_empty() {
            format!("{sign}{grouped}")
        } else {
            format!("{sign}{grouped}{point}{frac}")
        }
    }

    /// An amount in a currency: two places and the ISO code (`1.234,50 EUR`).
    pub fn amount(&self, value: Decimal, currency: &str) -> String {
        format!("{} {currency}", self.number(value, 2))
    }

    /// A quantity: as many places as it has, up to four.
    pub fn quantity(&self, value: Decimal) -> String {
        let places = value.normalize().scale().min(4);
        self.number(value, places)
    }

    pub fn percent(&self, value: Decimal) -> String {
        let places = value.normalize().scale().min(2);
        self.number(value, places)
    }

    pub fn date(&self, d: NaiveDate) -> String {
        match self.lang {
            "en" => d.format("%Y-%m-%d").to_string(),
            "bg" => d.format("%d.%m.%Y").to_string(),
            _ => d.format("%d/%m/%Y").to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn every_language_has_every_key() {
        let keys: Vec<&str> = SOURCES[0]
            .1
            .lines()
            .filter_map(|l| l.split_once(" = ").map(|(k, _)| k))
            .collect();
        for (lang, source) in SOURCES {
            for key in &keys {
                assert!(
                    source.lines().any(|l| l.starts_with(&format!("{key} = "))),
                    "{lang} lacks {key}"
                );
            }
        }
    }

    #[test]
    fn numbers_per_language() {
        let v = dec("-1234567.555");
        assert_eq!(Locale::new("en").number(v, 2), "-1,234,567.56");
        assert_eq!(Locale::new("es").number(v, 2), "-1.234.567,56");
        assert_eq!(Locale::new("bg").number(v, 2), "-1 234 567,56");
        assert_eq!(Locale::new("pt").amount(dec("0.5"), "EUR"), "0,50 EUR");
        assert_eq!(Locale::new("es").quantity(dec("12.500")), "12,5");
        assert_eq!(Locale::new("en").quantity(dec("3")), "3");
        assert_eq!(Locale::new("en").number(dec("-0.001"), 2), "0.00");
    }

    #[test]
    fn languages_fall_back_to_the_company_then_english() {
        assert_eq!(resolve("es-ES", "bg"), "es");
        assert_eq!(resolve("fr", "bg"), "bg");
        assert_eq!(resolve("fr", "de"), "en");
        assert_eq!(Locale::new("bg").text("title-invoice"), "Фактура");
        let mut args = FluentArgs::new();
        args.set("page", 1);
        args.set("pages", 2);
        assert_eq!(
            Locale::new("es").text_with("page", Some(&args)),
            "Página 1 de 2"
        );
    }

    #[test]
    fn dates_per_language() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        assert_eq!(Locale::new("bg").date(d), "07.12.2026");
        assert_eq!(Locale::new("es").date(d), "07/12/2026");
        assert_eq!(Locale::new("en").date(d), "2026-12-07");
    }
}
