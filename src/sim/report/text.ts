/** The final text summary (placeholder). */
import type { SimResult } from '../runner.js';
export function renderSummary(r: SimResult, _o: { color: boolean }): string {
  return (
    r.sim.journal.entries.map((e) => `${e.atMs} ${e.message}`).join('\n') +
    '\n' +
    r.checks.map((c) => `${c.passed ? 'ok' : 'FAIL'} ${c.name}: ${c.message}`).join('\n') +
    '\n'
  );
}
