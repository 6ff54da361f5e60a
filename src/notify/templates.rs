//! The wording of each notification. Plain text: it reads the same in every client.

use crate::domain::time::in_zone;
use chrono::NaiveDateTime;

use crate::repo::accounts::AccountRow;
use crate::repo::events::EventRow;
use crate::repo::membership::ApplicationRow;

pub use crate::repo::notifications::Message;

pub enum Notice<'a> {
    /// A held registration's request to follow the confirmation link by `confirm_by`.
    ConfirmYourPlace {
        confirm_by: NaiveDateTime,
        holds_seat: bool,
    },
    Confirmed,
    Waitlisted {
        position: i64,
    },
    Promoted,
    Cancelled,
    EventCancelled {
        reason: &'a str,
    },
}

/// "London time", or the IANA name of any other zone.
fn zone_name(event: &EventRow) -> String {
    if event.timezone == "Europe/London" {
        "London time".to_string()
    } else {
        event.timezone.clone()
    }
}

/// "Tuesday 15 March 2011, 13:00 to 17:00 (London time)".
pub fn when(event: &EventRow) -> String {
    let starts = in_zone(event.starts_at, &event.timezone);
    let ends = in_zone(event.ends_at, &event.timezone);
    let zone = zone_name(event);
    if starts.date_naive() == ends.date_naive() {
        format!(
            "{}, {} to {} ({zone})",
            starts.format("%A %-d %B %Y"),
            starts.format("%H:%M"),
            ends.format("%H:%M")
        )
    } else {
        format!(
            "{} to {} ({zone})",
            starts.format("%A %-d %B %Y, %H:%M"),
            ends.format("%A %-d %B %Y, %H:%M")
        )
    }
}

fn venue(event: &EventRow) -> String {
    match (
        &event.venue_name,
        &event.venue_address,
        &event.venue_postcode,
    ) {
        (Some(name), address, postcode) => {
            let parts: Vec<&str> = [Some(name.as_str()), address.as_deref(), postcode.as_deref()]
                .into_iter()
                .flatten()
                .collect();
            parts.join(", ")
        }
        _ => "to be confirmed".into(),
    }
}

/// A registration's message. `link` is the queued confirmation link for
/// `ConfirmYourPlace` and the queued manage link for the rest.
pub fn render(notice: &Notice, full_name: &str, event: &EventRow, link: &str) -> Message {
    let title = &event.title;
    let details = format!("{title}\nWhen: {}\nWhere: {}", when(event), venue(event));
    let manage = format!("To see or cancel your registration, open:\n{link}");
    let (template, subject, lead, show_manage) = match notice {
        Notice::ConfirmYourPlace {
            confirm_by,
            holds_seat,
        } => {
            let deadline = in_zone(*confirm_by, &event.timezone);
            let held = if *holds_seat {
                "A place is held for you until then."
            } else {
                "The event is full: once you confirm, you join the waiting list."
            };
            (
                "registration_confirm_email",
                format!("Please confirm your registration: {title}"),
                format!(
                    "To complete your registration, confirm this email address by opening this link before {} ({}):\n{link}\n\n{held} If you do not confirm in time, the registration lapses and the place goes to someone else. If you did not register, ignore this message.",
                    deadline.format("%H:%M on %A %-d %B"),
                    zone_name(event)
                ),
                false,
            )
        }
        Notice::Confirmed => (
            "registration_confirmed",
            format!("Your place is confirmed: {title}"),
            "Your place is confirmed.".to_string(),
            true,
        ),
        Notice::Waitlisted { position } => (
            "registration_waitlisted",
            format!("You are on the waiting list: {title}"),
            format!(
                "The event is full, so you are number {position} on the waiting list. If a place frees up, it is yours automatically and we will email you."
            ),
            true,
        ),
        Notice::Promoted => (
            "registration_promoted",
            format!("A place has come up for you: {title}"),
            "A place has come up and it is now yours: your registration is confirmed.".to_string(),
            true,
        ),
        Notice::Cancelled => (
            "registration_cancelled",
            format!("Your registration is cancelled: {title}"),
            "Your registration has been cancelled. If this was a mistake, you are welcome to register again while places are open.".to_string(),
            false,
        ),
        Notice::EventCancelled { reason } => (
            "event_cancelled",
            format!("Cancelled: {title}"),
            format!("We are sorry: this event has been cancelled.\nReason: {reason}"),
            false,
        ),
    };
    let mut body = format!("Dear {full_name},\n\n{lead}\n\n{details}\n");
    if show_manage {
        body.push_str(&format!("\n{manage}\n"));
    }
    body.push_str("\nLondon Library Change Programme\n");
    Message {
        template,
        subject,
        body,
    }
}
/// The applicant's message about a decision.
pub fn membership_decision(application: &ApplicationRow, applicant: &AccountRow) -> Message {
    let greeting = format!("Dear {},\n\n", applicant.full_name);
    let sign_off = "\nLondon Library Change Programme\n";
    if application.status == crate::domain::membership::ApplicationStatus::Approved {
        Message {
            template: "membership_approved",
            subject: "Welcome to the LLCP Community of Practice".into(),
            body: format!(
                "{greeting}Your application to join the London Library Change Programme's Community of Practice has been approved: you are now a member. Sign in to explore and contribute; everyone loves a sharer.\n{sign_off}"
            ),
        }
    } else {
        Message {
            template: "membership_rejected",
            subject: "Your Community of Practice application".into(),
            body: format!(
                "{greeting}We are sorry: your application to join the Community of Practice was not approved.\nReason: {}\n\nYou are welcome to apply again.\n{sign_off}",
                application.reason.as_deref().unwrap_or("")
            ),
        }
    }
}

/// One reminder to admins naming applications past the response promise.
pub fn overdue_reminder(
    overdue: &[(ApplicationRow, AccountRow)],
    base_url: &str,
    now: NaiveDateTime,
) -> Message {
    let mut lines = String::new();
    for (application, applicant) in overdue {
        let late = (now - application.respond_by).num_hours();
        lines.push_str(&format!(
            "- {} ({}), applied {} UTC, {} h past the promise: {}/api/v1/admin/membership-applications/{}\n",
            applicant.full_name,
            applicant.organisation,
            application.submitted_at.format("%Y-%m-%d %H:%M"),
            late,
            base_url,
            application.id
        ));
    }
    Message {
        template: "membership_overdue_reminder",
        subject: format!(
            "{} Community of Practice application(s) past the response promise",
            overdue.len()
        ),
        body: format!(
            "These applications are still waiting for a decision:\n\n{lines}\nLondon Library Change Programme\n"
        ),
    }
}

const SIGN_OFF: &str = "\nLondon Library Change Programme\n";

/// The link that proves a new account's email. `link` is the queued link, whose token
/// the sender fills in.
pub fn verify_email(account: &AccountRow, link: &str, valid_hours: i64) -> Message {
    Message {
        template: "account_verify_email",
        subject: "Confirm your email address".into(),
        body: format!(
            "Dear {},\n\nThank you for signing up to the London Library Change Programme hub. To confirm that this address is yours, open this link within {valid_hours} hours:\n{link}\n\nUntil then you can sign in, but not apply to join the Community of Practice.\n\nIf you did not sign up, ignore this message: no account is confirmed without it.\n{SIGN_OFF}",
            account.full_name
        ),
    }
}

/// Sent instead of a verification when someone signs up with the address of an
/// existing account. Nothing the signer typed is in it (only the owner's own name), and
/// a disabled account gets no reset link.
pub fn account_exists(account: &AccountRow, reset_link: Option<(&str, i64)>) -> Message {
    let next = match reset_link {
        Some((link, minutes)) => format!(
            "If you have forgotten your password, you can choose a new one with this link within {minutes} minutes:\n{link}"
        ),
        None => "This account is disabled: please contact the programme's administrators.".into(),
    };
    Message {
        template: "account_exists",
        subject: "You already have an account".into(),
        body: format!(
            "Dear {},\n\nSomeone, perhaps you, tried to sign up to the London Library Change Programme hub with this email address, which already has an account. No new account was made.\n\n{next}\n\nIf it was not you, ignore this message: your account is unchanged.\n{SIGN_OFF}",
            account.full_name
        ),
    }
}

/// A password-reset link, asked for with the account's address.
pub fn password_reset(account: &AccountRow, link: &str, valid_minutes: i64) -> Message {
    Message {
        template: "password_reset",
        subject: "Reset your password".into(),
        body: format!(
            "Dear {},\n\nTo choose a new password for your London Library Change Programme hub account, open this link within {valid_minutes} minutes:\n{link}\n\nIt works once. Choosing a new password signs you out everywhere.\n\nIf you did not ask for this, ignore this message: your password is unchanged.\n{SIGN_OFF}",
            account.full_name
        ),
    }
}
