// @generated automatically by Diesel CLI.

diesel::table! {
    access_keys (id) {
        id -> Text,
        account_id -> Text,
        user_id -> Nullable<Text>,
        sealed_secret -> Text,
        status -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        last_used_service -> Nullable<Text>,
        last_used_region -> Nullable<Text>,
    }
}

diesel::table! {
    account_password_policies (account_id) {
        account_id -> Text,
        minimum_length -> Int4,
        require_symbols -> Bool,
        require_numbers -> Bool,
        require_uppercase -> Bool,
        require_lowercase -> Bool,
        allow_users_to_change -> Bool,
        max_password_age -> Nullable<Int4>,
        password_reuse_prevention -> Nullable<Int4>,
        hard_expiry -> Bool,
    }
}

diesel::table! {
    accounts (id) {
        id -> Text,
        alias -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Text,
        event_time -> Timestamp,
        account_id -> Nullable<Text>,
        actor_arn -> Nullable<Text>,
        source_ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        event_source -> Text,
        event_name -> Text,
        read_only -> Bool,
        request_parameters -> Nullable<Text>,
        response_elements -> Nullable<Text>,
        error_code -> Nullable<Text>,
        error_message -> Nullable<Text>,
        request_id -> Nullable<Text>,
    }
}

diesel::table! {
    console_sessions (id_hash) {
        id_hash -> Text,
        account_id -> Text,
        user_id -> Nullable<Text>,
        stage -> Text,
        csrf_secret -> Text,
        mfa_authenticated_at -> Nullable<Timestamp>,
        mfa_method -> Nullable<Text>,
        reauthenticated_at -> Timestamp,
        role_session -> Nullable<Text>,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
        principal_kind -> Text,
        federated_principal -> Nullable<Text>,
    }
}

diesel::table! {
    credential_reports (account_id) {
        account_id -> Text,
        generated_at -> Timestamp,
        content -> Text,
    }
}

diesel::table! {
    directories (account_id, name) {
        account_id -> Text,
        name -> Text,
        url -> Text,
        tls_mode -> Text,
        ca_certificate -> Text,
        bind_dn -> Text,
        bind_password_sealed -> Text,
        base_dn -> Text,
        user_attribute -> Text,
        user_filter -> Text,
        group_mode -> Text,
        attributes -> Text,
        require_mfa -> Bool,
        timeout_seconds -> Int4,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    group_inline_policies (group_id, name) {
        group_id -> Text,
        name -> Text,
        document -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    group_members (group_id, user_id) {
        group_id -> Text,
        user_id -> Text,
        added_at -> Timestamp,
    }
}

diesel::table! {
    group_policy_attachments (group_id, policy_id) {
        group_id -> Text,
        policy_id -> Text,
        attached_at -> Timestamp,
    }
}

diesel::table! {
    groups (id) {
        id -> Text,
        account_id -> Text,
        name -> Text,
        path -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    installation (id) {
        id -> Int4,
        default_account_id -> Text,
        bootstrapped_at -> Timestamp,
    }
}

diesel::table! {
    instance_profile_roles (instance_profile_id) {
        instance_profile_id -> Text,
        role_id -> Text,
    }
}

diesel::table! {
    instance_profiles (id) {
        id -> Text,
        account_id -> Text,
        name -> Text,
        path -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    login_profiles (user_id) {
        user_id -> Text,
        password_hash -> Text,
        must_change_password -> Bool,
        password_changed_at -> Timestamp,
        created_at -> Timestamp,
    }
}

diesel::table! {
    managed_policies (id) {
        id -> Text,
        account_id -> Text,
        name -> Text,
        path -> Text,
        arn -> Text,
        description -> Nullable<Text>,
        default_version_id -> Text,
        next_version_number -> Int4,
        is_attachable -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    mfa_devices (serial_number) {
        serial_number -> Text,
        account_id -> Text,
        user_id -> Nullable<Text>,
        kind -> Text,
        name -> Text,
        sealed_seed -> Nullable<Text>,
        webauthn_credential -> Nullable<Text>,
        webauthn_credential_id -> Nullable<Text>,
        enabled -> Bool,
        enabled_at -> Nullable<Timestamp>,
        last_used_step -> Nullable<Int8>,
        last_used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        passkey -> Bool,
        external_provider -> Nullable<Text>,
        external_subject -> Nullable<Text>,
    }
}

diesel::table! {
    oidc_client_assertions (client_id, jti) {
        client_id -> Text,
        jti -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    oidc_clients (client_id) {
        client_id -> Text,
        account_id -> Text,
        name -> Text,
        secret_hash -> Nullable<Text>,
        auth_method -> Text,
        jwks -> Nullable<Text>,
        redirect_uris -> Text,
        post_logout_redirect_uris -> Text,
        grant_types -> Text,
        scopes -> Text,
        signing_alg -> Text,
        access_token_lifetime -> Int4,
        id_token_lifetime -> Int4,
        refresh_token_lifetime -> Int4,
        consent_required -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    oidc_client_previous_secrets (client_id) {
        client_id -> Text,
        secret_hash -> Text,
        valid_until -> Timestamp,
    }
}

diesel::table! {
    oidc_codes (code_hash) {
        code_hash -> Text,
        grant_id -> Text,
        redirect_uri -> Text,
        code_challenge -> Nullable<Text>,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    oidc_consents (subject, client_id) {
        subject -> Text,
        client_id -> Text,
        account_id -> Text,
        scopes -> Text,
        granted_at -> Timestamp,
    }
}

diesel::table! {
    oidc_grants (id) {
        id -> Text,
        client_id -> Text,
        account_id -> Text,
        user_id -> Nullable<Text>,
        subject -> Text,
        scope -> Text,
        nonce -> Nullable<Text>,
        auth_time -> Timestamp,
        amr -> Text,
        acr -> Text,
        session_hash -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        principal_kind -> Text,
        federated_principal -> Nullable<Text>,
    }
}

diesel::table! {
    oidc_providers (arn) {
        arn -> Text,
        account_id -> Text,
        url -> Text,
        client_ids -> Text,
        thumbprints -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    oidc_refresh_tokens (token_hash) {
        token_hash -> Text,
        grant_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    oidc_revoked_tokens (jti) {
        jti -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    oidc_signing_keys (kid) {
        kid -> Text,
        algorithm -> Text,
        generation -> Int4,
        sealed_private_key -> Text,
        public_jwk -> Text,
        created_at -> Timestamp,
        signs_from -> Timestamp,
    }
}

diesel::table! {
    password_history (user_id, changed_at) {
        user_id -> Text,
        password_hash -> Text,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    pending_signins (id_hash) {
        id_hash -> Text,
        sealed -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    policy_versions (policy_id, version_id) {
        policy_id -> Text,
        version_id -> Text,
        document -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    ra_crls (id) {
        id -> Text,
        account_id -> Text,
        trust_anchor_id -> Text,
        name -> Text,
        crl_der -> Text,
        issuer -> Text,
        enabled -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    ra_profiles (id) {
        id -> Text,
        account_id -> Text,
        name -> Text,
        role_arns -> Text,
        session_policy -> Nullable<Text>,
        managed_policy_arns -> Text,
        duration_seconds -> Int4,
        require_instance_properties -> Bool,
        accept_role_session_name -> Bool,
        enabled -> Bool,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    ra_trust_anchors (id) {
        id -> Text,
        account_id -> Text,
        name -> Text,
        source_type -> Text,
        certificates -> Text,
        enabled -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    recovery_codes (code_hash) {
        code_hash -> Text,
        account_id -> Text,
        created_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    role_inline_policies (role_id, name) {
        role_id -> Text,
        name -> Text,
        document -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    role_policy_attachments (role_id, policy_id) {
        role_id -> Text,
        policy_id -> Text,
        attached_at -> Timestamp,
    }
}

diesel::table! {
    roles (id) {
        id -> Text,
        account_id -> Text,
        name -> Text,
        path -> Text,
        description -> Nullable<Text>,
        assume_role_policy -> Text,
        max_session_duration -> Int4,
        permissions_boundary_id -> Nullable<Text>,
        last_used_at -> Nullable<Timestamp>,
        last_used_region -> Nullable<Text>,
        created_at -> Timestamp,
        trust_bound -> Bool,
    }
}

diesel::table! {
    role_trust_principals (role_id, arn) {
        role_id -> Text,
        arn -> Text,
        principal_id -> Text,
    }
}

diesel::table! {
    root_users (account_id) {
        account_id -> Text,
        login -> Text,
        password_hash -> Text,
        must_change_password -> Bool,
        password_changed_at -> Timestamp,
        password_last_used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    saml_providers (arn) {
        arn -> Text,
        account_id -> Text,
        name -> Text,
        metadata_document -> Text,
        valid_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    signin_providers (account_id, name) {
        account_id -> Text,
        name -> Text,
        issuer -> Text,
        client_id -> Text,
        client_secret_sealed -> Text,
        scopes -> Text,
        username_claim -> Text,
        rules -> Text,
        trusted_for_mfa -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    signin_throttle (throttle_key) {
        throttle_key -> Text,
        failures -> Int4,
        last_failure_at -> Nullable<Timestamp>,
        blocked_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    tags (resource_kind, resource_id, tag_key) {
        account_id -> Text,
        resource_kind -> Text,
        resource_id -> Text,
        tag_key -> Text,
        tag_value -> Text,
    }
}

diesel::table! {
    user_inline_policies (user_id, name) {
        user_id -> Text,
        name -> Text,
        document -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    user_policy_attachments (user_id, policy_id) {
        user_id -> Text,
        policy_id -> Text,
        attached_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        account_id -> Text,
        name -> Text,
        path -> Text,
        permissions_boundary_id -> Nullable<Text>,
        password_last_used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        email -> Nullable<Text>,
        email_verified -> Bool,
    }
}

diesel::table! {
    webauthn_ceremonies (binding_hash, purpose, challenge) {
        binding_hash -> Text,
        purpose -> Text,
        challenge -> Text,
        state -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    web_identity_tokens (role_id, jti) {
        role_id -> Text,
        jti -> Text,
        expires_at -> Timestamp,
    }
}

diesel::joinable!(access_keys -> accounts (account_id));
diesel::joinable!(access_keys -> users (user_id));
diesel::joinable!(account_password_policies -> accounts (account_id));
diesel::joinable!(console_sessions -> accounts (account_id));
diesel::joinable!(console_sessions -> users (user_id));
diesel::joinable!(credential_reports -> accounts (account_id));
diesel::joinable!(group_inline_policies -> groups (group_id));
diesel::joinable!(group_members -> groups (group_id));
diesel::joinable!(group_members -> users (user_id));
diesel::joinable!(group_policy_attachments -> groups (group_id));
diesel::joinable!(group_policy_attachments -> managed_policies (policy_id));
diesel::joinable!(groups -> accounts (account_id));
diesel::joinable!(instance_profile_roles -> instance_profiles (instance_profile_id));
diesel::joinable!(instance_profile_roles -> roles (role_id));
diesel::joinable!(instance_profiles -> accounts (account_id));
diesel::joinable!(login_profiles -> users (user_id));
diesel::joinable!(managed_policies -> accounts (account_id));
diesel::joinable!(mfa_devices -> accounts (account_id));
diesel::joinable!(mfa_devices -> users (user_id));
diesel::joinable!(oidc_client_previous_secrets -> oidc_clients (client_id));
diesel::joinable!(oidc_clients -> accounts (account_id));
diesel::joinable!(oidc_providers -> accounts (account_id));
diesel::joinable!(oidc_codes -> oidc_grants (grant_id));
diesel::joinable!(oidc_consents -> oidc_clients (client_id));
diesel::joinable!(oidc_grants -> oidc_clients (client_id));
diesel::joinable!(oidc_grants -> users (user_id));
diesel::joinable!(oidc_refresh_tokens -> oidc_grants (grant_id));
diesel::joinable!(password_history -> users (user_id));
diesel::joinable!(policy_versions -> managed_policies (policy_id));
diesel::joinable!(ra_crls -> accounts (account_id));
diesel::joinable!(ra_crls -> ra_trust_anchors (trust_anchor_id));
diesel::joinable!(ra_profiles -> accounts (account_id));
diesel::joinable!(ra_trust_anchors -> accounts (account_id));
diesel::joinable!(recovery_codes -> accounts (account_id));
diesel::joinable!(role_inline_policies -> roles (role_id));
diesel::joinable!(role_policy_attachments -> managed_policies (policy_id));
diesel::joinable!(role_policy_attachments -> roles (role_id));
diesel::joinable!(roles -> accounts (account_id));
diesel::joinable!(roles -> managed_policies (permissions_boundary_id));
diesel::joinable!(root_users -> accounts (account_id));
diesel::joinable!(directories -> accounts (account_id));
diesel::joinable!(saml_providers -> accounts (account_id));
diesel::joinable!(signin_providers -> accounts (account_id));
diesel::joinable!(tags -> accounts (account_id));
diesel::joinable!(user_inline_policies -> users (user_id));
diesel::joinable!(user_policy_attachments -> managed_policies (policy_id));
diesel::joinable!(user_policy_attachments -> users (user_id));
diesel::joinable!(users -> accounts (account_id));
diesel::joinable!(users -> managed_policies (permissions_boundary_id));

diesel::allow_tables_to_appear_in_same_query!(
    access_keys,
    account_password_policies,
    accounts,
    audit_events,
    console_sessions,
    credential_reports,
    directories,
    group_inline_policies,
    group_members,
    group_policy_attachments,
    groups,
    installation,
    instance_profile_roles,
    instance_profiles,
    login_profiles,
    managed_policies,
    mfa_devices,
    oidc_client_assertions,
    oidc_client_previous_secrets,
    oidc_clients,
    oidc_codes,
    oidc_consents,
    oidc_grants,
    oidc_providers,
    oidc_refresh_tokens,
    oidc_revoked_tokens,
    oidc_signing_keys,
    password_history,
    pending_signins,
    policy_versions,
    ra_crls,
    ra_profiles,
    ra_trust_anchors,
    recovery_codes,
    role_inline_policies,
    role_policy_attachments,
    role_trust_principals,
    roles,
    root_users,
    saml_providers,
    signin_providers,
    signin_throttle,
    tags,
    user_inline_policies,
    user_policy_attachments,
    users,
    webauthn_ceremonies,
    web_identity_tokens,
);
