/** Paths for tests: the repository root (tests run from build/test/**, fixtures live in test/). */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 10; i++) {
    if (existsSync(join(d, 'package.json')) && existsSync(join(d, 'src'))) return d;
    d = dirname(d);
  }
  return process.cwd();
}

export const ROOT = findRoot();
export const BUILD = join(ROOT, 'build');
export function fixture(...parts: string[]): string {
  return join(ROOT, 'test', 'fixtures', ...parts);
}
