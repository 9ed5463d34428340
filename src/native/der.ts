// The DER codec of the native meta2 protocol's one ASN.1 type, `Message` (oio-sds
// metautils/lib/description.asn, AUTOMATIC TAGS, so every field tag is IMPLICIT; see
// ../shared/oio-native-protocol.md §1.2). A small codec of ours rather than a DER library: the
// schema is five fixed tags and one SET OF two strings, the libraries (asn1js, node-forge,
// @peculiar/asn1-schema) decode any ASN.1 and so accept far more than this schema, grow the
// attack surface and add a dependency, while this decoder refuses every byte the schema does
// not allow, with limits checked before anything is read or allocated. Not for requests:
// src/native/requests.ts is the only code that builds what the daemon sends.

/** One `Parameter ::= SEQUENCE { name PrintableString, value OCTET STRING }`. */
export interface NativeParam {
  readonly name: string;
  readonly value: Buffer;
}

/** One decoded `Message`. `version` is never used by oio-sds and is refused when present. */
export interface NativeMessage {
  readonly id?: string;
  readonly name?: string;
  readonly params: readonly NativeParam[];
  readonly body?: Buffer;
}

/** A frame that is not a `Message` of this schema; `reason` says which byte was wrong. */
export class NativeDecodeError extends Error {
  readonly code = 'NATIVE_BAD_MESSAGE';
  constructor(readonly reason: string, readonly offset: number) {
    super(`not a native Message: ${reason} at byte ${offset}`);
    this.name = 'NativeDecodeError';
  }
}

/** Decoder limits: a hostile peer must not make us build large arrays or strings. */
export interface DecodeLimits {
  /** Most `Parameter`s accepted in `content` (a reply has 2: S and MSG). */
  readonly maxParams: number;
  /** Longest id, request name or parameter name, in bytes. */
  readonly maxNameBytes: number;
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = { maxParams: 64, maxNameBytes: 256 };

const TAG_SEQUENCE = 0x30;
const TAG_ID = 0x80;
const TAG_NAME = 0x81;
const TAG_VERSION = 0x82;
const TAG_CONTENT = 0xa3;
const TAG_BODY = 0x84;
const TAG_PARAM_NAME = 0x80;
const TAG_PARAM_VALUE = 0x81;
/** Lengths above 2^31 never fit a frame (frames are capped far below); refuse longer forms. */
const MAX_LENGTH_BYTES = 4;

// ---- encoding -------------------------------------------------------------------------------

function encodeLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

/** ASCII without control characters: ids, request and parameter names. */
function ascii(what: string, s: string): Buffer {
  if (!/^[\x20-\x7e]*$/.test(s)) throw new RangeError(`${what} must be printable ASCII: ${JSON.stringify(s)}`);
  return Buffer.from(s, 'latin1');
}

/**
 * DER of a Message: fields in tag order, absent ones omitted, `content` always present with its
 * Parameters sorted as byte strings (DER SET OF order, as oio-sds's asn1c encoder does).
 */
export function encodeMessage(m: NativeMessage): Buffer {
  const parts: Buffer[] = [];
  if (m.id !== undefined) parts.push(tlv(TAG_ID, ascii('id', m.id)));
  if (m.name !== undefined) parts.push(tlv(TAG_NAME, ascii('name', m.name)));
  const params = m.params
    .map((p) => tlv(TAG_SEQUENCE, Buffer.concat([tlv(TAG_PARAM_NAME, ascii('parameter name', p.name)), tlv(TAG_PARAM_VALUE, p.value)])))
    .sort(Buffer.compare);
  parts.push(tlv(TAG_CONTENT, Buffer.concat(params)));
  if (m.body !== undefined) parts.push(tlv(TAG_BODY, m.body));
  return tlv(TAG_SEQUENCE, Buffer.concat(parts));
}

// ---- decoding -------------------------------------------------------------------------------

interface Element {
  readonly tag: number;
  /** Offset of the content's first byte in the whole buffer. */
  readonly start: number;
  readonly end: number;
}

/** Reads one definite-length, minimally encoded TLV at `pos`, which must end by `limit`. */
function readElement(buf: Buffer, pos: number, limit: number): Element {
  if (pos >= limit) throw new NativeDecodeError('element expected, none left', pos);
  const tag = buf[pos] as number;
  if (pos + 1 >= limit) throw new NativeDecodeError('truncated length', pos + 1);
  const first = buf[pos + 1] as number;
  let length: number;
  let start: number;
  if (first < 0x80) {
    length = first;
    start = pos + 2;
  } else {
    const k = first & 0x7f;
    if (k === 0) throw new NativeDecodeError('indefinite length (not DER)', pos + 1);
    if (k > MAX_LENGTH_BYTES) throw new NativeDecodeError(`length of ${k} bytes`, pos + 1);
    if (pos + 2 + k > limit) throw new NativeDecodeError('truncated length', pos + 2);
    length = 0;
    for (let i = 0; i < k; i++) length = length * 256 + (buf[pos + 2 + i] as number);
    if (buf[pos + 2] === 0 || length < 0x80) throw new NativeDecodeError('length not minimally encoded (not DER)', pos + 1);
    start = pos + 2 + k;
  }
  if (length > limit - start) throw new NativeDecodeError(`length ${length} runs past the end`, pos + 1);
  return { tag, start, end: start + length };
}

function text(buf: Buffer, e: Element, what: string, limits: DecodeLimits): string {
  if (e.end - e.start > limits.maxNameBytes) throw new NativeDecodeError(`${what} longer than ${limits.maxNameBytes} bytes`, e.start);
  for (let i = e.start; i < e.end; i++) {
    const c = buf[i] as number;
    if (c < 0x20 || c > 0x7e) throw new NativeDecodeError(`${what} is not printable ASCII`, i);
  }
  return buf.toString('latin1', e.start, e.end);
}

function decodeParams(buf: Buffer, content: Element, limits: DecodeLimits): NativeParam[] {
  const params: NativeParam[] = [];
  for (let pos = content.start; pos < content.end;) {
    const p = readElement(buf, pos, content.end);
    if (p.tag !== TAG_SEQUENCE) throw new NativeDecodeError(`Parameter tag 0x${p.tag.toString(16)}`, pos);
    if (params.length === limits.maxParams) throw new NativeDecodeError(`more than ${limits.maxParams} parameters`, pos);
    const name = readElement(buf, p.start, p.end);
    if (name.tag !== TAG_PARAM_NAME) throw new NativeDecodeError(`Parameter.name tag 0x${name.tag.toString(16)}`, p.start);
    const value = readElement(buf, name.end, p.end);
    if (value.tag !== TAG_PARAM_VALUE) throw new NativeDecodeError(`Parameter.value tag 0x${value.tag.toString(16)}`, name.end);
    if (value.end !== p.end) throw new NativeDecodeError('bytes after Parameter.value', value.end);
    params.push({ name: text(buf, name, 'parameter name', limits), value: Buffer.from(buf.subarray(value.start, value.end)) });
    pos = p.end;
  }
  return params;
}

/**
 * Decodes exactly one Message filling the whole of `der`. Throws NativeDecodeError for anything
 * else: wrong or repeated or out-of-order tags, `version`, no `content`, bad lengths, trailing
 * bytes, non-ASCII names, too many parameters. Never reads outside `der`.
 */
export function decodeMessage(der: Buffer, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): NativeMessage {
  const outer = readElement(der, 0, der.length);
  if (outer.tag !== TAG_SEQUENCE) throw new NativeDecodeError(`Message tag 0x${outer.tag.toString(16)}`, 0);
  if (outer.end !== der.length) throw new NativeDecodeError('bytes after the Message', outer.end);
  const order = [TAG_ID, TAG_NAME, TAG_VERSION, TAG_CONTENT, TAG_BODY];
  let next = 0;
  let id: string | undefined;
  let name: string | undefined;
  let params: NativeParam[] | undefined;
  let body: Buffer | undefined;
  for (let pos = outer.start; pos < outer.end;) {
    const e = readElement(der, pos, outer.end);
    const rank = order.indexOf(e.tag, next);
    if (rank < 0) throw new NativeDecodeError(`unexpected tag 0x${e.tag.toString(16)} in Message`, pos);
    next = rank + 1;
    if (e.tag === TAG_ID) id = text(der, e, 'id', limits);
    else if (e.tag === TAG_NAME) name = text(der, e, 'name', limits);
    else if (e.tag === TAG_VERSION) throw new NativeDecodeError('version is never sent', pos);
    else if (e.tag === TAG_CONTENT) params = decodeParams(der, e, limits);
    else body = Buffer.from(der.subarray(e.start, e.end));
    pos = e.end;
  }
  if (params === undefined) throw new NativeDecodeError('no content', outer.end);
  return { ...(id === undefined ? {} : { id }), ...(name === undefined ? {} : { name }), params, ...(body === undefined ? {} : { body }) };
}

/** The value of the first parameter with this exact name (the server's lookup rule), or undefined. */
export function paramValue(m: NativeMessage, name: string): Buffer | undefined {
  return m.params.find((p) => p.name === name)?.value;
}
