import { BenchError } from '../errors/index.ts';
import { showText } from '../http/server-text.ts';

/**
 * The cluster cannot be used as configured: no kubeconfig, unreachable API server, missing
 * namespace, RBAC denial, a rejected object. The message is one line naming the cluster URL, the
 * namespace and the operation; it never carries a credential.
 */
export class ClusterError extends BenchError {}

/** The HTTP status of a Kubernetes client error (`ApiException.code`), if any. */
export function apiStatus(err: unknown): number | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

/**
 * The API server's own message from a `Status` body, else the error's message; shown with
 * control characters escaped and without any secret the run knows (it is the server's text).
 */
export function apiMessage(err: unknown): string {
  return showText(rawApiMessage(err));
}

function rawApiMessage(err: unknown): string {
  const body = (err as { body?: unknown }).body;
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = undefined;
    }
  }
  const message = (parsed as { message?: unknown } | undefined)?.message;
  if (typeof message === 'string' && message) return message;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') return connectReason(code, (err as Error).message);
  const inner = (err as { cause?: { code?: unknown } }).cause?.code;
  if (typeof inner === 'string') return connectReason(inner, (err as Error).message);
  return firstLine((err as Error)?.message ?? String(err));
}

function connectReason(code: string, message: string): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused: is the API server running and is the kubeconfig pointing at it?';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name not found (DNS)';
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'connection timed out';
    case 'ECONNRESET':
      return 'connection reset by the API server';
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'CERT_HAS_EXPIRED':
      return `TLS: ${code} (set certificate-authority-data in the kubeconfig)`;
    default:
      return `${code}: ${firstLine(message)}`;
  }
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  // Client errors sometimes append whole response bodies and headers; keep the reason only.
  return line.length > 300 ? `${line.slice(0, 300)}...` : line;
}

/** Wraps a client error as a {@link ClusterError}: `<what> in namespace <ns> on <server>: <reason>`. */
export function clusterError(code: string, what: string, where: string, err: unknown): ClusterError {
  const status = apiStatus(err);
  const reason = apiMessage(err);
  const hint = status === 403 ? ' (RBAC: the kubeconfig user lacks this permission; see the README for the verbs the suites need)' : '';
  return new ClusterError(code, `${what} ${where}: ${status ? `HTTP ${status}: ` : ''}${reason}${hint}`, { cause: err });
}
