/** iTPN's settings (plain data: the page imports this), typed by name through ValuesOf. */
import { commonSettings, vitSettings } from '../common';
import type { Setting, ValuesOf } from '../schema';

/**
 * iTPN (Tian et al., CVPR 2023, "Integrally Pre-Trained Transformer Pyramid Networks";
 * sunsmarterjie/iTPN): a hierarchical ViT (HiViT) and its feature pyramid pre-trained together by
 * masked image modeling (the pixel decoder reads every pyramid level) and masked feature modeling
 * (every level predicts a moving-averaged backbone's features of the matching stage). "Pyramid
 * off" is the plain-ViT MAE baseline the paper compares against.
 */
export const itpnSettings = [
  { kind: 'boolean', name: 'pyramid', urlKey: 'py', label: 'Feature pyramid', group: 'method',
    help: 'On: HiViT (MLP stages on sub-patch tokens, patch merging, attention stage) with a feature pyramid trained in pre-training, ' +
      'all of whose levels feed the decoders. Off: a plain ViT whose last layer alone feeds them — the MAE baseline.',
    default: true },
  { kind: 'number', name: 'maskRatio', urlKey: 'mk', label: 'Mask ratio', group: 'method',
    help: 'Fraction of each image’s patches hidden from the encoder (0.75 in MAE and iTPN). Move it before training to preview the ' +
      'masks in the reconstruction view; during a run it applies from the next step.',
    default: 0.75, min: 0.1, max: 0.95, step: 0.05, slider: true },
  { kind: 'boolean', name: 'mim', urlKey: 'mim', label: 'Masked image modeling', group: 'loss',
    help: 'Predict the pixels of the masked patches, each patch normalised by its own mean and std (MSE on masked patches only).',
    default: true },
  { kind: 'boolean', name: 'mfm', urlKey: 'mfm', label: 'Masked feature modeling', group: 'loss',
    help: 'Each pyramid level also predicts, at the masked patches, the features of the matching stage of a moving-averaged copy of ' +
      'the backbone that sees the whole image.',
    default: true },
  { kind: 'number', name: 'mfmWeight', urlKey: 'mfw', label: 'MFM weight', group: 'loss',
    help: 'Weight of the masked feature modeling loss (the mean over levels) in the sum.', default: 1, min: 0, max: 100, step: 0.1 },
  { kind: 'number', name: 'teacherMomentum', urlKey: 'tm', label: 'Teacher momentum', group: 'loss',
    help: 'Start of the moving average that makes the MFM targets (it rises to 1 on a cosine).',
    default: 0.996, min: 0.9, max: 1, step: 0.001 },
  ...vitSettings('Attention blocks of the last stage (the plain ViT has these only).').map((setting) => (setting.name === 'patchSize'
    ? { ...setting, help: 'Pixels per side of a patch, the unit of masking; HiViT splits it into 4×4 sub-tokens (4 on 32 px images: 8×8 = 64 patches).' }
    : setting)),
  { kind: 'number', name: 'mlpDepth', urlKey: 'md', label: 'MLP stage depth', group: 'model',
    help: 'HiViT’s MLP-only blocks in each of the two early stages (on 4×4 and 2×2 sub-tokens per patch).',
    default: 1, min: 1, max: 4, step: 1, integer: true },
  { kind: 'number', name: 'fpnWidth', urlKey: 'fw', label: 'Pyramid width', group: 'pyramid',
    help: 'Channels of every pyramid level.', default: 48, min: 8, max: 256, step: 8, integer: true },
  { kind: 'number', name: 'fpnDepth', urlKey: 'fd', label: 'Pyramid depth', group: 'pyramid',
    help: 'MLP blocks after each top-down merge of the pyramid.', default: 1, min: 1, max: 4, step: 1, integer: true },
  { kind: 'number', name: 'decoderWidth', urlKey: 'dw', label: 'Decoder width', group: 'pyramid',
    help: 'Token width of the decoder (must divide by 16: the finest level gives it D/16 per sub-token).',
    default: 64, min: 16, max: 256, step: 16, integer: true },
  { kind: 'number', name: 'decoderDepth', urlKey: 'dd', label: 'Decoder depth', group: 'pyramid',
    help: 'Transformer blocks of the pixel decoder (MAE uses a light decoder).', default: 2, min: 1, max: 8, step: 1, integer: true },
  { kind: 'number', name: 'decoderHeads', urlKey: 'dh', label: 'Decoder heads', group: 'pyramid',
    help: 'Attention heads of the decoder blocks.', default: 4, min: 1, max: 16, step: 1, integer: true },
  { kind: 'number', name: 'learningRate', urlKey: 'lr', label: 'Learning rate', group: 'optimization',
    help: 'Peak AdamW learning rate (linear warm-up, then cosine to 1% of it).', default: 0.0015, min: 0.00001, max: 0.1, step: 0.00001, log: true },
  { kind: 'number', name: 'warmupSteps', urlKey: 'wu', label: 'lr warm-up', group: 'optimization',
    help: 'Steps of linear warm-up.', default: 50, min: 0, max: 100000, step: 10, integer: true, unit: 'steps' },
  { kind: 'number', name: 'weightDecay', urlKey: 'wd', label: 'Weight decay', group: 'optimization',
    help: 'AdamW weight decay on weight matrices (0.05 in MAE and iTPN).', default: 0.05, min: 0, max: 1, step: 0.01 },
] as const satisfies readonly Setting[];

/** Every setting of an iTPN run: its own, then the common ones (the order of the panel, the link and the CLI). */
export const ITPN_SETTINGS = [...itpnSettings, ...commonSettings] as const;

export type ItpnValues = ValuesOf<typeof ITPN_SETTINGS>;
