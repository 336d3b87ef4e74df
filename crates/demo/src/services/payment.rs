//! payment: authorises order payments with the failure modes of a real payment provider, at
//! rates that differ per payment method.

use crate::http_util::{ApiError, ApiJson};
use crate::server::Shell;
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::atomic::AtomicU64;

/// The accepted payment methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    Card,
    Paypal,
    BankTransfer,
    GiftCard,
}

impl PaymentMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::Card => "card",
            PaymentMethod::Paypal => "paypal",
            PaymentMethod::BankTransfer => "bank_transfer",
            PaymentMethod::GiftCard => "gift_card",
        }
    }

    /// Failure rates: (card declined, insufficient funds, fraud suspected, gateway timeout).
    fn failure_rates(self) -> [f64; 4] {
        match self {
            PaymentMethod::Card => [0.05, 0.03, 0.01, 0.01],
            PaymentMethod::Paypal => [0.03, 0.02, 0.01, 0.02],
            PaymentMethod::BankTransfer => [0.02, 0.05, 0.005, 0.005],
            PaymentMethod::GiftCard => [0.02, 0.08, 0.0, 0.005],
        }
    }
}

/// What the provider decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Authorized,
    Declined(&'static str),
    GatewayTimeout,
}

/// Amounts above this look suspicious: fraud checks fire three times as often.
const LARGE_AMOUNT: f64 = 500.0;

/// The outcome for one roll in [0, 1).
pub fn outcome(method: PaymentMethod, amount: f64, roll: f64) -> Outcome {
    let [declined, funds, mut fraud, timeout] = method.failure_rates();
    if amount > LARGE_AMOUNT {
        fraud *= 3.0;
    }
    let mut edge = declined;
    if roll < edge {
        return Outcome::Declined("card_declined");
    }
    edge += funds;
    if roll < edge {
        return Outcome::Declined("insufficient_funds");
    }
    edge += fraud;
    if roll < edge {
        return Outcome::Declined("fraud_suspected");
    }
    edge += timeout;
    if roll < edge {
        return Outcome::GatewayTimeout;
    }
    Outcome::Authorized
}

#[derive(Debug, Deserialize)]
pub struct AuthorizeRequest {
    pub order_id: i64,
    pub amount: f64,
    pub method: PaymentMethod,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PaymentLabels {
    status: String,
    method: String,
}

#[derive(Clone)]
struct PaymentState {
    payments: Family<PaymentLabels, Counter>,
    amount: Counter<f64, AtomicU64>,
}

/// The payment routes.
pub fn app(shell: &mut Shell) -> Router {
    let state = PaymentState {
        payments: Family::default(),
        amount: Counter::default(),
    };
    shell.registry.register(
        "payments",
        "Payment authorisations by outcome and method",
        state.payments.clone(),
    );
    shell
        .registry
        .register("payment_amount", "Total amount authorised", state.amount.clone());
    Router::new()
        .route("/payments/authorize", post(authorize))
        .with_state(state)
}

fn validate(req: &AuthorizeRequest) -> Result<(), ApiError> {
    if req.order_id <= 0 {
        return Err(ApiError::bad_request("order_id must be a positive integer"));
    }
    if !(req.amount.is_finite() && req.amount > 0.0 && req.amount <= 1e9) {
        return Err(ApiError::bad_request("amount must be a positive number"));
    }
    Ok(())
}

async fn authorize(State(s): State<PaymentState>, ApiJson(req): ApiJson<AuthorizeRequest>) -> Response {
    if let Err(e) = validate(&req) {
        return e.into_response();
    }
    tokio::time::sleep(super::random_ms(20, 120)).await;
    let method = req.method.as_str();
    let decided = outcome(req.method, req.amount, rand::random::<f64>());
    let count = |status: &str| {
        s.payments
            .get_or_create(&PaymentLabels {
                status: status.to_string(),
                method: method.to_string(),
            })
            .inc();
    };
    match decided {
        Outcome::Authorized => {
            count("authorized");
            s.amount.inc_by(req.amount);
            let payment_id = format!("pay_{:016x}", rand::random::<u64>());
            tracing::info!(
                order_id = req.order_id,
                amount = req.amount,
                method,
                payment_id,
                "payment authorized"
            );
            Json(json!({
                "status": "authorized", "payment_id": payment_id, "order_id": req.order_id,
                "amount": req.amount, "method": method,
            }))
            .into_response()
        }
        Outcome::Declined(reason) => {
            count("declined");
            tracing::warn!(
                order_id = req.order_id,
                amount = req.amount,
                method,
                reason,
                "payment declined"
            );
            let body = json!({
                "status": "declined", "reason": reason, "order_id": req.order_id,
                "error": format!("payment declined: {reason}"),
            });
            (StatusCode::PAYMENT_REQUIRED, Json(body)).into_response()
        }
        Outcome::GatewayTimeout => {
            tokio::time::sleep(super::random_ms(1500, 2500)).await;
            count("error");
            tracing::error!(order_id = req.order_id, method, "payment provider timed out");
            let body = json!({
                "status": "error", "reason": "gateway_timeout", "order_id": req.order_id,
                "error": "payment provider timed out",
            });
            (StatusCode::GATEWAY_TIMEOUT, Json(body)).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_follow_the_rates() {
        let m = PaymentMethod::Card;
        assert_eq!(outcome(m, 10.0, 0.0), Outcome::Declined("card_declined"));
        assert_eq!(outcome(m, 10.0, 0.06), Outcome::Declined("insufficient_funds"));
        assert_eq!(outcome(m, 10.0, 0.085), Outcome::Declined("fraud_suspected"));
        assert_eq!(outcome(m, 10.0, 0.095), Outcome::GatewayTimeout);
        assert_eq!(outcome(m, 10.0, 0.5), Outcome::Authorized);
        // Large amounts: fraud band 0.08..0.11.
        assert_eq!(outcome(m, 1000.0, 0.105), Outcome::Declined("fraud_suspected"));
        assert_eq!(
            outcome(PaymentMethod::GiftCard, 10.0, 0.05),
            Outcome::Declined("insufficient_funds")
        );
    }

    #[test]
    fn methods_parse_from_json() {
        let r: AuthorizeRequest =
            serde_json::from_str(r#"{"order_id":1,"amount":9.5,"method":"bank_transfer"}"#).unwrap();
        assert_eq!(r.method, PaymentMethod::BankTransfer);
        assert!(
            serde_json::from_str::<AuthorizeRequest>(r#"{"order_id":1,"amount":9.5,"method":"cash"}"#)
                .is_err()
        );
        let bad = AuthorizeRequest {
            order_id: 1,
            amount: -1.0,
            method: PaymentMethod::Card,
        };
        assert!(validate(&bad).is_err());
    }
}
