//! A small JSON client of the public API: the demo is seeded the way any client would do it,
//! over HTTP, so every number the app then shows comes from the real routes.

use anyhow::{bail, Context as _};
use serde_json::{json, Value};

/// One signed-in user's view of the API.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl Client {
    pub fn new(base: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(120))
            .build()
            .context("the demo's HTTP client")?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_string(),
            token: None,
        })
    }

    /// This client, acting with the tokens of a sign-in answer; returns the user's id too.
    pub fn signed_in(&self, tokens: &Value) -> anyhow::Result<(Client, String)> {
        let token = tokens["accessToken"]
            .as_str()
            .context("no accessToken in the sign-in answer")?;
        let id = tokens["user"]["id"]
            .as_str()
            .context("no user id in the sign-in answer")?;
        let mut c = self.clone();
        c.token = Some(token.to_string());
        Ok((c, id.to_string()))
    }

    pub async fn login(&self, email: &str, password: &str) -> anyhow::Result<(Client, String)> {
        let t = self
            .post(
                "/auth/login",
                &json!({"email": email, "password": password}),
            )
            .await?;
        self.signed_in(&t)
    }

    pub async fn get(&self, path: &str) -> anyhow::Result<Value> {
        self.send(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<Value> {
        let url = format!("{}/api/v1{path}", self.base);
        let mut req = self.http.request(method.clone(), &url);
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let res = req
            .send()
            .await
            .with_context(|| format!("{method} {path}"))?;
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        if !status.is_success() {
            bail!("{method} {path} answered {status}: {text}");
        }
        if text.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text).with_context(|| format!("{method} {path}: not JSON: {text}"))
    }

    /// PUTs bytes to a signed upload URL (absolute, from `GET /tracks/upload-url`).
    pub async fn put_bytes(&self, url: &str, bytes: Vec<u8>) -> anyhow::Result<()> {
        let res = self
            .http
            .put(url)
            .body(bytes)
            .send()
            .await
            .context("uploading")?;
        let status = res.status();
        if !status.is_success() {
            bail!(
                "the upload answered {status}: {}",
                res.text().await.unwrap_or_default()
            );
        }
        Ok(())
    }
}
