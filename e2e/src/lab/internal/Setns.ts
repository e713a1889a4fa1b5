/**
 * setns(2) through bun:ffi: moves the calling thread into another network
 * namespace. Bun runs JavaScript, its event loop and its sockets on one thread,
 * so every socket the test opens afterwards lives in that namespace.
 */
import { dlopen, FFIType } from "bun:ffi"
import { closeSync, openSync } from "node:fs"

/** CLONE_NEWNET from <sched.h>. */
const CLONE_NEWNET = 0x40000000

let libc: ReturnType<typeof load> | undefined
const load = () =>
  dlopen("libc.so.6", {
    setns: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 }
  })

/** An open descriptor of the calling thread's current network namespace. */
export const current = (): number => openSync("/proc/thread-self/ns/net", "r")

/** Enters the namespace behind `fd` (from `current` or /var/run/netns/NAME); returns the errno-less result (0 on success). */
export const enterFd = (fd: number): number => {
  libc ??= load()
  return libc.symbols.setns(fd, CLONE_NEWNET)
}

/** Enters the named namespace (`ip netns add NAME`); 0 on success. */
export const enterNamed = (name: string): number => {
  const fd = openSync(`/var/run/netns/${name}`, "r")
  try {
    return enterFd(fd)
  } finally {
    closeSync(fd)
  }
}

export const close = (fd: number): void => closeSync(fd)
