import type uPlot from 'uplot';
import type { StageMark } from '../../methods/collapse';

/**
 * A uPlot draw hook: each stage boundary inside the plot as a dashed vertical line, with the
 * stage's name at its top, in the axis colour. Shared by the live metric charts and the
 * evaluation chart, so a stage switch reads the same on both.
 */
export function drawStageMarks(marks: readonly StageMark[], color: string): (u: uPlot) => void {
  return (u) => {
    if (marks.length === 0) return;
    const { ctx } = u;
    ctx.save();
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    ctx.setLineDash([4, 4]);
    ctx.textAlign = 'left';
    ctx.textBaseline = 'alphabetic';
    ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
    for (const mark of marks) {
      const x = u.valToPos(mark.step, 'x', true);
      if (!(x >= u.bbox.left && x <= u.bbox.left + u.bbox.width)) continue;
      ctx.beginPath();
      ctx.moveTo(x, u.bbox.top);
      ctx.lineTo(x, u.bbox.top + u.bbox.height);
      ctx.stroke();
      ctx.fillText(mark.label, x + 4 * devicePixelRatio, u.bbox.top + 12 * devicePixelRatio);
    }
    ctx.restore();
  };
}
