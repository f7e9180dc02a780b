//! Request parameters of the OAuth endpoints: a form body or a query string, in which a
//! parameter may appear at most once (RFC 6749 section 3.1).

use super::error::OAuthError;

#[derive(Debug, Clone, Default)]
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(text: &[u8]) -> Self {
        Self(
            url::form_urlencoded::parse(text)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The value of `name`, if given (an empty value counts as not given, as RFC 6749 asks);
    /// an error when it is given twice.
    pub fn get(&self, name: &str) -> Result<Option<&str>, OAuthError> {
        let mut found = self.0.iter().filter(|(k, _)| k == name);
        let first = found.next();
        if found.next().is_some() {
            return Err(OAuthError::invalid_request(format!(
                "the parameter {name} is given more than once"
            )));
        }
        Ok(first.map(|(_, v)| v.as_str()).filter(|v| !v.is_empty()))
    }

    pub fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name)?
            .ok_or_else(|| OAuthError::invalid_request(format!("the parameter {name} is missing")))
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, v)| k == name && !v.is_empty())
    }

    /// Every parameter, for carrying a request over a sign-in.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        Self(pairs)
    }
}

/// The parameters of a front-channel request: the query of a GET, the form body of a POST
/// (OpenID Connect lets the authorization and logout endpoints take either).
impl actix_web::FromRequest for Params {
    type Error = actix_web::Error;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(
        req: &actix_web::HttpRequest,
        payload: &mut actix_web::dev::Payload,
    ) -> Self::Future {
        if req.method() != actix_web::http::Method::POST {
            let params = Self::parse(req.query_string().as_bytes());
            return Box::pin(async move { Ok(params) });
        }
        let body = actix_web::web::Bytes::from_request(req, payload);
        Box::pin(async move { Ok(Self::parse(&body.await?)) })
    }
}

/// The space-separated scopes of a `scope` parameter, each once, in order.
pub fn scopes(value: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in value
        .unwrap_or_default()
        .split(' ')
        .filter(|s| !s.is_empty())
    {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parameter_given_twice_is_refused_and_an_empty_one_is_absent() {
        let p = Params::parse(b"a=1&b=&a=2&c=x%20y");
        assert!(p.get("a").is_err());
        assert_eq!(p.get("b").ok().flatten(), None);
        assert_eq!(p.get("c").ok().flatten(), Some("x y"));
        assert!(p.require("d").is_err());
        assert_eq!(scopes(Some("openid  email openid")), ["openid", "email"]);
    }
}
