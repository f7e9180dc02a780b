//! Headers every portal page carries: a strict Content-Security-Policy (no inline script or
//! style, nothing from other origins, no framing), no referrer beyond our origin, no MIME
//! sniffing, no caching of pages that may show secrets, and HSTS when served over https.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::Error;

/// Scripts and styles come only from `/static` on this origin; forms post only here.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

/// [`CONTENT_SECURITY_POLICY`] for a page whose form ends, after its redirects, at `target` (a
/// relying party's redirect URI): CSP's `form-action` covers every redirect of a form's
/// navigation, so the target's origin (or, for a native app's private-use scheme, the scheme)
/// must be allowed too.
pub fn policy_with_form_target(target: &url::Url) -> Option<HeaderValue> {
    let source = match target.origin() {
        url::Origin::Tuple(..) => target.origin().ascii_serialization(),
        url::Origin::Opaque(_) => format!("{}:", target.scheme()),
    };
    // A URL's origin or scheme holds no quote, semicolon or space.
    if source.contains(['\'', ';', ' ', ',']) {
        return None;
    }
    let policy = CONTENT_SECURITY_POLICY.replace(
        "form-action 'self'",
        &format!("form-action 'self' {source}"),
    );
    HeaderValue::from_str(&policy).ok()
}

/// Whether responses go out over https (and so get HSTS); set in the app data.
#[derive(Debug, Clone, Copy)]
pub struct ServedOverHttps(pub bool);

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let https = req
        .app_data::<actix_web::web::Data<ServedOverHttps>>()
        .is_some_and(|s| s.0);
    let is_static = req.path().starts_with("/static/");
    let mut res = next.call(req).await?;
    apply(res.headers_mut(), https, is_static);
    Ok(res)
}

/// Gives a response the pages' security headers (what [`middleware`] does, for a response
/// made outside the scopes it wraps, such as the site's "not found" page).
pub fn apply(headers: &mut actix_web::http::header::HeaderMap, https: bool, is_static: bool) {
    // A page may widen `form-action` for itself (see policy_with_form_target).
    let own_policy = headers.contains_key(header::CONTENT_SECURITY_POLICY);
    let mut set = |name: HeaderName, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    if !own_policy {
        set(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY);
    }
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "same-origin");
    set(
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    if !is_static {
        set(header::CACHE_CONTROL, "no-store");
    }
    if https {
        set(
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=63072000; includeSubDomains",
        );
    }
}
