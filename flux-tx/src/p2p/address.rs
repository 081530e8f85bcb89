//! Peer addresses (`CAddress`, `protocol.h:105-118`; `CService`, `netbase.h:160-172`): service
//! bits, a 16-byte IPv6 address (IPv4 mapped as `::ffff:a.b.c.d`) and a **big-endian** port,
//! preceded by a `u32` time inside `addr` but not inside `version`.

use alloc::vec::Vec;
use core::fmt;
use core::net::{IpAddr, Ipv6Addr, SocketAddr};
use core::ops::{BitOr, BitOrAssign};

use crate::encode::{DecodeError, FluxDecode, FluxEncode, read_array};

/// The services a peer offers (`nServices`, `protocol.h:70-92`). Unknown bits are kept as they
/// came: service bits are unauthenticated advertisements.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ServiceFlags(pub u64);

impl ServiceFlags {
    /// No services: a client that serves nothing. fluxd never asks such a peer for headers
    /// (`main.cpp:7178`).
    pub const NONE: ServiceFlags = ServiceFlags(0);
    /// `NODE_NETWORK`: serves the full block chain.
    pub const NETWORK: ServiceFlags = ServiceFlags(1);
    /// `NODE_BLOOM`: accepts bloom filters (`filterload`).
    pub const BLOOM: ServiceFlags = ServiceFlags(1 << 2);
    /// `NODE_BLOOM_WITHOUT_ZN`: bloom filters, without the legacy fluxnode messages.
    pub const BLOOM_WITHOUT_ZN: ServiceFlags = ServiceFlags(1 << 4);

    /// `true` if every bit of `other` is set here.
    pub const fn contains(self, other: ServiceFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl BitOr for ServiceFlags {
    type Output = ServiceFlags;

    fn bitor(self, other: ServiceFlags) -> ServiceFlags {
        ServiceFlags(self.0 | other.0)
    }
}

impl BitOrAssign for ServiceFlags {
    fn bitor_assign(&mut self, other: ServiceFlags) {
        self.0 |= other.0;
    }
}

impl fmt::Debug for ServiceFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ServiceFlags({:#x})", self.0)
    }
}

impl FluxEncode for ServiceFlags {
    fn flux_encode(&self, out: &mut Vec<u8>) {
        self.0.flux_encode(out);
    }
}

impl FluxDecode for ServiceFlags {
    fn flux_decode(input: &mut &[u8]) -> Result<ServiceFlags, DecodeError> {
        u64::flux_decode(input).map(ServiceFlags)
    }
}

/// A peer address without a time, as inside `version` (26 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NetAddress {
    /// The services the address offers.
    pub services: ServiceFlags,
    /// The IP address; IPv4 travels mapped into IPv6.
    pub ip: Ipv6Addr,
    /// The TCP port.
    pub port: u16,
}

impl NetAddress {
    /// Bytes on the wire.
    pub const SIZE: usize = 26;

    /// The address of a socket, with IPv4 mapped into IPv6 as fluxd sends it.
    pub fn new(socket: SocketAddr, services: ServiceFlags) -> NetAddress {
        let ip = match socket.ip() {
            IpAddr::V4(v4) => v4.to_ipv6_mapped(),
            IpAddr::V6(v6) => v6,
        };
        NetAddress {
            services,
            ip,
            port: socket.port(),
        }
    }

    /// The socket address, with a mapped IPv4 address turned back into IPv4.
    pub fn socket_addr(&self) -> SocketAddr {
        let ip = match self.ip.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(self.ip),
        };
        SocketAddr::new(ip, self.port)
    }
}

impl FluxEncode for NetAddress {
    fn flux_encode(&self, out: &mut Vec<u8>) {
        self.services.flux_encode(out);
        out.extend_from_slice(&self.ip.octets());
        // `CService` writes the port in network byte order, unlike every other integer.
        out.extend_from_slice(&self.port.to_be_bytes());
    }
}

impl FluxDecode for NetAddress {
    fn flux_decode(input: &mut &[u8]) -> Result<NetAddress, DecodeError> {
        Ok(NetAddress {
            services: ServiceFlags::flux_decode(input)?,
            ip: Ipv6Addr::from(read_array::<16>(input)?),
            port: u16::from_be_bytes(read_array(input)?),
        })
    }
}

/// A peer address with the time it was last seen, as inside `addr` (30 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimestampedAddress {
    /// `nTime`: seconds since the Unix epoch when the address was last seen.
    pub time: u32,
    /// The address.
    pub address: NetAddress,
}

impl TimestampedAddress {
    /// Bytes on the wire.
    pub const SIZE: usize = 4 + NetAddress::SIZE;
}

impl FluxEncode for TimestampedAddress {
    fn flux_encode(&self, out: &mut Vec<u8>) {
        self.time.flux_encode(out);
        self.address.flux_encode(out);
    }
}

impl FluxDecode for TimestampedAddress {
    fn flux_decode(input: &mut &[u8]) -> Result<TimestampedAddress, DecodeError> {
        Ok(TimestampedAddress {
            time: u32::flux_decode(input)?,
            address: NetAddress::flux_decode(input)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_is_mapped_and_the_port_is_big_endian() {
        let socket: SocketAddr = "10.0.0.1:16125".parse().unwrap();
        let address = NetAddress::new(socket, ServiceFlags::NETWORK | ServiceFlags::BLOOM);
        let bytes = address.encoded();
        assert_eq!(
            hex::encode(&bytes),
            "0500000000000000\
             00000000000000000000ffff0a000001\
             3efd"
        );
        assert_eq!(NetAddress::decode_exact(&bytes), Ok(address));
        assert_eq!(address.socket_addr(), socket);
        assert!(address.services.contains(ServiceFlags::NETWORK));
        assert!(!address.services.contains(ServiceFlags::BLOOM_WITHOUT_ZN));
    }
}
