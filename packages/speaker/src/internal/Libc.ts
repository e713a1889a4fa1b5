/**
 * The few libc socket calls Bun's `node:net` cannot make (options before
 * connect, TCP-MD5, TTL security), through `bun:ffi`. Linux only: constants
 * are the generic Linux ones (x86-64 and arm64 agree). Loaded on first use so
 * that importing the package never touches the FFI.
 */
import { dlopen, FFIType, type Pointer, ptr, read } from "bun:ffi"

export const AF_INET = 2
export const AF_INET6 = 10
const SOCK_STREAM = 1
const SOCK_NONBLOCK = 0o4000
const SOCK_CLOEXEC = 0o2000000

export const SOL_SOCKET = 1
export const SO_REUSEADDR = 2
export const SO_ERROR = 4
export const IPPROTO_IP = 0
export const IP_TTL = 2
export const IP_MINTTL = 21
export const IPPROTO_TCP = 6
export const TCP_MD5SIG = 14
export const IPPROTO_IPV6 = 41
export const IPV6_UNICAST_HOPS = 16
export const IPV6_MINHOPCOUNT = 73

export const EPERM = 1
export const ENOENT = 2
export const EINTR = 4
export const EACCES = 13
export const EINVAL = 22
export const ENOPROTOOPT = 92
export const EAFNOSUPPORT = 97
export const EADDRINUSE = 98
export const EADDRNOTAVAIL = 99
export const ENETDOWN = 100
export const ENETUNREACH = 101
export const ECONNRESET = 104
export const ETIMEDOUT = 110
export const ECONNREFUSED = 111
export const EHOSTDOWN = 112
export const EHOSTUNREACH = 113
export const EINPROGRESS = 115

const POLLOUT = 0x004
const POLLERR = 0x008
const POLLHUP = 0x010

const symbols = {
  socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  bind: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  listen: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  connect: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  poll: { args: [FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i32 },
  setsockopt: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  getsockopt: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  getsockname: { args: [FFIType.i32, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  getpeername: { args: [FFIType.i32, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  close: { args: [FFIType.i32], returns: FFIType.i32 },
  strerror: { args: [FFIType.i32], returns: FFIType.cstring },
  if_nametoindex: { args: [FFIType.ptr], returns: FFIType.u32 },
  __errno_location: { args: [], returns: FFIType.ptr }
} as const

type Symbols = ReturnType<typeof dlopen<typeof symbols>>["symbols"]

interface Loaded {
  readonly c: Symbols
  readonly errnoPtr: Pointer
}

let loaded: Loaded | string | undefined

/** The bound library, or why it could not be loaded (not Linux, no glibc-compatible libc.so.6). */
const lib = (): Loaded | string => {
  if (loaded !== undefined) return loaded
  if (process.platform !== "linux") {
    loaded = `socket options through libc need Linux (this is ${process.platform})`
    return loaded
  }
  let result: Loaded | string
  try {
    const { symbols: c } = dlopen("libc.so.6", symbols)
    const p = c.__errno_location()
    if (p === null || typeof p === "bigint") throw new Error("__errno_location returned no usable pointer")
    // errno lives per thread; FFI calls run on the JS thread, so one address serves.
    result = { c, errnoPtr: p }
  } catch (e) {
    result = `cannot load libc.so.6 through bun:ffi: ${e instanceof Error ? e.message : String(e)}`
  }
  loaded = result
  return result
}

/** Why libc is unavailable, or undefined when it is. */
export const unavailable = (): string | undefined => {
  const l = lib()
  return typeof l === "string" ? l : undefined
}

const c = (): Symbols => {
  const l = lib()
  if (typeof l === "string") throw new Error(l)
  return l.c
}

/** A failed call: the errno and its text. */
export class Errno {
  constructor(
    readonly call: string,
    readonly code: number
  ) {}
  get text(): string {
    return strerror(this.code)
  }
}

const errno = (): number => {
  const l = lib()
  return typeof l === "string" ? 0 : read.i32(l.errnoPtr, 0)
}

const check = (call: string, r: number): Errno | undefined => (r < 0 ? new Errno(call, errno()) : undefined)

export const strerror = (code: number): string => {
  const s = c().strerror(code)
  return s === null ? `errno ${code}` : String(s)
}

/** A non-blocking, close-on-exec TCP socket. */
export const socket = (family: number): number | Errno => {
  const fd = c().socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)
  return fd < 0 ? new Errno("socket", errno()) : fd
}

export const close = (fd: number): void => {
  c().close(fd)
}

export const bind = (fd: number, sa: Uint8Array): Errno | undefined => check("bind", c().bind(fd, ptr(sa), sa.length))

export const listen = (fd: number, backlog: number): Errno | undefined => check("listen", c().listen(fd, backlog))

/** Starts a connect: undefined when done or in progress (EINPROGRESS), else the error. */
export const connect = (fd: number, sa: Uint8Array): Errno | undefined => {
  if (c().connect(fd, ptr(sa), sa.length) === 0) return undefined
  const e = errno()
  return e === EINPROGRESS || e === EINTR ? undefined : new Errno("connect", e)
}

/** Polls `fd` for writability without blocking: true once the connect has an outcome. */
export const writableNow = (fd: number): boolean | Errno => {
  const pfd = new Uint8Array(8)
  const view = new DataView(pfd.buffer)
  view.setInt32(0, fd, true)
  view.setInt16(4, POLLOUT, true)
  const n = c().poll(ptr(pfd), 1n, 0)
  if (n < 0) {
    const e = errno()
    return e === EINTR ? false : new Errno("poll", e)
  }
  return n > 0 && (view.getInt16(6, true) & (POLLOUT | POLLERR | POLLHUP)) !== 0
}

export const setsockopt = (fd: number, level: number, name: number, value: Uint8Array): Errno | undefined =>
  check("setsockopt", c().setsockopt(fd, level, name, ptr(value), value.length))

export const setInt = (fd: number, level: number, name: number, value: number): Errno | undefined =>
  setsockopt(fd, level, name, new Uint8Array(new Int32Array([value]).buffer))

export const getInt = (fd: number, level: number, name: number): number | Errno => {
  const v = new Int32Array(1)
  const len = new Uint32Array([4])
  const r = c().getsockopt(fd, level, name, ptr(v), ptr(len))
  return r < 0 ? new Errno("getsockopt", errno()) : v[0]
}

const name = (call: "getsockname" | "getpeername", fd: number): Uint8Array | Errno => {
  const sa = new Uint8Array(128)
  const len = new Uint32Array([128])
  const r = c()[call](fd, ptr(sa), ptr(len))
  return r < 0 ? new Errno(call, errno()) : sa.subarray(0, len[0])
}

export const getsockname = (fd: number): Uint8Array | Errno => name("getsockname", fd)
export const getpeername = (fd: number): Uint8Array | Errno => name("getpeername", fd)

/** Interface index of `name` (for IPv6 link-local scope ids), 0 if there is none. */
export const ifNameToIndex = (name: string): number => c().if_nametoindex(ptr(new TextEncoder().encode(`${name}\0`)))
