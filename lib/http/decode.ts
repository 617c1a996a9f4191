/**
 * Decoding of a compressed response body. Requests ask for `accept-encoding: identity` (a
 * compressing proxy would hold stream events back until a deflate block fills), but a server may
 * compress anyway; undici's dispatch API hands over the bytes as sent, so the client decodes them
 * itself, as undici's `fetch` does (`lib/web/fetch/index.js`: gzip/x-gzip, deflate, br, with
 * `Z_SYNC_FLUSH` so a truncated body yields what it has).
 */
import type { Transform } from 'node:stream';
import zlib from 'node:zlib';

/**
 * A decoder for a `content-encoding` header value: null for none (`identity`), a message for a
 * coding this client cannot decode (or a stack of several, which no LLM server sends).
 */
export function contentDecoder(header: string): Transform | null | string {
  const codings = header.toLowerCase().split(',').map((c) => c.trim()).filter((c) => c !== '' && c !== 'identity');
  if (codings.length === 0) return null;
  const decoder = codings.length === 1 ? decoderFor(codings[0]!) : null;
  return decoder ?? `response has content-encoding "${header}", which this client cannot decode`;
}

function decoderFor(coding: string): Transform | null {
  const z = { flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH };
  switch (coding) {
    case 'gzip':
    case 'x-gzip':
      return zlib.createGunzip(z);
    case 'deflate':
      return zlib.createInflate(z);
    case 'br':
      return zlib.createBrotliDecompress({ flush: zlib.constants.BROTLI_OPERATION_FLUSH, finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH });
    default:
      return null;
  }
}
