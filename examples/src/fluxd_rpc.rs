//! An async client for the fluxd JSON-RPC calls a wallet makes, with typed results and errors:
//! block count and hashes, raw transactions in and out, address UTXOs and balances (fluxd's
//! address index, `-addressindex`), fluxnode status and the deterministic list, and the block
//! subsidy.
//!
//! Authentication is fluxd's HTTP Basic scheme: a `rpcuser`/`rpcpassword` pair, or the cookie
//! file fluxd writes in its data directory (`.cookie`, holding `__cookie__:<password>`), read
//! when the client is made. Each call opens one HTTP/1.1 connection.
//!
//! ```no_run
//! use examples::fluxd_rpc::{Auth, FluxdClient};
//! # async fn demo() -> Result<(), examples::fluxd_rpc::RpcClientError> {
//! let client = FluxdClient::new("127.0.0.1:16124".parse().unwrap(), Auth::Cookie("/home/me/.flux/.cookie".into()))?;
//! let height = client.block_count().await?;
//! let tip = client.block_hash(height).await?;
//! println!("{height} {tip}");
//! # Ok(()) }
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;

use base64::Engine as _;
use bytes::Bytes;
use flux_tx::address::Address;
use flux_tx::{Block, BlockHash, FluxDecode, FluxEncode, Transaction, Txid};
use http_body_util::{BodyExt, Full, Limited};
use hyper::Request;
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tokio::net::TcpStream;

/// Largest answer read (a 2 MB block as hex, with room).
const MAX_ANSWER_BYTES: usize = 8 * 1024 * 1024;

/// How the client proves it may call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// No credentials (the reference node, or a proxy that adds them).
    None,
    /// `rpcuser` and `rpcpassword`.
    UserPassword {
        /// `rpcuser`.
        user: String,
        /// `rpcpassword`.
        password: String,
    },
    /// The cookie file fluxd writes (`<datadir>/.cookie`: `__cookie__:<password>`).
    Cookie(PathBuf),
}

impl Auth {
    /// `user:password` as one string (a cookie file's content is one too).
    ///
    /// # Errors
    /// A message when there is no `:`.
    pub fn from_credentials(credentials: &str) -> Result<Auth, String> {
        let (user, password) = credentials
            .split_once(':')
            .ok_or_else(|| "credentials must be user:password".to_owned())?;
        Ok(Auth::UserPassword {
            user: user.to_owned(),
            password: password.to_owned(),
        })
    }
}

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RpcClientError {
    /// The cookie file could not be read or is not `user:password`.
    #[error("cookie file {path}: {reason}")]
    Cookie {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// No connection to the node.
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        /// The node.
        addr: SocketAddr,
        /// The error.
        source: std::io::Error,
    },
    /// The HTTP exchange failed.
    #[error("http error talking to {addr}: {source}")]
    Http {
        /// The node.
        addr: SocketAddr,
        /// The error.
        source: hyper::Error,
    },
    /// fluxd answered 401: wrong or missing credentials.
    #[error("{addr} refused the credentials (HTTP 401)")]
    Unauthorized {
        /// The node.
        addr: SocketAddr,
    },
    /// The answer is not a JSON-RPC response, or its result does not have the expected shape.
    #[error("malformed answer to {method}: {reason}")]
    Malformed {
        /// The method called.
        method: String,
        /// What was wrong.
        reason: String,
    },
    /// fluxd answered with a JSON-RPC error (e.g. -5 no such transaction, -26 rejected).
    #[error("{method} failed with code {code}: {message}")]
    Rpc {
        /// The method called.
        method: String,
        /// fluxd's error code.
        code: i64,
        /// fluxd's message.
        message: String,
    },
}

/// One unspent output of `getaddressutxos`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddressUtxo {
    /// The address.
    pub address: String,
    /// The transaction (display hex).
    pub txid: String,
    /// The output index.
    pub output_index: u32,
    /// The output script (hex).
    pub script: String,
    /// The value in zatoshis.
    pub satoshis: i64,
    /// The height of its block.
    pub height: u32,
}

/// `getaddressbalance`'s answer, in zatoshis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct AddressBalance {
    /// Current balance.
    pub balance: i64,
    /// Everything ever received.
    pub received: i64,
}

/// One entry of `viewdeterministicfluxnodelist` (the fields a wallet reads; others ignored).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FluxnodeEntry {
    /// The collateral as `COutPoint(<txid>, <n>)`.
    #[serde(default)]
    pub collateral: String,
    /// The collateral txid.
    #[serde(default)]
    pub txhash: String,
    /// The collateral output index.
    #[serde(default)]
    pub outidx: Value,
    /// The node's IP.
    #[serde(default)]
    pub ip: String,
    /// `CUMULUS`, `NIMBUS` or `STRATUS`.
    #[serde(default)]
    pub tier: String,
    /// Where the node is paid.
    #[serde(default)]
    pub payment_address: String,
    /// The node key (hex).
    #[serde(default)]
    pub pubkey: String,
}

/// `getblocksubsidy`'s answer (FLUX amounts as fluxd prints them).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BlockSubsidy {
    /// The miner's part.
    pub miner: f64,
    /// Every other field (tier payouts, funds), as fluxd names them.
    #[serde(flatten)]
    pub other: serde_json::Map<String, Value>,
}

/// A fluxd JSON-RPC client.
#[derive(Debug, Clone)]
pub struct FluxdClient {
    addr: SocketAddr,
    authorization: Option<String>,
}

impl FluxdClient {
    /// A client for the node at `addr` (a cookie file is read now).
    ///
    /// # Errors
    /// [`RpcClientError::Cookie`].
    pub fn new(addr: SocketAddr, auth: Auth) -> Result<FluxdClient, RpcClientError> {
        let credentials = match auth {
            Auth::None => None,
            Auth::UserPassword { user, password } => Some(format!("{user}:{password}")),
            Auth::Cookie(path) => {
                let text = std::fs::read_to_string(&path).map_err(|e| RpcClientError::Cookie {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
                let text = text.trim().to_owned();
                if !text.contains(':') {
                    return Err(RpcClientError::Cookie {
                        path,
                        reason: "not user:password".into(),
                    });
                }
                Some(text)
            }
        };
        Ok(FluxdClient {
            addr,
            authorization: credentials.map(|c| {
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(c)
                )
            }),
        })
    }

    /// Calls `method` and decodes its result as `T`.
    ///
    /// # Errors
    /// [`RpcClientError`].
    pub async fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        params: Value,
    ) -> Result<T, RpcClientError> {
        let result = self.call_value(method, params).await?;
        serde_json::from_value(result).map_err(|e| RpcClientError::Malformed {
            method: method.into(),
            reason: e.to_string(),
        })
    }

    async fn call_value(&self, method: &str, params: Value) -> Result<Value, RpcClientError> {
        let addr = self.addr;
        let malformed = |reason: String| RpcClientError::Malformed {
            method: method.into(),
            reason,
        };
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|source| RpcClientError::Connect { addr, source })?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|source| RpcClientError::Http { addr, source })?;
        tokio::spawn(connection);
        let body = json!({"jsonrpc": "1.0", "id": "flux-rs", "method": method, "params": params});
        let mut request = Request::post("/")
            .header(hyper::header::HOST, addr.to_string())
            .header(hyper::header::CONTENT_TYPE, "application/json");
        if let Some(authorization) = &self.authorization {
            request = request.header(hyper::header::AUTHORIZATION, authorization);
        }
        let request = request
            .body(Full::new(Bytes::from(body.to_string())))
            .map_err(|e| malformed(e.to_string()))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|source| RpcClientError::Http { addr, source })?;
        if response.status() == hyper::StatusCode::UNAUTHORIZED {
            return Err(RpcClientError::Unauthorized { addr });
        }
        let bytes = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
            .collect()
            .await
            .map_err(|e| malformed(e.to_string()))?
            .to_bytes();
        // fluxd answers errors with HTTP 500 or 404 and a JSON-RPC body: read the body either way.
        let mut answer: Value =
            serde_json::from_slice(&bytes).map_err(|e| malformed(e.to_string()))?;
        if let Some(error) = answer.get("error").filter(|e| !e.is_null()) {
            return Err(RpcClientError::Rpc {
                method: method.into(),
                code: error.get("code").and_then(Value::as_i64).unwrap_or(0),
                message: error
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            });
        }
        answer
            .get_mut("result")
            .map(Value::take)
            .ok_or_else(|| malformed("no result".into()))
    }

    fn parse<T: std::str::FromStr>(method: &str, text: &str) -> Result<T, RpcClientError>
    where
        T::Err: std::fmt::Display,
    {
        text.parse().map_err(|e: T::Err| RpcClientError::Malformed {
            method: method.into(),
            reason: e.to_string(),
        })
    }

    /// `getblock <hash> 0`: the block's bytes, decoded, and checked to hash to `hash`.
    ///
    /// # Errors
    /// [`RpcClientError`]; [`RpcClientError::Malformed`] when the bytes are not a block or not
    /// that block.
    pub async fn raw_block(&self, hash: &BlockHash) -> Result<Block, RpcClientError> {
        const METHOD: &str = "getblock";
        let text: String = self.call(METHOD, json!([hash.to_string(), 0])).await?;
        let malformed = |reason: String| RpcClientError::Malformed {
            method: METHOD.into(),
            reason,
        };
        let bytes = hex::decode(text.trim()).map_err(|e| malformed(e.to_string()))?;
        let block = Block::decode_exact(&bytes).map_err(|e| malformed(e.to_string()))?;
        if block.hash() != *hash {
            return Err(malformed(format!(
                "asked for block {hash}, got block {}",
                block.hash()
            )));
        }
        Ok(block)
    }

    /// `getblockcount`.
    ///
    /// # Errors
    /// [`RpcClientError`].
    pub async fn block_count(&self) -> Result<u32, RpcClientError> {
        self.call("getblockcount", json!([])).await
    }

    /// `getblockhash height`.
    ///
    /// # Errors
    /// [`RpcClientError`].
    pub async fn block_hash(&self, height: u32) -> Result<BlockHash, RpcClientError> {
        let text: String = self.call("getblockhash", json!([height])).await?;
        Self::parse("getblockhash", &text)
    }

    /// `getbestblockhash`.
    ///
    /// # Errors
    /// [`RpcClientError`].
    pub async fn best_block_hash(&self) -> Result<BlockHash, RpcClientError> {
        let text: String = self.call("getbestblockhash", json!([])).await?;
        Self::parse("getbestblockhash", &text)
    }

    /// `getrawtransaction txid 0`, decoded.
    ///
    /// # Errors
    /// [`RpcClientError`]; [`RpcClientError::Malformed`] when the hex does not decode to a
    /// transaction with that txid.
    pub async fn raw_transaction(&self, txid: &Txid) -> Result<Transaction, RpcClientError> {
        let method = "getrawtransaction";
        let text: String = self.call(method, json!([txid.to_string(), 0])).await?;
        let bytes = hex::decode(text.trim()).map_err(|e| RpcClientError::Malformed {
            method: method.into(),
            reason: e.to_string(),
        })?;
        let tx = Transaction::decode_exact(&bytes).map_err(|e| RpcClientError::Malformed {
            method: method.into(),
            reason: e.to_string(),
        })?;
        if tx.txid() != *txid {
            return Err(RpcClientError::Malformed {
                method: method.into(),
                reason: format!("asked for {txid}, got {}", tx.txid()),
            });
        }
        Ok(tx)
    }

    /// `sendrawtransaction hex`: the txid fluxd accepted.
    ///
    /// # Errors
    /// [`RpcClientError::Rpc`] with fluxd's reject reason when it refuses the transaction.
    pub async fn send_raw_transaction(&self, tx: &Transaction) -> Result<Txid, RpcClientError> {
        let text: String = self
            .call("sendrawtransaction", json!([hex::encode(tx.encoded())]))
            .await?;
        Self::parse("sendrawtransaction", &text)
    }

    /// `getaddressutxos {"addresses": [...]}` (needs fluxd's `-addressindex`).
    ///
    /// # Errors
    /// [`RpcClientError`].
    pub async fn address_utxos(
        &self,
        addresses: &[Address],
    ) -> Result<Vec<AddressUtxo>, RpcClientError> {
        let list: Vec<String> = addresses.iter().map(ToString::to_string).collect();
        self.call("getaddressutxos", json!([{ "addresses": list }]))
            .await
    }

    /// `getaddressbalance {"addresses": [...]}` (needs fluxd's `-addressindex`).
    ///
    /// # Errors
    /// [`RpcClientError`].
    pub async fn address_balance(
        &self,
        addresses: &[Address],
    ) -> Result<AddressBalance, RpcClientError> {
        let list: Vec<String> = addresses.iter().map(ToString::to_string).collect();
        self.call("getaddressbalance", json!([{ "addresses": list }]))
            .await
    }

    /// `getfluxnodestatus` of the node behind this RPC (fluxd's object, untyped: its fields
    /// change with the node's state).
    ///
    /// # Errors
    /// [`RpcClientError`].
    pub async fn fluxnode_status(&self) -> Result<Value, RpcClientError> {
        self.call("getfluxnodestatus", json!([])).await
    }

    /// `viewdeterministicfluxnodelist`.
    ///
    /// # Errors
    /// [`RpcClientError`].
    pub async fn fluxnode_list(&self) -> Result<Vec<FluxnodeEntry>, RpcClientError> {
        self.call("viewdeterministicfluxnodelist", json!([])).await
    }

    /// `getblocksubsidy [height]`.
    ///
    /// # Errors
    /// [`RpcClientError`].
    pub async fn block_subsidy(&self, height: Option<u32>) -> Result<BlockSubsidy, RpcClientError> {
        let params = height.map_or_else(|| json!([]), |h| json!([h]));
        self.call("getblocksubsidy", params).await
    }
}
