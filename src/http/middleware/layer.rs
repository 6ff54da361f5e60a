//! The shape most middleware here has: look at the request before it is handled, and
//! at the response after. `Layer` runs such a `Wrap` with no allocation per request
//! (actix's `from_fn` boxes each layer's future), since every public answer passes
//! through all of them.

use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use actix_web::Error;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};

/// One job done around the handler.
pub trait Wrap: 'static {
    /// What `before` keeps for `after`.
    type State;

    fn before(&self, req: &mut ServiceRequest) -> Self::State;

    fn after<B>(&self, state: Self::State, res: &mut ServiceResponse<B>);
}

/// A `Wrap` as actix middleware.
pub struct Layer<W>(Rc<W>);

impl<W> Layer<W> {
    pub fn new(wrap: W) -> Self {
        Self(Rc::new(wrap))
    }
}

impl<S, B, W> Transform<S, ServiceRequest> for Layer<W>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    W: Wrap,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = LayerService<S, W>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(LayerService {
            service,
            wrap: Rc::clone(&self.0),
        }))
    }
}

pub struct LayerService<S, W> {
    service: S,
    wrap: Rc<W>,
}

impl<S, B, W> Service<ServiceRequest> for LayerService<S, W>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    W: Wrap,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = LayerFuture<S::Future, W>;

    forward_ready!(service);

    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        let state = self.wrap.before(&mut req);
        LayerFuture {
            inner: self.service.call(req),
            wrap: Rc::clone(&self.wrap),
            state: Some(state),
        }
    }
}

pin_project_lite::pin_project! {
    pub struct LayerFuture<F, W: Wrap> {
        #[pin]
        inner: F,
        wrap: Rc<W>,
        state: Option<W::State>,
    }
}

impl<F, B, W> Future for LayerFuture<F, W>
where
    F: Future<Output = Result<ServiceResponse<B>, Error>>,
    W: Wrap,
{
    type Output = Result<ServiceResponse<B>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut res = match this.inner.poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Ready(Ok(res)) => res,
        };
        if let Some(state) = this.state.take() {
            this.wrap.after(state, &mut res);
        }
        Poll::Ready(Ok(res))
    }
}
