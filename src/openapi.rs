//! The OpenAPI document: paths come from the same `routes::configure` that builds the
//! router; this adds the metadata, the shared schemas and the bearer scheme.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::error::FieldError;
use crate::http::problem::Problem;
use crate::http::public_routes::PublicRoutes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "llcp-hub",
        version = "1.0.0",
        description = "Events, bulletins and Community of Practice membership for the London Library Change Programme. Errors are RFC 9457 problem details (`application/problem+json`); clients may switch on their `type`.",
        license(name = "MIT", identifier = "MIT")
    ),
    components(schemas(Problem, FieldError, crate::domain::time::FilterTime)),
    modifiers(&BearerScheme),
    tags(
        (name = "events", description = "The public event listing"),
        (name = "bulletins", description = "The programme's numbered bulletins"),
        (name = "embed", description = "The listing for borough websites: an iframe document and a script"),
        (name = "registrations", description = "Registering for events and managing a registration"),
        (name = "membership", description = "Joining the Community of Practice"),
        (name = "accounts", description = "Sign-up and the signed-in account"),
        (name = "auth", description = "Access and refresh tokens"),
        (name = "admin", description = "For accounts with the admin role"),
        (name = "reference", description = "Reference data for forms"),
        (name = "health", description = "Liveness and readiness"),
    )
)]
struct ApiDoc;

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("An access token from POST /api/v1/auth/token"))
                    .build(),
            ),
        );
    }
}

/// A problem+json response with this description.
fn problem(description: &str) -> utoipa::openapi::Response {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}

/// The operations of a path, whatever their method.
fn operations_mut(
    item: &mut utoipa::openapi::PathItem,
) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [
        &mut item.get,
        &mut item.post,
        &mut item.put,
        &mut item.patch,
        &mut item.delete,
    ]
    .into_iter()
    .flatten()
}

/// Every operation that touches the database can also answer 500 (an opaque problem
/// with a `request_id`) and 503 (pool exhausted or database down, with `Retry-After`);
/// every operation with a JSON body, the body's own 400, 413, 415 and 422; every
/// operation with a text parameter, its 422.
struct ServerErrors;

/// Operations answered from memory alone.
const STATIC_PATHS: [&str; 4] = [
    "/healthz",
    "/embed/events.js",
    "/embed/events.css",
    "/api/v1/boroughs",
];

impl Modify for ServerErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            if STATIC_PATHS.contains(&path.as_str()) {
                continue;
            }
            for operation in operations_mut(item) {
                let has_body = operation.request_body.is_some();
                let has_text_parameter =
                    operation.parameters.iter().flatten().any(is_text_parameter);
                let responses = &mut operation.responses.responses;
                if has_text_parameter {
                    responses.entry("422".into()).or_insert_with(|| {
                        problem("A parameter holds a control character, or a date lies outside the years 1900 to 2200; `errors` names each").into()
                    });
                }
                if has_body {
                    let too_large = format!(
                        "The body is larger than {} KiB",
                        crate::http::extract::MAX_JSON_BODY / 1024
                    );
                    for (status, description) in [
                        ("400", "The body is not well-formed JSON"),
                        ("413", too_large.as_str()),
                        ("415", "The body is not `application/json`"),
                        (
                            "422",
                            "The body is invalid; `errors` names each field and why",
                        ),
                    ] {
                        responses
                            .entry(status.into())
                            .or_insert_with(|| problem(description).into());
                    }
                }
                responses.entry("500".into()).or_insert_with(|| {
                    problem("An unexpected error; the problem carries a `request_id` to quote")
                        .into()
                });
                responses.entry("503".into()).or_insert_with(|| {
                    problem("The database is unavailable; `Retry-After` says when to try again")
                        .into()
                });
            }
        }
    }
}

/// A query parameter (any: every one is checked for control characters), or a path
/// parameter held as text (ids that are numbers or UUIDs fail to parse first: 404).
fn is_text_parameter(parameter: &utoipa::openapi::path::Parameter) -> bool {
    use utoipa::openapi::path::ParameterIn;
    match parameter.parameter_in {
        ParameterIn::Query => true,
        ParameterIn::Path => serde_json::to_value(&parameter.schema)
            .is_ok_and(|schema| schema["type"] == "string" && schema.get("format").is_none()),
        _ => false,
    }
}

/// Every operation that takes the bearer token can answer 401 (no valid access token)
/// and, under `/api/v1/admin/`, 403 (the account is not an admin): stated here once,
/// unless an operation says more about its own.
struct AuthErrors;

impl Modify for AuthErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let admin_only = path.starts_with("/api/v1/admin/");
            for operation in operations_mut(item) {
                let takes_bearer = serde_json::to_value(&operation.security)
                    .is_ok_and(|security| security.to_string().contains("\"bearer\""));
                if !takes_bearer {
                    continue;
                }
                let responses = &mut operation.responses.responses;
                responses.entry("401".into()).or_insert_with(|| {
                    problem("No valid access token: missing, malformed or expired, or its account is disabled").into()
                });
                if admin_only {
                    responses.entry("403".into()).or_insert_with(|| {
                        problem("`admin-only`: the account is not an admin").into()
                    });
                }
            }
        }
    }
}

/// The document, and what the route registrations said beside it.
pub struct Contract {
    pub spec: utoipa::openapi::OpenApi,
    pub public_routes: PublicRoutes,
}

/// The contract, built from the real route registrations.
pub fn build() -> Contract {
    let (_, mut spec) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::routes::configure)
        .split_for_parts();
    let public_routes = PublicRoutes::take_from(&mut spec);
    // After the paths are in: `ApiDoc`'s own modifiers run before routes are added.
    AuthErrors.modify(&mut spec);
    ServerErrors.modify(&mut spec);
    Contract {
        spec: with_text_patterns(for_generated_clients(spec)),
        public_routes,
    }
}

/// The whole document.
pub fn build_spec() -> utoipa::openapi::OpenApi {
    build().spec
}

/// Facts utoipa cannot know, stated so that generated clients type things exactly: a
/// public operation needs no credentials, a parameter is never `null` (absent, yes),
/// and a response struct always sends every field (an `Option` as `null`), so its
/// properties are all required.
fn for_generated_clients(mut spec: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{Schema, SchemaType, Type};
    let request_schemas = serde_json::to_value(&spec)
        .map(|doc| schemas_reachable_from_requests(&doc))
        .unwrap_or_default();
    for item in spec.paths.paths.values_mut() {
        for operation in operations_mut(item) {
            // Public: say so (`security: []`), rather than leave it unsaid.
            operation.security.get_or_insert_with(Vec::new);
            for parameter in operation.parameters.iter_mut().flatten() {
                if let Some(RefOr::T(Schema::Object(schema))) = &mut parameter.schema
                    && let SchemaType::Array(types) = &schema.schema_type
                {
                    let types: Vec<Type> = types
                        .iter()
                        .filter(|t| **t != Type::Null)
                        .cloned()
                        .collect();
                    schema.schema_type = match types.as_slice() {
                        [one] => SchemaType::Type(one.clone()),
                        _ => SchemaType::Array(types),
                    };
                }
            }
        }
    }
    if let Some(components) = &mut spec.components {
        for (name, schema) in components.schemas.iter_mut() {
            // `Problem` skips its empty members; request schemas keep optional fields.
            if name == "Problem" || request_schemas.contains(name) {
                continue;
            }
            if let RefOr::T(Schema::Object(object)) = schema {
                object.required = object.properties.keys().cloned().collect();
            }
        }
    }
    spec
}

/// The control-character rule (`http::validation`) stated as a `pattern` on every text
/// a request sends: every string of a request schema and every query and path
/// parameter, unless an enum, an existing pattern or a format (dates, UUIDs) already
/// says more. Single-line text excludes every C0 control, DEL and C1; multi-line free
/// text keeps TAB, LF and CR.
fn with_text_patterns(mut spec: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use utoipa::openapi::path::ParameterIn;
    let request_schemas = serde_json::to_value(&spec)
        .map(|doc| schemas_reachable_from_requests(&doc))
        .unwrap_or_default();
    if let Some(components) = &mut spec.components {
        for (name, schema) in components.schemas.iter_mut() {
            if request_schemas.contains(name) {
                add_text_patterns(schema, None);
            }
        }
    }
    for item in spec.paths.paths.values_mut() {
        for operation in operations_mut(item) {
            for parameter in operation.parameters.iter_mut().flatten() {
                if !matches!(
                    parameter.parameter_in,
                    ParameterIn::Query | ParameterIn::Path
                ) {
                    continue;
                }
                let name = parameter.name.clone();
                if let Some(schema) = &mut parameter.schema {
                    add_text_patterns(schema, Some(&name));
                }
            }
        }
    }
    spec
}

/// The pattern of each kind of text: no control character, or none but TAB, LF, CR.
pub const SINGLE_LINE_PATTERN: &str = "^[^\\x00-\\x1f\\x7f-\\x9f]*$";
pub const MULTI_LINE_PATTERN: &str = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$";

fn add_text_patterns(
    schema: &mut utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
    field: Option<&str>,
) {
    use crate::http::validation::TextKind;
    use utoipa::openapi::schema::{ArrayItems, Schema, SchemaType, Type};
    use utoipa::openapi::{KnownFormat, RefOr, SchemaFormat};
    let RefOr::T(schema) = schema else {
        return;
    };
    match schema {
        Schema::Object(object) => {
            let is_string = match &object.schema_type {
                SchemaType::Type(t) => *t == Type::String,
                SchemaType::Array(types) => types.contains(&Type::String),
                SchemaType::AnyValue => false,
            };
            let said_more = object.pattern.is_some()
                || object.enum_values.is_some()
                || matches!(
                    object.format,
                    Some(SchemaFormat::KnownFormat(
                        KnownFormat::Date | KnownFormat::DateTime | KnownFormat::Uuid
                    ))
                );
            if let Some(field) = field
                && is_string
                && !said_more
            {
                object.pattern = Some(
                    match TextKind::of_field(field) {
                        TextKind::SingleLine => SINGLE_LINE_PATTERN,
                        TextKind::MultiLine => MULTI_LINE_PATTERN,
                    }
                    .into(),
                );
            }
            for (name, property) in object.properties.iter_mut() {
                add_text_patterns(property, Some(name));
            }
        }
        Schema::Array(array) => {
            if let ArrayItems::RefOrSchema(items) = &mut array.items {
                add_text_patterns(items, field);
            }
        }
        Schema::OneOf(one_of) => one_of
            .items
            .iter_mut()
            .for_each(|v| add_text_patterns(v, field)),
        Schema::AnyOf(any_of) => any_of
            .items
            .iter_mut()
            .for_each(|v| add_text_patterns(v, field)),
        Schema::AllOf(all_of) => all_of
            .items
            .iter_mut()
            .for_each(|v| add_text_patterns(v, field)),
        _ => {}
    }
}

/// Names of the component schemas a request body or parameter refers to, directly or
/// through other components.
fn schemas_reachable_from_requests(doc: &serde_json::Value) -> std::collections::BTreeSet<String> {
    fn refs(value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(name) = map
                    .get("$ref")
                    .and_then(|r| r.as_str())
                    .and_then(|r| r.strip_prefix("#/components/schemas/"))
                {
                    out.push(name.to_string());
                }
                map.values().for_each(|v| refs(v, out));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut pending = Vec::new();
    if let Some(paths) = doc.get("paths").and_then(|p| p.as_object()) {
        for op in paths
            .values()
            .filter_map(|i| i.as_object())
            .flat_map(|i| i.values())
        {
            for part in ["requestBody", "parameters"] {
                if let Some(value) = op.get(part) {
                    refs(value, &mut pending);
                }
            }
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    while let Some(name) = pending.pop() {
        if seen.insert(name.clone())
            && let Some(schema) = doc.pointer(&format!("/components/schemas/{name}"))
        {
            refs(schema, &mut pending);
        }
    }
    seen
}

/// The document as committed at `openapi/openapi.json`.
pub fn spec_json() -> String {
    let mut json = build_spec().to_pretty_json().unwrap_or_default();
    json.push('\n');
    json
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_bearer_operation_documents_401_and_every_admin_one_403() {
        let doc = serde_json::to_value(super::build_spec()).unwrap();
        let mut checked = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                if !op["security"].to_string().contains("\"bearer\"") {
                    continue;
                }
                checked += 1;
                let responses = &op["responses"];
                assert!(responses.get("401").is_some(), "{method} {path}: no 401");
                if path.starts_with("/api/v1/admin/") {
                    assert!(responses.get("403").is_some(), "{method} {path}: no 403");
                }
            }
        }
        assert!(checked > 30, "only {checked} bearer operations found");
    }
}
