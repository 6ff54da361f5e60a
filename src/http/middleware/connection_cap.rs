//! Connections over the cap (see `http::connections`): every request on one is answered
//! 503 with `Retry-After`, and the connection closed, before any of it is read.

use std::future::{Ready, ready};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::ConnectionType;
use actix_web::{Error, ResponseError};
use futures_util::future::{Either, MapOk, TryFutureExt};

use crate::error::ApiError;
use crate::http::connections::Admission;

/// Answers every request of a connection that was not admitted with a 503 and closes it.
pub struct ConnectionCap;

impl<S, B> Transform<S, ServiceRequest> for ConnectionCap
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = ConnectionCapService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(ConnectionCapService { service }))
    }
}

pub struct ConnectionCapService<S> {
    service: S,
}

type Admitted<F, B> = MapOk<F, fn(ServiceResponse<B>) -> ServiceResponse<EitherBody<B>>>;

impl<S, B> Service<ServiceRequest> for ConnectionCapService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = Either<Ready<Result<Self::Response, Error>>, Admitted<S::Future, B>>;

    actix_web::dev::forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let refused = req
            .conn_data::<Admission>()
            .is_some_and(|admission| !admission.admitted);
        if !refused {
            return Either::Right(
                self.service
                    .call(req)
                    .map_ok(ServiceResponse::map_into_left_body as fn(_) -> _),
            );
        }
        let mut response = ApiError::Busy(
            "The server is at its connection limit; please retry in a moment.".into(),
        )
        .error_response();
        response
            .head_mut()
            .set_connection_type(ConnectionType::Close);
        Either::Left(ready(Ok(req.into_response(response).map_into_right_body())))
    }
}
