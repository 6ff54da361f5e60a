// One schema for both backends: only types that SQLite and PostgreSQL share.

diesel::table! {
    accounts (id) {
        id -> Text,
        email -> Text,
        email_lower -> Text,
        password_hash -> Text,
        full_name -> Text,
        organisation -> Text,
        borough -> Nullable<Text>,
        role -> Text,
        disabled -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        member_since -> Nullable<Timestamp>,
        email_verified_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    account_tokens (id) {
        id -> Text,
        account_id -> Text,
        purpose -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        account_id -> Text,
        family_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        rotated_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    throttle_hits (id) {
        id -> BigInt,
        scope -> Text,
        subject -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    events (id) {
        id -> BigInt,
        slug -> Text,
        title -> Text,
        kind -> Text,
        summary -> Nullable<Text>,
        description -> Nullable<Text>,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        timezone -> Text,
        venue_name -> Nullable<Text>,
        venue_address -> Nullable<Text>,
        venue_postcode -> Nullable<Text>,
        audience -> Text,
        organiser -> Nullable<Text>,
        speakers -> Text,
        capacity -> Nullable<Integer>,
        seats_taken -> Integer,
        registration_required -> Bool,
        registration_opens_at -> Nullable<Timestamp>,
        registration_closes_at -> Nullable<Timestamp>,
        status -> Text,
        cancellation_reason -> Nullable<Text>,
        published_at -> Nullable<Timestamp>,
        bulletin_number -> Nullable<Integer>,
        search_text -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        sequence -> Integer,
        registrations_anonymised_at -> Nullable<Timestamp>,
        email_confirmation -> Bool,
    }
}

diesel::table! {
    registrations (id) {
        id -> Text,
        event_id -> BigInt,
        seq -> BigInt,
        full_name -> Text,
        email -> Text,
        organisation -> Text,
        borough -> Nullable<Text>,
        job_title -> Nullable<Text>,
        accessibility_needs -> Nullable<Text>,
        status -> Text,
        attended -> Bool,
        active_email -> Nullable<Text>,
        manage_token_hash -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        promoted_at -> Nullable<Timestamp>,
        cancelled_at -> Nullable<Timestamp>,
        confirm_by -> Nullable<Timestamp>,
        holds_seat -> Bool,
    }
}

diesel::table! {
    idempotency_keys (idempotency_key, event_id) {
        idempotency_key -> Text,
        event_id -> BigInt,
        request_hash -> Text,
        registration_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    notifications (id) {
        id -> Text,
        recipient -> Text,
        template -> Text,
        subject -> Text,
        body -> Text,
        registration_id -> Nullable<Text>,
        created_at -> Timestamp,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        claimed_until -> Nullable<Timestamp>,
        sent_at -> Nullable<Timestamp>,
        failed_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        account_token_id -> Nullable<Text>,
    }
}

diesel::table! {
    membership_applications (id) {
        id -> Text,
        account_id -> Text,
        statement -> Text,
        organisation -> Text,
        borough -> Text,
        job_title -> Text,
        status -> Text,
        submitted_at -> Timestamp,
        respond_by -> Timestamp,
        decided_at -> Nullable<Timestamp>,
        decided_by -> Nullable<Text>,
        reason -> Nullable<Text>,
        reminded_at -> Nullable<Timestamp>,
        pending_account -> Nullable<Text>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        actor_id -> Text,
        actor_email -> Text,
        action -> Text,
        target_type -> Text,
        target_id -> Text,
        summary -> Text,
    }
}

diesel::table! {
    bulletins (id) {
        id -> BigInt,
        number -> Integer,
        title -> Text,
        phase -> Nullable<Text>,
        published_on -> Text,
        summary -> Nullable<Text>,
        sections -> Text,
        contacts -> Text,
        published_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(refresh_tokens -> accounts (account_id));
diesel::joinable!(account_tokens -> accounts (account_id));
diesel::joinable!(membership_applications -> accounts (account_id));
diesel::joinable!(registrations -> events (event_id));
diesel::allow_tables_to_appear_in_same_query!(
    accounts,
    account_tokens,
    refresh_tokens,
    throttle_hits,
    events,
    registrations,
    idempotency_keys,
    notifications,
    membership_applications,
    audit_log,
    bulletins,
);
