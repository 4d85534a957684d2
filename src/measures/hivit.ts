/**
 * The shape rules of iTPN's backbones (HiViT and the plain ViT of the MAE baseline), pure so the
 * settings panel and the engine check the same things. One message per broken rule.
 */
export function hivitProblems(config: { imageSize: number; patchSize: number; width: number; heads: number; hierarchical: boolean }): string[] {
  const problems: string[] = [];
  const { imageSize, patchSize, width, heads, hierarchical } = config;
  if (imageSize % patchSize !== 0) problems.push(`Image size ${imageSize} must be a multiple of the patch size ${patchSize}.`);
  if (width % heads !== 0) problems.push(`Width ${width} must be divisible by the number of heads ${heads}.`);
  if (width % 4 !== 0) problems.push(`Width ${width} must be divisible by 4 (the sin-cos position embedding, and HiViT's d/4 stage).`);
  if (hierarchical && patchSize % 4 !== 0) {
    problems.push(`HiViT splits each patch into 4×4 sub-tokens: the patch size ${patchSize} must be a multiple of 4.`);
  }
  return problems;
}
