/**
 * Collecting one pod's results from its log: the log is followed from its start (client-node
 * `Log` with `follow`) into the log-frame decoder, which rebuilds every framed file under
 * `<results>/R/pods/<index>/`; the log's other lines (vitest's output, pod-run's own) go to
 * `pods/<index>/pod.log` with secrets redacted. A stream that ends before the pod has finished
 * (an API server may close a follow early) is read once more, whole, when the pod is terminal.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Log } from '@kubernetes/client-node';
import { redactText } from '../../config/redact.ts';
import type { ClusterConnection } from '../../k8s/connect.ts';
import { folderSink, linesOf } from '../frame-collect.ts';
import { FrameDecoder, type FrameReport } from '../frame-decoder.ts';
import { FRAME_MARKER } from '../log-frames.ts';
import { CONTAINER } from './names.ts';

/** One pod's log being collected. */
export class PodLogCollector {
  private stream: PassThrough | null = null;
  private controller: AbortController | null = null;
  private ended: Promise<void> = Promise.resolve();
  private stopped = false;
  /** True once a stream ran to its end (the server closed it). */
  complete = false;
  /** What the last stream's frames held. */
  report: FrameReport | null = null;
  /** The last error of a log request. */
  error: string | null = null;

  constructor(
    private readonly conn: ClusterConnection,
    readonly pod: string,
    readonly dir: string,
    private readonly secrets: readonly string[],
    /** The file in `dir` for the log's other lines. */
    private readonly logName = 'pod.log',
  ) {}

  /** Reads the log from its start (again, from scratch, when called after an early end); resolves when the stream ends. */
  start(follow: boolean): Promise<void> {
    if (this.stopped) return this.ended;
    this.complete = false;
    this.error = null;
    const stream = new PassThrough();
    this.stream = stream;
    mkdirSync(this.dir, { recursive: true });
    const podLog = createWriteStream(join(this.dir, this.logName));
    const decoder = new FrameDecoder(folderSink(this.dir));
    stream.once('end', () => {
      if (!this.stopped) this.complete = true;
    });
    const reading = (async () => {
      for await (const line of linesOf(stream)) {
        const at = line.indexOf(FRAME_MARKER);
        if (at >= 0 && at <= 256) await decoder.push(line);
        else podLog.write(`${redactText(line, this.secrets)}\n`);
      }
      this.report = await decoder.finish();
      await new Promise<void>((resolve) => podLog.end(resolve));
    })();
    new Log(this.conn.kc)
      .log(this.conn.namespace, this.pod, CONTAINER, stream, { follow, pretty: false, timestamps: false })
      .then((c) => {
        this.controller = c;
        // An aborted body does not end the stream it was piped to.
        c.signal.addEventListener('abort', () => stream.end());
        if (this.stopped) c.abort();
      })
      .catch((err: unknown) => {
        this.error = (err as Error).message ?? String(err);
        stream.end();
      });
    this.ended = reading;
    return reading;
  }

  /** Resolves when the current stream has ended (or was stopped). */
  done(): Promise<void> {
    return this.ended;
  }

  /** Stops reading; what was written is kept. */
  stop(): Promise<void> {
    this.stopped = true;
    this.controller?.abort();
    this.stream?.end();
    return this.ended;
  }
}
