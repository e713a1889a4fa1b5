/**
 * Connection collision detection (RFC 4271 §6.8): when both peers connect at
 * once, two connections exist for one peering and exactly one must survive.
 * Pure decisions; the caller then feeds `OpenCollisionDump` to the FSM of the
 * connection that loses.
 */
import type * as State from "./State.js"

/** Who opened the TCP connection: we (outgoing) or the peer (incoming). */
export type Initiator = "local" | "remote"

export interface Speaker {
  /** BGP identifier, compared as unsigned 32-bit. */
  readonly bgpId: number
  readonly asn: number
}

/**
 * The initiator whose connection survives. RFC 4271 §6.8: when our identifier
 * is lower, keep the connection the peer opened; otherwise keep ours.
 */
export const survivor = (local: Speaker, remote: Speaker): Initiator => {
  const l = local.bgpId >>> 0
  const r = remote.bgpId >>> 0
  if (l !== r) return l < r ? "remote" : "local"
  // RFC 6286 §2.3: equal identifiers (eBGP): the connection opened by the speaker with the larger AS survives.
  return local.asn >>> 0 > remote.asn >>> 0 ? "local" : "remote"
}

/** What to do with the connection whose OPEN just arrived ("new") and the other one of the same peer ("existing"). */
export type Decision = "NoCollision" | "CloseNew" | "CloseExisting"

export interface Input {
  readonly local: Speaker
  /** The peer, as its OPEN on the new connection says (identifier and real AS). */
  readonly remote: Speaker
  /** The new connection: the one that just received a valid OPEN. */
  readonly newInitiator: Initiator
  /** The other connection of the same peer and the state of its FSM. */
  readonly existing: { readonly state: State.Name; readonly initiator: Initiator }
  /** RFC 4271 §8.1.1 CollisionDetectEstablishedState. */
  readonly collisionDetectEstablishedState: boolean
}

export const resolve = (input: Input): Decision => {
  switch (input.existing.state) {
    // RFC 4271 §6.8: no collision can be detected with a connection in Idle, Connect or Active.
    case "Idle":
    case "Connect":
    case "Active":
      return "NoCollision"
    case "Established":
      // RFC 4271 §6.8: an Established connection wins unless configured to compare there too.
      if (!input.collisionDetectEstablishedState) return "CloseNew"
      break
    // RFC 4271 §6.8 compares with OpenConfirm, and with OpenSent when the peer's identifier is
    // known by other means: the new connection's OPEN tells it.
    case "OpenSent":
    case "OpenConfirm":
      break
  }
  // Both opened in the same direction: the identifiers cannot choose; the newer one replaces a stale one.
  if (input.newInitiator === input.existing.initiator) return "CloseExisting"
  return survivor(input.local, input.remote) === input.newInitiator ? "CloseExisting" : "CloseNew"
}
