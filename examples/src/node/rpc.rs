//! A fluxd-compatible JSON-RPC endpoint over HTTP/1.1 on loopback (the client side is
//! [`crate::fluxd_rpc`]).
//!
//! fluxd speaks bitcoind's JSON-RPC 1.0 dialect (`src/rpc/server.cpp`, `src/httprpc.cpp`): a POST of
//! `{"method", "params": [..], "id"}` answered by `{"result", "error", "id"}`, where an error is
//! `{"code", "message"}` with bitcoind's codes and the HTTP status is 500 (404 for an unknown method).

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use super::rpc_auth::{RpcAccess, Verdict};

/// The largest request body the server reads (a `sendrawtransaction` of fluxd's largest
/// transaction, hex-encoded, fits easily).
pub const MAX_REQUEST_BYTES: usize = 8 * 1024 * 1024;

/// bitcoind/fluxd RPC error codes (`src/rpc/protocol.h`).
pub mod code {
    /// The request is not valid JSON-RPC.
    pub const INVALID_REQUEST: i64 = -32600;
    /// No such method.
    pub const METHOD_NOT_FOUND: i64 = -32601;
    /// The body is not JSON.
    pub const PARSE_ERROR: i64 = -32700;
    /// A parameter has the wrong type or is missing (`RPC_TYPE_ERROR`).
    pub const TYPE_ERROR: i64 = -3;
    /// A block, transaction or key that does not exist (`RPC_INVALID_ADDRESS_OR_KEY`).
    pub const INVALID_ADDRESS_OR_KEY: i64 = -5;
    /// A parameter is out of range (`RPC_INVALID_PARAMETER`).
    pub const INVALID_PARAMETER: i64 = -8;
    /// Bytes that do not decode (`RPC_DESERIALIZATION_ERROR`).
    pub const DESERIALIZATION_ERROR: i64 = -22;
    /// A transaction the node's rules reject (`RPC_VERIFY_REJECTED`).
    pub const VERIFY_REJECTED: i64 = -26;
    /// A transaction already in the chain (`RPC_VERIFY_ALREADY_IN_CHAIN`).
    pub const VERIFY_ALREADY_IN_CHAIN: i64 = -27;
    /// `addnode add` for a node already added (`RPC_CLIENT_NODE_ALREADY_ADDED`).
    pub const CLIENT_NODE_ALREADY_ADDED: i64 = -23;
    /// `addnode remove` for a node never added (`RPC_CLIENT_NODE_NOT_ADDED`).
    pub const CLIENT_NODE_NOT_ADDED: i64 = -24;
}

/// An error answer: a bitcoind error code and a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rpc error {code}: {message}")]
pub struct RpcError {
    /// The bitcoind error code (see [`code`]).
    pub code: i64,
    /// What went wrong, for the caller.
    pub message: String,
}

impl RpcError {
    /// An error with `code` and `message`.
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        RpcError {
            code,
            message: message.into(),
        }
    }

    /// The error for a method this node does not serve.
    pub fn method_not_found(method: &str) -> Self {
        RpcError::new(
            code::METHOD_NOT_FOUND,
            format!("Method not found: {method}"),
        )
    }
}

/// Reads positional parameters the way fluxd's handlers do, with fluxd's type errors.
#[derive(Debug, Clone, Copy)]
pub struct Params<'a>(pub &'a [Value]);

impl Params<'_> {
    /// Parameter `index` as a string.
    pub fn string(&self, index: usize, name: &str) -> Result<&str, RpcError> {
        match self.0.get(index) {
            Some(Value::String(text)) => Ok(text),
            Some(_) => Err(RpcError::new(
                code::TYPE_ERROR,
                format!("Expected type string for {name}"),
            )),
            None => Err(RpcError::new(
                code::INVALID_PARAMETER,
                format!("missing parameter {name}"),
            )),
        }
    }

    /// Parameter `index` as an integer, when present.
    pub fn optional_integer(&self, index: usize, name: &str) -> Result<Option<i64>, RpcError> {
        match self.0.get(index) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(number)) => number.as_i64().map(Some).ok_or_else(|| {
                RpcError::new(code::TYPE_ERROR, format!("Expected integer for {name}"))
            }),
            // fluxd's getblock takes verbosity 0/1/2, and older clients send booleans.
            Some(Value::Bool(flag)) => Ok(Some(i64::from(*flag))),
            Some(_) => Err(RpcError::new(
                code::TYPE_ERROR,
                format!("Expected integer for {name}"),
            )),
        }
    }

    /// Parameter `index` as an integer.
    pub fn integer(&self, index: usize, name: &str) -> Result<i64, RpcError> {
        self.optional_integer(index, name)?.ok_or_else(|| {
            RpcError::new(code::INVALID_PARAMETER, format!("missing parameter {name}"))
        })
    }
}

/// What answers the calls: method name and positional parameters in, result out.
pub trait RpcHandler: Send + Sync + 'static {
    /// Answers one call.
    fn call(&self, method: &str, params: Params<'_>) -> Result<Value, RpcError>;
}

impl<F> RpcHandler for F
where
    F: Fn(&str, Params<'_>) -> Result<Value, RpcError> + Send + Sync + 'static,
{
    fn call(&self, method: &str, params: Params<'_>) -> Result<Value, RpcError> {
        self(method, params)
    }
}

/// Answers one JSON-RPC request object (already parsed), as fluxd would.
fn answer_one(handler: &dyn RpcHandler, request: &Value) -> (StatusCode, Value) {
    let id = request.get("id").cloned().unwrap_or(Value::Null);
    let Some(method) = request.get("method").and_then(Value::as_str) else {
        let error = RpcError::new(code::INVALID_REQUEST, "Method must be a string");
        return (StatusCode::BAD_REQUEST, envelope(Err(error), id));
    };
    let params: &[Value] = match request.get("params") {
        None | Some(Value::Null) => &[],
        Some(Value::Array(params)) => params,
        Some(_) => {
            let error = RpcError::new(code::INVALID_REQUEST, "Params must be an array");
            return (StatusCode::BAD_REQUEST, envelope(Err(error), id));
        }
    };
    let result = handler.call(method, Params(params));
    let status = match &result {
        Ok(_) => StatusCode::OK,
        Err(error) if error.code == code::METHOD_NOT_FOUND => StatusCode::NOT_FOUND,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    (status, envelope(result, id))
}

fn envelope(result: Result<Value, RpcError>, id: Value) -> Value {
    match result {
        Ok(result) => json!({"result": result, "error": null, "id": id}),
        Err(error) => json!({
            "result": null,
            "error": {"code": error.code, "message": error.message},
            "id": id,
        }),
    }
}

/// Answers a whole HTTP request body: one call, or a batch (an array of calls, answered with an
/// array and status 200, as bitcoind does).
pub fn answer_body(handler: &dyn RpcHandler, body: &[u8]) -> (StatusCode, Value) {
    let request: Value = match serde_json::from_slice(body) {
        Ok(request) => request,
        Err(error) => {
            let error = RpcError::new(code::PARSE_ERROR, format!("Parse error: {error}"));
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                envelope(Err(error), Value::Null),
            );
        }
    };
    match &request {
        Value::Array(calls) => {
            let answers = calls
                .iter()
                .map(|call| answer_one(handler, call).1)
                .collect();
            (StatusCode::OK, Value::Array(answers))
        }
        Value::Object(_) => answer_one(handler, &request),
        _ => {
            let error = RpcError::new(code::PARSE_ERROR, "Top-level object parse error");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                envelope(Err(error), Value::Null),
            )
        }
    }
}

/// An empty answer with `status` (fluxd answers 401 and 403 without a JSON body).
fn plain_response(status: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
}

fn http_response(status: StatusCode, body: Value) -> Response<Full<Bytes>> {
    // Amounts are written as fluxd writes them (`150.00000000`).
    let mut response = Response::new(Full::new(Bytes::from(crate::fluxd_json::to_text(&body))));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

async fn serve_request(
    handler: Arc<dyn RpcHandler>,
    access: Arc<RpcAccess>,
    peer: SocketAddr,
    request_timeout: Duration,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let authorization = request
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .map(|value| value.as_bytes());
    match access.check(peer.ip(), authorization) {
        Verdict::Allowed => {}
        Verdict::Forbidden => return Ok(plain_response(StatusCode::FORBIDDEN)),
        Verdict::Unauthorized => {
            let mut response = plain_response(StatusCode::UNAUTHORIZED);
            response.headers_mut().insert(
                hyper::header::WWW_AUTHENTICATE,
                hyper::header::HeaderValue::from_static("Basic realm=\"jsonrpc\""),
            );
            return Ok(response);
        }
    }
    if request.method() != Method::POST {
        let error = RpcError::new(code::INVALID_REQUEST, "JSON-RPC requires POST");
        return Ok(http_response(
            StatusCode::METHOD_NOT_ALLOWED,
            envelope(Err(error), Value::Null),
        ));
    }
    let collected = tokio::time::timeout(
        request_timeout,
        Limited::new(request.into_body(), MAX_REQUEST_BYTES).collect(),
    )
    .await;
    let body = match collected {
        Ok(Ok(collected)) => collected.to_bytes(),
        Err(_) => return Ok(plain_response(StatusCode::REQUEST_TIMEOUT)),
        Ok(Err(error)) => {
            let error = RpcError::new(code::INVALID_REQUEST, format!("unreadable body: {error}"));
            return Ok(http_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                envelope(Err(error), Value::Null),
            ));
        }
    };
    // Handlers touch the chain store (disk): keep them off the async workers.
    let answer = tokio::task::spawn_blocking(move || answer_body(handler.as_ref(), &body)).await;
    Ok(match answer {
        Ok((status, body)) => http_response(status, body),
        Err(_) => http_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            envelope(
                Err(RpcError::new(code::INVALID_REQUEST, "internal error")),
                Value::Null,
            ),
        ),
    })
}

/// How much of the node one set of RPC clients may hold (fluxd: `-rpcthreads`, `-rpcworkqueue`,
/// `-rpcservertimeout`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeLimits {
    /// Connections served at once; a connection beyond is closed at once.
    pub max_connections: usize,
    /// How long a request may take to arrive whole (headers, then body); a connection is also
    /// closed after six times this, so a client that trickles or never sends cannot hold it.
    pub request_timeout: Duration,
}

impl Default for ServeLimits {
    /// 64 connections, 30 s per request (fluxd's `DEFAULT_HTTP_SERVER_TIMEOUT`).
    fn default() -> ServeLimits {
        ServeLimits {
            max_connections: 64,
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// Serves JSON-RPC on `listener` until `shutdown` completes, to the callers `access` lets in,
/// within `limits`.
pub async fn serve(
    listener: TcpListener,
    handler: Arc<dyn RpcHandler>,
    access: Arc<RpcAccess>,
    limits: ServeLimits,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => return,
            accepted = listener.accept() => accepted,
        };
        // A failed accept (too many open files, a reset) affects one client, not the server.
        let Ok((stream, peer)) = accepted else {
            continue;
        };
        // Over the cap the connection is dropped (closed) without reading it.
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            continue;
        };
        let handler = Arc::clone(&handler);
        let access = Arc::clone(&access);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                serve_request(
                    Arc::clone(&handler),
                    Arc::clone(&access),
                    peer,
                    limits.request_timeout,
                    request,
                )
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(limits.request_timeout)
                .serve_connection(TokioIo::new(stream), service);
            // A client that hangs up mid-request is its own problem; one that lingers is cut.
            let _ = tokio::time::timeout(limits.request_timeout * 6, connection).await;
            drop(slot);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::rpc_auth::basic_header;

    fn echo(method: &str, params: Params<'_>) -> Result<Value, RpcError> {
        match method {
            "getblockhash" => Ok(json!(params.integer(0, "height")?)),
            "getblocksubsidy" => Ok(json!({"miner": crate::fluxd_json::amount(150_0000_0000)})),
            "fail" => Err(RpcError::new(
                code::INVALID_PARAMETER,
                "Block height out of range",
            )),
            other => Err(RpcError::method_not_found(other)),
        }
    }

    #[test]
    fn answers_like_fluxd() {
        let (status, body) =
            answer_body(&echo, br#"{"method":"getblockhash","params":[7],"id":3}"#);
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, json!({"result": 7, "error": null, "id": 3}));

        let (status, body) = answer_body(&echo, br#"{"method":"fail","id":1}"#);
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["error"]["code"], json!(-8));

        let (status, body) = answer_body(&echo, br#"{"method":"nope","id":1}"#);
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["error"]["code"], json!(-32601));

        let (status, body) = answer_body(&echo, br#"{"method":"getblockhash","params":["x"]}"#);
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["error"]["code"], json!(-3));

        let (status, body) = answer_body(&echo, b"not json");
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["error"]["code"], json!(-32700));

        let (status, body) = answer_body(
            &echo,
            br#"[{"method":"getblockhash","params":[1],"id":1},{"method":"nope","id":2}]"#,
        );
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body[0]["result"], json!(1));
        assert_eq!(body[1]["error"]["code"], json!(-32601));
    }

    /// The echo server on `listener`, let in by the cookie it writes into a temporary directory
    /// (kept alive by the caller): its stop switch, its task and the cookie.
    fn spawn_test_server(
        listener: TcpListener,
    ) -> (
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<()>,
        String,
        tempfile::TempDir,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let access = RpcAccess::start(dir.path(), None, Vec::new()).unwrap();
        let cookie =
            std::fs::read_to_string(dir.path().join(super::super::rpc_auth::COOKIE_FILE)).unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(
            listener,
            Arc::new(echo),
            Arc::new(access),
            ServeLimits::default(),
            async {
                let _ = stopped.await;
            },
        ));
        (stop, server, cookie, dir)
    }

    #[tokio::test]
    async fn client_and_server_over_loopback() {
        use crate::fluxd_rpc::{Auth, FluxdClient, RpcClientError};

        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, server, credentials, _dir) = spawn_test_server(listener);
        let client = FluxdClient::new(addr, Auth::from_credentials(&credentials).unwrap()).unwrap();
        assert_eq!(
            client
                .call::<i64>("getblockhash", json!([42]))
                .await
                .unwrap(),
            42
        );
        match client.call::<Value>("fail", json!([])).await {
            Err(RpcClientError::Rpc { code, .. }) => assert_eq!(code, code::INVALID_PARAMETER),
            other => panic!("expected an rpc error, got {other:?}"),
        }
        let stranger = FluxdClient::new(addr, Auth::None).unwrap();
        assert!(matches!(
            stranger.call::<Value>("getblockhash", json!([1])).await,
            Err(RpcClientError::Unauthorized { .. })
        ));
        stop.send(()).unwrap();
        server.await.unwrap();
    }

    #[tokio::test]
    async fn amounts_go_on_the_wire_as_fluxd_prints_them() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, server, credentials, _dir) = spawn_test_server(listener);
        let body = r#"{"method":"getblocksubsidy","params":[],"id":1}"#;
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let request = format!(
            "POST / HTTP/1.1\r\nHost: localhost\r\nAuthorization: {}\r\n\
             Content-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            basic_header(&credentials),
            body.len()
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.unwrap();
        let response = String::from_utf8(response).unwrap();
        let (_, answer) = response.split_once("\r\n\r\n").unwrap();
        assert!(
            answer.contains(r#""result":{"miner":150.00000000}"#),
            "{answer}"
        );
        stop.send(()).unwrap();
        server.await.unwrap();
    }
}
