/**
 * The probe-view registry: each probe kind's view, in page order. A new probe kind is its
 * payload type (one line in ProbeTypes, methods/probes.ts), its view, and one line here; the
 * store keeps its latest payload without an edit (StoreState.probes), and the page shows the
 * view only for runs whose method lists the kind (MethodDescription.probeKinds).
 */
import type { ComponentType } from 'react';
import type { ProbeKind } from '../../methods/probes';
import { AttentionView } from './AttentionView';
import { CropsView } from './CropsView';
import { DenoisingView } from './DenoisingView';
import { EmbeddingView } from './EmbeddingView';
import { FeatureView } from './FeatureView';
import { PositionView } from './PositionView';
import { ReconstructionView } from './ReconstructionView';
import { SimilarityView } from './similarity/SimilarityView';

export const PROBE_VIEWS = {
  position: PositionView,
  features: FeatureView,
  reconstruction: ReconstructionView,
  denoising: DenoisingView,
  embedding: EmbeddingView,
  similarity: SimilarityView,
  attention: AttentionView,
  crops: CropsView,
  // DINO's output distributions are drawn inside the collapse panel, beside the curves they explain.
  distribution: null,
} as const satisfies Record<ProbeKind, ComponentType | null>;

/** The kinds in page order. */
export const PROBE_ORDER = Object.keys(PROBE_VIEWS) as ProbeKind[];
