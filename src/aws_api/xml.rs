//! AWS Query protocol response bodies, written with `quick-xml` (text is escaped by the writer,
//! never by hand).
//!
//! Success:
//! ```text
//! <{Action}Response xmlns="{namespace}">
//!   <{Action}Result> ...fields... </{Action}Result>      (omitted for actions without output)
//!   <ResponseMetadata><RequestId>{id}</RequestId></ResponseMetadata>
//! </{Action}Response>
//! ```
//! Error:
//! ```text
//! <ErrorResponse xmlns="{namespace}">
//!   <Error><Type>Sender</Type><Code>..</Code><Message>..</Message></Error>
//!   <RequestId>{id}</RequestId>
//! </ErrorResponse>
//! ```
//! Lists are `<Name><member>..</member>...</Name>`; timestamps are ISO 8601 UTC with whole
//! seconds (`2026-11-23T15:04:05Z`); booleans are `true` / `false`.

use super::error::AwsError;
use chrono::{DateTime, Utc};
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

/// XML namespace of IAM responses (API version 2010-05-08).
pub const IAM_NAMESPACE: &str = "https://iam.amazonaws.com/doc/2010-05-08/";
/// XML namespace of STS responses (API version 2011-06-15).
pub const STS_NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// The XML namespace of an answer about `service` (IAM's for anything but STS).
pub fn namespace(service: &str) -> &'static str {
    if service == "sts" {
        STS_NAMESPACE
    } else {
        IAM_NAMESPACE
    }
}

/// The body served when writing a response fails (it cannot with an in-memory buffer; this keeps
/// the writer panic-free all the same).
const FALLBACK_ERROR_BODY: &str = "<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceFailure</Code><Message>The request processing has failed because of an unknown error, exception or failure.</Message></Error></ErrorResponse>";

/// Writing the XML failed (only possible through an I/O error of the underlying buffer).
#[derive(Debug, thiserror::Error)]
#[error("XML response could not be written: {0}")]
pub struct XmlError(#[from] std::io::Error);

/// Formats a timestamp as AWS does in Query responses: `2026-11-23T15:04:05Z`.
pub fn format_timestamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// XML 1.0 forbids most control characters even when escaped; they are replaced by U+FFFD so
/// that any stored string yields a well-formed document.
fn xml_safe(text: &str) -> std::borrow::Cow<'_, str> {
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
            || c >= '\u{10000}'
    };
    // Most values (ids, ARNs, tokens) are printable ASCII: one pass over the bytes.
    let printable_ascii = text
        .bytes()
        .all(|b| (0x20..0x7f).contains(&b) || matches!(b, b'\t' | b'\n' | b'\r'));
    if printable_ascii || text.chars().all(allowed) {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(
            text.chars()
                .map(|c| if allowed(c) { c } else { '\u{FFFD}' })
                .collect(),
        )
    }
}

/// Writes elements inside the current element. Write errors are remembered and reported by
/// [`XmlResponse::finish`], so call sites need no `?` on every field.
pub struct XmlBody<'w> {
    writer: &'w mut Writer<Vec<u8>>,
    error: &'w mut Option<std::io::Error>,
}

impl XmlBody<'_> {
    fn record(&mut self, result: std::io::Result<()>) {
        if let (Err(e), None) = (result, self.error.as_ref()) {
            *self.error = Some(e);
        }
    }

    fn start(&mut self, name: &str) {
        let result = self.writer.write_event(Event::Start(BytesStart::new(name)));
        self.record(result);
    }

    fn end(&mut self, name: &str) {
        let result = self.writer.write_event(Event::End(BytesEnd::new(name)));
        self.record(result);
    }

    /// `<name>value</name>`, value escaped.
    pub fn text(&mut self, name: &str, value: &str) -> &mut Self {
        self.start(name);
        let safe = xml_safe(value);
        let result = self.writer.write_event(Event::Text(BytesText::new(&safe)));
        self.record(result);
        self.end(name);
        self
    }

    /// `<name>value</name>` when `Some`; nothing when `None`.
    pub fn opt_text(&mut self, name: &str, value: Option<&str>) -> &mut Self {
        if let Some(value) = value {
            self.text(name, value);
        }
        self
    }

    /// `<name>true</name>` / `<name>false</name>`.
    pub fn bool(&mut self, name: &str, value: bool) -> &mut Self {
        self.text(name, if value { "true" } else { "false" })
    }

    /// An integer element.
    pub fn int(&mut self, name: &str, value: i64) -> &mut Self {
        self.text(name, &value.to_string())
    }

    /// An optional integer element.
    pub fn opt_int(&mut self, name: &str, value: Option<i64>) -> &mut Self {
        if let Some(value) = value {
            self.int(name, value);
        }
        self
    }

    /// A timestamp element in AWS's form (`2026-11-23T15:04:05Z`).
    pub fn time(&mut self, name: &str, value: DateTime<Utc>) -> &mut Self {
        self.text(name, &format_timestamp(value))
    }

    /// An optional timestamp element.
    pub fn opt_time(&mut self, name: &str, value: Option<DateTime<Utc>>) -> &mut Self {
        if let Some(value) = value {
            self.time(name, value);
        }
        self
    }

    /// `<name>...</name>` with children written by `fill`.
    pub fn element(&mut self, name: &str, fill: impl FnOnce(&mut XmlBody<'_>)) -> &mut Self {
        self.start(name);
        fill(&mut XmlBody {
            writer: self.writer,
            error: self.error,
        });
        self.end(name);
        self
    }

    /// `<name><member>...</member>...</name>`, each member's children written by `fill`.
    /// An empty list is written as `<name/>`-equivalent `<name></name>`, as AWS does.
    pub fn list<T>(
        &mut self,
        name: &str,
        items: impl IntoIterator<Item = T>,
        mut fill: impl FnMut(&mut XmlBody<'_>, T),
    ) -> &mut Self {
        self.element(name, |body| {
            for item in items {
                body.element("member", |member| fill(member, item));
            }
        })
    }

    /// `<name><member>text</member>...</name>`.
    pub fn text_list<S: AsRef<str>>(
        &mut self,
        name: &str,
        items: impl IntoIterator<Item = S>,
    ) -> &mut Self {
        self.element(name, |body| {
            for item in items {
                body.text("member", item.as_ref());
            }
        })
    }
}

/// Builder of one success response.
pub struct XmlResponse {
    writer: Writer<Vec<u8>>,
    action: String,
    has_result: bool,
    error: Option<std::io::Error>,
}

impl XmlResponse {
    /// Starts `<{action}Response xmlns=..><{action}Result>`.
    pub fn new(action: &str, namespace: &str) -> Self {
        let mut response = Self::open(action, namespace, true);
        response.body().start(&format!("{action}Result"));
        response
    }

    /// Starts a response with no `<{action}Result>` (actions without output, e.g. `DeleteUser`).
    pub fn without_result(action: &str, namespace: &str) -> Self {
        Self::open(action, namespace, false)
    }

    fn open(action: &str, namespace: &str, has_result: bool) -> Self {
        let mut response = Self {
            writer: Writer::new(Vec::new()),
            action: action.to_owned(),
            has_result,
            error: None,
        };
        let root = format!("{action}Response");
        let start = BytesStart::new(root.as_str()).with_attributes([("xmlns", namespace)]);
        let result = response.writer.write_event(Event::Start(start));
        response.body().record(result);
        response
    }

    /// The writer for the `<{action}Result>` children.
    pub fn body(&mut self) -> XmlBody<'_> {
        XmlBody {
            writer: &mut self.writer,
            error: &mut self.error,
        }
    }

    /// Closes the result, writes `<ResponseMetadata>` and returns the document.
    pub fn finish(mut self, request_id: &str) -> Result<String, XmlError> {
        let action = self.action.clone();
        let has_result = self.has_result;
        let mut body = self.body();
        if has_result {
            body.end(&format!("{action}Result"));
        }
        body.element("ResponseMetadata", |metadata| {
            metadata.text("RequestId", request_id);
        });
        body.end(&format!("{action}Response"));
        into_string(self.writer, self.error)
    }
}

fn into_string(writer: Writer<Vec<u8>>, error: Option<std::io::Error>) -> Result<String, XmlError> {
    if let Some(error) = error {
        return Err(XmlError(error));
    }
    String::from_utf8(writer.into_inner())
        .map_err(|e| XmlError(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))
}

/// The `<ErrorResponse>` document for `error`.
pub fn error_response(namespace: &str, error: &AwsError, request_id: &str) -> String {
    let mut writer = Writer::new(Vec::new());
    let mut recorded = None;
    let start = BytesStart::new("ErrorResponse").with_attributes([("xmlns", namespace)]);
    if let Err(e) = writer.write_event(Event::Start(start)) {
        recorded = Some(e);
    }
    let mut body = XmlBody {
        writer: &mut writer,
        error: &mut recorded,
    };
    body.element("Error", |e| {
        e.text("Type", error.fault_type())
            .text("Code", error.code())
            .text("Message", error.message());
    });
    body.text("RequestId", request_id);
    body.end("ErrorResponse");
    into_string(writer, recorded).unwrap_or_else(|_| FALLBACK_ERROR_BODY.to_owned())
}

/// Optional `<?xml version="1.0" encoding="UTF-8"?>` prefix, for callers that want it (AWS
/// itself sends none for IAM and STS; clients accept both).
pub fn declaration() -> String {
    let mut writer = Writer::new(Vec::new());
    match writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None))) {
        Ok(()) => String::from_utf8(writer.into_inner()).unwrap_or_default(),
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn created() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 15, 4, 5)
            .single()
            .unwrap()
    }

    #[test]
    fn success_body_snapshot() {
        let mut response = XmlResponse::new("CreateUser", IAM_NAMESPACE);
        response.body().element("User", |user| {
            user.text("Path", "/division_abc/")
                .text("UserName", "Bob & <Alice>")
                .text("UserId", "AIDACKCEVSQ6C2EXAMPLE")
                .text("Arn", "arn:aws:iam::123456789012:user/division_abc/Bob")
                .time("CreateDate", created())
                .opt_time("PasswordLastUsed", None)
                .list(
                    "Tags",
                    [("team", "red \"one\""), ("env", "dev")],
                    |tag, (k, v)| {
                        tag.text("Key", k).text("Value", v);
                    },
                );
        });
        response
            .body()
            .bool("IsTruncated", false)
            .opt_text("Marker", None);
        response
            .body()
            .text_list("Names", ["a", "b"])
            .int("Count", 2);
        let xml = response
            .finish("7a62c49f-347e-4fc4-9331-6e8eEXAMPLE")
            .unwrap();
        // Snapshot file names without the crate's module path, so the scratch crate and the main
        // crate read the same files.
        insta::with_settings!({ prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!("iam_success_response", xml);
        });
    }

    #[test]
    fn response_without_result() {
        let xml = XmlResponse::without_result("DeleteUser", IAM_NAMESPACE)
            .finish("rid")
            .unwrap();
        assert_eq!(
            xml,
            "<DeleteUserResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\
             <ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></DeleteUserResponse>"
        );
    }

    #[test]
    fn error_body_snapshot() {
        let error = AwsError::no_such_entity("The user with name <bob> cannot be found.");
        let xml = error.to_xml("4b2b2f8e-0e5c-4a36-9b37-EXAMPLE");
        insta::with_settings!({ prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!("iam_error_response", xml);
        });
    }

    #[test]
    fn receiver_error_in_sts_namespace() {
        let xml = AwsError::service_failure().to_xml_in(STS_NAMESPACE, "rid");
        assert!(
            xml.starts_with("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">")
        );
        assert!(xml.contains("<Type>Receiver</Type><Code>ServiceFailure</Code>"));
    }

    #[test]
    fn control_characters_are_replaced() {
        let mut response = XmlResponse::new("GetUser", IAM_NAMESPACE);
        response.body().text("UserName", "a\u{0}b\u{1b}c\td");
        let xml = response.finish("r").unwrap();
        assert!(xml.contains("<UserName>a\u{FFFD}b\u{FFFD}c\td</UserName>"));
    }

    #[test]
    fn timestamps_drop_subseconds() {
        let t = created() + chrono::Duration::milliseconds(789);
        assert_eq!(format_timestamp(t), "2026-11-23T15:04:05Z");
    }

    #[test]
    fn declaration_is_xml_1_0() {
        assert_eq!(declaration(), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    }
}
