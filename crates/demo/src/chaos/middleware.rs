//! The one middleware that applies the slow and error faults to a service's application routes.

use super::state::ChaosState;
use crate::http_util::json_error;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;

/// Delays and/or fails the request as the current faults say, before the handler runs.
pub async fn apply_faults(State(chaos): State<Arc<ChaosState>>, req: Request, next: Next) -> Response {
    let (roll_slow, roll_error) = (rand::random::<f64>(), rand::random::<f64>());
    let decision = chaos.decide(roll_slow, roll_error);
    if let Some(delay) = decision.delay {
        tracing::debug!(delay_ms = delay.as_millis() as u64, "chaos: delaying request");
        tokio::time::sleep(delay).await;
    }
    if let Some(status) = decision.error_status {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        tracing::warn!(status = status.as_u16(), "chaos: injected error");
        return json_error(status, "chaos: injected fault");
    }
    next.run(req).await
}
