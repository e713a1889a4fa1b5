/**
 * errno -> TransportError, with the detail a user can act on. Bun's own
 * listen errors name no errno; binding through libc gives the real one.
 */
import { Transport } from "@kbgp/fsm"
import * as Libc from "./Libc.js"

const make = (reason: Transport.TransportErrorReason, address: string, detail: string): Transport.TransportError =>
  new Transport.TransportError({ reason, address, detail })

const what = (e: Libc.Errno): string => `${e.call}: ${e.text} (errno ${e.code})`

export const privilegedPortHint =
  "ports below 1024 need CAP_NET_BIND_SERVICE: grant it to the runtime " +
  "(`setcap cap_net_bind_service=+ep $(command -v bun)`, or `capabilities: add: [NET_BIND_SERVICE]` " +
  "in a Kubernetes securityContext), or lower the limit in this network namespace " +
  "(`sysctl net.ipv4.ip_unprivileged_port_start=179`)"

/** A failed bind (listener, or an outgoing connection's local address). */
export const bind = (address: string, port: number, e: Libc.Errno): Transport.TransportError => {
  switch (e.code) {
    case Libc.EADDRINUSE:
      return make(
        "AddressInUse",
        address,
        `${what(e)}: another socket already holds this address and port ` +
          `(another BGP daemon? see \`ss -ltnp 'sport = :${port}'\`)`
      )
    case Libc.EACCES:
    case Libc.EPERM:
      return make("PermissionDenied", address, `${what(e)}: ${privilegedPortHint}`)
    case Libc.EADDRNOTAVAIL:
      return make("Config", address, `${what(e)}: the address is not assigned to any local interface`)
    default:
      return make("Config", address, what(e))
  }
}

/** A failed outgoing connect (from connect(2) itself or SO_ERROR). */
export const connect = (address: string, e: Libc.Errno, md5: boolean): Transport.TransportError => {
  switch (e.code) {
    case Libc.ECONNREFUSED:
      return make("Refused", address, `${what(e)}: nothing listens there, or the peer refused us (RST)`)
    case Libc.ETIMEDOUT:
      return timeout(address, `${what(e)}`, md5)
    case Libc.ENETUNREACH:
    case Libc.EHOSTUNREACH:
    case Libc.ENETDOWN:
    case Libc.EHOSTDOWN:
      return make("NoRoute", address, `${what(e)}: no usable route to the peer; check the routes and the peer address`)
    case Libc.EACCES:
    case Libc.EPERM:
      return make("NoRoute", address, `${what(e)}: a prohibit route or a firewall rule forbids this destination`)
    case Libc.EINVAL:
      // Linux answers connect() with EINVAL when the route to the destination is a blackhole.
      return make("NoRoute", address, `${what(e)}: on Linux this is what a blackhole route to the peer gives`)
    case Libc.EADDRINUSE:
    case Libc.EADDRNOTAVAIL:
      return make("AddressInUse", address, `${what(e)}: no free local address and port for this connection`)
    default:
      return make("Config", address, what(e))
  }
}

export const timeout = (address: string, detail: string, md5: boolean): Transport.TransportError =>
  make(
    "Timeout",
    address,
    detail +
      (md5
        ? ": no answer. With TCP-MD5 configured, a wrong or missing key on the peer looks exactly like this " +
          "(its kernel drops our SYN silently): check that both sides use the same password"
        : ": no answer (peer down, a firewall dropping packets, or, with TTL security, too many hops)")
  )

/** setsockopt(TCP_MD5SIG) failed. */
export const md5 = (address: string, e: Libc.Errno): Transport.TransportError =>
  make(
    "Auth",
    address,
    `cannot set the TCP-MD5 key: ${what(e)}` +
      (e.code === Libc.ENOPROTOOPT || e.code === Libc.EINVAL ? " (a kernel without CONFIG_TCP_MD5SIG?)" : "")
  )

/** A TTL / GTSM option failed. */
export const option = (address: string, option: string, e: Libc.Errno): Transport.TransportError =>
  make("Config", address, `cannot set ${option}: ${what(e)}`)
