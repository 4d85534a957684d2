/**
 * The page's side of the worker, split along its seams: workerLink (requests out, events into
 * the store), runner (run controls) and runFiles (exports and imports). A fake Worker records
 * what the page asks; the browser-only modules (IndexedDB, image sets) are stubbed.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { WorkerEvent, WorkerRequest } from '../worker/protocol';

vi.mock('./saving', () => ({
  keepSoon: vi.fn(), keepCheckpoint: vi.fn(), flushSaves: vi.fn(async () => {}), adoptSaved: vi.fn(), forgetSaved: vi.fn(), refreshSaved: vi.fn(async () => {}),
}));
vi.mock('./persist', async (original) => ({ ...(await original<typeof import('./persist')>()), loadSaved: vi.fn() }));
vi.mock('./imageSets', () => ({
  imageSets: { forRun: async () => null, forExport: async () => [], adopt: async () => new Map<string, string>() },
}));

const posted: WorkerRequest[] = [];
class FakeWorker {
  onmessage: ((message: { data: WorkerEvent }) => void) | null = null;
  onerror: ((event: { message: string }) => void) | null = null;
  postMessage(request: WorkerRequest): void {
    posted.push(request);
  }
}
vi.stubGlobal('Worker', FakeWorker);

const { actions, selectFocused, store } = await import('./store');
const { defaultExperiment, MAX_RUNS } = await import('./url');
const { handleEvent } = await import('./workerLink');
const { runner } = await import('./runner');
const { files } = await import('./runFiles');
const saving = await import('./saving');

const tiny = () => defaultExperiment('simclr', 'tiny');
/** Lets sendStart's image-set lookup (a promise) finish. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
const lastOf = <T extends WorkerRequest['type']>(type: T) =>
  posted.filter((r): r is Extract<WorkerRequest, { type: T }> => r.type === type).at(-1);
const status = (runId: number, state: 'paused' | 'running' | 'error') =>
  ({ runId, state, step: 3, totalSteps: 10, stepsPerSecond: 1, elapsedMs: 100, checkpointStep: -1 });

beforeEach(() => {
  actions.reset(tiny());
  posted.length = 0;
  vi.clearAllMocks();
});

describe('runner: run controls', () => {
  it('Train builds the first run from the panel and focuses it; Pause and Step go to the focused run', async () => {
    runner.start(true);
    await settle();
    const start = lastOf('start')!;
    expect(start).toMatchObject({ methodId: 'simclr', train: true });
    expect(lastOf('focus')).toEqual({ type: 'focus', runId: start.runId });
    expect(selectFocused(store.getState())!.id).toBe(start.runId);
    runner.pause();
    runner.stepOnce();
    expect(posted.slice(-2)).toEqual([{ type: 'pause', runId: start.runId }, { type: 'step-once', runId: start.runId }]);
  });

  it('Reset stops the old run and builds a new one in its place, paused', async () => {
    runner.start(true);
    await settle();
    const first = lastOf('start')!.runId;
    runner.reset();
    await settle();
    const second = lastOf('start')!;
    expect(lastOf('stop')).toEqual({ type: 'stop', runId: first });
    expect(second.runId).not.toBe(first);
    expect(second.train).toBe(false);
    expect(store.getState().runs).toHaveLength(1);
  });

  it('Duplicate names the sibling after the change, and refuses past the comparison limit', async () => {
    runner.start(false);
    await settle();
    actions.setValue('learningRate', 0.05);
    runner.duplicate();
    const names = store.getState().runs.map((r) => r.name);
    expect(names[1]).toMatch(/^Run 1 · /);
    expect(store.getState().runs[0].values.learningRate).not.toBe(0.05); // the original keeps its settings
    while (store.getState().runs.length < MAX_RUNS) runner.duplicate();
    runner.duplicate();
    expect(store.getState().runs).toHaveLength(MAX_RUNS);
    expect(store.getState().notices.at(-1)?.text).toContain(`at most ${MAX_RUNS} runs`);
  });
});

describe('workerLink: events into the store', () => {
  it('routes status, metrics and errors to the run they name, and ignores a run discarded since', async () => {
    runner.start(true);
    await settle();
    const id = lastOf('start')!.runId;
    handleEvent({ type: 'status', status: status(id, 'running') });
    handleEvent({ type: 'metrics', runId: id, record: { step: 3, values: { loss: 2.5 } } });
    const run = selectFocused(store.getState())!;
    expect(run.status?.state).toBe('running');
    expect(run.history.series.loss).toEqual([2.5]);
    expect(saving.keepSoon).toHaveBeenCalledWith(id);
    handleEvent({ type: 'error', runId: id, message: 'Out of memory.', recoverable: false });
    expect(store.getState().notices.at(-1)).toMatchObject({ level: 'error', text: 'Out of memory.' });
    const notices = store.getState().notices.length;
    handleEvent({ type: 'error', runId: 999, message: 'stale', recoverable: false });
    expect(store.getState().notices).toHaveLength(notices);
  });

  it('a checkpoint is kept in the browser', () => {
    const weights = { names: [], shapes: [], data: new Float32Array(0) } as unknown as Extract<WorkerEvent, { type: 'checkpoint' }>['weights'];
    handleEvent({ type: 'checkpoint', runId: 4, step: 200, weights });
    expect(saving.keepCheckpoint).toHaveBeenCalledWith(4, 200, weights);
  });
});

describe('runFiles: imports that cannot be used change nothing', () => {
  const fileOf = (name: string, text: string) => ({ name, text: async () => text }) as unknown as File;

  it('a text file is refused with its name and a message; no run is added and nothing is sent', async () => {
    runner.start(false);
    await settle();
    const before = posted.length;
    await files.importRuns(fileOf('notes.txt', 'hello'));
    expect(store.getState().runs).toHaveLength(1);
    expect(posted.length).toBe(before);
    expect(store.getState().notices.at(-1)?.text).toMatch(/^notes\.txt: .*Nothing was changed\.$/);
  });

  it('an export is refused when it would pass the comparison limit', async () => {
    for (let i = 0; i < MAX_RUNS; i++) actions.addRun(100 + i, `r${i}`, tiny());
    const run = {
      name: 'x', methodId: 'simclr', presetId: 'tiny', values: { ...tiny().values, seed: 99 }, step: 0, elapsedMs: 0,
      history: { steps: [], series: {} }, evaluations: [], weights: null,
    };
    const { encodeRunFile, RUN_FILE_FORMAT, RUN_FILE_VERSION } = await import('./runFile');
    const text = encodeRunFile({ format: RUN_FILE_FORMAT, version: RUN_FILE_VERSION, exportedAt: '', lesson: null, focus: 0, runs: [run], imageSets: [] });
    await files.importRuns(fileOf('run.json', text));
    expect(store.getState().runs).toHaveLength(MAX_RUNS);
    expect(store.getState().notices.at(-1)?.text).toContain('Remove runs first. Nothing was changed.');
  });

  it('importing the same export again adds nothing, and says so (issue 22)', async () => {
    const { encodeRunFile, RUN_FILE_FORMAT, RUN_FILE_VERSION } = await import('./runFile');
    const run = (name: string, seed: number) => ({
      name, methodId: 'simclr', presetId: 'tiny', values: { ...tiny().values, seed }, step: 0, elapsedMs: 0,
      history: { steps: [], series: {} }, evaluations: [], weights: null,
    });
    const file = (runs: ReturnType<typeof run>[]) => fileOf('two.json', encodeRunFile({
      format: RUN_FILE_FORMAT, version: RUN_FILE_VERSION, exportedAt: '', lesson: null, focus: 0, runs, imageSets: [],
    }));
    await files.importRuns(file([run('a', 1), run('b', 2)]));
    expect(store.getState().notices.map((n) => n.text)).toEqual([]);
    expect(store.getState().runs.map((r) => r.name)).toEqual(['a', 'b']);
    await files.importRuns(file([run('a', 1), run('b', 2)]));
    expect(store.getState().runs.map((r) => r.name)).toEqual(['a', 'b']);
    expect(store.getState().notices.at(-1)?.text).toBe('two.json: all 2 of its runs are open here already. Nothing was added.');
    await files.importRuns(file([run('a', 1), run('c', 3)]));
    expect(store.getState().runs.map((r) => r.name)).toEqual(['a', 'b', 'c']);
    expect(store.getState().notices.at(-1)?.text).toBe('two.json: 1 of its 2 runs is open here already and was not added again.');
  });

  it('a run that cannot be exported is left out and named; the others are still exported (issue 22)', async () => {
    const downloads: string[] = [];
    vi.stubGlobal('document', { createElement: () => ({ href: '', click() { downloads.push(this.download); }, download: '' }) });
    actions.addRun(21, 'healthy', tiny());
    actions.addRun(22, 'broken', { ...tiny(), values: { ...tiny().values, seed: 5 } });
    handleEvent({ type: 'status', status: status(21, 'paused') });
    handleEvent({ type: 'status', status: status(22, 'paused') });
    const exporting = files.exportRuns();
    await settle();
    handleEvent({ type: 'error', runId: 22, message: 'Eigenvalues did not converge', recoverable: false });
    handleEvent({ type: 'exported', runId: 21, step: 3, elapsedMs: 100, weights: null });
    await exporting;
    vi.unstubAllGlobals();
    vi.stubGlobal('Worker', FakeWorker);
    expect(downloads).toHaveLength(1);
    expect(store.getState().notices.at(-1)).toMatchObject({
      level: 'warning', text: 'The export left out broken (Eigenvalues did not converge); the other runs are in the file.',
    });
  });

  it('Export with no run built says so', async () => {
    await files.exportRuns();
    expect(store.getState().notices.at(-1)).toMatchObject({ level: 'warning' });
    expect(lastOf('export')).toBeUndefined();
  });
});

// Issue 22: a pasted link or a picked lesson used to close trained runs at once, losing the
// steps since their last checkpoint. Now it waits for a choice while the runs go on training.
describe('runner: a link or lesson that would close trained runs asks first', () => {
  const link = () => ({ runs: [{ experiment: { ...tiny(), values: { ...tiny().values, seed: 8 } }, name: null }], focus: 0, lesson: null });
  const trainedPage = async () => {
    runner.start(true);
    await settle();
    const id = lastOf('start')!.runId;
    handleEvent({ type: 'status', status: { ...status(id, 'running'), step: 12 } });
    posted.length = 0;
    return id;
  };

  it('with nothing trained, opens at once', async () => {
    runner.start(false);
    await settle();
    runner.requestOpen(link(), false, 'link');
    expect(store.getState().pendingOpen).toBeNull();
    expect(store.getState().runs.map((r) => r.values.seed)).toEqual([8]);
  });

  it('cancel keeps the page as it was, the run still training', async () => {
    const id = await trainedPage();
    runner.requestOpen(link(), false, 'link');
    expect(store.getState().pendingOpen).toMatchObject({ source: 'link', saving: false });
    expect(posted).toEqual([]); // nothing stopped, nothing paused
    await runner.resolveOpen('cancel');
    expect(store.getState().pendingOpen).toBeNull();
    expect(store.getState().runs.map((r) => r.id)).toEqual([id]);
    expect(posted).toEqual([]);
  });

  it('beside adds the new run to the comparison and focuses it', async () => {
    const id = await trainedPage();
    runner.requestOpen(link(), false, 'link');
    await runner.resolveOpen('beside');
    await settle();
    expect(store.getState().runs.map((r) => [r.name, r.values.seed])).toEqual([['Run 1', tiny().values.seed], ['Run 2', 8]]);
    expect(lastOf('stop')).toBeUndefined();
    expect(selectFocused(store.getState())!.id).not.toBe(id);
  });

  it('save and switch pauses and checkpoints every trained run, waits for the writes, then switches', async () => {
    const id = await trainedPage();
    runner.requestOpen(link(), true, 'lesson');
    const switching = runner.resolveOpen('save');
    expect(store.getState().pendingOpen?.saving).toBe(true);
    expect(lastOf('export')).toEqual({ type: 'export', runId: id, pause: true });
    expect(lastOf('stop')).toBeUndefined(); // not before the checkpoint is back
    handleEvent({ type: 'exported', runId: id, step: 13, elapsedMs: 100, weights: null });
    await switching;
    expect(saving.flushSaves).toHaveBeenCalled();
    expect(lastOf('stop')).toEqual({ type: 'stop', runId: id });
    expect(store.getState().runs.map((r) => r.values.seed)).toEqual([8]);
    expect(store.getState().pendingOpen).toBeNull();
  });

  it('a run that cannot be saved closes nothing and says why', async () => {
    const id = await trainedPage();
    runner.requestOpen(link(), false, 'link');
    const switching = runner.resolveOpen('save');
    handleEvent({ type: 'error', runId: id, message: 'GPU lost', recoverable: false });
    await switching;
    expect(lastOf('stop')).toBeUndefined();
    expect(store.getState().runs.map((r) => r.id)).toEqual([id]);
    expect(store.getState().notices.at(-1)?.text).toBe('Nothing was closed: Run 1 (GPU lost) could not be saved. Open the new runs beside, or remove the failed run first.');
  });
});
