/**
 * What the page's main thread spends per task, from a Chromium trace: the CPU time of every task
 * the page ran while a test acted, with the test harness's own tasks left out.
 *
 * Why not the Long Tasks API: it times tasks by the wall clock. On a 2-core machine where
 * SwiftShader's WebGPU threads keep both cores busy, the main thread waits for a core, and a task
 * of 8 ms of work took 48 ms, one of 28 ms took 84 (traced). That measured the machine's load,
 * not the page: the check failed on CI and passed on an idle machine. A task's thread CPU time is
 * what the page's code costs, whatever else runs. Playwright's own probes of the page (locator
 * queries, polls) arrive as DevTools messages and run as page tasks too; they are not the app's.
 */
import type { Browser, Page } from '@playwright/test';

export interface MainThreadTask {
  /** Thread CPU time of the task. */
  cpuMs: number;
  /** Wall-clock time of the task (what the Long Tasks API would report). */
  wallMs: number;
  /** The heaviest events inside it, for a failure message. */
  inside: string;
}

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  tdur?: number;
  args?: { name?: string; chrome_mojo_event_info?: { mojo_interface_tag?: string }; data?: { functionName?: string } };
}

export async function startMainThreadTrace(browser: Browser, page: Page): Promise<void> {
  await browser.startTracing(page, { categories: ['toplevel', 'mojom', 'devtools.timeline'] });
}

/** Stops the trace; returns the page's main-thread tasks, longest CPU time first. */
export async function stopMainThreadTrace(browser: Browser): Promise<MainThreadTask[]> {
  const buffer = await browser.stopTracing();
  const parsed = JSON.parse(buffer.toString('utf8')) as { traceEvents: TraceEvent[] } | TraceEvent[];
  const events = Array.isArray(parsed) ? parsed : parsed.traceEvents;
  const mains = new Set(events
    .filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain')
    .map((e) => `${e.pid}:${e.tid}`));
  if (mains.size === 0) throw new Error('the trace has no renderer main thread');

  const onMain = events.filter((e) => e.ph === 'X' && mains.has(`${e.pid}:${e.tid}`));
  const tasks = onMain.filter((e) => e.name === 'ThreadControllerImpl::RunTask');
  if (tasks.length > 0 && tasks.every((t) => t.tdur === undefined)) throw new Error('the trace has no thread CPU times');
  // Events inside a task: those that start within it (a thread runs one task at a time).
  const sorted = [...onMain].sort((a, b) => a.ts - b.ts);
  const firstAtOrAfter = (ts: number) => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid].ts < ts) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const result: MainThreadTask[] = [];
  for (const task of tasks) {
    const end = task.ts + (task.dur ?? 0);
    const inner: TraceEvent[] = [];
    for (let i = firstAtOrAfter(task.ts); i < sorted.length && sorted[i].ts <= end; i++) {
      const e = sorted[i];
      if (e !== task && e.pid === task.pid && e.tid === task.tid) inner.push(e);
    }
    const fromHarness = inner.some((e) => e.name === 'Receive mojo message' && e.args?.chrome_mojo_event_info?.mojo_interface_tag === 'blink.mojom.DevToolsSession');
    if (fromHarness) continue;
    const heaviest = inner
      .filter((e) => e.name !== 'ThreadControllerImpl::RunTask')
      .sort((a, b) => (b.tdur ?? 0) - (a.tdur ?? 0))
      .slice(0, 4)
      .map((e) => `${e.name}${e.args?.data?.functionName ? ` ${e.args.data.functionName}` : ''} ${((e.tdur ?? 0) / 1000).toFixed(1)} ms`);
    result.push({ cpuMs: (task.tdur ?? 0) / 1000, wallMs: (task.dur ?? 0) / 1000, inside: heaviest.join(', ') });
  }
  return result.sort((a, b) => b.cpuMs - a.cpuMs);
}
