import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { nowUs, RequestTrace } from './chunk-log.ts';
import type { ActiveRequest, SimContext, SimRequestInit } from './context.ts';
import type { EngineJob, JobState } from './engine.ts';
import { streamFaultDue } from './faults.ts';
import { decodeStepMs, drawOutputLength, prefillMs } from './latency.ts';
import { appendPieces } from './output-tokens.ts';
import { maxCacheableBlocks } from './prefix-cache.ts';
import { createRng, type Rng } from './rng.ts';
import { DONE_EVENT, responseBody, responseId, StreamEvents } from './wire.ts';

/**
 * One generation request through the engine and onto the wire: waits for a slot, prefills,
 * then produces tokens at absolute due times (each due time = the previous one + one modeled
 * decode step, so the modeled rate holds on average whatever the timer lateness). One timer per
 * request; every token due at a wake-up is written in a single `res.write`.
 */
export class SimRequest implements EngineJob, ActiveRequest {
  /** Engine state (set by the scheduler). */
  state: JobState = 'new';
  private readonly events: StreamEvents | null;
  private readonly rng: Rng;
  private readonly promptLen: number;
  private readonly hashes: number[];
  /** Chained hashes of the prompt's and the computed output's full blocks, once cached. */
  private sequenceHashes: readonly number[] = [];
  /** Generated token ids, kept for the prefix cache (null without prefix caching). */
  private readonly outIds: number[] | null;
  private readonly target: number;
  private readonly finishReason: 'stop' | 'length';
  private readonly trace: RequestTrace;
  private cachedTokens = 0;
  private generated = 0;
  private pending = 0;
  private chunks = 0;
  private tokensSent = 0;
  private nextDue = 0;
  private lastChunkDue = 0;
  private scheduledMs = -1;
  private firstTokenMs = -1;
  private privateBlocks = 0;
  private timer: NodeJS.Timeout | null = null;
  private text = '';
  private faultFired = false;
  private stalled = false;
  private finished = false;
  private released = false;

  constructor(
    private readonly ctx: SimContext,
    private readonly res: ServerResponse,
    private readonly init: SimRequestInit,
    private readonly headers: OutgoingHttpHeaders,
  ) {
    const o = ctx.options;
    const seq = ctx.nextSeq++;
    this.rng = createRng(o.seed, 0x10000 + seq);
    this.promptLen = init.promptTokens.length;
    // A session's later turn extends the chain of hashes its memory holds for the shared blocks.
    const known = init.session ? init.session.reusedHashes.slice(0, Math.floor(init.session.reusedIds / o.block_size)) : [];
    this.hashes = o.prefix_caching ? ctx.prefixCache.blockHashes(init.promptTokens, known) : [];
    this.outIds = o.prefix_caching ? [] : null;
    this.trace = new RequestTrace(ctx.chunkLog !== null);
    this.events = init.stream ? new StreamEvents(init.api, responseId(init.api, init.requestId), Math.floor(Date.now() / 1000), init.model, this.promptLen, init.continuousUsage) : null;
    if (init.fault?.kind === 'empty') {
      this.target = 0;
      this.finishReason = 'stop';
    } else {
      const len = drawOutputLength(this.rng, init.maxTokens, init.ignoreEos ? 0 : o.eos_probability);
      this.target = len.tokens;
      this.finishReason = len.stop ? 'stop' : 'length';
    }
  }

  /**
   * Takes the request into the engine: false (answer 429) when the waiting queue is full. A
   * stream's headers go out now, before queueing and prefill, as vLLM sends them.
   */
  admit(): boolean {
    if (!this.ctx.scheduler.hasRoom()) return false;
    this.ctx.active.add(this);
    this.res.on('close', this.onClose);
    if (this.init.stream) {
      this.trace.headersUs = this.trace.enabled ? nowUs() : null;
      this.res.writeHead(200, this.headers);
      this.res.flushHeaders();
    }
    this.ctx.scheduler.submit(this, performance.now());
    return true;
  }

  /** Called by the scheduler when a slot is free: prefix-cache lookup, then prefill. */
  start(nowMs: number): void {
    const { ctx } = this;
    const o = ctx.options;
    this.scheduledMs = nowMs;
    if (o.prefix_caching) {
      const matched = ctx.prefixCache.match(this.hashes, maxCacheableBlocks(this.promptLen, o.block_size));
      this.cachedTokens = matched * o.block_size;
      ctx.prefixCache.insert(this.hashes);
      ctx.metrics.onScheduled(this.promptLen, this.cachedTokens);
    }
    ctx.kv.acquireShared(this.hashes);
    this.growKv();
    this.nextDue = nowMs + prefillMs(o, this.promptLen - this.cachedTokens, ctx.scheduler.running, ctx.latencyRng);
    this.arm(performance.now());
  }

  private arm(now: number): void {
    const wait = this.nextDue - now;
    const spin = this.ctx.options.timer_spin_ms;
    if (wait <= spin) setImmediate(this.tick);
    else this.timer = setTimeout(this.tick, wait - spin);
  }

  private readonly tick = (): void => {
    this.timer = null;
    if (this.state !== 'running' || this.finished) return;
    const now = performance.now();
    if (this.nextDue > now) return this.arm(now);
    const { ctx } = this;
    const o = ctx.options;
    let out = '';
    let written = 0;
    let halt = false;
    let done = false;
    if (this.generated === 0) {
      this.firstTokenMs = this.nextDue;
      ctx.metrics.onFirstToken((this.nextDue - this.init.arrivalMs) / 1000, this.promptLen);
      if (this.target === 0) {
        out = this.events ? this.events.role() + this.events.content('', 0, 'stop') : '';
        done = true;
      } else if (this.faultDue()) {
        if (this.init.fault!.kind === 'malformed') out += this.events!.malformed();
        else halt = true;
      }
    }
    while (!done && !halt) {
      this.generated++;
      this.pending++;
      const last = this.generated >= this.target;
      if (this.generated === 1 || this.pending >= o.tokens_per_chunk || last) {
        out += this.chunk(last ? this.finishReason : null);
        written++;
        if (this.faultDue()) {
          if (this.init.fault!.kind === 'malformed') out += this.events!.malformed();
          else halt = true;
        }
      }
      if (last) done = true;
      if (done || halt) break;
      this.nextDue += decodeStepMs(o, ctx.scheduler.running, ctx.latencyRng);
      if (this.nextDue > now) break;
    }
    if (done && !halt) return this.complete(out, written);
    if (out) {
      const us = this.trace.now();
      this.res.write(out);
      this.trace.sent(us, written);
    }
    if (halt) return this.haltOnFault();
    this.arm(performance.now());
  };

  /**
   * Builds one content chunk of the `pending` tokens (or appends its text when not streaming);
   * `finishReason` is set on the last one.
   */
  private chunk(finishReason: string | null): string {
    const n = this.pending;
    this.pending = 0;
    this.chunks++;
    this.tokensSent += n;
    this.ctx.metrics.onOutput(n, this.chunks === 1 ? null : (this.nextDue - this.lastChunkDue) / 1000);
    this.lastChunkDue = this.nextDue;
    this.growKv();
    const text = appendPieces(this.ctx.vocab, this.rng, n, '', this.outIds ?? undefined);
    // Output pieces are plain lowercase words, so their JSON escape is the text itself. The
    // session's memory keeps a streamed response's text too.
    if (!this.events || this.init.session) this.text += text;
    if (!this.events) return '';
    this.trace.chunk(n);
    const ev = this.events.content(text, this.tokensSent, finishReason);
    return this.chunks === 1 ? this.events.role() + ev : ev;
  }

  private growKv(): void {
    const blocks = Math.ceil((this.promptLen + this.generated) / this.ctx.options.block_size) - this.hashes.length;
    if (blocks !== this.privateBlocks) {
      this.ctx.kv.addPrivate(blocks - this.privateBlocks);
      this.privateBlocks = blocks;
    }
  }

  /** Whether a stream fault (stall, cut, malformed) triggers now, right after the last chunk. */
  private faultDue(): boolean {
    if (this.faultFired || !this.events || !streamFaultDue(this.init.fault, this.chunks, this.tokensSent)) return false;
    this.faultFired = true;
    return true;
  }

  private haltOnFault(): void {
    this.release('abort');
    if (this.init.fault!.kind === 'stall') {
      this.stalled = true;
      return;
    }
    this.end(this.init.stream ? 200 : 0, null);
    this.res.socket?.destroySoon();
  }

  private complete(out: string, written: number): void {
    const usage = { promptTokens: this.promptLen, completionTokens: this.tokensSent, cachedTokens: this.ctx.options.prompt_tokens_details ? this.cachedTokens : null };
    if (this.events) {
      if (this.init.includeUsage) out += this.events.usage(usage);
      const us = this.trace.now();
      this.finished = true;
      this.res.end(out + DONE_EVENT);
      this.trace.sent(us, written);
      this.release(this.finishReason);
      this.remember();
      this.log(200, us, this.finishReason);
      return;
    }
    const kind = this.init.fault?.kind;
    if (kind === 'stall' || kind === 'cut') return this.haltOnFault();
    let body = responseBody(this.init.api, this.init.requestId, this.init.model, this.text, this.finishReason, usage);
    if (kind === 'malformed') body = body.slice(0, Math.floor(body.length / 2));
    const us = this.trace.now();
    this.trace.headersUs = this.trace.enabled ? us : null;
    this.finished = true;
    this.res.writeHead(200, { ...this.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    this.res.end(body);
    this.release(this.finishReason);
    if (kind !== 'malformed') this.remember();
    this.log(200, us, this.finishReason);
  }

  /** Hands a completed session turn's response and block hashes to the session's memory. */
  private remember(): void {
    const s = this.init.session;
    if (s) this.ctx.encoder.sessions.extend(s.turn, this.text, this.outIds ?? [], this.sequenceHashes);
  }

  /** Frees the slot and KV blocks and records the request in the metrics (once). */
  private release(finishReason: string): void {
    if (this.released) return;
    this.released = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const { ctx } = this;
    const now = performance.now();
    const wasRunning = this.state === 'running';
    ctx.scheduler.finish(this, now);
    if (wasRunning) {
      if (this.outIds) this.cacheSequence();
      ctx.kv.releaseShared(this.hashes);
      ctx.kv.addPrivate(-this.privateBlocks);
      this.privateBlocks = 0;
    }
    ctx.metrics.onFinished({
      finishReason,
      arrivalMs: this.init.arrivalMs,
      scheduledMs: this.scheduledMs >= 0 ? this.scheduledMs : now,
      firstTokenMs: this.firstTokenMs >= 0 ? this.firstTokenMs : now,
      endMs: now,
      promptTokens: this.promptLen,
      generationTokens: this.tokensSent,
      maxTokens: this.init.maxTokens,
    });
  }

  /**
   * Leaves the full blocks of the prompt and the generated tokens in the prefix cache. The last
   * generated token is sampled but never fed back, so its KV is not computed and it is not cached.
   */
  private cacheSequence(): void {
    const { prefixCache } = this.ctx;
    const computed = Math.min(this.outIds!.length, this.generated - 1);
    const blocks = Math.floor((this.promptLen + computed) / prefixCache.blockSize);
    this.sequenceHashes = blocks <= this.hashes.length ? this.hashes : prefixCache.blockHashes(this.init.promptTokens.concat(this.outIds!.slice(0, computed)), this.hashes);
    prefixCache.release(this.sequenceHashes);
  }

  private readonly onClose = (): void => {
    if (this.finished) return;
    this.release('abort');
    this.end(this.stalled ? (this.init.stream ? 200 : 0) : 499, null);
  };

  /** Whether it waits in the engine's queue (no slot yet). */
  get queued(): boolean {
    return this.state === 'waiting';
  }

  /**
   * Ends the request because the engine goes to sleep (vLLM's pause mode "abort"): the tokens
   * generated but not yet sent go out in a last chunk with finish_reason "abort" (an empty one
   * when there are none), then the usage chunk if requested and `[DONE]`; a non-streaming request
   * gets its partial text with finish_reason "abort". Requests that already left the engine
   * (finished, or stalled by an injected fault) are left alone.
   */
  abortForSleep(): void {
    if (this.finished || this.released) return;
    // Drop a pending fault: the abort comes first.
    this.faultFired = true;
    let out = '';
    let written = 0;
    if (this.pending > 0) {
      out = this.chunk('abort');
      written = 1;
    } else if (this.events) {
      const ev = this.events.content('', this.tokensSent, 'abort');
      out = this.chunks === 0 ? this.events.role() + ev : ev;
    }
    this.release('abort');
    const usage = { promptTokens: this.promptLen, completionTokens: this.tokensSent, cachedTokens: this.ctx.options.prompt_tokens_details ? this.cachedTokens : null };
    if (this.events) {
      if (this.init.includeUsage) out += this.events.usage(usage);
      const us = this.trace.now();
      this.finished = true;
      this.res.end(out + DONE_EVENT);
      this.trace.sent(us, written);
      this.log(200, us, 'abort');
      return;
    }
    const body = responseBody(this.init.api, this.init.requestId, this.init.model, this.text, 'abort', usage);
    const us = this.trace.now();
    this.trace.headersUs = this.trace.enabled ? us : null;
    this.finished = true;
    this.res.writeHead(200, { ...this.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    this.res.end(body);
    this.log(200, us, 'abort');
  }

  /** Ends the request because the server is shutting down. */
  abort(reason: 'shutdown'): void {
    if (this.finished) return;
    this.release('abort');
    this.end(this.stalled ? (this.init.stream ? 200 : 0) : 499, null, reason);
    this.res.destroy();
  }

  /** Marks the response finished by anything but a normal completion, and logs it. */
  private end(status: number, finishReason: string | null, fault?: string): void {
    this.finished = true;
    this.log(status, nowUs(), finishReason, fault);
  }

  private log(status: number, endUs: number, finishReason: string | null, fault?: string): void {
    this.ctx.active.delete(this);
    if (!this.ctx.chunkLog) return;
    const i = this.init;
    this.ctx.chunkLog.append(
      this.trace.entry({
        request_id: i.requestId,
        model: i.model,
        api: i.api,
        stream: i.stream,
        status,
        prompt_tokens: this.promptLen,
        cached_tokens: this.cachedTokens,
        completion_tokens: this.tokensSent,
        finish_reason: finishReason,
        fault: i.fault?.label ?? fault ?? null,
        received_us: i.receivedUs,
        end_us: endUs,
      }),
    );
  }
}
