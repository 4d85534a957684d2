import { selectProbeKinds, useAppStore } from '../../state/store';
import type { ProbeKind } from '../../methods/probes';
import { PROBE_ORDER, PROBE_VIEWS } from './registry';

/** Every probe view the focused run has, in the registry's order. */
export function ProbeViews() {
  const kinds = new Set(useAppStore(selectProbeKinds).split(' ') as ProbeKind[]);
  return PROBE_ORDER.filter((kind) => kinds.has(kind)).map((kind) => {
    const View = PROBE_VIEWS[kind];
    return View ? <View key={kind} /> : null;
  });
}
