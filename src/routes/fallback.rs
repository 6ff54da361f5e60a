//! What answers when no route matched: 405 with `Allow` when the path exists for other
//! methods, otherwise 404. Both as problem+json.

use actix_web::dev::ResourceDef;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};

use crate::http::problem::{Problem, problem_response, problem_type};

/// Documented paths (in actix pattern syntax) with their methods.
pub struct KnownRoutes(Vec<(ResourceDef, Vec<String>)>);

impl KnownRoutes {
    pub fn from_spec(spec: &utoipa::openapi::OpenApi) -> Self {
        let routes = spec
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let mut methods: Vec<String> = Vec::new();
                let ops = [
                    ("GET", &item.get),
                    ("POST", &item.post),
                    ("PUT", &item.put),
                    ("PATCH", &item.patch),
                    ("DELETE", &item.delete),
                ];
                for (name, op) in ops {
                    if op.is_some() {
                        methods.push(name.to_string());
                    }
                }
                if methods.iter().any(|m| m == "GET") {
                    methods.push("HEAD".into());
                }
                (ResourceDef::new(path.as_str()), methods)
            })
            .collect();
        Self(routes)
    }

    fn methods_for(&self, path: &str) -> Option<&[String]> {
        self.0
            .iter()
            .find(|(def, _)| def.is_match(path))
            .map(|(_, methods)| methods.as_slice())
    }

    /// Methods of a documented path without parameters that is exactly `path`.
    fn fixed_path_methods(&self, path: &str) -> Option<&[String]> {
        self.0
            .iter()
            .find(|(def, _)| def.pattern() == Some(path))
            .map(|(_, methods)| methods.as_slice())
    }
}

/// A path parameter that did not parse: 404, unless the path is really a fixed route
/// (`…/decisions`) asked with the wrong method, which a `{id}` route caught first.
pub fn path_not_parsed(req: &HttpRequest) -> actix_web::Error {
    let fixed = req
        .app_data::<actix_web::web::Data<KnownRoutes>>()
        .and_then(|routes| routes.fixed_path_methods(req.path()))
        .filter(|methods| !methods.iter().any(|m| m == req.method().as_str()));
    match fixed {
        Some(methods) => {
            let response = method_not_allowed(req, methods);
            actix_web::error::InternalError::from_response("method not allowed", response).into()
        }
        None => {
            crate::error::ApiError::NotFound("Nothing was found at this address.".into()).into()
        }
    }
}

fn method_not_allowed(req: &HttpRequest, methods: &[String]) -> HttpResponse {
    let problem = Problem {
        problem_type: problem_type("method-not-allowed"),
        title: "The method is not allowed here".into(),
        status: 405,
        detail: format!(
            "{} is not allowed on this path; use {}.",
            req.method(),
            methods.join(", ")
        ),
        errors: None,
        request_id: None,
    };
    let mut response = problem_response(StatusCode::METHOD_NOT_ALLOWED, &problem);
    if let Ok(value) = header::HeaderValue::from_str(&methods.join(", ")) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

pub async fn not_matched(
    req: HttpRequest,
    routes: actix_web::web::Data<KnownRoutes>,
) -> HttpResponse {
    if let Some(methods) = routes.methods_for(req.path()) {
        return method_not_allowed(&req, methods);
    }
    let problem = Problem {
        problem_type: problem_type("route-not-found"),
        title: "There is nothing at this address".into(),
        status: 404,
        detail: "No endpoint has this path; see /docs for the API.".into(),
        errors: None,
        request_id: None,
    };
    problem_response(StatusCode::NOT_FOUND, &problem)
}
