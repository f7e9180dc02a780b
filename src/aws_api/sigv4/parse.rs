//! Phase 1 of SigV4: the signature read from a request, from the `Authorization` header or the
//! presigned `X-Amz-*` query parameters, with AWS's codes and wording for every malformed part.
//! Nothing read here is trusted before [`super::verify`] returns `Ok`.

use super::super::query::percent_decode;
use super::{
    CredentialScope, ParsedSignature, RequestParts, SigV4Error, SignatureLocation, TimeSource,
};
use super::{AMZ_DATE_FORMAT, TERMINATOR};
use crate::secrets::SecretString;
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::HashMap;

/// Reads the signature from the `Authorization` header or the presigned query parameters.
pub fn parse(request: &RequestParts<'_>) -> Result<ParsedSignature, SigV4Error> {
    let authorization = request.single_header("authorization").map_err(|()| {
        SigV4Error::IncompleteSignature("Only one Authorization header is allowed.".to_owned())
    })?;
    let presigned = presigned_params(request.query)?;
    match (authorization, presigned.contains_key("X-Amz-Algorithm")) {
        (Some(_), true) => Err(SigV4Error::IncompleteSignature(
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified".to_owned(),
        )),
        (Some(header), false) => parse_header(request, header),
        (None, true) => parse_presigned(&presigned),
        (None, false) => Err(SigV4Error::MissingAuthenticationToken),
    }
}

/// The decoded `X-Amz-*` parameters of the query string (each at most once).
fn presigned_params(query: &str) -> Result<HashMap<String, String>, SigV4Error> {
    let mut found = HashMap::new();
    for segment in query.split('&').filter(|s| !s.is_empty()) {
        let (raw_name, raw_value) = segment.split_once('=').unwrap_or((segment, ""));
        if !raw_name.starts_with("X-Amz-") {
            continue;
        }
        let decode = |raw: &str| {
            percent_decode(raw)
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| {
                    SigV4Error::MalformedQueryString(format!("Invalid encoding in '{segment}'"))
                })
        };
        let (name, value) = (decode(raw_name)?, decode(raw_value)?);
        if found.insert(name.clone(), value).is_some() {
            return Err(SigV4Error::IncompleteSignature(format!(
                "Query parameter {name} appears more than once."
            )));
        }
    }
    Ok(found)
}

fn parse_header(request: &RequestParts<'_>, header: &str) -> Result<ParsedSignature, SigV4Error> {
    let header = header.trim();
    let (algorithm, rest) = header
        .split_once(char::is_whitespace)
        .unwrap_or((header, ""));
    let mut fields: HashMap<&str, &str> = HashMap::new();
    for part in rest.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, value) = part.split_once('=').ok_or_else(|| {
            SigV4Error::IncompleteSignature(format!(
                "Authorization header requires each component to be of the form key=value. Authorization={header}"
            ))
        })?;
        if fields.insert(name.trim(), value.trim()).is_some() {
            return Err(SigV4Error::IncompleteSignature(format!(
                "Authorization header has a repeated '{}' component. Authorization={header}",
                name.trim()
            )));
        }
    }
    let time = header_time(request)?;
    let missing = missing_components(&fields, time.is_some());
    let (Some(credential), Some(signed), Some(signature), Some((request_time, time_source))) = (
        fields.get("Credential"),
        fields.get("SignedHeaders"),
        fields.get("Signature"),
        time,
    ) else {
        return Err(SigV4Error::IncompleteSignature(format!(
            "{missing}Authorization={header}"
        )));
    };
    let (access_key_id, scope) = parse_credential(credential)?;
    let security_token = request
        .single_header("x-amz-security-token")
        .map_err(|()| {
            SigV4Error::IncompleteSignature(
                "Only one X-Amz-Security-Token header is allowed.".to_owned(),
            )
        })?
        .map(|t| SecretString::from(t.trim().to_owned()));
    Ok(ParsedSignature {
        algorithm: algorithm.to_owned(),
        access_key_id,
        scope,
        request_time,
        time_source,
        signed_headers: parse_signed_headers(signed)?,
        signature: (*signature).to_owned(),
        security_token,
        location: SignatureLocation::Header,
    })
}

/// AWS's "Authorization header requires ..." sentences for the missing components.
fn missing_components(fields: &HashMap<&str, &str>, has_time: bool) -> String {
    let mut missing = String::new();
    for name in ["Credential", "Signature", "SignedHeaders"] {
        if !fields.contains_key(name) {
            missing.push_str(&format!(
                "Authorization header requires '{name}' parameter. "
            ));
        }
    }
    if !has_time {
        missing.push_str(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
        );
    }
    missing
}

/// `X-Amz-Date` header, else `Date` (RFC 1123). `Ok(None)` if neither is present.
fn header_time(
    request: &RequestParts<'_>,
) -> Result<Option<(DateTime<Utc>, TimeSource)>, SigV4Error> {
    let repeated =
        |name: &str| SigV4Error::IncompleteSignature(format!("Only one {name} header is allowed."));
    if let Some(value) = request
        .single_header("x-amz-date")
        .map_err(|()| repeated("X-Amz-Date"))?
    {
        return parse_amz_date(value.trim()).map(|t| Some((t, TimeSource::AmzDate)));
    }
    match request
        .single_header("date")
        .map_err(|()| repeated("Date"))?
    {
        Some(value) => DateTime::parse_from_rfc2822(value.trim())
            .map(|t| Some((t.with_timezone(&Utc), TimeSource::Date)))
            .map_err(|_| {
                SigV4Error::IncompleteSignature(format!(
                    "Date must be in RFC 1123 format. Got '{value}'"
                ))
            }),
        None => Ok(None),
    }
}

/// `20261123T150405Z`, strictly (16 characters, digits where digits belong).
fn parse_amz_date(value: &str) -> Result<DateTime<Utc>, SigV4Error> {
    let bytes = value.as_bytes();
    let shaped = bytes.len() == 16
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 => *b == b'T',
            15 => *b == b'Z',
            _ => b.is_ascii_digit(),
        });
    shaped
        .then(|| chrono::NaiveDateTime::parse_from_str(value, AMZ_DATE_FORMAT).ok())
        .flatten()
        .map(|t| t.and_utc())
        .ok_or_else(|| {
            SigV4Error::IncompleteSignature(format!(
                "Date must be in ISO-8601 'basic format'. Got '{value}'. See http://en.wikipedia.org/wiki/ISO_8601"
            ))
        })
}

/// `AKID/20261123/us-east-1/iam/aws4_request`.
fn parse_credential(credential: &str) -> Result<(String, CredentialScope), SigV4Error> {
    let parts: Vec<&str> = credential.split('/').collect();
    let [key, date, region, service, terminator] = parts.as_slice() else {
        return Err(SigV4Error::IncompleteSignature(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
        )));
    };
    if key.is_empty() || region.is_empty() || service.is_empty() {
        return Err(SigV4Error::IncompleteSignature(format!(
            "Credential has an empty element: '{credential}'"
        )));
    }
    if *terminator != TERMINATOR {
        return Err(SigV4Error::SignatureDoesNotMatch(format!(
            "Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{terminator}'."
        )));
    }
    let date = (date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit()))
        .then(|| NaiveDate::parse_from_str(date, "%Y%m%d").ok())
        .flatten()
        .ok_or_else(|| {
            SigV4Error::IncompleteSignature(format!(
                "Date in Credential scope must be in the form YYYYMMDD. Got '{date}'"
            ))
        })?;
    let scope = CredentialScope {
        date,
        region: (*region).to_owned(),
        service: (*service).to_owned(),
    };
    Ok(((*key).to_owned(), scope))
}

/// `content-type;host;x-amz-date` -> names, lower-cased and trimmed, order kept.
fn parse_signed_headers(signed: &str) -> Result<Vec<String>, SigV4Error> {
    let names: Vec<String> = signed
        .split(';')
        .map(|n| n.trim().to_ascii_lowercase())
        .collect();
    if names.iter().any(String::is_empty) {
        return Err(SigV4Error::IncompleteSignature(format!(
            "SignedHeaders has an empty header name: '{signed}'"
        )));
    }
    Ok(names)
}

fn parse_presigned(params: &HashMap<String, String>) -> Result<ParsedSignature, SigV4Error> {
    let get = |name: &str| {
        params.get(name).map(String::as_str).ok_or_else(|| {
            SigV4Error::IncompleteSignature(format!(
                "AWS query-string parameters must include '{name}'. Re-examine the query-string parameters."
            ))
        })
    };
    let algorithm = get("X-Amz-Algorithm")?;
    let (access_key_id, scope) = parse_credential(get("X-Amz-Credential")?)?;
    let request_time = parse_amz_date(get("X-Amz-Date")?)?;
    let expires_raw = get("X-Amz-Expires")?;
    let expires = expires_raw
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| expires_raw.parse::<u64>().ok())
        .flatten()
        .ok_or_else(|| {
            SigV4Error::IncompleteSignature(format!(
                "X-Amz-Expires should be a number, got '{expires_raw}'"
            ))
        })?;
    Ok(ParsedSignature {
        algorithm: algorithm.to_owned(),
        access_key_id,
        scope,
        request_time,
        time_source: TimeSource::AmzDate,
        signed_headers: parse_signed_headers(get("X-Amz-SignedHeaders")?)?,
        signature: get("X-Amz-Signature")?.to_owned(),
        security_token: params
            .get("X-Amz-Security-Token")
            .map(|t| SecretString::from(t.clone())),
        location: SignatureLocation::Query { expires },
    })
}
