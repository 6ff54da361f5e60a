//! Everything HTTP that is not a handler: middleware, extractors, paging, problem
//! rendering, CORS and which routes are public.

pub mod connections;
pub mod cors;
pub mod edge_answers;
pub mod extract;
pub mod middleware;
pub mod pagination;
pub mod problem;
pub mod public_routes;
pub mod response_cache;
pub mod validation;
