//! HEAD is GET without a body: the HTTP layer already knows not to send one, so routing
//! it as GET answers every GET route with its headers.

use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;

use super::layer::Wrap;

pub struct HeadAsGet;

impl Wrap for HeadAsGet {
    type State = ();

    fn before(&self, req: &mut ServiceRequest) {
        if req.method() == Method::HEAD {
            req.head_mut().method = Method::GET;
        }
    }

    fn after<B>(&self, _: (), _: &mut ServiceResponse<B>) {}
}
