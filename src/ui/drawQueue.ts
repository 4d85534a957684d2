/**
 * Canvas drawing, off the task that brought the data. A worker message updates the store, React
 * renders and commits in that same task; if every view also drew its canvases there (attention
 * maps, crops, the collapse panel, eight charts), one message became one task of 50–150 ms on a
 * busy machine and the page stuttered. Views instead hand their drawing here, keyed by what they
 * draw: the queue runs draws in small tasks of its own, yielding to the browser after each few
 * milliseconds, and a newer draw for a key replaces one still waiting (a view never draws stale
 * data, and a backlog cannot grow while training outpaces the page).
 */

type Draw = () => void;

/** Drawing per task before the queue yields to the browser (input, rendering, the next message). */
export const DRAW_BUDGET_MS = 4;

const waiting = new Map<object, Draw>();
let posted = false;
let channel: MessageChannel | null = null;

function post(): void {
  if (posted) return;
  posted = true;
  if (!channel) {
    channel = new MessageChannel();
    channel.port1.onmessage = run;
    // Node (unit tests) would otherwise keep the process alive for an idle port.
    (channel.port1 as { unref?: () => void }).unref?.();
  }
  channel.port2.postMessage(null);
}

function run(): void {
  posted = false;
  const start = performance.now();
  // A Map iterates in insertion order and tolerates deletion while iterating: oldest first.
  for (const [key, draw] of waiting) {
    waiting.delete(key);
    try {
      draw();
    } catch (error) {
      // One broken view must not stop the others; the error still reaches the console.
      setTimeout(() => {
        throw error;
      });
    }
    if (performance.now() - start >= DRAW_BUDGET_MS) break;
  }
  if (waiting.size > 0) post();
}

/**
 * Draws soon, in a task of the queue's own. A draw already waiting under `key` is replaced (it
 * keeps its place in line). Returns a cancel function, the shape an effect's cleanup wants.
 */
export function scheduleDraw(key: object, draw: Draw): () => void {
  waiting.set(key, draw);
  post();
  return () => {
    if (waiting.get(key) === draw) waiting.delete(key);
  };
}

const parts = new WeakMap<object, Map<number | string, object>>();

/** A key for one part of what an owner draws (image i of a view): the same object every time. */
export function drawKey(owner: object, part: number | string): object {
  let keys = parts.get(owner);
  if (!keys) parts.set(owner, (keys = new Map()));
  let key = keys.get(part);
  if (!key) keys.set(part, (key = {}));
  return key;
}

/** Draws still waiting (tests). */
export const waitingDraws = (): number => waiting.size;
