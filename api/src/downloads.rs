//! `GET /documents/{kind}/{id}.{html|pdf}` (R-DOC-1): a document rendered for the bearer of
//! the token, with the same visibility as its GraphQL object. Whatever the caller may not
//! read — another rep's customer's invoice, another company's, a kind its role does not read
//! — is the same bare 404 as a document that does not exist.
use crate::domain::printing;
use crate::error::AppError;
use crate::http::authenticate;
use crate::render::{self, DocumentFormat, DocumentKind};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use sha2::{Digest, Sha256};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/documents/{kind}/{file}", web::get().to(download));
}

#[derive(serde::Deserialize)]
struct Params {
    language: Option<String>,
}

fn not_found() -> HttpResponse {
    HttpResponse::NotFound()
        .content_type("text/plain; charset=utf-8")
        .body("not found")
}

/// The path of a document's file, for `documentUrl`.
pub fn path(kind: DocumentKind, id: i64, format: DocumentFormat) -> String {
    format!("/documents/{}/{id}.{}", kind.slug(), format.extension())
}

async fn download(
    state: web::Data<AppState>,
    req: HttpRequest,
    request_id: tracing_actix_web::RequestId,
    route: web::Path<(String, String)>,
    query: web::Query<Params>,
) -> HttpResponse {
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let principal = match authenticate(&state, authorization).await {
        Ok(Some(p)) => p,
        Ok(None) | Err(AppError::Unauthenticated(_)) => {
            return HttpResponse::Unauthorized()
                .insert_header((header::WWW_AUTHENTICATE, "Bearer"))
                .content_type("text/plain; charset=utf-8")
                .body("a bearer token is required");
        }
        Err(e) => return failure(&request_id, e),
    };
    let (kind, file) = route.into_inner();
    let Some(kind) = DocumentKind::from_slug(&kind) else {
        return not_found();
    };
    let Some((id, format)) = file.rsplit_once('.').and_then(|(id, ext)| {
        let id: i64 = id.parse().ok().filter(|i| *i > 0)?;
        Some((id, DocumentFormat::from_extension(ext)?))
    }) else {
        return not_found();
    };
    // A language is two letters; anything else is the document's own.
    let language = query
        .language
        .as_deref()
        .filter(|l| l.len() <= 8 && l.chars().all(|c| c.is_ascii_alphabetic() || c == '-'));
    let (doc, rendered) =
        match printing::rendered(&state.db, &principal, kind, id, format, language).await {
            Ok(r) => r,
            Err(AppError::NotFound(_) | AppError::Forbidden(_)) => return not_found(),
            Err(e) => return failure(&request_id, e),
        };
    let etag = format!(
        "\"{}\"",
        hex::encode(&Sha256::digest(&rendered.bytes)[..16])
    );
    let unchanged = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut response = if unchanged {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag))
        // The answer depends on who asks: never kept by a shared cache.
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .insert_header((header::CONTENT_LANGUAGE, rendered.language))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"{}\"", render::file_name(&doc, format)),
        ));
    if unchanged {
        return response.finish();
    }
    response
        .content_type(format.content_type())
        .body(rendered.bytes)
}

fn failure(request_id: &tracing_actix_web::RequestId, e: AppError) -> HttpResponse {
    let code = e.code();
    let status = match e {
        AppError::Unavailable(_) => actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
        _ => actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
    };
    tracing::error!(request_id = %request_id, code, error = ?e.into_anyhow(), "document download failed");
    HttpResponse::build(status)
        .content_type("text/plain; charset=utf-8")
        .body(code)
}
