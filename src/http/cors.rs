//! CORS for public routes: any origin, answered with the wildcard and never with
//! credentials. Requests to other paths pass through untouched, so they carry no
//! `Access-Control-Allow-Origin`, and a preflight to them is refused.

use std::sync::Arc;

use actix_web::http::{Method, header};

use crate::http::public_routes::PublicRoutes;

pub fn cors(routes: Arc<PublicRoutes>) -> actix_cors::Cors {
    actix_cors::Cors::default()
        .allow_any_origin()
        .send_wildcard()
        .allowed_origin_fn(move |_, head| routes.contains(head.uri.path()))
        .block_on_origin_mismatch(false)
        .allowed_methods([Method::GET, Method::HEAD])
        .allowed_headers([header::IF_NONE_MATCH, header::ACCEPT])
        .disable_vary_header()
        .max_age(86_400)
}
