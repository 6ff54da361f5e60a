//! Which GET routes are public: cacheable by anyone, open to every origin, the same for
//! every client. A route says so where it is registered (`public(handler)` in
//! `routes::configure`); the mark travels through the OpenAPI paths, which carry the
//! scope prefixes, and is taken out of the document before anyone sees it.

use actix_web::dev::{AppService, HttpServiceFactory};
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

/// The public GET routes' full path patterns, matched segment by segment (every request
/// asks, so this is string comparison only): `{name}` stands for one non-empty segment,
/// as in the router.
#[derive(Default)]
pub struct PublicRoutes(Vec<Vec<Segment>>);

enum Segment {
    Fixed(String),
    Parameter,
}

fn segments(pattern: &str) -> Vec<Segment> {
    pattern
        .split('/')
        .map(|part| {
            if part.starts_with('{') && part.ends_with('}') {
                Segment::Parameter
            } else {
                Segment::Fixed(part.to_string())
            }
        })
        .collect()
}

fn matches(pattern: &[Segment], path: &str) -> bool {
    let mut parts = path.split('/');
    pattern.iter().all(|segment| match (segment, parts.next()) {
        (Segment::Fixed(fixed), Some(part)) => fixed == part,
        (Segment::Parameter, Some(part)) => !part.is_empty(),
        (_, None) => false,
    }) && parts.next().is_none()
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
                routes.0.push(segments(path));
            }
            if extensions.is_empty() {
                get.extensions = None;
            }
        }
        routes
    }

    /// True when a GET of `path` reaches a public route.
    pub fn contains(&self, path: &str) -> bool {
        self.0.iter().any(|pattern| matches(pattern, path))
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
            "/api/v1/events/",
            "/api/v1/events//ics",
            "/api/v1/events/a/ics/more",
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
