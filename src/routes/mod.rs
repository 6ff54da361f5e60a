//! HTTP handlers. `configure` registers every documented route; the router and the
//! OpenAPI document are both built from it, so they cannot disagree. `public(…)` marks
//! a GET that anyone may read and cache: CORS, ETags and the response cache apply.

pub mod accounts;
pub mod admin;
pub mod auth;
pub mod boroughs;
pub mod bulletins;
pub mod embed;
pub mod event_fragments;
pub mod events;
pub mod fallback;
pub mod health;
pub mod membership;
pub mod metrics;
pub mod registrations;

use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::http::public_routes::public;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz)
        .service(metrics::get_metrics)
        .service(health::readyz)
        .service(
            scope::scope("/embed")
                .service(public(embed::embed_events))
                .service(public(embed::embed_script))
                .service(public(embed::embed_stylesheet)),
        )
        .service(
            scope::scope("/api/v1")
                .service(public(events::list_events))
                .service(public(events::list_events_ics))
                .service(public(events::get_event))
                .service(public(events::get_event_ics))
                .service(registrations::register)
                .service(registrations::get_registration)
                .service(registrations::cancel_registration)
                .service(registrations::confirm_registration)
                .service(public(boroughs::list_boroughs))
                .service(public(bulletins::list_bulletins))
                .service(public(bulletins::bulletins_atom))
                .service(public(bulletins::get_bulletin))
                .service(accounts::sign_up)
                .service(accounts::verify_email)
                .service(accounts::request_password_reset)
                .service(accounts::confirm_password_reset)
                .service(accounts::me)
                .service(membership::apply)
                .service(membership::my_application)
                .service(public(membership::community_stats))
                .service(auth::issue_token)
                .service(auth::refresh)
                .service(auth::logout)
                .service(admin::events::admin_list_events)
                .service(admin::events::admin_create_event)
                .service(admin::events::admin_get_event)
                .service(admin::events::admin_update_event)
                .service(admin::events::admin_delete_event)
                .service(admin::events::admin_publish_event)
                .service(admin::events::admin_cancel_event)
                .service(admin::registrations::admin_list_registrations)
                .service(admin::registrations::admin_update_registration)
                .service(admin::registrations::admin_cancel_registration)
                .service(admin::notifications::admin_list_notifications)
                .service(admin::membership::admin_list_applications)
                // Fixed paths before `{id}`, which would otherwise match them.
                .service(admin::membership::admin_membership_stats)
                .service(admin::membership::admin_bulk_decisions)
                .service(admin::membership::admin_get_application)
                .service(admin::membership::admin_approve_application)
                .service(admin::membership::admin_reject_application)
                .service(admin::audit::admin_audit_log)
                .service(admin::bulletins::admin_list_bulletins)
                .service(admin::bulletins::admin_create_bulletin)
                .service(admin::bulletins::admin_get_bulletin)
                .service(admin::bulletins::admin_update_bulletin)
                .service(admin::bulletins::admin_delete_bulletin)
                .service(admin::bulletins::admin_publish_bulletin)
                .service(admin::accounts::admin_list_accounts)
                .service(admin::accounts::admin_update_account)
                .service(admin::personal_data::export_personal_data)
                .service(admin::personal_data::erase_personal_data),
        );
}
