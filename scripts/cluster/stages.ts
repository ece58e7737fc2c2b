/**
 * The harness's own kwok Stages (kwok-bad-image.yaml): pods whose image matches the bad-image
 * pattern stay Pending in ErrImagePull / ImagePullBackOff instead of becoming Ready at once.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scriptDir } from './lib.js';

/**
 * The default bad images: a tag that contains `non-existent` or `does-not-exist` (what the e2e
 * tests and the README's examples use), e.g. `registry.invalid/agent:does-not-exist`. The tag is
 * what follows the last `:` after the last `/`, up to an optional `@digest`.
 */
export const DEFAULT_BAD_IMAGE_PATTERNS: readonly string[] = [
  ':[^/@]*(non-existent|does-not-exist)[^/@]*(@.*)?$',
];

/**
 * One regular expression matching any of `patterns` (each an RE2 expression matched against the
 * whole image reference, as kwok's jq `test` and its template's `regexMatch` read it). Throws
 * naming the pattern when one does not compile (checked with JavaScript's RegExp, which accepts
 * every RE2 expression the harness needs: no look-around, no back-references).
 */
export function badImageRegex(patterns: readonly string[]): string {
  if (patterns.length === 0) throw new Error('--bad-image-pattern: at least one pattern is needed');
  for (const p of patterns) {
    if (p === '') throw new Error('--bad-image-pattern: an empty pattern would match every image');
    try {
      new RegExp(p);
    } catch (e) {
      throw new Error(`--bad-image-pattern ${JSON.stringify(p)}: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }
  return patterns.length === 1 ? patterns[0]! : patterns.map((p) => `(?:${p})`).join('|');
}

/**
 * The bad-image Stages with the pattern filled in (as a quoted string, valid in jq, in a Go
 * template and inside the YAML's single-quoted keys), written to `dir`; returns the file's path.
 */
export function writeBadImageStages(dir: string, regex: string): string {
  const quoted = JSON.stringify(regex);
  const text = readFileSync(join(scriptDir, 'kwok-bad-image.yaml'), 'utf8')
    .split('\n')
    .map((line) =>
      // In a single-quoted YAML scalar a quote is written twice.
      line.includes("'")
        ? line.replaceAll('__BAD_IMAGE_RE__', quoted.replaceAll("'", "''"))
        : line.replaceAll('__BAD_IMAGE_RE__', quoted),
    )
    .join('\n');
  const file = join(dir, 'kwok-bad-image.yaml');
  writeFileSync(file, text);
  return file;
}
