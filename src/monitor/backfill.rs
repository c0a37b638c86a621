//! History from the first day: after a provider's first successful poll, read the page's own incident history once and hand it to the store.
//!
//! The store decides what a backfill writes and remembers that it happened
//! ([`Store::backfill`]); this side only fetches and parses, so a failure here
//! leaves nothing stored and is tried again on a later poll.

use chrono::{DateTime, Utc};

use crate::config::ProviderConfig;
use crate::model::Incident;
use crate::monitor::fetch::{FetchOutcome, Fetcher, Validators};
use crate::monitor::sources::ParseContext;
use crate::store::{BackfillStats, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum BackfillError {
    #[error("cannot build the history URL from {base}: {detail}")]
    BadUrl { base: String, detail: String },
    #[error("fetching the page's history at {url} failed: {message}")]
    Fetch { url: String, message: String },
    #[error("the page's history at {url} is not {expected}: {detail}")]
    Parse {
        url: String,
        expected: &'static str,
        detail: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The page's own incidents, as its history document lists them; `None` when the
/// platform publishes no history we can read (a page without history gives none).
pub async fn fetch_history(
    fetcher: &Fetcher,
    p: &ProviderConfig,
    now: DateTime<Utc>,
) -> Result<Option<Vec<Incident>>, BackfillError> {
    let Some((path, parser)) = p.kind.history_endpoint() else {
        return Ok(None);
    };
    let base = p.url.as_str().trim_end_matches('/');
    let url = url::Url::parse(&format!("{base}{path}")).map_err(|e| BackfillError::BadUrl {
        base: base.to_owned(),
        detail: e.to_string(),
    })?;
    let body = match fetcher.get(&url, &Validators::default()).await {
        Ok(FetchOutcome::Fresh { body, .. }) => body,
        Ok(FetchOutcome::NotModified { .. }) => {
            return Err(BackfillError::Fetch {
                url: url.to_string(),
                message: "HTTP 304 without a request for one".into(),
            });
        }
        Err(e) => {
            return Err(BackfillError::Fetch {
                url: url.to_string(),
                message: e.message,
            });
        }
    };
    let ctx = ParseContext {
        watch: &p.watch,
        now,
        feed_lists: p.feed_lists,
    };
    let snapshot = parser
        .parse(&body, &ctx)
        .map_err(|e| BackfillError::Parse {
            url: url.to_string(),
            expected: parser.describe(),
            detail: e.to_string(),
        })?;
    Ok(Some(snapshot.incidents))
}

/// Backfill one provider if it never was: fetch its history and store it. `Ok(None)`
/// when it was already done. A page without history is marked done with nothing stored.
pub async fn backfill_once(
    fetcher: &Fetcher,
    store: &mut Store,
    p: &ProviderConfig,
    now: DateTime<Utc>,
) -> Result<Option<BackfillStats>, BackfillError> {
    if store.backfill_done(&p.id)? {
        return Ok(None);
    }
    let history = fetch_history(fetcher, p, now).await?.unwrap_or_default();
    Ok(Some(store.backfill(&p.id, &history, now)?))
}
