//! Which GET routes are public: cacheable by anyone, open to every origin, the same for
//! every client. A route says so where it is registered (`public(handler)` in
//! `routes::configure`); the mark travels through the OpenAPI paths, which carry the
//! scope prefixes, and is taken out of the document before anyone sees it.

use actix_web::dev::{AppService, HttpServiceFactory, ResourceDef};
use utoipa::openapi::OpenApi;
use utoipa::openapi::path::Paths;
use utoipa_actix_web::OpenApiFactory;

/// The operation extension that carries the mark from `public` to `PublicRoutes`.
const MARK: &str = "x-llcp-public";

/// A route registered as public: it registers and documents itself as the wrapped
/// route does, and marks its GET operation.
pub struct Public<T>(T);

pub fn public<T>(route: T) -> Public<T> {
    Public(route)
}

impl<T: HttpServiceFactory> HttpServiceFactory for Public<T> {
    fn register(self, config: &mut AppService) {
        self.0.register(config);
    }
}

impl<T: OpenApiFactory> OpenApiFactory for Public<T> {
    fn paths(&self) -> Paths {
        let mut paths = self.0.paths();
        for item in paths.paths.values_mut() {
            if let Some(get) = &mut item.get {
                get.extensions
                    .get_or_insert_with(Default::default)
                    .insert(MARK.into(), serde_json::Value::Bool(true));
            }
        }
        paths
    }

    fn schemas(
        &self,
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        self.0.schemas(schemas);
    }
}

/// The public GET routes' full path patterns: fixed paths compared as text, the others
/// matched as patterns (every request asks, so the common case is cheap).
#[derive(Default)]
pub struct PublicRoutes {
    fixed: Vec<String>,
    patterns: Vec<ResourceDef>,
}

impl PublicRoutes {
    /// Takes the marks out of `spec`, keeping the routes they marked.
    pub fn take_from(spec: &mut OpenApi) -> Self {
        let mut routes = Self::default();
        for (path, item) in spec.paths.paths.iter_mut() {
            let Some(get) = &mut item.get else { continue };
            let Some(extensions) = &mut get.extensions else {
                continue;
            };
            if extensions.remove(MARK).is_some() {
                if path.contains('{') {
                    routes.patterns.push(ResourceDef::new(path.as_str()));
                } else {
                    routes.fixed.push(path.clone());
                }
            }
            if extensions.is_empty() {
                get.extensions = None;
            }
        }
        routes
    }

    /// True when a GET of `path` reaches a public route.
    pub fn contains(&self, path: &str) -> bool {
        self.fixed.iter().any(|fixed| fixed == path)
            || self.patterns.iter().any(|route| route.is_match(path))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_marked_routes_are_the_public_reads_and_nothing_private() {
        let contract = crate::openapi::build();
        let public = contract.public_routes;
        for path in [
            "/api/v1/events",
            "/api/v1/events/some-slug",
            "/api/v1/events/some-slug/ics",
            "/api/v1/boroughs",
            "/embed/events",
        ] {
            assert!(public.contains(path), "{path} should be public");
        }
        for path in [
            "/api/v1/events/some-slug/registrations",
            "/api/v1/admin/events",
            "/api/v1/me",
            "/api/v1/registrations/abc",
            "/metrics",
        ] {
            assert!(!public.contains(path), "{path} should not be public");
        }
        let document = serde_json::to_string(&contract.spec).unwrap();
        assert!(
            !document.contains(super::MARK),
            "the mark leaked into the contract"
        );
    }
}
