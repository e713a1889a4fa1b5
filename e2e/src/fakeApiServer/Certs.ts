/**
 * Test PKI generated with the `openssl` CLI into a temporary directory: a CA, a server certificate for
 * 127.0.0.1/localhost, and a client certificate (CN kbgp, O system:masters). Each call makes a fresh CA.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

export interface Pem {
  readonly cert: string
  readonly key: string
  readonly certFile: string
  readonly keyFile: string
}

export interface TestPki {
  readonly dir: string
  readonly ca: Pem
  readonly server: Pem
  readonly client: Pem
  /** A second, unrelated CA: a client trusting only this one must fail verification. */
  readonly otherCa: Pem
  readonly cleanup: () => void
}

/** Throws with a clear message when the openssl CLI is missing (CI installs it; see .ci/run). */
export const requireOpenssl = (): string => {
  const path = Bun.which("openssl")
  if (path === null) throw new Error("the openssl CLI is required to generate test certificates (apt-get install openssl)")
  return path
}

const run = (openssl: string, cwd: string, args: Array<string>) => {
  const r = Bun.spawnSync([openssl, ...args], { cwd, stdout: "pipe", stderr: "pipe" })
  if (r.exitCode !== 0) throw new Error(`openssl ${args.join(" ")} failed: ${r.stderr.toString()}`)
}

const pem = (dir: string, name: string): Pem => ({
  cert: readFileSync(join(dir, `${name}.crt`), "utf8"),
  key: readFileSync(join(dir, `${name}.key`), "utf8"),
  certFile: join(dir, `${name}.crt`),
  keyFile: join(dir, `${name}.key`)
})

export const generate = (): TestPki => {
  const openssl = requireOpenssl()
  const dir = mkdtempSync(join(tmpdir(), "kbgp-pki-"))
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
  for (const ca of ["ca", "other-ca"]) {
    run(openssl, dir, ["req", "-x509", ...ec, "-keyout", `${ca}.key`, "-out", `${ca}.crt`, "-days", "2", "-subj", `/CN=kbgp-test-${ca}`])
  }
  writeFileSync(join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
  writeFileSync(join(dir, "client.ext"), "extendedKeyUsage=clientAuth\n")
  for (const [name, subj] of [["server", "/CN=localhost"], ["client", "/O=system:masters/CN=kbgp"]] as const) {
    run(openssl, dir, ["req", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subj])
    run(openssl, dir, [
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      `${name}.crt`,
      "-days",
      "2",
      "-extfile",
      `${name}.ext`
    ])
  }
  return {
    dir,
    ca: pem(dir, "ca"),
    server: pem(dir, "server"),
    client: pem(dir, "client"),
    otherCa: pem(dir, "other-ca"),
    cleanup: () => rmSync(dir, { recursive: true, force: true })
  }
}
