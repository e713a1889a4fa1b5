/**
 * RFC 2385 TCP-MD5 keys through setsockopt(TCP_MD5SIG). Linux `struct
 * tcp_md5sig` (216 bytes): the peer's sockaddr_storage at 0, the key length
 * (u16, host order) at 130, the key (≤ 80 bytes) at 136. A zero key length
 * deletes the key for that peer.
 */
import * as Libc from "./Libc.js"
import * as SockAddr from "./SockAddr.js"

/** TCP_MD5SIG_MAXKEYLEN in the Linux UAPI. */
export const maxKeyLength = 80

const STRUCT_SIZE = 216
const KEYLEN_OFFSET = 130
const KEY_OFFSET = 136

/** The key bytes (UTF-8), or why it cannot be used. */
export const keyBytes = (password: string): Uint8Array | string => {
  const key = new TextEncoder().encode(password)
  if (key.length > maxKeyLength) {
    return `the TCP-MD5 password is ${key.length} bytes; Linux accepts at most ${maxKeyLength}`
  }
  return key
}

/** The `struct tcp_md5sig` for `peer` on a socket of `socketFamily`; an empty key deletes. */
export const encode = (socketFamily: 4 | 6, peer: SockAddr.Ip, key: Uint8Array): Uint8Array => {
  const buf = new Uint8Array(STRUCT_SIZE)
  buf.set(SockAddr.encode(socketFamily, peer, 0), 0)
  new DataView(buf.buffer).setUint16(KEYLEN_OFFSET, key.length, true)
  buf.set(key, KEY_OFFSET)
  return buf
}

/** Sets (or with an empty key, deletes) the key for `peer` on `fd`. */
export const set = (fd: number, socketFamily: 4 | 6, peer: SockAddr.Ip, key: Uint8Array): Libc.Errno | undefined =>
  Libc.setsockopt(fd, Libc.IPPROTO_TCP, Libc.TCP_MD5SIG, encode(socketFamily, peer, key))
