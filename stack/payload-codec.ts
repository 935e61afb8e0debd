/**
 * Encrypted payloads: an AES-256-GCM PayloadCodec (after Temporal's samples-typescript
 * `encryption`), turned on by NIGHTSHIFT_ENCRYPTION_KEY_FILE, a file of `id:base64-key` lines.
 * The first key encrypts; every key decrypts, so a key rotates by putting a new one first and
 * keeping the old ones until no history needs them. The whole payload (metadata included) is
 * encrypted, so the server sees only `binary/encrypted` and the key id.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { METADATA_ENCODING_KEY, ValueError, type Payload, type PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const METADATA_KEY_ID = 'encryption-key-id';
export const KEY_FILE_VARIABLE = 'NIGHTSHIFT_ENCRYPTION_KEY_FILE';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

export interface EncryptionKey {
  id: string;
  key: Buffer;
}

const text = (bytes: Uint8Array | null | undefined): string | undefined => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

/** Parses `id:base64-key` lines (blank lines and `#` comments allowed); every error names the line. */
export function parseKeyFile(content: string, source: string): EncryptionKey[] {
  const keys: EncryptionKey[] = [];
  content.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const where = `${source} line ${index + 1}`;
    const colon = line.indexOf(':');
    if (colon < 0) throw new Error(`${where}: expected "id:base64-key"`);
    const id = line.slice(0, colon).trim();
    const encoded = line.slice(colon + 1).trim();
    if (!KEY_ID.test(id)) throw new Error(`${where}: key id ${JSON.stringify(id)} must be 1-64 of A-Z a-z 0-9 . _ -`);
    if (keys.some((k) => k.id === id)) throw new Error(`${where}: key id ${JSON.stringify(id)} appears twice`);
    const key = Buffer.from(encoded, 'base64');
    // Buffer.from ignores junk; a round trip catches a key that is not really base64.
    if (key.length !== 32 || key.toString('base64').replace(/=+$/, '') !== encoded.replace(/=+$/, ''))
      throw new Error(`${where}: key ${JSON.stringify(id)} must be 32 bytes in base64 (openssl rand -base64 32), got ${key.length} bytes`);
    keys.push({ id, key });
  });
  if (!keys.length) throw new Error(`${source} holds no key (one "id:base64-key" line at least)`);
  return keys;
}

export class EncryptionCodec implements PayloadCodec {
  private readonly byId: Map<string, Buffer>;

  constructor(
    readonly keys: EncryptionKey[],
    private readonly source = KEY_FILE_VARIABLE,
  ) {
    if (!keys.length) throw new Error('EncryptionCodec needs at least one key');
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  /** The id new payloads are encrypted with. */
  get encryptingKeyId(): string {
    return this.keys[0].id;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const { id, key } = this.keys[0];
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      // The key id is authenticated too: a payload cannot be relabelled to another key.
      cipher.setAAD(Buffer.from(id));
      const plain = proto.temporal.api.common.v1.Payload.encode(payload).finish();
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return { metadata: { [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING), [METADATA_KEY_ID]: Buffer.from(id) }, data };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      // Payloads written before encryption was turned on pass through: old runs stay readable.
      if (text(payload.metadata?.[METADATA_ENCODING_KEY]) !== ENCRYPTED_ENCODING) return payload;
      const id = text(payload.metadata?.[METADATA_KEY_ID]);
      if (!id) throw new ValueError('an encrypted payload carries no encryption key id');
      const key = this.byId.get(id);
      if (!key)
        throw new ValueError(
          `a payload is encrypted with key "${id}", which is not in ${this.source}; add it back (after the new first key)`,
        );
      const data = Buffer.from(payload.data ?? new Uint8Array());
      if (data.length < IV_BYTES + TAG_BYTES) throw new ValueError(`an encrypted payload (key "${id}") is too short to be one`);
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(id));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      let plain: Buffer;
      try {
        plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      } catch {
        throw new ValueError(
          `cannot decrypt a payload with key "${id}": the key in ${this.source} is not the one it was encrypted with, or the payload was altered`,
        );
      }
      return proto.temporal.api.common.v1.Payload.decode(plain);
    });
  }
}

const loaded = new Map<string, EncryptionCodec>();

/** The codec NIGHTSHIFT_ENCRYPTION_KEY_FILE names, or null when it is unset. Read once per process. */
export function loadEncryptionCodec(env: NodeJS.ProcessEnv = process.env): EncryptionCodec | null {
  const file = env[KEY_FILE_VARIABLE];
  if (!file) return null;
  let codec = loaded.get(file);
  if (!codec) {
    let content: string;
    try {
      content = readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`${KEY_FILE_VARIABLE}=${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    codec = new EncryptionCodec(parseKeyFile(content, `${KEY_FILE_VARIABLE}=${file}`), `${KEY_FILE_VARIABLE}=${file}`);
    loaded.set(file, codec);
  }
  return codec;
}
