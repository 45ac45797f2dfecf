// Throwaway X.509 material for TLS tests, made with the openssl CLI:
// a self-signed CA, a server certificate it signs, and optional client certificates.
import { execFile } from "node:child_process"
import fs from "node:fs/promises"
import net from "node:net"
import path from "node:path"
import { promisify } from "node:util"

const run = promisify(execFile)

async function openssl(args, cwd) {
  try {
    await run("openssl", args, { cwd })
  } catch (err) {
    throw new Error(`openssl ${args.join(" ")} failed: ${err.stderr ?? err.message}`)
  }
}

function keyArgs(keyType) {
  if (keyType === "ec") return ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
  if (keyType === "rsa") return ["-newkey", "rsa:2048"]
  throw new Error(`unknown keyType ${String(keyType)} (expected "rsa" or "ec")`)
}

function sanList(sans) {
  return sans.map((s) => (s.includes(":") && !net.isIP(s) ? s : net.isIP(s) ? `IP:${s}` : `DNS:${s}`)).join(",")
}

// Makes a key and a certificate signed by the CA; `ext` holds the v3 extensions.
async function issue(dir, name, { cn, keyType, digest, ext }) {
  const keyFile = path.join(dir, `${name}.key`)
  const certFile = path.join(dir, `${name}.crt`)
  const csr = `${name}.csr`
  const extFile = `${name}.ext`
  await fs.writeFile(path.join(dir, extFile), ext)
  await openssl(["req", "-new", "-nodes", ...keyArgs(keyType), "-keyout", keyFile, "-out", csr, "-subj", `/CN=${cn}`], dir)
  await openssl(
    ["x509", "-req", "-in", csr, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "3650",
      `-${digest}`, "-extfile", extFile, "-out", certFile],
    dir
  )
  await fs.rm(path.join(dir, csr))
  await fs.rm(path.join(dir, extFile))
  await fs.chmod(keyFile, 0o600)
  return { certFile, keyFile }
}

/**
 * Writes into `dir` (created if missing): ca.crt/ca.key, server.crt/server.key for `cn`
 * with the given subject alternative names, and one client-<cn>.crt/.key per `clients` entry.
 */
export async function makeCertificates(dir, options = {}) {
  const cn = options.cn ?? "localhost"
  const sans = options.sans ?? ["localhost", "127.0.0.1"]
  const keyType = options.keyType ?? "rsa"
  const digest = options.digest ?? "sha256"
  const clients = options.clients ?? []
  await fs.mkdir(dir, { recursive: true })
  await openssl(
    ["req", "-x509", "-new", "-nodes", ...keyArgs(keyType), "-keyout", "ca.key", "-out", "ca.crt", "-days", "3650",
      `-${digest}`, "-subj", "/CN=pgwire-ts test CA",
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
    dir
  )
  await fs.chmod(path.join(dir, "ca.key"), 0o600)
  const server = await issue(dir, "server", {
    cn, keyType, digest,
    ext: `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${sanList(sans)}\n`
  })
  const clientFiles = {}
  for (const clientCn of clients) {
    clientFiles[clientCn] = await issue(dir, `client-${clientCn}`, {
      cn: clientCn, keyType, digest,
      ext: "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n"
    })
  }
  return {
    dir,
    caFile: path.join(dir, "ca.crt"),
    caKeyFile: path.join(dir, "ca.key"),
    certFile: server.certFile,
    keyFile: server.keyFile,
    clients: clientFiles
  }
}
