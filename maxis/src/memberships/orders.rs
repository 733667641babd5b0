//! The `subscription` order: an admin moves a member to another plan. The order checks the switch
//! and records it in its own transaction (answering with what will happen); the worker carries it
//! out at Stripe ([`super::switching`]) and its events say how it went.

use subjects::params::SubscriptionParams;
use subjects::results::SubscriptionResult;
use subjects::ErrorCode;

use super::plan_switch::SwitchRefusal;
use super::self_service::MembershipError;
use super::switching;
use crate::actions::{rejected, Applied};
use crate::execute::ExecuteError;
use crate::store::Tx;

/// Applies a `subscription` order (its id is the switch's).
pub(crate) async fn subscription(tx: &mut Tx, id: &str, p: &SubscriptionParams) -> Result<Applied, ExecuteError> {
    let member = p.member_id();
    let s = switching::request(tx, member, &p.switch_to, id, "order").await.map_err(|e| match e {
        MembershipError::Switch(r) => {
            let code = match r {
                SwitchRefusal::NotAPlan { .. } | SwitchRefusal::Incompatible(_) => ErrorCode::InvalidParams,
                SwitchRefusal::NoSubscription => ErrorCode::NotFound,
                _ => ErrorCode::Conflict,
            };
            rejected(code, r.for_admin(member))
        }
        MembershipError::Unexpected(e) => ExecuteError::Unexpected(e),
        other => rejected(ErrorCode::Conflict, other.to_string()),
    })?;
    let upgrade = s.direction != "downgrade";
    let result = SubscriptionResult {
        switch_id: s.id,
        member: s.member,
        subscription: s.subscription_id,
        from: s.from_product,
        to: s.to_product,
        direction: s.direction,
        takes_effect: if upgrade { "now" } else { "period_end" }.to_owned(),
        status: s.status,
    };
    Ok(Applied::new(result, vec![]))
}
