// What Pigweed's remote_sign.py (RemoteSignClient.sign) puts into its input bucket, reproduced
// step by step, with the bucket a directory: the builder public key, the bundle with its builder
// signature as object metadata, then the signing request (json.dumps of five fields) with its
// own. Object metadata lives beside the object as OBJECT.metadata.json, written before the object,
// and every file appears whole, as the directory bucket's client must do it.
import { constants, sign, type KeyObject } from "node:crypto";
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** Python's json.dumps for a flat object of strings and lists of strings (", " and ": "). */
export function pythonJsonDumps(value: Record<string, string | string[]>): string {
  const text = (s: string) => JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  const entries = Object.entries(value).map(([k, v]) => `${text(k)}: ${Array.isArray(v) ? `[${v.map(text).join(", ")}]` : text(v)}`);
  return `{${entries.join(", ")}}`;
}

/** remote_sign.py's _get_builder_signature: Ed25519, or RSA-PSS SHA-256 with the largest salt; base64. */
export function builderSignature(privateKey: KeyObject, data: Uint8Array): string {
  const signature =
    privateKey.asymmetricKeyType === "rsa"
      ? sign("sha256", data, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_MAX_SIGN })
      : sign(null, data, privateKey);
  return signature.toString("base64");
}

/** A directory bucket's upload: metadata first, then the object under a temporary name, renamed. */
export function uploadObject(bucketDir: string, name: string, data: Uint8Array | string, metadata?: Record<string, string>): void {
  const path = join(bucketDir, name);
  mkdirSync(dirname(path), { recursive: true });
  if (metadata) writeFileSync(`${path}.metadata.json`, JSON.stringify(metadata));
  const temporary = join(dirname(path), `.${basename(path)}.upload.tmp`);
  writeFileSync(temporary, data);
  renameSync(temporary, path);
}

export interface RemoteSignUpload {
  queueDir: string;
  outputBucket: string;
  bundle: Uint8Array;
  /** The local file name of the bundle: remote_sign.py's default blob names derive from it. */
  bundleFileName: string;
  signingKeyName: string;
  builderKey: KeyObject;
  builderPublicPem: string;
  bundleBlobName?: string;
  requestBlobName?: string;
  signedBundleBlobName?: string;
  requestOverrides?: Record<string, string | string[]>;
}

export interface UploadedRequest {
  requestName: string;
  requestBytes: Uint8Array;
  bundleBlobName: string;
  publicKeyBlobName: string;
  signedBundleBlobName: string;
}

let sequence = 0;

/** RemoteSignClient.sign() up to the point where it starts polling the output bucket. */
export function uploadSigningRequest(upload: RemoteSignUpload): UploadedRequest {
  const bundleBlobName = upload.bundleBlobName ?? upload.bundleFileName;
  // time.time() as Python prints it, made unique within one test run.
  const requestBlobName = upload.requestBlobName ?? `t${(Date.now() / 1000).toFixed(6)}${sequence++}_signing_request.json`;
  if (!requestBlobName.endsWith("signing_request.json")) throw new Error("remote_sign.py refuses this request name");
  const publicKeyBlobName = `${requestBlobName.slice(0, -5)}.publickey.pem`;
  const signedBundleBlobName = upload.signedBundleBlobName ?? `${upload.bundleFileName}.signed`;
  const request: Record<string, string | string[]> = {
    remote_signing_key_names: [upload.signingKeyName],
    bundle_path: bundleBlobName,
    bundle_public_key_path: publicKeyBlobName,
    output_bucket: upload.outputBucket,
    output_path: signedBundleBlobName,
    ...upload.requestOverrides,
  };
  for (const name of [publicKeyBlobName, bundleBlobName, requestBlobName]) {
    if (existsSync(join(upload.queueDir, name))) throw new Error(`BlobExistsError: ${name}`);
  }
  uploadObject(upload.queueDir, publicKeyBlobName, upload.builderPublicPem);
  uploadObject(upload.queueDir, bundleBlobName, upload.bundle, { signature: builderSignature(upload.builderKey, upload.bundle) });
  const requestBytes = new Uint8Array(Buffer.from(pythonJsonDumps(request), "utf8"));
  uploadObject(upload.queueDir, requestBlobName, requestBytes, { signature: builderSignature(upload.builderKey, requestBytes) });
  return { requestName: requestBlobName, requestBytes, bundleBlobName, publicKeyBlobName, signedBundleBlobName };
}
